"""Application-restricted access to NHS England's APIs: a JWT signed with our private key,
exchanged for a bearer token at the OAuth 2.0 token endpoint (client credentials with a client
assertion, NHS England's "signed JWT authentication" pattern).

The JWT: header alg RS512, typ JWT, kid (the key id registered with the public key); claims
iss = sub = the application's API key, aud = the token URL exactly, a fresh jti, exp at most five
minutes ahead (we use four, so a clock a little fast is not refused). Tokens are kept until
shortly before they expire.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import requests
import structlog

from worker.providers.http_answers import json_body, retry_after_seconds
from worker.providers.pds.model import PdsAuthError, PdsTransientError

log = structlog.get_logger(__name__)

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = 240  # seconds; NHS England allows at most 300
REFRESH_MARGIN = 60  # seconds before expiry at which a cached token is renewed


@dataclass(frozen=True)
class PdsCredentials:
    api_key: str
    key_id: str
    private_key_pem: bytes = field(repr=False)
    token_url: str

    @classmethod
    def from_files(
        cls, *, api_key: str, key_id: str, private_key_path: Path, token_url: str
    ) -> PdsCredentials:
        return cls(api_key, key_id, private_key_path.read_bytes(), token_url)


def client_assertion(credentials: PdsCredentials, *, now: float, jti: str | None = None) -> str:
    claims = {
        "iss": credentials.api_key,
        "sub": credentials.api_key,
        "aud": credentials.token_url,
        "jti": jti or str(uuid.uuid4()),
        "exp": int(now) + ASSERTION_LIFETIME,
    }
    return jwt.encode(
        claims,
        credentials.private_key_pem,
        algorithm="RS512",
        headers={"kid": credentials.key_id, "typ": "JWT"},
    )


class TokenSource:
    """Bearer tokens for one set of credentials, cached and renewed; safe across threads."""

    def __init__(
        self,
        credentials: PdsCredentials,
        *,
        session: requests.Session | None = None,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.credentials = credentials
        self.session = session or requests.Session()
        self.timeout = timeout
        self.clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0

    def token(self) -> str:
        with self._lock:
            now = self.clock()
            if self._token is None or now >= self._expires_at - REFRESH_MARGIN:
                self._token, self._expires_at = self._fetch(now)
            return self._token

    def invalidate(self) -> None:
        """Forget the cached token (PDS refused it): the next call fetches a new one."""
        with self._lock:
            self._token = None

    def _fetch(self, now: float) -> tuple[str, float]:
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": CLIENT_ASSERTION_TYPE,
            "client_assertion": client_assertion(self.credentials, now=now),
        }
        try:
            response = self.session.post(
                self.credentials.token_url, data=form, timeout=self.timeout
            )
        except requests.RequestException as error:
            raise PdsTransientError(f"token endpoint unreachable: {type(error).__name__}") from None
        if response.status_code == 429 or response.status_code >= 500:
            raise PdsTransientError(
                f"token endpoint answered HTTP {response.status_code}",
                status=response.status_code,
                retry_after=retry_after_seconds(response.headers.get("Retry-After"), now=now),
            )
        parsed = json_body(response)
        body: dict[str, Any] | None = parsed if isinstance(parsed, dict) else None
        if response.status_code != 200:
            # error and error_description name what is wrong with our JWT; no patient data.
            code = str(body.get("error", "")) if body else ""
            description = str(body.get("error_description", "")) if body else ""
            log.error(
                "pds.token_refused", status=response.status_code, error=code, reason=description
            )
            raise PdsAuthError(
                f"token endpoint refused our credentials: HTTP {response.status_code} {code}",
                status=response.status_code,
                code=code or None,
            )
        token = body.get("access_token") if body else None
        try:
            lifetime = float(body.get("expires_in", 0)) if body else 0.0  # NHS sends a string
        except (TypeError, ValueError):
            lifetime = 0.0
        if not isinstance(token, str) or not token or lifetime <= 0:
            raise PdsTransientError("token endpoint answered 200 without a usable token")
        log.info("pds.token_issued", expires_in=int(lifetime))
        return token, now + lifetime
