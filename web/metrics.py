"""`GET /metrics`: the service's figures for Prometheus, to a bearer of METRICS_TOKEN only.

Without METRICS_TOKEN there is no such page (404). A request without the token, or with
another, gets 401; the token is compared in constant time. The figures are computed from the
database and the broker when scraped (worker/metrics.py), so one scrape of any web process
covers every worker.
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool

from schema.settings import get_settings
from worker.metrics import render

router = APIRouter()


def bearer_matches(authorization: str, token: str) -> bool:
    scheme, _, supplied = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(supplied.strip().encode(), token.encode())


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    token = get_settings().metrics_token
    if not token:
        return Response(status_code=404)
    if not bearer_matches(request.headers.get("authorization", ""), token):
        return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
    body = await run_in_threadpool(render)
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
