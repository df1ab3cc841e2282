"""Mounting the staff side on the app: sign-in, the pages, static files, the API and its schema."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

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
