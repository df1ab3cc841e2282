"""Staff accounts for the dashboard: adding one, and setting (or resetting) a password.

An email signs in to one account only, so among staff who have a password each email is
unique across every trust. Staff on the escalation chain alone (`escalation`) are reached by
SMS and email and never sign in.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Protocol

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from pathway import audit
from schema.identifiers import InvalidIdentifier, check_email, parse_mobile
from schema.models import SIGN_IN_ROLES, PasswordLink, StaffMember, StaffRole, Trust


class AccountError(ValueError):
    pass


class Passwords(Protocol):
    """How passwords are judged and hashed (`web.auth.passwords`, which the callers pass)."""

    def check_strength(self, password: str) -> None: ...

    def hash_password(self, password: str) -> str: ...


def add_staff(
    session: Session,
    trust: Trust,
    *,
    email: str,
    name: str,
    role: str,
    password: str | None,
    phone: str | None,
    actor: str,
    passwords: Passwords,
    now: datetime,
) -> StaffMember:
    """A new coordinator or admin. Without a password they sign in once they have set one
    (a set-password link: pathway/password_links.py)."""
    if role not in SIGN_IN_ROLES:
        raise AccountError("role must be coordinator or admin")
    if not name.strip() or len(name.strip()) > 200:
        raise AccountError("a name of 1 to 200 characters is needed")
    address = _email(email)
    if _with_email(session, address, trust_id=trust.id):
        raise AccountError(
            f"{address} is already a staff member of {trust.code}: use `staff set-password`"
        )
    _refuse_if_email_signs_in_elsewhere(session, address, except_id=None)
    if password is not None:
        passwords.check_strength(password)
    member = StaffMember(
        trust_id=trust.id,
        key=_free_key(session, trust.id, address),
        name=name.strip(),
        role=role,
        phone_e164=_phone(phone) if phone else None,
        email=address,
        active=True,
        from_config=False,
        failed_sign_ins=0,
        password_hash=passwords.hash_password(password) if password is not None else None,
    )
    session.add(member)
    session.flush()
    audit.record(
        session,
        "staff.added",
        "staff_member",
        member.id,
        actor=actor,
        trust_id=trust.id,
        now=now,
        role=role,
        with_phone=member.phone_e164 is not None,
    )
    return member


def staff_by_email(session: Session, email: str, trust: Trust | None) -> StaffMember:
    """The one staff member with this email (in this trust, when given)."""
    found = _with_email(session, _email(email), trust_id=trust.id if trust else None)
    if not found:
        raise AccountError(
            "no staff member has that email" + (f" in {trust.code}" if trust else "")
        )
    if len(found) > 1:
        raise AccountError("several trusts have a staff member with that email: give --trust")
    return found[0]


def set_password(
    session: Session,
    member: StaffMember,
    password: str,
    *,
    actor: str,
    passwords: Passwords,
    now: datetime,
) -> None:
    """Set a password, which also ends sessions made with the old one and lifts a lockout left
    from before sign-ins were throttled (nothing locks an account now: web/auth/throttle.py)."""
    if member.role not in SIGN_IN_ROLES:
        raise AccountError(
            f"{member.name} has the role {member.role}, which does not sign in: "
            "make them a coordinator or admin in the trust's configuration first"
        )
    if member.email is None:
        raise AccountError(f"{member.name} has no email address to sign in with")
    _refuse_if_email_signs_in_elsewhere(session, member.email, except_id=member.id)
    passwords.check_strength(password)
    member.password_hash = passwords.hash_password(password)
    member.failed_sign_ins = 0
    member.locked_until = None
    member.session_epoch += 1
    revoke_links(session, member, now=now)
    audit.record(
        session,
        "staff.password_set",
        "staff_member",
        member.id,
        actor=actor,
        trust_id=member.trust_id,
        now=now,
    )


def change_role(
    session: Session, member: StaffMember, role: str, *, actor: str, now: datetime
) -> bool:
    """A coordinator becomes an admin or back. False if the role was already that."""
    if role not in SIGN_IN_ROLES:
        raise AccountError("role: choose coordinator or admin")
    _refuse_if_from_config(member)
    if member.role == role:
        return False
    if member.role == StaffRole.ADMIN and _other_active_admins(session, member) == 0:
        raise AccountError(f"{member.name} is the trust's only admin: make another admin first")
    before, member.role = member.role, role
    member.session_epoch += 1  # pages opened with the old role's rights close
    audit.record(
        session,
        "staff.role_changed",
        "staff_member",
        member.id,
        actor=actor,
        trust_id=member.trust_id,
        now=now,
        before=before,
        after=role,
    )
    return True


def set_active(
    session: Session, member: StaffMember, active: bool, *, actor: str, now: datetime
) -> bool:
    """Deactivate (no sign-in, no alerts, sessions ended) or reactivate. False if no change."""
    _refuse_if_from_config(member)
    if member.active == active:
        return False
    if not active and member.role == StaffRole.ADMIN and _other_active_admins(session, member) == 0:
        raise AccountError(f"{member.name} is the trust's only admin: make another admin first")
    member.active = active
    member.session_epoch += 1
    revoke_links(session, member, now=now)
    audit.record(
        session,
        "staff.reactivated" if active else "staff.deactivated",
        "staff_member",
        member.id,
        actor=actor,
        trust_id=member.trust_id,
        now=now,
        reason="dashboard",
    )
    return True


def revoke_links(session: Session, member: StaffMember, *, now: datetime) -> int:
    """Every set-password link of this member that still works stops working. How many."""
    result = session.execute(
        update(PasswordLink)
        .where(
            PasswordLink.staff_member_id == member.id,
            PasswordLink.used_at.is_(None),
            PasswordLink.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _refuse_if_from_config(member: StaffMember) -> None:
    if member.from_config:
        raise AccountError(
            f"{member.name} is in the trust's configuration file, which sets their role and "
            "whether they are active: change it there and load it again"
        )


def _other_active_admins(session: Session, member: StaffMember) -> int:
    return len(
        session.scalars(
            select(StaffMember.id).where(
                StaffMember.trust_id == member.trust_id,
                StaffMember.role == StaffRole.ADMIN,
                StaffMember.active.is_(True),
                StaffMember.id != member.id,
            )
        ).all()
    )


def unlock(session: Session, member: StaffMember, *, actor: str, now: datetime) -> None:
    """Lift a lockout left from before sign-ins were throttled; wrong passwords no longer lock."""
    member.failed_sign_ins = 0
    member.locked_until = None
    audit.record(
        session,
        "staff.unlocked",
        "staff_member",
        member.id,
        actor=actor,
        trust_id=member.trust_id,
        now=now,
    )


def _email(raw: str) -> str:
    try:
        return check_email(raw)
    except InvalidIdentifier as error:
        raise AccountError(str(error)) from None


def _phone(raw: str) -> str:
    try:
        return parse_mobile(raw)
    except InvalidIdentifier as error:
        raise AccountError(f"phone: {error}") from None


def _with_email(session: Session, email: str, *, trust_id: int | None) -> list[StaffMember]:
    query = select(StaffMember).where(func.lower(StaffMember.email) == email.lower())
    if trust_id is not None:
        query = query.where(StaffMember.trust_id == trust_id)
    return list(session.scalars(query.order_by(StaffMember.id)))


def _refuse_if_email_signs_in_elsewhere(
    session: Session, email: str, *, except_id: int | None
) -> None:
    others = [
        m
        for m in _with_email(session, email, trust_id=None)
        if m.password_hash is not None and m.id != except_id
    ]
    if others:
        raise AccountError(
            f"{email} already signs in as another staff member; an email signs in to one account"
        )


def _free_key(session: Session, trust_id: int, email: str) -> str:
    """A staff key from the email's local part; `web_` keeps it apart from the YAML's keys."""
    local = re.sub(r"[^a-z0-9_]+", "_", email.split("@", 1)[0].lower()).strip("_") or "staff"
    base = f"web_{local}"[:58]
    taken = set(session.scalars(select(StaffMember.key).where(StaffMember.trust_id == trust_id)))
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}_{n}"
    return key
