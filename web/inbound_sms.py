"""`POST /twilio/sms`: a patient's (or a coordinator's) reply, stored before anything else."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from pathway.intake import store_inbound
from schema.db import session_scope
from schema.types import utcnow
from worker.app import get_app
from worker.providers.twilio.webhook import parse_inbound, verified_form
from worker.tasks import enqueue_handling

router = APIRouter()

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@router.post("/twilio/sms", include_in_schema=False)
async def inbound_sms(request: Request) -> Response:
    reply = parse_inbound(await verified_form(request))
    await run_in_threadpool(_store_and_enqueue, reply.sid, reply.sender, reply.to, reply.body)
    return Response(EMPTY_TWIML, media_type="text/xml")


def _store_and_enqueue(sid: str, sender: str, to: str, body: str) -> None:
    with session_scope() as session:
        inbound_id = store_inbound(session, sid=sid, sender=sender, to=to, body=body, now=utcnow())
    if inbound_id is not None:
        enqueue_handling(get_app(), inbound_id)
