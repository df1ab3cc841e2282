"""Small readings of HTTP answers shared by the PDS client and the callback sender."""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from typing import Any

import requests

MAX_RETRY_AFTER = 24 * 3600.0  # a longer wait than a day is read as a day


def retry_after_seconds(value: str | None, *, now: float) -> float | None:
    """Retry-After as seconds from now: either delta-seconds or an HTTP date; None if absent or
    unreadable (the caller then uses its own backoff)."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return min(float(text), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return min(max(when.timestamp() - now, 0.0), MAX_RETRY_AFTER)


def json_body(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
