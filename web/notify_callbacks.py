"""`POST /notify/status` and `POST /notify/inbound`: GOV.UK Notify's delivery receipts and the
texts people send to its number, stored first like Twilio's (in the database, or the spool)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response

from pathway.receipts import ReceiptOutcome
from web.intake import intake_of
from web.stored_requests import RECEIPT, REPLY
from worker.providers.notify.callbacks import parse_inbound, parse_receipt, verified_json

router = APIRouter()


@router.post("/notify/status", include_in_schema=False)
async def notify_receipt(request: Request) -> Response:
    receipt = parse_receipt(await verified_json(request))
    fields = {"m": receipt.message_id, "sid": receipt.sid, "status": receipt.status, "p": "notify"}
    accepted = await intake_of(request.app).accept(RECEIPT, fields)
    if accepted.result == ReceiptOutcome.NOT_FOUND:
        raise HTTPException(404, "no such message")
    if accepted.result == ReceiptOutcome.MISMATCH:
        raise HTTPException(409, "id is not the message's")
    return Response(status_code=200)


@router.post("/notify/inbound", include_in_schema=False)
async def notify_inbound(request: Request) -> Response:
    reply = parse_inbound(await verified_json(request))
    fields = {"sid": reply.sid, "from": reply.sender, "to": reply.to, "body": reply.body}
    await intake_of(request.app).accept(REPLY, fields)
    return Response(status_code=200)
