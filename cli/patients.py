"""`safetynet patients ...`: enrol, import and change the status of patients."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.progress import track
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cli.common import TRUST_OPTION, console, database, fail, trust_of, wide_table
from messages import subject_access as export_document
from pathway import audit, erasure, subject_access
from pathway import patient_status as patient_ops
from pathway.enrolment import (
    ImportRejected,
    PatientInputError,
    enrol,
    parse_patient,
    read_import,
)
from schema.identifiers import InvalidIdentifier, check_nhs_number, mask_phone
from schema.models import MessageState, OutboundMessage, Patient, Trust
from schema.trusts import trust_config
from schema.types import utcnow

app = typer.Typer(help="Enrol patients and change their status.", no_args_is_help=True)

TrustOption = TRUST_OPTION


def _trust(session: Session, code: str | None) -> Trust:
    return trust_of(session, code)


@app.command("enrol")
def enrol_command(
    nhs_number: str = typer.Option(..., help="10-digit NHS number."),
    given_name: str = typer.Option(...),
    family_name: str = typer.Option(...),
    phone: str = typer.Option(..., help="Mobile number (UK format or E.164)."),
    cohort: str = typer.Option(..., help="Cohort key from the trust's configuration."),
    email: str = typer.Option(None),
    language: str = typer.Option(
        "", help="en, cy or pl, as the trust serves; empty: not recorded (bilingual in Wales)."
    ),
    allow_staff_number: bool = typer.Option(
        False, "--allow-staff-number", help="Enrol even if the phone is a staff member's."
    ),
    trust_code: str = TrustOption,
) -> None:
    """Enrol one patient and plan their messages."""
    raw = {
        "nhs_number": nhs_number,
        "given_name": given_name,
        "family_name": family_name,
        "phone": phone,
        "email": email,
        "cohort": cohort,
        "language": language,
    }
    with database() as session:
        trust = _trust(session, trust_code)
        config = trust_config(trust)
        try:
            patient = enrol(
                session,
                trust,
                config,
                parse_patient(raw, config),
                actor=audit.CLI,
                now=utcnow(),
                allow_staff_number=allow_staff_number,
            )
        except PatientInputError as error:
            fail("patient not enrolled:\n  " + "\n  ".join(error.reasons))
        planned = _count_scheduled(session, patient.id)
        console.print(
            f"enrolled patient {patient.id} in {trust.code}/{patient.cohort}: "
            f"{planned} messages planned"
        )


@app.command("import")
def import_command(
    path: Path = typer.Argument(
        ..., help="CSV: nhs_number,given_name,family_name,phone,cohort[,email,language]"
    ),
    allow_staff_number: bool = typer.Option(
        False, "--allow-staff-number", help="Import rows whose phone is a staff member's."
    ),
    trust_code: str = TrustOption,
) -> None:
    """Enrol every patient in a CSV file, or none if any row is bad."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        fail(f"{path}: cannot read: {error}")
    with database() as session:
        trust = _trust(session, trust_code)
        config = trust_config(trust)
        try:
            rows = read_import(session, trust, config, text, allow_staff_number=allow_staff_number)
        except ImportRejected as rejected:
            lines = "\n".join(f"  {path}: {row}" for row in rejected.errors)
            fail(f"{len(rejected.errors)} bad rows; nobody was imported\n{lines}")
        now = utcnow()
        for row in track(rows, description="enrolling", console=console, transient=True):
            enrol(
                session,
                trust,
                config,
                row,
                actor=audit.CLI,
                now=now,
                allow_staff_number=allow_staff_number,
            )
        console.print(f"imported {len(rows)} patients into {trust.code}")


@app.command("list")
def list_command(trust_code: str = TrustOption) -> None:
    """Patients of a trust with their status."""
    with database() as session:
        trust = _trust(session, trust_code)
        table = wide_table("id", "NHS number", "name", "phone", "cohort", "status", "opted out")
        for p in session.scalars(
            select(Patient).where(Patient.trust_id == trust.id).order_by(Patient.id)
        ):
            table.add_row(
                str(p.id),
                p.nhs_number,
                f"{p.given_name} {p.family_name}",
                mask_phone(p.phone_e164),
                p.cohort,
                p.status,
                "yes" if p.opted_out else "",
            )
        console.print(table)


def _patient(session: Session, trust: Trust, nhs_number: str) -> Patient:
    try:
        number = check_nhs_number(nhs_number)
    except InvalidIdentifier as error:
        fail(str(error))
    patient = session.scalar(
        select(Patient).where(Patient.trust_id == trust.id, Patient.nhs_number == number)
    )
    if patient is None:
        fail(f"no patient with NHS number {number} in {trust.code}")
    return patient


