"""Signing webhook requests the way Twilio does, for tests that play Twilio's part."""

from __future__ import annotations

from collections.abc import Mapping

from twilio.request_validator import RequestValidator


def signature(url: str, params: Mapping[str, str], auth_token: str) -> str:
    """X-Twilio-Signature for a form POST of `params` to exactly `url`."""
    computed: str = RequestValidator(auth_token).compute_signature(url, dict(params))
    return computed


def signed_headers(url: str, params: Mapping[str, str], auth_token: str) -> dict[str, str]:
    """The headers Twilio sends with a form POST of `params` to `url`."""
    return {
        "X-Twilio-Signature": signature(url, params, auth_token),
        "Content-Type": "application/x-www-form-urlencoded",
    }
