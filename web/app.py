"""The HTTP edge: Twilio webhooks, coordinator pages and the staff API."""

from __future__ import annotations

from fastapi import FastAPI

from schema.settings import get_settings
from web import (
    delivery_receipts,
    fhir,
    health,
    inbound_sms,
    intake,
    metrics,
    notify_callbacks,
    voice_calls,
)
from web.auth.flood_guard import SignInFloodGuard
from web.body_limit import BodyLimit
from web.forms import FORM_LIMITS
from web.hosts import add_host_and_proxy_checks
from web.logs import configure_web_logging
from web.staff_interface import mount_staff_interface


def create_app() -> FastAPI:
    settings = get_settings()
    configure_web_logging(settings.log_level, settings.log_json)
    # No public /docs or /openapi.json: the schema is served to signed-in callers only.
    # No trailing-slash redirects: Starlette builds them from the Host header.
    app = FastAPI(
        title="MSCC Safety Net",
        version="0.1.0",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,
        form_limits=FORM_LIMITS,  # type: ignore[arg-type]
    )
    app.include_router(delivery_receipts.router)
    app.include_router(inbound_sms.router)
    app.include_router(notify_callbacks.router)
    app.include_router(voice_calls.router)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(fhir.router)
    mount_staff_interface(app)
    app.add_middleware(BodyLimit)
    app.add_middleware(SignInFloodGuard, throttle=lambda: app.state.sign_in_throttle)
    add_host_and_proxy_checks(app, settings)
    intake.attach(app)
    return app


app = create_app()
