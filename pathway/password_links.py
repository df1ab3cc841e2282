"""One-time links to set a password, sent to a staff member by SMS and email.

A link's token is `<id>.<HMAC-SHA256(secret key, id and nonce)>`: signed, so the database alone
(which holds the nonce) cannot make a working link, and only the token's SHA-256 is stored.
It works once, for LINK_LIFETIME, while its holder is active and signs in; a newer link, a
password set any way or a deactivation revokes it. The secret key is the caller's to
give (the web app and the worker read it from the settings).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pathway import audit
from pathway.outbound import message_staff_now
from pathway.staff_accounts import AccountError, Passwords, revoke_links, set_password
from schema.models import SIGN_IN_ROLES, Channel, PasswordLink, Queue, StaffMember
from schema.vocabulary import MessageKind

LINK_LIFETIME = timedelta(hours=24)
TEMPLATE = "password_link"
PATH = "/set-password/"


class LinkRefused(ValueError):
    """A link that no longer works; the reason is said to the person holding it."""


def link_token(secret_key: str, link_id: int, nonce: str) -> str:
    mac = hmac.new(secret_key.encode(), f"password-link:{link_id}:{nonce}".encode(), "sha256")
    return f"{link_id}.{mac.hexdigest()}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{PATH}{token}"


def issue_link(
    session: Session, member: StaffMember, *, secret_key: str, actor: str, now: datetime
) -> tuple[PasswordLink, list[str]]:
    """A new link for the member, sent by SMS and email (whichever they have), replacing any
    earlier one. Returns the link and the channels it goes by."""
    if not member.active:
        raise AccountError(f"{member.name} is deactivated: reactivate them first")
    if member.role not in SIGN_IN_ROLES:
        raise AccountError(
            f"{member.name} has the role {member.role}, which does not sign in: "
            "make them a coordinator or admin first"
        )
    if member.email is None:
        raise AccountError(f"{member.name} has no email address to sign in with")
    revoke_links(session, member, now=now)
    link = PasswordLink(
        trust_id=member.trust_id,
        staff_member_id=member.id,
        nonce=secrets.token_hex(16),
        token_hash="",
        created_at=now,
        created_by=actor,
        expires_at=now + LINK_LIFETIME,
    )
    session.add(link)
    session.flush()
    link.token_hash = token_hash(link_token(secret_key, link.id, link.nonce))
    addresses = [(Channel.EMAIL, member.email)]
    if member.phone_e164:
        addresses.insert(0, (Channel.SMS, member.phone_e164))
    context: dict[str, Any] = {"password_link": {"id": link.id, "hours": LINK_LIFETIME_HOURS}}
    for channel, address in addresses:
        message_staff_now(
            session,
            member,
            channel,
            address,
            idempotency_key=f"password_link:{link.id}:{channel.value}",
            kind=MessageKind.ACCOUNT,
            template_key=TEMPLATE,
            queue=Queue.MESSAGES,
            context=context,
            now=now,
        )
    channels = [channel.value for channel, _ in addresses]
    audit.record(
        session,
        "staff.password_link_sent",
        "staff_member",
        member.id,
        actor=actor,
        trust_id=member.trust_id,
        now=now,
        link_id=link.id,
        channels=channels,
    )
    return link, channels


LINK_LIFETIME_HOURS = int(LINK_LIFETIME.total_seconds() // 3600)


def _find(session: Session, token: str, *, lock: bool) -> PasswordLink:
    number, _, _ = token.partition(".")
    if not number.isdigit() or len(token) > 100:
        raise LinkRefused("This link is not one of ours. Ask an admin for a new one.")
    query = select(PasswordLink).where(PasswordLink.id == int(number))
    link = session.scalars(query.with_for_update() if lock else query).first()
    if link is None or not hmac.compare_digest(link.token_hash, token_hash(token)):
        raise LinkRefused("This link is not one of ours. Ask an admin for a new one.")
    return link


def check_link(session: Session, token: str, *, now: datetime, lock: bool = False) -> StaffMember:
    """The staff member a working link is for; LinkRefused says why it does not work."""
    link = _find(session, token, lock=lock)
    if link.used_at is not None:
        raise LinkRefused("This link has been used. Sign in, or ask an admin for a new one.")
    if link.revoked_at is not None:
        raise LinkRefused("A newer link replaced this one. Use the newest, or ask an admin.")
    if link.expires_at <= now:
        raise LinkRefused("This link has expired. Ask an admin for a new one.")
    member = session.get(StaffMember, link.staff_member_id, with_for_update=lock)
    if member is None or not member.active or member.role not in SIGN_IN_ROLES:
        raise LinkRefused("This account cannot sign in now. Ask an admin.")
    return member


def use_link(
    session: Session, token: str, password: str, *, passwords: Passwords, now: datetime
) -> StaffMember:
    """Set the password a working link is for, and the link never works again."""
    member = check_link(session, token, now=now, lock=True)
    link = _find(session, token, lock=True)
    link.used_at = now
    session.flush()
    set_password(
        session, member, password, actor=audit.staff_actor(member.id), passwords=passwords, now=now
    )
    audit.record(
        session,
        "staff.password_link_used",
        "staff_member",
        member.id,
        actor=audit.staff_actor(member.id),
        trust_id=member.trust_id,
        now=now,
        link_id=link.id,
    )
    return member
