"""Structural guarantees, walked over every route the app registers (a new route is covered the
moment it is added): the anonymous are refused everywhere but the public allow-list, and staff
or tokens of one trust get 404 for every id of another trust."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import func, select
from starlette.routing import Mount

from schema.db import session_scope
from schema.models import (
    Alert,
    ApiToken,
    AuditEvent,
    InboundMessage,
    OutboundMessage,
    Patient,
    PatientNotice,
    RotaOverride,
    StaffMember,
)
from schema.types import utcnow
from tests.web.conftest import Staff, World, bearer, build_world, signed_in

# Everything a person or Twilio may reach without signing in. Nothing else.
PUBLIC = {
    ("GET", "/sign-in"),
    ("POST", "/sign-in"),
    ("GET", "/healthz"),
    ("GET", "/favicon.ico"),  # a redirect to the static icon
    ("POST", "/twilio/sms"),  # signed by Twilio instead (worker.providers.twilio.webhook)
    ("POST", "/twilio/status"),
    ("POST", "/twilio/voice/gather"),  # signed by Twilio, like the SMS webhooks
    ("POST", "/twilio/voice/status"),
    ("POST", "/notify/status"),  # with Notify's bearer token (worker.providers.notify.callbacks)
    ("POST", "/notify/inbound"),
    ("GET", "/metrics"),  # its own bearer METRICS_TOKEN instead, 404 without one (web/metrics.py)
    # A one-time set-password link: the token in the address is the credential (pathway/
    # password_links.py), and a link that does not work changes nothing.
    ("GET", "/set-password/{token}"),
    ("POST", "/set-password/{token}"),
}
PUBLIC_MOUNTS = {"/static"}
PATH_PARAM = re.compile(r"{(\w+)(?::\w+)?}")
# Which of a trust's things each path parameter names (see Side in conftest).
ID_PARAMS = {
    "patient_id": "patient_id",
    "alert_id": "alert_id",
    "inbound_id": "review_id",
    "override_id": "override_id",
    "notice_id": "notice_id",
    "staff_id": "staff_id",
}


def endpoints(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(method, path) of every route, however deeply its router was included."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                yield method, str(context.path)
        elif isinstance(route, Mount):
            assert context.path in PUBLIC_MOUNTS, f"unexpected mount {context.path}"
        else:
            pytest.fail(f"a route of an unexpected kind: {route!r}")


def is_api(path: str) -> bool:
    """Routes for machines, with bearer tokens: the staff API, its schema and FHIR in."""
    return path.startswith(("/api/", "/fhir/")) or path == "/openapi.json"


def fill(path: str, ids: dict[str, int]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in ID_PARAMS, f"{path}: add {name!r} to ID_PARAMS and to the walk"
        return str(ids[ID_PARAMS[name]])

    return PATH_PARAM.sub(value, path)


def ids_of(world: World, side: str) -> dict[str, int]:
    s = getattr(world, side)
    with session_scope() as session:
        staff_id = session.scalars(
            select(StaffMember.id).where(StaffMember.email == s.coordinator)
        ).one()
    return {
        "staff_id": staff_id,
        "patient_id": s.patient_id,
        "alert_id": s.alert_id,
        "review_id": s.review_id,
        "override_id": s.override_id,
        "notice_id": s.notice_id,
    }


def test_every_route_refuses_the_anonymous_except_the_public_allow_list(
    world: World, app: FastAPI
) -> None:
    anonymous = Staff(app)
    walked = 0
    for method, template in endpoints(app):
        if (method, template) in PUBLIC:
            continue
        path = fill(template, ids_of(world, "a"))
        response = anonymous.client.request(method, path, **_body(method, template, None))
        if is_api(template):
            assert response.status_code == 401, f"{method} {path}: {response.status_code}"
            assert response.headers["www-authenticate"] == "Bearer"
        else:
            assert response.status_code == 303, f"{method} {path}: {response.status_code}"
            assert response.headers["location"].startswith("/sign-in"), f"{method} {path}"
        walked += 1
    assert walked >= 20
    assert _nothing_changed(world, "a")


def test_every_public_route_on_the_allow_list_exists(app: FastAPI) -> None:
    assert set(endpoints(app)) >= PUBLIC


def test_static_files_are_public_and_hold_no_data(app: FastAPI) -> None:
    anonymous = Staff(app)
    assert anonymous.get("/static/safetynet.css").status_code == 200
    assert anonymous.get("/static/refresh.js").status_code == 200
    assert anonymous.get("/static/../app.py").status_code == 404


def test_the_twilio_webhooks_answer_without_a_session_and_refuse_the_unsigned(
    app: FastAPI, world: World
) -> None:
    anonymous = Staff(app)
    for path in (
        "/twilio/sms",
        "/twilio/status",
        "/twilio/voice/gather?m=1",
        "/twilio/voice/status?m=1",
    ):
        response = anonymous.client.post(
            path, data={"MessageSid": "SM1", "From": "+447700900301", "To": "+447700900000"}
        )
        assert response.status_code == 403  # the signature check answered, not a sign-in wall


def test_a_session_does_not_open_the_api_and_a_token_does_not_open_the_pages(
    world: World, app: FastAPI
) -> None:
    staff = signed_in(app, world.a.coordinator)
    assert staff.get("/api/v1/alerts").status_code == 401
    token_holder = Staff(app)
    assert token_holder.client.get("/", headers=bearer(world.a.token)).status_code == 303


def test_the_api_refuses_missing_malformed_unknown_and_revoked_tokens(
    world: World, app: FastAPI
) -> None:
    client = Staff(app).client
    for headers in (
        {},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
        bearer("sn_not-a-token-anybody-issued"),
        bearer(world.a.token + "x"),
    ):
        assert client.get("/api/v1/alerts", headers=headers).status_code == 401
    assert client.get("/api/v1/alerts", headers=bearer(world.a.token)).status_code == 200
    with session_scope() as session:
        for token in session.scalars(select(ApiToken).where(ApiToken.trust_id == world.a.trust_id)):
            token.revoked_at = utcnow()
    assert client.get("/api/v1/alerts", headers=bearer(world.a.token)).status_code == 401


@pytest.fixture
def world_on_both(database_url: str) -> World:
    return build_world()


def test_every_route_with_an_id_answers_404_to_staff_and_tokens_of_another_trust(
    world_on_both: World, app: FastAPI
) -> None:
    world = world_on_both
    staff = signed_in(app, world.a.admin)
    walked = []
    for method, template in endpoints(app):
        if not PATH_PARAM.search(template) or (method, template) in PUBLIC:
            continue
        path = fill(template, ids_of(world, "b"))
        if is_api(template):
            response = staff.client.request(
                method, path, headers=bearer(world.a.token), **_body(method, template, world)
            )
        else:
            response = staff.client.request(
                method, path, **_body(method, template, world, csrf=staff.csrf())
            )
        assert response.status_code == 404, f"{method} {path}: {response.status_code}"
        assert world.b.patient_name not in response.text and world.b.said not in response.text
        walked.append((method, template))
    assert len(walked) >= 12
    assert _nothing_changed(world, "b")


def test_the_walk_with_a_trusts_own_ids_reaches_every_page_and_endpoint(
    world: World, app: FastAPI
) -> None:
    """The control for the walk above: the 404s come from isolation, not from bad requests."""
    staff = signed_in(app, world.a.admin)
    for method, template in endpoints(app):
        if method != "GET" or not PATH_PARAM.search(template) or (method, template) in PUBLIC:
            continue
        path = fill(template, ids_of(world, "a"))
        headers = bearer(world.a.token) if is_api(template) else {}
        response = staff.client.get(path, headers=headers)
        assert response.status_code == 200, f"GET {path}: {response.status_code}"
        assert world.a.patient_name.split()[0] in response.text


def test_lists_and_pages_of_one_trust_never_show_another_trusts_patients(
    world: World, app: FastAPI
) -> None:
    staff = signed_in(app, world.a.admin)
    for path in (
        "/",
        "/patients",
        "/patients?q=Bea",
        f"/patients?q={world.b.nhs_number}",
        "/trust",
        "/rota",
    ):
        text = staff.get(path).text
        n = world.b.nhs_number
        shown = f"{n[:3]} {n[3:6]} {n[6:]}"  # as pages write it (a search box echoes the raw one)
        for secret in (world.b.patient_name, shown, world.b.said, "Hillside"):
            assert secret not in text, f"{path} shows {secret!r}"
    client = staff.client
    for path in (
        "/api/v1/alerts",
        "/api/v1/alerts?state=acknowledged",
        f"/api/v1/patients?nhs_number={world.b.nhs_number}",
    ):
        answer = client.get(path, headers=bearer(world.a.token))
        assert answer.status_code == 200
        for secret in (world.b.patient_name.split()[0], world.b.nhs_number, world.b.said):
            assert secret not in answer.text, f"{path} shows {secret!r}"


def test_pages_may_not_be_framed_sniffed_or_kept_in_the_browser_cache(
    world: World, app: FastAPI
) -> None:
    staff = signed_in(app, world.a.coordinator)
    for path in ("/", f"/patients/{world.a.patient_id}", "/sign-in"):
        headers = staff.get(path).headers
        assert headers["cache-control"] == "no-store"
        assert headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "script-src 'self'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
    assert "no-store" not in staff.get("/static/safetynet.css").headers.get("cache-control", "")


def test_a_coordinator_cannot_open_the_trust_page_but_an_admin_can(
    world: World, app: FastAPI
) -> None:
    assert signed_in(app, world.a.coordinator).get("/trust").status_code == 403
    assert signed_in(app, world.a.admin).get("/trust").status_code == 200


def test_the_openapi_schema_needs_a_token_or_a_session_and_describes_only_the_api(
    world: World, app: FastAPI
) -> None:
    anonymous = Staff(app).client
    assert anonymous.get("/openapi.json").status_code == 401
    assert anonymous.get("/docs").status_code == 404
    schema = anonymous.get("/openapi.json", headers=bearer(world.a.token)).json()
    assert signed_in(app, world.a.coordinator).get("/openapi.json").json() == schema
    paths = set(schema["paths"])
    assert "/api/v1/patients" in paths and "/api/v1/alerts/{alert_id}/acknowledge" in paths
    assert not any(p.startswith("/twilio") for p in paths)
    assert not any(p in paths for p in ("/", "/sign-in", "/patients", "/trust"))


def _body(method: str, template: str, world: World | None, csrf: str = "") -> dict[str, Any]:
    """A request that would succeed but for who is asking, so a refusal means isolation."""
    if method == "GET":
        return {}
    if is_api(template):
        if template.endswith("/acknowledge"):
            email = world.a.coordinator if world else "x@example.com"
            return {"json": {"staff_email": email}}
        if template.endswith("/resolve"):
            email = world.a.coordinator if world else "x@example.com"
            return {"json": {"staff_email": email, "outcome": "admitted"}}
        if method == "PATCH":
            return {"json": {"given_name": "Mallory"}}
        if template == "/api/v1/patients":
            return {"json": {}}
        return {}
    return {
        "data": {
            "csrf_token": csrf,
            "outcome": "admitted",
            "outcome_note": "Called the patient: sent to ED.",
            "review_note": "Seen.",
            "confirm": "yes",
        }
    }


def _nothing_changed(world: World, side: str) -> bool:
    s = getattr(world, side)
    with session_scope() as session:
        alert = session.get(Alert, s.alert_id)
        patient = session.get(Patient, s.patient_id)
        review = session.get(InboundMessage, s.review_id)
        notice = session.get(PatientNotice, s.notice_id)
        assert alert is not None and patient is not None and review is not None
        assert notice is not None
        # Anything a person or a token did to the patient, the alert or the reply.
        acted = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.trust_id == s.trust_id,
                AuditEvent.actor.startswith("staff:") | AuditEvent.actor.startswith("api:"),
                AuditEvent.subject_type.in_(["patient", "alert", "inbound_message"]),
            )
        )
        taken = session.scalar(
            select(func.count())
            .select_from(OutboundMessage)
            .where(OutboundMessage.template_key == "alert_taken")
        )
        cover = session.get(RotaOverride, s.override_id)
        assert cover is not None
        return (
            cover.cancelled_at is None
            and alert.state == "open"
            and patient.status == "active"
            and patient.given_name == s.patient_name.split()[0]
            and review.review_state == "open"
            and notice.state == "open"
            and patient.phone_e164 == s.phone
            and acted == 0
            and taken == 0
        )
