"""/api/v1/patients: enrol, look up, update, pause, resume and discharge."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from pathway import patient_status as patient_ops
from pathway.enrolment import PatientInputError, enrol, parse_patient
from pathway.patient_details import update_patient
from schema.db import session_scope
from schema.models import Patient, Trust
from schema.trusts import trust_config
from schema.types import utcnow
from web.api.errors import conflict, unprocessable
from web.api.models import PatientCreate, PatientOut, PatientUpdate, patient_out
from web.auth.identity import ApiClient, api_client
from web.ids import RowId
from web.scoped import owned

router = APIRouter(prefix="/patients", tags=["patients"])

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: {"description": "No such patient in the token's trust"}}


def _trust(session: Session, client: ApiClient) -> Trust:
    trust = session.get(Trust, client.trust_id)
    assert trust is not None
    return trust


@router.post("", status_code=201, response_model=PatientOut)
def enrol_patient(body: PatientCreate, client: ApiClient = Depends(api_client)) -> PatientOut:
    """Enrol a patient and plan their messages. 422 names every field that is wrong."""
    with session_scope() as session:
        trust = _trust(session, client)
        config = trust_config(trust)
        try:
            checked = parse_patient(body.model_dump(exclude={"allow_staff_number"}), config)
            patient = enrol(
                session,
                trust,
                config,
                checked,
                actor=client.actor,
                now=utcnow(),
                allow_staff_number=body.allow_staff_number,
            )
        except PatientInputError as error:
            raise unprocessable(error) from None
        return patient_out(patient)


@router.get("", response_model=list[PatientOut])
def find_patients(
    nhs_number: str = Query(min_length=10, max_length=12, description="10 digits, spaces allowed"),
    client: ApiClient = Depends(api_client),
) -> list[PatientOut]:
    """The trust's patient with this NHS number (an empty list when there is none)."""
    digits = nhs_number.replace(" ", "")
    with session_scope() as session:
        found = session.scalars(
            select(Patient).where(Patient.trust_id == client.trust_id, Patient.nhs_number == digits)
        )
        return [patient_out(p) for p in found]


@router.get("/{patient_id}", response_model=PatientOut, responses=NOT_FOUND)
def get_patient(patient_id: RowId, client: ApiClient = Depends(api_client)) -> PatientOut:
    with session_scope() as session:
        return patient_out(owned(session, Patient, patient_id, client.trust_id))


@router.patch("/{patient_id}", response_model=PatientOut, responses=NOT_FOUND)
def update(
    patient_id: RowId, body: PatientUpdate, client: ApiClient = Depends(api_client)
) -> PatientOut:
    """Change names, phone or email. A new phone or email re-plans future messages."""
    with session_scope() as session:
        patient = owned(session, Patient, patient_id, client.trust_id, lock=True)
        config = trust_config(_trust(session, client))
        try:
            changes = {name: getattr(body, name) for name in body.model_fields_set}
            update_patient(session, patient, config, changes, actor=client.actor, now=utcnow())
        except PatientInputError as error:
            raise unprocessable(error) from None
        return patient_out(patient)


def _change(
    patient_id: int, client: ApiClient, change: Callable[[Session, Patient, Trust], None]
) -> PatientOut:
    with session_scope() as session:
        patient = owned(session, Patient, patient_id, client.trust_id, lock=True)
        try:
            change(session, patient, _trust(session, client))
        except PatientInputError as error:
            raise conflict(error) from None
        return patient_out(patient)


CONFLICT: Responses = {
    **NOT_FOUND,
    409: {"description": "A discharged patient must be enrolled again"},
}


@router.post("/{patient_id}/pause", response_model=PatientOut, responses=CONFLICT)
def pause(patient_id: RowId, client: ApiClient = Depends(api_client)) -> PatientOut:
    """Stop planned messages for now; replies are still answered and alerts still raised."""
    return _change(
        patient_id,
        client,
        lambda s, p, _t: patient_ops.pause(s, p, now=utcnow(), actor=client.actor),
    )


@router.post("/{patient_id}/resume", response_model=PatientOut, responses=CONFLICT)
def resume(patient_id: RowId, client: ApiClient = Depends(api_client)) -> PatientOut:
    """Start planned messages again, planned afresh from now."""
    return _change(
        patient_id,
        client,
        lambda s, p, t: patient_ops.resume(s, p, trust_config(t), now=utcnow(), actor=client.actor),
    )


@router.post("/{patient_id}/discharge", response_model=PatientOut, responses=NOT_FOUND)
def discharge(patient_id: RowId, client: ApiClient = Depends(api_client)) -> PatientOut:
    """Discharge the patient: every planned message is cancelled."""
    return _change(
        patient_id,
        client,
        lambda s, p, _t: patient_ops.discharge(s, p, now=utcnow(), actor=client.actor),
    )
