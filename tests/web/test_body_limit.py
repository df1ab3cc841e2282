"""One middleware bounds every request body by its route's ceiling, while it streams."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from bench.edge_memory import public_routes
from tests.conftest import LOCAL
from tests.web.conftest import run_async
from web.app import create_app
from web.body_limit import DEFAULT_LIMIT, ROUTE_LIMITS, BodyLimit, limit_for


def http_scope(
    path: str, method: str = "POST", headers: list[tuple[bytes, bytes]] | None = None
) -> Scope:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"localhost"), *(headers or [])],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "scheme": "http",
        "http_version": "1.1",
        "root_path": "",
    }


class Endless:
    """A client that never stops sending 64 KiB chunks; counts what was pulled from it."""

    def __init__(self) -> None:
        self.pulled = 0

    async def __call__(self) -> Message:
        self.pulled += 64 * 1024
        return {"type": "http.request", "body": b"a" * 64 * 1024, "more_body": True}


async def call(app: object, scope: Scope, receive: Receive) -> list[Message]:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)  # type: ignore[operator]
    return sent


async def never_called(scope: Scope, receive: Receive, send: Send) -> None:
    raise AssertionError("the app ran")


def test_each_route_has_its_ceiling_and_every_other_route_the_default() -> None:
    assert limit_for("/twilio/status") == 16 * 1024
    assert limit_for("/twilio/sms") == 64 * 1024
    assert limit_for("/sign-in") == 4 * 1024
    assert limit_for("/api/v1/patients/3") == 64 * 1024
    assert limit_for("/patients") == DEFAULT_LIMIT
    assert limit_for("/twilio/sms/extra") == DEFAULT_LIMIT


def test_a_declared_length_over_the_ceiling_is_refused_before_the_app_runs() -> None:
    scope = http_scope("/twilio/sms", headers=[(b"content-length", b"800000000")])
    client = Endless()
    sent = run_async(call(BodyLimit(never_called), scope, client))
    assert sent[0]["status"] == 413
    assert (b"connection", b"close") in sent[0]["headers"]
    assert "65536" in json.loads(sent[1]["body"])["detail"]
    assert client.pulled == 0


@pytest.mark.parametrize(("path", "ceiling"), [*ROUTE_LIMITS, ("/patients", DEFAULT_LIMIT)])
def test_a_chunked_body_is_read_no_further_than_the_ceiling_then_refused(
    path: str, ceiling: int
) -> None:
    path = path.rstrip("/") + ("/v1/patients" if path == "/api/" else "")
    client = Endless()
    sent = run_async(call(BodyLimit(never_called), http_scope(path), client))
    assert sent[0]["status"] == 413
    assert (b"connection", b"close") in sent[0]["headers"]
    assert client.pulled <= ceiling + 64 * 1024


def test_a_chunked_body_under_the_ceiling_reaches_the_app_whole() -> None:
    chunks = [b"From=%2B447700900201&", b"Body=hello"]
    messages = iter(
        [{"type": "http.request", "body": c, "more_body": i == 0} for i, c in enumerate(chunks)]
    )
    seen: list[bytes] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            seen.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def receive() -> Message:
        return next(messages)

    sent = run_async(call(BodyLimit(app), http_scope("/twilio/sms"), receive))
    assert sent[0]["status"] == 204
    assert b"".join(seen) == b"".join(chunks)


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(), base_url=LOCAL, raise_server_exceptions=False) as test_client:
        yield test_client


def test_every_route_of_the_app_answers_a_chunked_body_over_its_ceiling_with_413(
    client: TestClient,
) -> None:
    routes = public_routes()
    assert len(routes) > 20 and ("POST", "/twilio/sms") in routes
    for method, path in routes:
        ceiling = limit_for(path)

        def body(ceiling: int = ceiling) -> Iterator[bytes]:
            for _ in range(ceiling // 4096 + 2):
                yield b"a" * 4096

        response = client.request(
            method,
            path,
            content=body(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 413, (method, path, response.status_code)
        assert "too large" in response.json()["detail"]


def test_an_unsigned_receipt_is_refused_without_reading_its_body(sqlite_url: str) -> None:
    client = Endless()
    scope = http_scope(
        "/twilio/status",
        headers=[
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", b"120"),
        ],
    )
    sent = run_async(call(create_app(), scope, client))
    assert sent[0]["status"] == 403
    assert client.pulled == 0


def test_a_form_with_too_many_fields_is_refused(client: TestClient) -> None:
    page = client.get("/sign-in")
    assert page.status_code == 200
    body = "&".join(f"f{i}=x" for i in range(50))
    response = client.post(
        "/sign-in", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 400
    assert "fields" in response.text.lower()
