"""Every form the pages post carries the session's CSRF token; a post without it changes nothing."""

from __future__ import annotations

import re

from fastapi import FastAPI

from tests.web.conftest import World, csrf_of, signed_in
from tests.web.test_access import (
    PATH_PARAM,
    PUBLIC,
    _nothing_changed,
    endpoints,
    fill,
    ids_of,
    is_api,
)

FORM = {
    "outcome": "seen_same_day",
    "outcome_note": "Seen in clinic.",
    "review_note": "Seen.",
    "confirm": "yes",
}


def page_posts(app: FastAPI) -> list[str]:
    return [
        path
        for method, path in endpoints(app)
        if method == "POST"
        and not is_api(path)
        and (method, path) not in PUBLIC
        and not path.startswith("/twilio/")
    ]


def test_every_page_form_post_without_the_csrf_token_is_refused_and_changes_nothing(
    world: World, app: FastAPI
) -> None:
    staff = signed_in(app, world.a.admin)
    posts = page_posts(app)
    assert len(posts) >= 8
    for template in posts:
        path = fill(template, ids_of(world, "a"))
        for token in (None, "", "forged-token", staff.csrf() + "x"):
            data = dict(FORM) if token is None else {**FORM, "csrf_token": token}
            response = staff.client.post(path, data=data)
            assert response.status_code == 403, f"POST {path} with {token!r}"
            assert "expired" in response.text
    assert _nothing_changed(world, "a")
    assert staff.get("/").status_code == 200  # still signed in: sign-out refused too


def test_a_csrf_token_from_another_staff_members_session_is_refused(
    world: World, app: FastAPI
) -> None:
    victim = signed_in(app, world.a.coordinator)
    attacker = signed_in(app, world.a.admin)
    response = victim.client.post(
        f"/alerts/{world.a.alert_id}/acknowledge", data={"csrf_token": attacker.csrf()}
    )
    assert response.status_code == 403
    assert _nothing_changed(world, "a")


def test_every_form_on_every_page_carries_the_token(world: World, app: FastAPI) -> None:
    staff = signed_in(app, world.a.admin)
    token = staff.csrf()
    for path in ("/", "/patients", f"/patients/{world.a.patient_id}", "/trust", "/rota"):
        html = staff.get(path).text
        forms = re.findall(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", html, re.S)
        assert forms, path
        for form in forms:
            assert f'name="csrf_token" value="{token}"' in form, f"{path}: a form without it"


def test_the_token_stays_the_same_for_the_whole_session(world: World, app: FastAPI) -> None:
    staff = signed_in(app, world.a.admin)
    first = staff.csrf()
    assert csrf_of(staff.get("/")) == first == staff.csrf()


def test_the_walk_covers_every_page_post(app: FastAPI) -> None:
    for path in page_posts(app):
        for name in PATH_PARAM.findall(path):
            assert name in (
                "patient_id",
                "alert_id",
                "inbound_id",
                "override_id",
                "notice_id",
                "staff_id",
            )
