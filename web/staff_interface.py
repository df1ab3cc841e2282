"""Mounting the staff side on the app: sign-in, the pages, static files, the API and its schema."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import structlog
from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from schema.settings import get_settings
from web.api.routes import api_router, schema_router
from web.auth import passwords_pages
from web.auth import routes as auth_routes
from web.auth.identity import AdminOnly, CsrfRefused, SignInRequired, current_staff
from web.auth.routes import safe_next
from web.auth.signin import SignInPolicy
from web.auth.throttle import throttle_for
from web.dashboard import (
    alerts,
    audit_trail,
    history,
    patient_notices,
    patient_phone,
    patients,
    reports,
    resolving,
    rota,
    staff,
    trust,
)
from web.dashboard.alerts import DEFAULT_REFRESH_SECONDS
from web.scoped import NotFound
from web.security_headers import SecurityHeaders
from web.templating import render

STATIC = Path(__file__).parent / "static"
log = structlog.get_logger(__name__)


def mount_staff_interface(app: FastAPI) -> None:
    app.state.sign_in_policy = SignInPolicy()
    settings = get_settings()
    app.state.sign_in_throttle = throttle_for(
        settings.resolved_broker_url, settings.broker_key_prefix
    )
    app.state.dashboard_refresh_seconds = DEFAULT_REFRESH_SECONDS
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(auth_routes.router)
    app.include_router(alerts.router)
    app.include_router(resolving.router)
    app.include_router(history.router)
    app.include_router(reports.router)
    app.include_router(audit_trail.router)
    app.include_router(patients.router)
    app.include_router(patient_notices.router)
    app.include_router(patient_phone.router)
    app.include_router(trust.router)
    app.include_router(rota.router)
    app.include_router(staff.router)
    app.include_router(passwords_pages.router)
    app.include_router(api_router)
    app.include_router(schema_router)
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_exception_handler(CsrfRefused, _csrf_refused)
    app.add_exception_handler(AdminOnly, _admin_only)
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _server_error)
    app.add_api_route("/favicon.ico", _favicon, include_in_schema=False)


async def _sign_in_required(request: Request, _error: Exception) -> Response:
    target = request.url.path if request.method == "GET" else "/"
    if request.url.query and request.method == "GET":
        target += f"?{request.url.query}"
    return RedirectResponse(f"/sign-in?next={quote(safe_next(target), safe='/')}", status_code=303)


async def _csrf_refused(request: Request, _error: Exception) -> Response:
    return await _message(
        request,
        403,
        "This form has expired",
        "Nothing was changed. Go back, reload the page and try again.",
    )


async def _admin_only(request: Request, _error: Exception) -> Response:
    return await _message(
        request, 403, "Admins only", "This page is for the trust's administrators."
    )


async def _not_found(request: Request, error: Exception) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": str(error)}, status_code=404)
    return await _message(
        request, 404, "Not found", "There is nothing here, or it is not yours to see."
    )


# Machines read these answers: they keep FastAPI's JSON (Twilio, hospital systems, probes).
MACHINE_PATHS = ("/api/", "/twilio/", "/fhir/", "/healthz", "/openapi.json")


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if error.status_code != 404 or request.url.path.startswith(MACHINE_PATHS):
        return await http_exception_handler(request, error)
    return await _message(
        request, 404, "Page not found", "There is no page at this address. Check it, or go back."
    )


async def _server_error(request: Request, error: Exception) -> Response:
    """An HTML page for people, plain JSON for machines; never the error itself, which may hold
    a patient's details. The database may be what failed: no sign-in lookup here."""
    log.error("unhandled_error", path=request.url.path, error=type(error).__name__)
    if request.url.path.startswith(MACHINE_PATHS):
        return JSONResponse({"detail": "internal error"}, status_code=500)
    return render(
        request,
        "message.html",
        {
            "viewer": None,
            "title": "Something went wrong",
            "text": "The page could not be shown. Nothing you sent was lost: try again in a "
            "moment. If a patient needs help now, follow your trust's MSCC pathway by phone.",
        },
        status_code=500,
    )


async def _favicon() -> Response:
    return RedirectResponse("/static/favicon.svg", status_code=308)


async def _message(request: Request, status: int, title: str, text: str) -> Response:
    try:
        viewer = await run_in_threadpool(current_staff, request)
    except SignInRequired:
        viewer = None
    return render(
        request,
        "message.html",
        {"viewer": viewer, "title": title, "text": text},
        status_code=status,
    )
