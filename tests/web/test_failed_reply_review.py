"""A reply the service failed to handle stands on the review list, where a coordinator sees it."""

from __future__ import annotations

import uuid

from fastapi import FastAPI

from pathway.review import needs_a_person
from schema.db import session_scope
from schema.models import InboundMessage
from schema.types import utcnow
from tests.web.conftest import World, signed_in


def test_a_reply_whose_handling_failed_is_on_its_trusts_review_list(
    world: World, app: FastAPI
) -> None:
    with session_scope() as session:
        inbound = InboundMessage(
            provider_message_id=f"SM{uuid.uuid4().hex}",
            from_address="+447700900301",  # Ann Example of trust A
            to_address="+447700900000",
            body="legs gone funny since this morning",
            received_at=utcnow(),
            symptoms=[],
            evidence={},
        )
        session.add(inbound)
        session.flush()
        needs_a_person(session, inbound.id, why="RuntimeError", now=utcnow())
        inbound_id = inbound.id
    page = signed_in(app, world.a.coordinator).get("/").text
    assert f'id="reply-{inbound_id}"' in page
    assert "legs gone funny since this morning" in page
    other_trust = signed_in(app, world.b.coordinator).get("/").text
    assert f'id="reply-{inbound_id}"' not in other_trust
