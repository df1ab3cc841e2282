"""The HTTP edge: Twilio webhooks, coordinator pages and the staff API."""

from __future__ import annotations

from fastapi import FastAPI

from web import health, sms, status


def create_app() -> FastAPI:
    app = FastAPI(title="MSCC Safety Net", version="0.1.0")
    app.include_router(status.router)
    app.include_router(sms.router)
    app.include_router(health.router)
    return app


app = create_app()
