"""The HTTP edge: Twilio webhooks, coordinator pages and the staff API."""

from __future__ import annotations

from fastapi import FastAPI

from web import delivery_receipts, health, inbound_sms, intake
from web.staff_interface import mount_staff_interface


def create_app() -> FastAPI:
    # No public /docs or /openapi.json: the schema is served to signed-in callers only.
    app = FastAPI(
        title="MSCC Safety Net", version="0.1.0", openapi_url=None, docs_url=None, redoc_url=None
    )
    app.include_router(delivery_receipts.router)
    app.include_router(inbound_sms.router)
    app.include_router(health.router)
    mount_staff_interface(app)
    intake.attach(app)
    return app


app = create_app()
