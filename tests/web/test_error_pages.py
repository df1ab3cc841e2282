"""Quiet by default, for people (issue 18, item 10): HTML 404 and 500 pages, JSON kept for
machines, and a favicon."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import LOCAL
from tests.web.conftest import World, bearer, signed_in


def test_an_unknown_page_answers_an_html_404_page_and_an_unknown_api_path_json(
    world: World, app: FastAPI
) -> None:
    staff = signed_in(app, world.a.coordinator)
    page = staff.get("/no-such-page")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "<h1>Page not found</h1>" in page.text and 'lang="en-GB"' in page.text
    api = staff.client.get("/api/v1/no-such-thing", headers=bearer(world.a.token))
    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}
    anonymous = TestClient(app, base_url=LOCAL).get("/nothing-here")
    assert anonymous.status_code == 404 and "Page not found" in anonymous.text


def test_an_unexpected_error_shows_a_page_without_the_error_and_json_to_machines(
    app: FastAPI,
) -> None:
    secret = "Ann Example 9434765919"

    @app.get("/broken")
    def broken() -> None:
        raise RuntimeError(secret)

    @app.get("/api/v1/broken")
    def broken_api() -> None:
        raise RuntimeError(secret)

    client = TestClient(app, base_url=LOCAL, raise_server_exceptions=False)
    page = client.get("/broken")
    assert page.status_code == 500 and "Something went wrong" in page.text
    assert secret not in page.text and "RuntimeError" not in page.text
    api = client.get("/api/v1/broken")
    assert api.status_code == 500 and api.json() == {"detail": "internal error"}


def test_the_favicon_is_served_and_every_page_names_it(app: FastAPI) -> None:
    client = TestClient(app, base_url=LOCAL, follow_redirects=False)
    redirect = client.get("/favicon.ico")
    assert redirect.status_code == 308 and redirect.headers["location"] == "/static/favicon.svg"
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and "<svg" in icon.text
    assert 'rel="icon" href="/static/favicon.svg"' in client.get("/sign-in").text
