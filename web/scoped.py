"""Fetching one thing by id for one trust: another trust's thing is simply not found.

Pages and the API both fetch through here, so isolation between trusts has one implementation;
`NotFound` becomes a 404 page or a 404 JSON answer (see web.errors).
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import Session

from schema.models import Alert, InboundMessage, Patient, RotaOverride, StaffMember

Owned = TypeVar("Owned", Patient, Alert, InboundMessage, RotaOverride, StaffMember)


class NotFound(LookupError):
    pass


def owned(
    session: Session, model: type[Owned], id_: int, trust_id: int, *, lock: bool = False
) -> Owned:
    """The row with this id if it belongs to the trust. Missing and foreign look the same."""
    row = session.get(model, id_, with_for_update=lock)
    if row is None or row.trust_id != trust_id:
        raise NotFound(f"no such {_NAMES[model]}")
    return row


_NAMES: dict[type, str] = {
    Patient: "patient",
    Alert: "alert",
    InboundMessage: "message",
    RotaOverride: "cover",
    StaffMember: "staff member",
}
