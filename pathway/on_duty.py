"""Who is on duty: the trust's rota (pathway.rota) over its YAML and the cover admins made on the
admin page, resolved to staff members. Escalation asks here when a step that names a role fires,
and so should anything else that needs "the on-duty coordinator"."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pathway.rota import Cover, config_covers, on_duty
from schema.models import RotaOverride, StaffMember
from schema.trust_config import TrustConfig


def stored_covers(session: Session, trust_id: int, start: datetime, end: datetime) -> list[Cover]:
    """The admin page's cover in force at any instant of [start, end] (not cancelled), oldest
    first: so a window of one instant finds the cover starting at it."""
    keys = dict(
        session.execute(
            select(StaffMember.id, StaffMember.key).where(StaffMember.trust_id == trust_id)
        ).all()
    )
    rows = session.scalars(
        select(RotaOverride)
        .where(
            RotaOverride.trust_id == trust_id,
            RotaOverride.cancelled_at.is_(None),
            RotaOverride.ends_at > start,
            RotaOverride.starts_at <= end,
        )
        .order_by(RotaOverride.created_at, RotaOverride.id)
    )
    return [
        Cover(
            role=row.role,
            start=row.starts_at,
            end=row.ends_at,
            staff=keys[row.staff_member_id],
            instead_of=keys.get(row.instead_of_id or 0),
            ref=f"override:{row.id}",
        )
        for row in rows
    ]


def covers_for(
    session: Session, trust_id: int, config: TrustConfig, start: datetime, end: datetime
) -> list[Cover]:
    """All cover in force over the window: the YAML's first, then the admin page's."""
    return [*config_covers(config), *stored_covers(session, trust_id, start, end)]


def reachable_keys(session: Session, trust_id: int) -> set[str]:
    """Staff who can be reached: active, with a phone or an email."""
    return set(
        session.scalars(
            select(StaffMember.key).where(
                StaffMember.trust_id == trust_id,
                StaffMember.active.is_(True),
                or_(StaffMember.phone_e164.is_not(None), StaffMember.email.is_not(None)),
            )
        )
    )


def on_duty_staff(
    session: Session, trust_id: int, config: TrustConfig, role: str, now: datetime
) -> list[StaffMember]:
    """The active staff members on `role` at `now`, in rota order (none: nobody is on)."""
    covers = covers_for(session, trust_id, config, now, now)
    keys = on_duty(config, covers, role, now)
    if not keys:
        return []
    members = session.scalars(
        select(StaffMember).where(
            StaffMember.trust_id == trust_id,
            StaffMember.key.in_(keys),
            StaffMember.active.is_(True),
        )
    ).all()
    order = {key: i for i, key in enumerate(keys)}
    return sorted(members, key=lambda m: order[m.key])
