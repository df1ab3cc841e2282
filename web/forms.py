"""Form parsing with small limits: our forms have a handful of short fields.

Starlette's defaults allow 1,000 fields of 1 MB each. The body ceiling (web.body_limit) bounds
the bytes; these bound what the parser builds from them.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.datastructures import FormData

# Applied to FastAPI's own parsing of Form(...) parameters (FastAPI(form_limits=...)) too.
FORM_LIMITS: dict[str, Any] = {"max_fields": 40, "max_files": 0, "max_part_size": 16 * 1024}
# Twilio's webhooks have limits of their own (worker/providers/twilio/webhook.py).


async def read_form(request: Request, limits: dict[str, Any] = FORM_LIMITS) -> FormData:
    return await request.form(**limits)
