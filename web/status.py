"""`POST /twilio/status`: delivery receipts for the SMS we sent."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query, Request, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from pathway.receipts import apply_receipt
from schema.db import session_scope
from schema.models import OutboundMessage
from schema.types import utcnow
from web.ids import MAX_ROW_ID
from web.twilio_auth import verified_form

router = APIRouter()


@router.post("/twilio/status", include_in_schema=False)
async def delivery_receipt(
    request: Request, m: int | None = Query(default=None, ge=0, le=MAX_ROW_ID)
) -> Response:
    form = await verified_form(request)
    sid = str(form.get("MessageSid") or "")
    status = str(form.get("MessageStatus") or form.get("SmsStatus") or "").lower()
    error_code = str(form.get("ErrorCode") or "") or None
    if not sid or not status:
        raise HTTPException(400, "MessageSid and MessageStatus are required")
    found = await run_in_threadpool(_apply, m, sid, status, error_code)
    if not found:
        raise HTTPException(404, "no such message")
    return Response(status_code=200)


def _apply(message_id: int | None, sid: str, status: str, error_code: str | None) -> bool:
    with session_scope() as session:
        message = None
        if message_id is not None:
            message = session.get(OutboundMessage, message_id, with_for_update=True)
        if message is None:
            message = session.scalars(
                select(OutboundMessage)
                .where(OutboundMessage.provider_message_id == sid)
                .with_for_update()
                .limit(1)
            ).first()
        if message is None:
            return False
        apply_receipt(
            session,
            message,
            provider_message_id=sid,
            status=status,
            error_code=error_code,
            now=utcnow(),
        )
        return True
