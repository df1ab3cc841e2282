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
from worker.providers.twilio.webhook import Receipt, parse_receipt, verified_form

router = APIRouter()


@router.post("/twilio/status", include_in_schema=False)
async def delivery_receipt(
    request: Request, m: int | None = Query(default=None, ge=0, le=MAX_ROW_ID)
) -> Response:
    receipt = parse_receipt(await verified_form(request))
    found = await run_in_threadpool(_apply, m, receipt)
    if not found:
        raise HTTPException(404, "no such message")
    return Response(status_code=200)


def _apply(message_id: int | None, receipt: Receipt) -> bool:
    sid = receipt.sid
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
            state=receipt.state,
            error_code=receipt.error_code,
            reason=receipt.reason,
            detail=receipt.detail,
            now=utcnow(),
        )
        return True
