"""A trust's configuration in force, and finding a trust by its code. Loading a new version is
`pathway.trust_loading`."""

from __future__ import annotations

import json
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.models import Trust
from schema.trust_config import TrustConfig


def trust_config(trust: Trust) -> TrustConfig:
    """The trust's configuration in force (validated when it was loaded).

    Validating it again costs about a millisecond and every send needs it, so each distinct
    configuration is parsed once per process; keyed on the content, a change is never missed.
    """
    return _parsed_config(json.dumps(trust.config, sort_keys=True))


@lru_cache(maxsize=32)
def _parsed_config(source: str) -> TrustConfig:
    return TrustConfig.model_validate(json.loads(source))


def get_trust(session: Session, code: str | None) -> Trust:
    """The trust with this code, or the only trust when no code is given."""
    if code:
        trust = session.scalar(select(Trust).where(Trust.code == code))
        if trust is None:
            raise LookupError(f"no trust with code {code!r}")
        return trust
    trusts = session.scalars(select(Trust).limit(2)).all()
    if len(trusts) != 1:
        raise LookupError(
            "no trust loaded yet" if not trusts else "several trusts: give --trust CODE"
        )
    return trusts[0]
