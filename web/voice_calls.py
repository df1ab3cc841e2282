"""`POST /twilio/voice/gather` and `/twilio/voice/status`: a call on a call step, as it happens.

Both are signed by Twilio and checked like the SMS webhooks (`verified_form`); anything unsigned
or forged gets 403 and changes nothing. The message id is in the query string (`m`), which the
signature covers; the call's sid must match the one Twilio gave when the call was placed.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from messages.rendering import render
from messages.template_context import build_context
from pathway import calls
from schema.db import session_scope
from schema.models import OutboundMessage, Trust
from schema.trusts import trust_config
from schema.types import utcnow
from web.ids import MAX_ROW_ID
from worker.providers.twilio.voice import call_twiml, spoken_twiml
from worker.providers.twilio.voice_webhook import parse_call_status, parse_gather
from worker.providers.twilio.webhook import public_url, verified_form

router = APIRouter()

MessageId = Query(ge=1, le=MAX_ROW_ID)


def _twiml(text: str) -> Response:
    return Response(text, media_type="text/xml")


@router.post("/twilio/voice/gather", include_in_schema=False)
async def key_pressed(request: Request, m: int = MessageId) -> Response:
    gathered = parse_gather(await verified_form(request))
    twiml = await run_in_threadpool(
        _pressed, m, gathered.call_sid, gathered.digits, public_url(request)
    )
    return _twiml(twiml)


@router.post("/twilio/voice/status", include_in_schema=False)
async def call_status(request: Request, m: int = MessageId) -> Response:
    ended = parse_call_status(await verified_form(request))
    await run_in_threadpool(_ended, m, ended.call_sid, ended.status)
    return Response(status_code=200)


def _call(session: Session, message_id: int, call_sid: str) -> OutboundMessage:
    message = session.get(OutboundMessage, message_id, with_for_update=True)
    if message is None or not calls.is_call(message):
        raise HTTPException(404, "no such call")
    if message.provider_message_id not in (None, call_sid):
        raise HTTPException(404, "no such call")
    message.provider_message_id = call_sid  # the webhook may beat the send task's own record
    return message


def _words(session: Session, message: OutboundMessage, key: str, **extra: Any) -> str:
    trust = session.get(Trust, message.trust_id)
    assert trust is not None
    context = build_context(trust_config(trust), **extra)
    context.update(message.context)
    return render(key, "voice", context).text


def _pressed(message_id: int, call_sid: str, digits: str, gather_url: str) -> str:
    with session_scope() as session:
        message = _call(session, message_id, call_sid)
        pressed = calls.key_pressed(session, message, digits, now=utcnow())
        if not pressed.understood:
            again = _words(session, message, "voice_key_not_understood")
            return call_twiml(message.body or "", gather_url, first=again)
        answer = {"already_by": pressed.already_by}
        return spoken_twiml(_words(session, message, "voice_acknowledged", answer=answer))


def _ended(message_id: int, call_sid: str, status: str) -> None:
    with session_scope() as session:
        message = _call(session, message_id, call_sid)
        calls.call_ended(session, message, status, now=utcnow())
