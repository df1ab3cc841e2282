"""`POST /twilio/sms`: a patient's (or a coordinator's) reply, stored before anything else
(in the database, or in the spool when the database cannot take it: web/intake.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from web.intake import intake_of
from web.stored_requests import REPLY
from worker.providers.twilio.webhook import parse_inbound, verified_form

router = APIRouter()

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@router.post("/twilio/sms", include_in_schema=False)
async def inbound_sms(request: Request) -> Response:
    reply = parse_inbound(await verified_form(request))
    fields = {"sid": reply.sid, "from": reply.sender, "to": reply.to, "body": reply.body}
    await intake_of(request.app).accept(REPLY, fields)
    return Response(EMPTY_TWIML, media_type="text/xml")
