"""`POST /twilio/sms`: a patient's (or a coordinator's) reply, stored before anything else
(in the database, or in the spool when the database cannot take it: web/intake.py)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response

from web.intake import intake_of
from web.stored_requests import REPLY
from web.twilio_auth import verified_form
from worker.inbound import MAX_BODY_CHARS

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
    fields = {"sid": sid, "from": sender, "to": to, "body": body}
    await intake_of(request.app).accept(REPLY, fields)
    return Response(EMPTY_TWIML, media_type="text/xml")
