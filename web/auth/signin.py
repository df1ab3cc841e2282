"""Checking a sign-in: the password, the lockout after repeated failures, and the audit trail.

Every refusal looks the same to the person signing in (an unknown email, a wrong password, a
locked or inactive account, a role without a dashboard), so the form reveals nothing about
which accounts exist. The audit trail records the real reason; never the password.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pathway import audit
from schema.models import SIGN_IN_ROLES, StaffMember
from web.auth.passwords import hash_password, needs_rehash, verify_password

log = structlog.get_logger(__name__)

ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class SignInPolicy:
    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)
    # Every refusal waits this long before answering: it slows guessing, and because unknown
    # and known accounts wait alike, the delay tells nothing either.
    failure_delay_seconds: float = 1.0


@dataclass(frozen=True)
class SignedIn:
    staff_id: int
    trust_id: int
    epoch: int


def find_by_email(session: Session, email: str) -> list[StaffMember]:
    """Staff with this email (any case) who have a password: at most one, as accounts keeps it."""
    return list(
        session.scalars(
            select(StaffMember)
            .where(
                func.lower(StaffMember.email) == email.strip().lower(),
                StaffMember.password_hash.is_not(None),
            )
            .with_for_update()
        )
    )


def authenticate(
    session: Session,
    email: str,
    password: str,
    *,
    now: datetime,
    policy: SignInPolicy,
    client: str,
) -> SignedIn | None:
    candidates = find_by_email(session, email) if email.strip() else []
    member = candidates[0] if len(candidates) == 1 else None
    matches = verify_password(member.password_hash if member else None, password)
    if member is None:
        log.info("staff_sign_in_failed", reason="unknown_account")
        audit.record(
            session,
            "staff.sign_in_failed",
            "staff_member",
            None,
            actor=ANONYMOUS,
            trust_id=None,
            reason="unknown_account",
            client=client,
        )
        return None
    refusal = _refusal(member, now)
    if refusal is not None:
        _audit(session, member, "staff.sign_in_refused", reason=refusal, client=client)
        return None
    if not matches:
        _count_failure(session, member, now, policy, client)
        return None
    assert member.password_hash is not None
    if needs_rehash(member.password_hash):
        member.password_hash = hash_password(password)
    member.failed_sign_ins = 0
    member.locked_until = None
    member.last_sign_in_at = now
    _audit(session, member, "staff.signed_in", client=client)
    return SignedIn(member.id, member.trust_id, member.session_epoch)


def _refusal(member: StaffMember, now: datetime) -> str | None:
    if member.locked_until is not None and member.locked_until > now:
        return "locked"
    if not member.active:
        return "inactive"
    if member.role not in SIGN_IN_ROLES:
        return f"role {member.role} has no dashboard"
    return None


def _count_failure(
    session: Session, member: StaffMember, now: datetime, policy: SignInPolicy, client: str
) -> None:
    member.failed_sign_ins += 1
    _audit(
        session,
        member,
        "staff.sign_in_failed",
        reason="wrong_password",
        failures=member.failed_sign_ins,
        client=client,
    )
    if member.failed_sign_ins >= policy.max_failures:
        member.locked_until = now + policy.lockout
        member.failed_sign_ins = 0
        _audit(
            session,
            member,
            "staff.locked_out",
            until=member.locked_until.isoformat(),
            after_failures=policy.max_failures,
            client=client,
        )


def _audit(session: Session, member: StaffMember, action: str, **details: object) -> None:
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
        **details,
    )
