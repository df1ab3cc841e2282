"""One-line confirmations after an action (Post/Redirect/Get): fixed wording, chosen by key.

Only a known key and an alert code or a number ever come back from the query string, so a
crafted link cannot put words on the page.
"""

from __future__ import annotations

import re

from fastapi import Request

NOTICES = {
    "acknowledged": "You acknowledged alert {ref}. Escalation has stopped.",
    "already": "Alert {ref} was already acknowledged; nothing changed.",
    "resolved": "Alert {ref} is resolved and its outcome recorded.",
    "reviewed": "The reply is marked as reviewed.",
    "linked": "The number is linked: replies from it are now read as that patient's.",
    "link-refused": "The number was not linked: check the NHS number, and that the number is "
    "on no other patient's record.",
    "enrolled": "The patient is enrolled and their messages are planned.",
    "paused": "Messages to this patient are paused.",
    "resumed": "Messages to this patient have resumed and are planned again from now.",
    "discharged": "The patient is discharged; their planned messages are cancelled.",
    "erased": "The patient's data is erased and their messages cancelled; the audit records it.",
    "override_added": "The override is on the rota: that person alone is on the role then.",
    "swap_added": "The swap is on the rota.",
    "override_cancelled": "The cover is cancelled; the rota is as before for that period.",
    "notice-confirmed": "Done: the notice is confirmed, and any change it proposed is made.",
    "notice-dismissed": "The notice is dismissed; the record stays as it was.",
    "opted_out": "The patient is opted out: their planned messages are cancelled.",
    "opted_in": "The patient is opted in again: their messages are planned from now.",
    "details_changed": "The patient's details are changed; what is still to come is planned again.",
    "details_unchanged": "Nothing was different, so nothing changed.",
    "staff_added": "The staff member is added and a set-password link is on its way to them.",
    "link_sent": "A set-password link is on its way; any earlier link no longer works.",
    "role_changed": "The role is changed; their open pages ask them to sign in again.",
    "deactivated": "The staff member is deactivated: no sign-in, no alerts.",
    "reactivated": "The staff member is active again.",
    "password_changed": "Your password is changed; other sessions of yours are signed out.",
}
_REF = re.compile(r"^[A-Z0-9]{1,12}$")


def notice(request: Request) -> str | None:
    text = NOTICES.get(request.query_params.get("done", ""))
    if text is None:
        return None
    ref = request.query_params.get("ref", "")
    return text.format(ref=ref if _REF.match(ref) else "")
