"""Host headers, proxies and HSTS: only PUBLIC_BASE_URL's host is served, redirects never take
the Host header, X-Forwarded-For is believed only from a proxy named in FORWARDED_ALLOW_IPS."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from schema.db import session_scope
from schema.models import AuditEvent
from schema.settings import reset_settings_cache
from tests.conftest import LOCAL
from tests.web.conftest import World, csrf_of
from web.app import create_app
from web.auth.signin import SignInPolicy

PUBLIC = "https://safetynet.example.nhs.uk"


@pytest.fixture
def public(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC)
    reset_settings_cache()


def test_a_request_for_another_host_is_refused(public: None, sqlite_url: str) -> None:
    app = create_app()
    assert TestClient(app, base_url="https://evil.example").get("/sign-in").status_code == 400
    assert TestClient(app, base_url=PUBLIC).get("/sign-in").status_code == 200
    assert TestClient(app, base_url=LOCAL).get("/sign-in").status_code == 200  # health checks


def test_a_trailing_slash_is_not_redirected_to_whatever_host_was_named(
    public: None, sqlite_url: str
) -> None:
    response = TestClient(create_app(), base_url=PUBLIC, follow_redirects=False).get("/sign-in/")
    assert response.status_code == 404
    assert "location" not in response.headers


def test_hsts_is_sent_when_the_service_is_public_over_https(sqlite_url: str) -> None:
    plain = TestClient(create_app(), base_url=LOCAL).get("/sign-in")
    assert "strict-transport-security" not in plain.headers


def test_hsts_is_sent_on_every_answer_over_https(public: None, sqlite_url: str) -> None:
    client = TestClient(create_app(), base_url=PUBLIC)
    for path in ("/sign-in", "/healthz", "/static/safetynet.css", "/nowhere"):
        hsts = client.get(path).headers.get("strict-transport-security", "")
        assert hsts.startswith("max-age=31536000"), path


def quick_app() -> FastAPI:
    app = create_app()
    app.state.sign_in_policy = SignInPolicy(failure_delay_seconds=0)
    return app


def sign_in_from(world: World, client: TestClient) -> str:
    page = client.get("/sign-in")
    data = {
        "email": world.a.coordinator,
        "password": "a wrong password",
        "csrf_token": csrf_of(page),
    }
    client.post("/sign-in", data=data, headers={"X-Forwarded-For": "198.51.100.99"})
    with session_scope() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "staff.sign_in_failed")
        ).one()
        return str(event.details["client"])


def test_x_forwarded_for_is_ignored_when_no_proxy_is_named(world: World) -> None:
    client = TestClient(quick_app(), base_url=LOCAL, client=("203.0.113.5", 4000))
    assert sign_in_from(world, client) == "203.0.113.5"


def test_x_forwarded_for_is_believed_from_the_proxy_named(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.5")
    reset_settings_cache()
    client = TestClient(quick_app(), base_url=LOCAL, client=("10.0.0.5", 4000))
    assert sign_in_from(world, client) == "198.51.100.99"
