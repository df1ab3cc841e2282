"""Jinja2 for the pages: the template folder, and filters that show times in the trust's zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from schema.identifiers import display_phone
from schema.settings import get_settings
from schema.types import utcnow
from web.simulated_replies import simulation_allowed

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def local_time(value: datetime | None, zone: str, style: str = "full") -> str:
    """14:03 Tue 25 Nov 2025 in the trust's zone; 'seconds' adds them, 'date' drops the time."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(zone))
    if style == "date":
        return f"{local:%a} {local.day} {local:%b %Y}"
    clock = "%H:%M:%S" if style == "seconds" else "%H:%M"
    return f"{local:{clock}} {local:%a} {local.day} {local:%b %Y}"


def age(value: datetime | None, now: datetime | None = None) -> str:
    """How long ago, in the words a coordinator would say it."""
    if value is None:
        return ""
    seconds = int(((now or utcnow()) - value).total_seconds())
    if seconds < 60:
        return "just now"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min ago"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min ago" if minutes else f"{hours} h ago"
    return f"{hours // 24} days ago"


def phone(value: str | None) -> str:
    if not value:
        return ""
    try:
        return display_phone(value)
    except Exception:  # a malformed stored sender still shows as given
        return value


def words(value: str | None) -> str:
    """`limb_weakness` → `limb weakness`."""
    return (value or "").replace("_", " ")


def patient_phone_available() -> bool:
    """The Patient phone page exists only while no Twilio account is configured."""
    return simulation_allowed(get_settings())


templates.env.globals["patient_phone_available"] = patient_phone_available
templates.env.filters["local_time"] = local_time
templates.env.filters["age"] = age
templates.env.filters["phone"] = phone
templates.env.filters["words"] = words


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    response: HTMLResponse = templates.TemplateResponse(
        request, name, {"now": utcnow(), **context}, status_code=status_code
    )
    return response


def duration(value: timedelta | None) -> str:
    """`7 days`, `52 weeks`, `30 minutes`: a schedule's offsets as a person says them."""
    if value is None:
        return ""
    seconds = int(value.total_seconds())
    for unit, size in (("week", 604800), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds and seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}{'' if n == 1 else 's'}"
    return "at once" if seconds == 0 else f"{seconds} seconds"


templates.env.filters["duration"] = duration


def span(seconds: float | None) -> str:
    """How long, rounded the way a person says it: 45 s, 7 min, 2 h 5 min, 3 days 4 h."""
    if seconds is None:
        return ""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes = round(whole / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} days {hours} h" if hours else f"{days} days"


templates.env.filters["span"] = span

# Shown where a reply's text was blanked by retention or erasure (pathway/retention.py).
templates.env.globals["REMOVED"] = "(text removed under the trust's retention policy or on request)"
