"""Checking a sign-in: the account, the outcome of its password check, and the audit trail.

Every refusal looks the same to the person signing in (an unknown email, a wrong password, a
locked or inactive account, a role without a dashboard), so the form reveals nothing about
which accounts exist. The audit trail records the real reason; never the password.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pathway import audit
from schema.models import SIGN_IN_ROLES, StaffMember

log = structlog.get_logger(__name__)

ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class SignInPolicy:
    # Every refusal waits this long before answering. It holds no thread (an asyncio sleep),
    # so it slows one guesser's sequence, not a flood: web.auth.throttle limits floods.
    failure_delay_seconds: float = 1.0


@dataclass(frozen=True)
class SignedIn:
    staff_id: int
    trust_id: int
    epoch: int


@dataclass(frozen=True)
class Candidate:
    """The one account an email signs in to, and the hash to check the password against."""

    staff_id: int
    password_hash: str


def find_by_email(session: Session, email: str, *, lock: bool = True) -> list[StaffMember]:
    """Staff with this email (any case) who have a password: at most one, as accounts keeps it."""
    query = select(StaffMember).where(
        func.lower(StaffMember.email) == email.strip().lower(),
        StaffMember.password_hash.is_not(None),
    )
    return list(session.scalars(query.with_for_update() if lock else query))


def find_candidate(session: Session, email: str) -> Candidate | None:
    """Read only, and no lock: the password is checked after this session has ended."""
    found = find_by_email(session, email, lock=False) if email.strip() else []
    if len(found) != 1 or found[0].password_hash is None:
        return None
    return Candidate(found[0].id, found[0].password_hash)


def record_sign_in(
    session: Session,
    candidate: Candidate | None,
    *,
    matches: bool,
    new_hash: str | None,
    now: datetime,
    client: str,
) -> SignedIn | None:
    """The outcome of a password checked outside the session: audited, and signed in or not."""
    member = (
        session.get(StaffMember, candidate.staff_id, with_for_update=True) if candidate else None
    )
    if member is None or candidate is None:
        log.info("staff_sign_in_failed", reason="unknown_account")
        audit.record(
            session,
            "staff.sign_in_failed",
            "staff_member",
            None,
            actor=ANONYMOUS,
            trust_id=None,
            now=now,
            reason="unknown_account",
            client=client,
        )
        return None
    refusal = _refusal(member, now)
    if refusal is None and member.password_hash != candidate.password_hash:
        refusal = "password changed meanwhile"
    if refusal is not None:
        _audit(session, member, "staff.sign_in_refused", now, reason=refusal, client=client)
        return None
    if not matches:
        _count_failure(session, member, client, now)
        return None
    if new_hash is not None:
        member.password_hash = new_hash
    member.failed_sign_ins = 0
    member.locked_until = None
    member.last_sign_in_at = now
    _audit(session, member, "staff.signed_in", now, client=client)
    return SignedIn(member.id, member.trust_id, member.session_epoch)


def record_throttled(
    session: Session, *, reason: str, wait_seconds: int, client: str, now: datetime
) -> None:
    """An attempt refused before any password was checked: which count was full, how long."""
    log.info("staff_sign_in_throttled", reason=reason, wait_seconds=wait_seconds)
    audit.record(
        session,
        "staff.sign_in_throttled",
        "staff_member",
        None,
        actor=ANONYMOUS,
        trust_id=None,
        now=now,
        reason=reason,
        wait_seconds=wait_seconds,
        client=client,
    )


def _refusal(member: StaffMember, now: datetime) -> str | None:
    # Only a lockout from before sign-ins were throttled: nothing sets one now, and it ends by
    # itself within its 15 minutes (or `safetynet staff unlock`).
    if member.locked_until is not None and member.locked_until > now:
        return "locked"
    if not member.active:
        return "inactive"
    if member.role not in SIGN_IN_ROLES:
        return f"role {member.role} has no dashboard"
    return None


def _count_failure(session: Session, member: StaffMember, client: str, now: datetime) -> None:
    # Counted for the audit trail and the staff list; never a lockout, which anyone who knows
    # a coordinator's email could trigger again and again. web.auth.throttle slows guessing.
    member.failed_sign_ins += 1
    _audit(
        session,
        member,
        "staff.sign_in_failed",
        now,
        reason="wrong_password",
        failures=member.failed_sign_ins,
        client=client,
    )


def _audit(
    session: Session, member: StaffMember, action: str, now: datetime, **details: object
) -> None:
    # Ids and reasons only: an operator watching for guessing needs no email or address.
    log.info(
        action.replace(".", "_"),
        staff_id=member.id,
        trust_id=member.trust_id,
        **{k: v for k, v in details.items() if k in ("reason", "failures")},
    )
    audit.record(
        session,
        action,
        "staff_member",
        member.id,
        actor=audit.staff_actor(member.id) if action == "staff.signed_in" else ANONYMOUS,
        trust_id=member.trust_id,
        now=now,
        **details,
    )
