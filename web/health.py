"""`GET /healthz`: database, broker and beat, for load balancers and people alike."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from worker.health import check

router = APIRouter()


@router.get("/healthz", include_in_schema=False)  # for load balancers, not the staff API
async def healthz() -> JSONResponse:
    health = await run_in_threadpool(check)
    return JSONResponse(health.as_dict(), status_code=200 if health.ok else 503)
