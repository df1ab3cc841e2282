"""/api/v1/fhir/feed: the trust's write-backs (FHIR Communication and Flag), for an integration
engine that pulls instead of (or as well as) receiving signed callbacks. Each entry is exactly
the callback's body, so an engine can take either route, or both, and de-duplicate by `id`."""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from pathway import writeback
from schema.db import session_scope
from schema.models import Trust
from schema.settings import get_settings
from web.auth.identity import ApiClient, api_client
from web.ids import MAX_ROW_ID

router = APIRouter(prefix="/fhir", tags=["write-back"])


class FeedEntry(BaseModel):
    sequence: int = Field(description="our order; ask for entries after the last one seen")
    id: str = Field(description="the idempotency key, the same as the callback's")
    type: str = Field(description="communication.sent, communication.updated, ..., flag.updated")
    created: str
    trust: str
    resource: dict[str, Any] = Field(description="a UK Core Communication or Flag")
    delivery: Literal["pending", "delivered", "failed", "pull_only"] = Field(
        description="how the signed callback of this entry stands"
    )


class Feed(BaseModel):
    entries: list[FeedEntry]
    next_after: int = Field(description="pass as `after` for the next page")


@router.get("/feed", response_model=Feed)
def read_feed(
    after: int = Query(default=0, ge=0, le=MAX_ROW_ID, description="the last sequence seen"),
    limit: int = Query(default=100, ge=1, le=500),
    client: ApiClient = Depends(api_client),
) -> Feed:
    """Write-backs of the token's trust after `after`, oldest first."""
    base_url = get_settings().public_base_url
    with session_scope() as session:
        trust = session.get(Trust, client.trust_id)
        assert trust is not None
        rows = writeback.feed(session, client.trust_id, after=after, limit=limit)
        entries = [
            FeedEntry(
                sequence=row.id,
                delivery=row.state,  # type: ignore[arg-type]
                **json.loads(writeback.body_of(row, trust_code=trust.code, base_url=base_url)),
            )
            for row in rows
        ]
    return Feed(entries=entries, next_after=entries[-1].sequence if entries else after)