NhsArgument = typer.Argument(..., help="The patient's NHS number.")


@contextmanager
def _one_patient(
    nhs_number: str, trust_code: str | None
) -> Iterator[tuple[Session, Trust, Patient]]:
    with database() as session:
        trust = _trust(session, trust_code)
        patient = _patient(session, trust, nhs_number)
        try:
            yield session, trust, patient
        except PatientInputError as error:
            fail("; ".join(error.reasons))
        console.print(
            f"patient {patient.id}: {patient.status}" + (", opted out" if patient.opted_out else "")
        )


@app.command("discharge")
def discharge_command(nhs_number: str = NhsArgument, trust_code: str = TrustOption) -> None:
    """Discharge a patient: no more planned messages."""
    with _one_patient(nhs_number, trust_code) as (session, _, patient):
        patient_ops.discharge(session, patient, now=utcnow(), actor=audit.CLI)


@app.command("pause")
def pause_command(nhs_number: str = NhsArgument, trust_code: str = TrustOption) -> None:
    """Pause a patient's planned messages (an admission, say)."""
    with _one_patient(nhs_number, trust_code) as (session, _, patient):
        patient_ops.pause(session, patient, now=utcnow(), actor=audit.CLI)


@app.command("resume")
def resume_command(nhs_number: str = NhsArgument, trust_code: str = TrustOption) -> None:
    """Resume a paused patient, planning their messages afresh from now."""
    with _one_patient(nhs_number, trust_code) as (session, trust, patient):
        patient_ops.resume(session, patient, trust_config(trust), now=utcnow(), actor=audit.CLI)


@app.command("opt-out")
def opt_out_command(nhs_number: str = NhsArgument, trust_code: str = TrustOption) -> None:
    """Record that a patient asked for no more messages (for example by phone)."""
    with _one_patient(nhs_number, trust_code) as (session, _, patient):
        patient_ops.opt_out(session, patient, now=utcnow(), actor=audit.CLI, via="cli")


@app.command("opt-in")
def opt_in_command(nhs_number: str = NhsArgument, trust_code: str = TrustOption) -> None:
    """Record that a patient who opted out wants messages again."""
    with _one_patient(nhs_number, trust_code) as (session, trust, patient):
        patient_ops.opt_in(
            session, patient, trust_config(trust), now=utcnow(), actor=audit.CLI, via="cli"
        )


def _count_scheduled(session: Session, patient_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(OutboundMessage)
            .where(
                OutboundMessage.patient_id == patient_id,
                OutboundMessage.state == MessageState.SCHEDULED,
            )
        )
        or 0
    )


@app.command("export")
def export_command(
    nhs_number: str = NhsArgument,
    out: Path | None = typer.Option(None, "--out", help="Write the JSON here (default: stdout)."),
    html: Path | None = typer.Option(None, "--html", help="Write a readable HTML copy here too."),
    trust_code: str = TrustOption,
) -> None:
    """Everything held about one patient, for a subject-access request (audited)."""
    with database() as session:
        trust = _trust(session, trust_code)
        patient = _patient(session, trust, nhs_number)
        document = subject_access.export(session, patient, actor=audit.CLI, now=utcnow())
    text = export_document.to_json(document)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
    if html is not None:
        html.write_text(export_document.to_html(document), encoding="utf-8")
    if out is not None or html is not None:
        console.print(f"patient {patient.id}: exported")


@app.command("erase")
def erase_command(
    nhs_number: str = NhsArgument,
    reason: str = typer.Option(..., "--reason", help="Why: the request and its lawful basis."),
    yes: bool = typer.Option(False, "--yes", help="Confirm: erasure cannot be undone."),
    trust_code: str = TrustOption,
) -> None:
    """Erase a patient on request: identifiers and bodies blanked, messages cancelled (audited).

    Refused while they have an alert not resolved. A keyed hash of the NHS number is kept so
    that no later import enrols them again."""
    if not yes:
        fail("erasure cannot be undone: add --yes to confirm")
    if not reason.strip():
        fail("--reason: say why (the request and its lawful basis)")
    with database() as session:
        trust = _trust(session, trust_code)
        patient = _patient(session, trust, nhs_number)
        try:
            counts = erasure.erase(
                session, patient, actor=audit.CLI, reason=reason.strip()[:200], now=utcnow()
            )
        except PatientInputError as error:
            fail("; ".join(error.reasons))
        console.print(f"patient {patient.id}: erased ({counts.get('cancelled', 0)} cancelled)")
