"""`POST /twilio/status`: delivery receipts for the SMS we sent."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query, Request, Response

from web.ids import MAX_ROW_ID
from web.intake import intake_of
from web.receipts import ReceiptOutcome
from web.stored_requests import RECEIPT
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
    fields = {"m": m, "sid": sid, "status": status, "error_code": error_code}
    accepted = await intake_of(request.app).accept(RECEIPT, fields)
    if accepted.result == ReceiptOutcome.NOT_FOUND:
        raise HTTPException(404, "no such message")
    if accepted.result == ReceiptOutcome.MISMATCH:
        raise HTTPException(409, "MessageSid is not the message's")
    return Response(status_code=200)
