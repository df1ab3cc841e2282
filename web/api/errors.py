"""Refusals in the API's own shape: FastAPI's 422 `detail` list, with the field and the reason."""

from __future__ import annotations

from fastapi import HTTPException

from pathway.errors import PatientInputError

KNOWN_FIELDS = frozenset(
    {"nhs_number", "given_name", "family_name", "phone", "email", "cohort", "language", "status"}
)


def unprocessable(error: PatientInputError) -> HTTPException:
    """`cohort: 'x' is not a cohort of this trust` → {loc: [body, cohort], msg: ...}."""
    detail = []
    for reason in error.reasons:
        field, _, message = reason.partition(": ")
        if field in KNOWN_FIELDS and message:
            detail.append({"loc": ["body", field], "msg": message, "type": "value_error"})
        else:
            detail.append({"loc": ["body"], "msg": reason, "type": "value_error"})
    return HTTPException(422, detail)


def conflict(error: PatientInputError) -> HTTPException:
    return HTTPException(409, "; ".join(error.reasons))
