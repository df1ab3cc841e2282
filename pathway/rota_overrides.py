"""One-off cover made on the admin page: an override (one person alone on a role for a period)
or a swap (one person takes another's shifts in it). Checked, stored, audited; cancelled by a
stamp, never deleted. The trust's YAML may hold cover too (pathway.rota.config_covers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from pathway import audit
from schema.models import RotaOverride, StaffMember, Trust
from schema.trusts import trust_config

LONGEST = timedelta(days=92)  # longer than a quarter is a change of rota: put it in the YAML


@dataclass
class OverrideRefused(ValueError):
    """What is wrong, by form field; nothing was stored."""

    problems: dict[str, str]

    def __str__(self) -> str:
        return "; ".join(f"{field}: {problem}" for field, problem in self.problems.items())


def _problems(
    trust: Trust,
    *,
    role: str,
    starts_at: datetime,
    ends_at: datetime,
    staff: StaffMember | None,
    instead_of: StaffMember | None,
    now: datetime,
) -> dict[str, str]:
    problems: dict[str, str] = {}
    if role not in trust_config(trust).rotas:
        problems["role"] = "choose one of the trust's rotas"
    if ends_at <= starts_at:
        problems["ends_at"] = "the end must be after the start"
    elif ends_at <= now:
        problems["ends_at"] = "this period is already over"
    elif ends_at - starts_at > LONGEST:
        problems["ends_at"] = "at most 92 days; for longer, change the rota in the configuration"
    if staff is None or staff.trust_id != trust.id or not staff.active:
        problems["staff"] = "choose an active member of the trust's staff"
    if instead_of is not None and (instead_of.trust_id != trust.id or instead_of == staff):
        problems["instead_of"] = "choose someone else of the trust's staff, or nobody"
    return problems


def add_override(
    session: Session,
    trust: Trust,
    *,
    role: str,
    starts_at: datetime,
    ends_at: datetime,
    staff: StaffMember | None,
    instead_of: StaffMember | None,
    reason: str | None,
    actor: str,
    now: datetime,
) -> RotaOverride:
    """Store the cover, or raise OverrideRefused naming each bad field (and store nothing)."""
    problems = _problems(
        trust,
        role=role,
        starts_at=starts_at,
        ends_at=ends_at,
        staff=staff,
        instead_of=instead_of,
        now=now,
    )
    if problems or staff is None:
        raise OverrideRefused(problems)
    row = RotaOverride(
        trust_id=trust.id,
        role=role,
        starts_at=starts_at,
        ends_at=ends_at,
        staff_member_id=staff.id,
        instead_of_id=instead_of.id if instead_of is not None else None,
        reason=(reason or "").strip()[:200] or None,
        created_at=now,
        created_by=actor,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        "rota.swap_added" if instead_of is not None else "rota.override_added",
        "rota_override",
        row.id,
        actor=actor,
        trust_id=trust.id,
        now=now,
        role=role,
        starts_at=starts_at.isoformat(),
        ends_at=ends_at.isoformat(),
        staff_member_id=staff.id,
        instead_of_id=row.instead_of_id,
    )
    return row


def cancel_override(session: Session, row: RotaOverride, *, actor: str, now: datetime) -> bool:
    """Cancel the cover from now on. False if it was cancelled already (nothing changes)."""
    if row.cancelled_at is not None:
        return False
    row.cancelled_at = now
    row.cancelled_by = actor
    audit.record(
        session,
        "rota.override_cancelled",
        "rota_override",
        row.id,
        actor=actor,
        trust_id=row.trust_id,
        now=now,
        role=row.role,
    )
    return True
