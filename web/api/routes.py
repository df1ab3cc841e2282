"""The API's routers under /api/v1, and its OpenAPI schema for callers who are signed in."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from web.api import alerts, fhir_feed, patients, reports
from web.auth.identity import staff_or_client

PREFIX = "/api/v1"

api_router = APIRouter(prefix=PREFIX)
api_router.include_router(patients.router)
api_router.include_router(alerts.router)
api_router.include_router(reports.router)
api_router.include_router(fhir_feed.router)

schema_router = APIRouter(include_in_schema=False)


@schema_router.get("/openapi.json")
def openapi_schema(request: Request, _trust_id: int = Depends(staff_or_client)) -> JSONResponse:
    # The schema names no patient, but it maps the service: so it too needs a token or a session.
    schema: dict[str, Any] = request.app.openapi()
    return JSONResponse(schema)
