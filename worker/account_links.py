"""The set-password link in an account message: made when the message is rendered, from the
secret key, and never stored (pathway/password_links.py says why the database cannot make one)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from pathway.password_links import link_token, link_url
from schema.models import OutboundMessage, PasswordLink
from schema.settings import Settings
from schema.vocabulary import MessageKind

REDACTED = "(the one-time link, not kept)"


def link_context(session: Session, message: OutboundMessage, settings: Settings) -> dict[str, Any]:
    """The link's address for the template, or nothing for any other message."""
    if message.kind != MessageKind.ACCOUNT:
        return {}
    facts = dict(message.context.get("password_link") or {})
    link = session.get(PasswordLink, int(facts.get("id") or 0))
    if link is None:
        raise LookupError("the set-password link of this message is gone")
    token = link_token(settings.resolved_secret_key, link.id, link.nonce)
    return {"password_link": {**facts, "url": link_url(settings.public_base_url, token)}}


def without_link(message: OutboundMessage, context: dict[str, Any], text: str | None) -> str | None:
    """What is kept of the sent text: the link itself is not."""
    url = (context.get("password_link") or {}).get("url")
    if text is None or message.kind != MessageKind.ACCOUNT or not url:
        return text
    return text.replace(str(url), REDACTED)
