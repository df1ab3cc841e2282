"""API bearer tokens for hospital systems: issued per trust, shown once, stored as SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pathway import audit
from schema.models import ApiToken, Trust

PREFIX = "sn_"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(
    session: Session, trust: Trust, name: str, *, actor: str, now: datetime
) -> tuple[ApiToken, str]:
    """A new token for the trust; the plain token is returned here and never again."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValueError("a token needs a name of 1 to 100 characters")
    plain = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(trust_id=trust.id, name=name, token_hash=token_hash(plain))
    session.add(token)
    session.flush()
    audit.record(
        session,
        "api_token.issued",
        "api_token",
        token.id,
        actor=actor,
        trust_id=trust.id,
        now=now,
        name=name,
    )
    return token, plain


def revoke(session: Session, token: ApiToken, *, actor: str, now: datetime) -> bool:
    """Revoke a token; False if it already was."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = now
    audit.record(
        session,
        "api_token.revoked",
        "api_token",
        token.id,
        actor=actor,
        trust_id=token.trust_id,
        now=now,
        name=token.name,
    )
    return True


def find_active(session: Session, plain: str, *, now: datetime) -> ApiToken | None:
    """The live token with this value, or None. Records when it was last used."""
    if not plain.startswith(PREFIX) or len(plain) > 200:
        return None
    token = session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == token_hash(plain), ApiToken.revoked_at.is_(None)
        )
    )
    if token is not None:
        token.last_used_at = now
    return token
