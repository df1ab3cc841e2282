"""Which Host headers and which proxies the web app believes.

Only the host of PUBLIC_BASE_URL (and loopback, for health checks on the machine itself) is
served; anything else is refused before routing, so nothing built from the Host header can
point elsewhere. The client address comes from X-Forwarded-For only when the connection is
from a proxy named in FORWARDED_ALLOW_IPS (empty by default: no proxy is believed). uvicorn is
run with --no-proxy-headers, so this setting is the only place that decides.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.middleware.trustedhost import TrustedHostMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from schema.settings import Settings

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


def allowed_hosts(settings: Settings) -> list[str]:
    public = urlsplit(settings.public_base_url).hostname or ""
    return [host for host in (public, *LOOPBACK_HOSTS) if host]


def is_https(settings: Settings) -> bool:
    return settings.public_base_url.startswith("https://")


def add_host_and_proxy_checks(app: FastAPI, settings: Settings) -> None:
    """Added last, so they run first: a forged Host is refused before anything else."""
    # No www. redirect either: Starlette would build it from the Host header.
    app.add_middleware(
        TrustedHostMiddleware, allowed_hosts=allowed_hosts(settings), www_redirect=False
    )
    proxies = settings.forwarded_allow_ips.strip()
    if proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)
