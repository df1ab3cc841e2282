"""The `safetynet` console command. Each group lives in its own module; this file only wires them."""

from __future__ import annotations

import typer

from cli import db as db_commands

app = typer.Typer(
    name="safetynet",
    help="MSCC Safety Net: SMS and email safety-netting for metastatic spinal cord compression.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db_commands.app, name="db")


if __name__ == "__main__":
    app()
