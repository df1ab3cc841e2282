"""Warning admins of rota gaps: periods with nobody reachable on a role an escalation chain uses.

Beat calls `warn_about_gaps` every minute. Each gap it finds is kept as a `RotaGap` row, so admins
are warned once when a gap is first seen (days ahead, by email) and once more the moment it
opens (by email and SMS, urgently), never on every tick. A gap is matched to the row it was
before by overlapping it: it may shrink, grow or move its end as the window slides, and stay
the same gap. A row no gap matches any more (cover was found, or the period is over) is closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from messages.template_context import local_time
from pathway import audit
from pathway.on_duty import covers_for, reachable_keys
from pathway.outbound import Claimed, message_staff_now
from pathway.rota import Gap, gaps
from schema.models import Channel, Queue, RotaGap, StaffMember, StaffRole, Trust
from schema.trust_config import TrustConfig
from schema.trusts import trust_config
from schema.vocabulary import MessageKind

log = structlog.get_logger(__name__)


def find_gaps(
    session: Session, trust: Trust, config: TrustConfig, start: datetime, end: datetime
) -> list[Gap]:
    """Every gap in [start, end) on the roles the trust's chains use, cover from both sources
    taken into account, and staff who have left or have no phone or email counted as absent."""
    covers = covers_for(session, trust.id, config, start, end)
    return gaps(config, covers, start, end, reachable=reachable_keys(session, trust.id))


def warn_about_gaps(session: Session, *, now: datetime, days: int) -> list[Claimed]:
    """Every trust's gaps over the next `days` reconciled with those already warned about.
    Returns the urgent warnings (a gap open now), to be published at once."""
    urgent: list[Claimed] = []
    for trust_id in session.scalars(select(Trust.id).order_by(Trust.id)).all():
        # The trust's row locked: two beats (two hosts) reconcile one trust one at a time.
        trust = session.get(Trust, trust_id, with_for_update=True)
        if trust is not None:
            urgent += check_trust(session, trust, now=now, days=days)
    return urgent


@dataclass
class _Seen:
    row: RotaGap
    start: datetime  # the row's bounds before this check moved them
    end: datetime
    matched: bool = False


def check_trust(session: Session, trust: Trust, *, now: datetime, days: int) -> list[Claimed]:
    config = trust_config(trust)
    end = now + timedelta(days=days)
    found = find_gaps(session, trust, config, now, end)
    seen = [
        _Seen(row, row.starts_at, row.ends_at)
        for row in session.scalars(
            select(RotaGap)
            .where(RotaGap.trust_id == trust.id, RotaGap.closed_at.is_(None))
            .order_by(RotaGap.starts_at, RotaGap.id)
        )
    ]
    urgent: list[Claimed] = []
    for gap in found:
        row = _match(session, trust, seen, gap, now=now)
        if row.warned_at is None:
            row.warned_at = now
            if gap.start > now:
                _tell_admins(session, trust, config, row, gap, now=now, horizon=end)
        if gap.start <= now and row.open_warned_at is None:
            row.open_warned_at = now
            urgent += _tell_admins(session, trust, config, row, gap, now=now, horizon=end)
    for item in seen:
        if not item.matched:
            item.row.closed_at = now
            audit.record(
                session, "rota.gap_closed", "rota_gap", item.row.id, actor=audit.SYSTEM,
                trust_id=trust.id, now=now, role=item.row.role,
            )  # fmt: skip
    return urgent


def _match(
    session: Session, trust: Trust, seen: list[_Seen], gap: Gap, *, now: datetime
) -> RotaGap:
    """The row this gap continues (its bounds brought up to date), or a new one. A gap that an
    override split in two continues one row and the other half inherits its warnings."""
    earlier = [
        s for s in seen if s.row.role == gap.role and s.start < gap.end and gap.start < s.end
    ]
    fresh = next((s for s in earlier if not s.matched), None)
    if fresh is not None:
        fresh.matched = True
        fresh.row.starts_at = min(fresh.start, gap.start)
        fresh.row.ends_at = gap.end
        return fresh.row
    row = RotaGap(
        trust_id=trust.id, role=gap.role, starts_at=gap.start, ends_at=gap.end, found_at=now
    )
    if earlier:  # the other half of a split gap: already warned about
        row.warned_at = earlier[0].row.warned_at
        row.open_warned_at = earlier[0].row.open_warned_at
    session.add(row)
    session.flush()
    seen.append(_Seen(row, row.starts_at, row.ends_at, matched=True))
    audit.record(
        session,
        "rota.gap_found",
        "rota_gap",
        row.id,
        actor=audit.SYSTEM,
        trust_id=trust.id,
        now=now,
        role=gap.role,
        starts_at=gap.start.isoformat(),
        ends_at=gap.end.isoformat(),
        unreachable=list(gap.unreachable),
    )
    log.warning("rota_gap_found", trust_id=trust.id, role=gap.role, gap_id=row.id)
    return row


def _tell_admins(
    session: Session,
    trust: Trust,
    config: TrustConfig,
    row: RotaGap,
    gap: Gap,
    *,
    now: datetime,
    horizon: datetime,
) -> list[Claimed]:
    """An email to every active admin (and an SMS too when the gap is open now); to the
    coordinators if the trust has no admin to tell. Returns the messages to publish at once:
    those of a gap open now."""
    open_now = gap.start <= now
    names = dict(
        session.execute(
            select(StaffMember.key, StaffMember.name).where(StaffMember.trust_id == trust.id)
        ).all()
    )
    context = {
        "gap": {
            "role": config.role_name(gap.role),
            "starts": local_time(max(gap.start, now), config.zone),
            "ends": local_time(gap.end, config.zone),
            "open_now": open_now,
            "beyond": gap.end >= horizon,  # the check looks no further
            "unreachable": [names.get(key, key) for key in gap.unreachable],
        }
    }
    queue = Queue.ALERTS if open_now else Queue.MESSAGES
    urgent: list[Claimed] = []
    admins = _who_to_tell(session, trust.id)
    for member in admins:
        for channel, address in _channels(member, open_now):
            message, created = message_staff_now(
                session,
                member,
                channel,
                address,
                idempotency_key=f"rota_gap:{row.id}:{'open' if open_now else 'ahead'}:"
                f"{member.id}:{channel.value}",
                kind=MessageKind.ROTA_GAP,
                template_key="rota_gap",
                queue=queue,
                context=context,
                now=now,
            )
            if created and open_now:
                urgent.append(Claimed(message.id, queue.value))
    audit.record(
        session,
        "rota.gap_open_warned" if open_now else "rota.gap_warned",
        "rota_gap",
        row.id,
        actor=audit.SYSTEM,
        trust_id=trust.id,
        now=now,
        role=gap.role,
        admins=[m.id for m in admins],
    )
    return urgent


def _who_to_tell(session: Session, trust_id: int) -> list[StaffMember]:
    for role in (StaffRole.ADMIN, StaffRole.COORDINATOR):
        found = [
            member
            for member in session.scalars(
                select(StaffMember)
                .where(
                    StaffMember.trust_id == trust_id,
                    StaffMember.role == role,
                    StaffMember.active.is_(True),
                )
                .order_by(StaffMember.id)
            )
            if member.email or member.phone_e164
        ]
        if found:
            return found
    return []


def _channels(member: StaffMember, open_now: bool) -> list[tuple[Channel, str]]:
    """Email for a gap ahead (SMS if they have no email); both for a gap open now."""
    found = []
    if member.email:
        found.append((Channel.EMAIL, member.email))
    if member.phone_e164 and (open_now or not member.email):
        found.append((Channel.SMS, member.phone_e164))
    return found
