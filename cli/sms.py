"""`safetynet sms receive`: text the service as if from a phone, on embedded defaults."""

from __future__ import annotations

import typer

from cli.common import TRUST_OPTION, console, database, fail
from pathway import audit
from pathway.contacts import patients_with_number
from schema.settings import get_settings
from schema.trusts import get_trust
from schema.types import utcnow
from web.simulated_replies import (
    SimulationRefused,
    audit_simulation,
    simulated_fields,
    simulation_allowed,
    store_now,
    trust_number,
)

app = typer.Typer(help="Play the patient: text the service without a phone.", no_args_is_help=True)


@app.command("receive")
def receive_command(
    text: str = typer.Argument(..., help="What the patient texts, in quotes."),
    sender: str = typer.Option(..., "--from", help="The number it comes from (UK or E.164)."),
    trust_code: str | None = TRUST_OPTION,
) -> None:
    """Receive a reply as the Twilio webhook would, through the same store-first path.

    The workers of `safetynet serve` triage it within seconds; what the service texts back is
    recorded in the outbox (and shown on the dashboard's Patient phone page).
    """
    settings = get_settings()
    if not simulation_allowed(settings):
        fail(
            "Twilio is configured (TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN): replies come "
            "from Twilio only; simulate on the embedded defaults"
        )
    with database() as session:
        try:
            trust = get_trust(session, trust_code)
            fields = simulated_fields(sender, trust_number(trust), text)
        except (LookupError, SimulationRefused) as error:
            fail(str(error))
        known = patients_with_number(session, trust.id, fields["from"])
        code = trust.code
    inbound_id = store_now(fields)
    with database() as session:
        trust = get_trust(session, code)
        audit_simulation(
            session,
            trust,
            inbound_id,
            actor=audit.CLI,
            patient_id=known[0].id if known else None,
            now=utcnow(),
        )
    who = f"patient {known[0].id}" if known else "a number no patient of this trust has"
    console.print(
        f"stored reply {inbound_id} from {who} to trust {code}: the workers "
        "triage it now (`safetynet serve` must be running); the answer goes to the outbox"
    )
