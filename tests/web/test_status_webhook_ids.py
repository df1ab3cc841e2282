"""A signed receipt whose message id no database column can hold is a 4xx, not a crash."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from testing.twilio_signing import signed_headers
from tests.conftest import LOCAL
from web.app import create_app
from worker.process_state import reset

TOKEN = "receipts0123456789abcdef01234567"
BASE = "https://safetynet.receipts.example"


@pytest.fixture
def client(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("PUBLIC_BASE_URL", BASE)
    reset()
    with TestClient(create_app(), base_url=LOCAL, raise_server_exceptions=False) as test_client:
        yield test_client
    reset()


@pytest.mark.parametrize("m", [2**31, 2**63, -(2**63) - 1])
def test_a_signed_receipt_for_a_message_id_beyond_the_database_range_is_refused(
    client: TestClient, m: int
) -> None:
    path = f"/twilio/status?m={m}"
    params = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered"}
    response = client.post(
        path,
        content=urllib.parse.urlencode(params),
        headers=signed_headers(BASE + path, params, TOKEN),
    )
    assert response.status_code == 422


def test_a_signed_receipt_for_an_ordinary_unknown_id_is_still_not_found(
    client: TestClient,
) -> None:
    path = "/twilio/status?m=12345"
    params = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered"}
    response = client.post(
        path,
        content=urllib.parse.urlencode(params),
        headers=signed_headers(BASE + path, params, TOKEN),
    )
    assert response.status_code == 404
