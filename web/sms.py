"""`POST /twilio/sms`: a patient's (or a coordinator's) reply, stored before anything else."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from pathway.intake import MAX_BODY_CHARS, store_inbound
from schema.db import session_scope
from web.twilio_auth import verified_form

router = APIRouter()

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@router.post("/twilio/sms", include_in_schema=False)
async def inbound_sms(request: Request) -> Response:
    form = await verified_form(request)
    sid = str(form.get("MessageSid") or form.get("SmsSid") or "")
    sender = str(form.get("From") or "")
    to = str(form.get("To") or "")
    body = form.get("Body") or ""
    if not isinstance(body, str):
        raise HTTPException(400, "Body must be text")
    if not sid or not sender or not to or len(sid) > 64 or len(sender) > 40 or len(to) > 40:
        raise HTTPException(400, "MessageSid, From and To are required")
    if len(body) > MAX_BODY_CHARS:
        raise HTTPException(413, f"Body longer than {MAX_BODY_CHARS} characters")
    await run_in_threadpool(_store_and_enqueue, sid, sender, to, body)
    return Response(EMPTY_TWIML, media_type="text/xml")


def _store_and_enqueue(sid: str, sender: str, to: str, body: str) -> None:
    from worker.dispatch import enqueue_handling

    with session_scope() as session:
        inbound_id = store_inbound(session, sid=sid, sender=sender, to=to, body=body)
    if inbound_id is not None:
        enqueue_handling(inbound_id)
