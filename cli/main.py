"""The `safetynet` console command. Each group lives in its own module; this file wires them."""

from __future__ import annotations

import typer

from cli import db as db_commands
from cli import help_types
from cli import hl7 as hl7_commands
from cli import keys as key_commands
from cli import messages as message_commands
from cli import patients as patient_commands
from cli import retention as retention_commands
from cli import rota as rota_commands
from cli import sms as sms_commands
from cli import staff as staff_commands
from cli import tokens as token_commands
from cli import trust as trust_commands
from cli.demo import demo_command
from cli.serve import serve_command
from cli.status import status_command
from cli.triage import triage_command

help_types.install()

app = typer.Typer(
    name="safetynet",
    help="MSCC Safety Net: SMS and email safety-netting for metastatic spinal cord compression.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db_commands.app, name="db")
app.add_typer(trust_commands.app, name="trust")
app.add_typer(patient_commands.app, name="patients")
app.add_typer(message_commands.app, name="messages")
app.add_typer(staff_commands.app, name="staff")
app.add_typer(rota_commands.app, name="rota")
app.add_typer(token_commands.app, name="tokens")
app.add_typer(hl7_commands.app, name="hl7")
app.add_typer(retention_commands.app, name="retention")
app.add_typer(key_commands.app, name="keys")
app.add_typer(sms_commands.app, name="sms")
app.command("status")(status_command)
app.command("serve")(serve_command)
app.command("demo")(demo_command)
app.command("triage")(triage_command)


if __name__ == "__main__":
    app()
