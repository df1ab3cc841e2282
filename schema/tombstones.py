"""An erased patient's tombstone: a keyed hash (HMAC-SHA256) of their NHS number per trust, and
nothing else, so that no later import, enrolment or feed brings them back.

Keyed, not a plain hash: NHS numbers are 10 digits with a check digit, so an unkeyed hash would
give the number back to anyone with the table and a minute of CPU. The key is a setting
(`IDENTIFIER_HMAC_KEY`), never stored in the database.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from schema.models import ErasureTombstone
from schema.settings import get_settings


def nhs_number_hmac(nhs_number: str, key: bytes | None = None) -> str:
    key = get_settings().resolved_identifier_hmac_key if key is None else key
    return hmac.new(key, nhs_number.encode(), hashlib.sha256).hexdigest()


def bury(session: Session, trust_id: int, nhs_number: str, *, now: datetime) -> None:
    """Record the tombstone once (erasing twice leaves one)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(ErasureTombstone)
        .values(trust_id=trust_id, nhs_number_hmac=nhs_number_hmac(nhs_number), erased_at=now)
        .on_conflict_do_nothing(index_elements=["trust_id", "nhs_number_hmac"])
    )


def is_erased(session: Session, trust_id: int, nhs_number: str) -> bool:
    digest = nhs_number_hmac(nhs_number)
    return (
        session.scalar(
            select(ErasureTombstone.id).where(
                ErasureTombstone.trust_id == trust_id, ErasureTombstone.nhs_number_hmac == digest
            )
        )
        is not None
    )
