"""`safetynet hl7 listen`: the trust's HL7v2 ADT feed over MLLP (worker.hl7_listener)."""

from __future__ import annotations

import typer

from cli.common import TRUST_OPTION, console, database, fail, trust_of
from schema.settings import get_settings
from schema.trusts import trust_config
from worker.hl7_listener import listen
from worker.logs import configure_logging

app = typer.Typer(help="The trust's HL7v2 ADT feed (enrolment from the PAS).", no_args_is_help=True)


@app.command("listen")
def listen_command(
    port: int = typer.Option(..., min=0, max=65535, help="TCP port (0: any free one)."),
    host: str = typer.Option("127.0.0.1", help="Where to listen (0.0.0.0 for every interface)."),
    trust_code: str | None = TRUST_OPTION,
) -> None:
    """Take ADT messages over MLLP and answer each with its ACK, until Ctrl-C or SIGTERM."""
    with database() as session:
        trust = trust_of(session, trust_code)
        if trust_config(trust).integration.hl7 is None:
            fail(f"{trust.code} takes no ADT feed: add integration.hl7 to its configuration")
        code = trust.code

    def announce(bound_host: str, bound_port: int) -> None:
        console.print(f"listening for {code}'s ADT feed on {bound_host}:{bound_port} (MLLP)")

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)  # masked, and JSON when asked
    try:
        listen(code, host=host, port=port, announce=announce)
    except OSError as error:
        fail(f"cannot listen on {host}:{port}: {error.strerror or error}")
