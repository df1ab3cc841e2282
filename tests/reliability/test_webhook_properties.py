"""Properties of the two Twilio webhooks for any input, on SQLite and on PostgreSQL.

- Any form body (or raw bytes) and any headers: a 2xx or a 4xx, never a 5xx.
- Without a valid signature nothing is stored: no reply, no change to any message.
- With a valid signature, any fields at all still never make a 5xx.
- A signed reply of any Unicode text up to 1,600 characters is answered 200 and stored exactly
  once, however often Twilio sends it.
"""

from __future__ import annotations

import urllib.parse
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from pathway.outbound import create_message
from schema.db import session_scope
from schema.models import Channel, InboundMessage, MessageState, OutboundMessage, Trust
from schema.types import utcnow
from schema.vocabulary import MessageKind
from testing.twilio_signing import signature
from tests.conftest import LOCAL
from web.app import create_app
from worker.process_state import reset

pytestmark = pytest.mark.timeout(300)

TOKEN = "fuzz0123456789abcdef0123456789ab"
BASE = "https://safetynet.fuzz.example"
TRUST_NUMBER = "+447700900000"
KNOWN_SID = "SM" + "0" * 32
ENDPOINTS = ("/twilio/sms", "/twilio/status")
FIELDS = (
    "MessageSid",
    "SmsSid",
    "AccountSid",
    "From",
    "To",
    "Body",
    "NumMedia",
    "MessageStatus",
    "SmsStatus",
    "ErrorCode",
)
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

printable_latin1 = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=80,
)
field_values = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        [KNOWN_SID, "delivered", "failed", "undelivered", "+447700900101", TRUST_NUMBER, ""]
    ),
)
forms = st.builds(
    lambda known, other: {**other, **known},
    st.fixed_dictionaries({}, optional=dict.fromkeys(FIELDS, field_values)),
    st.dictionaries(st.text(min_size=1, max_size=20), field_values, max_size=4),
)
queries = st.one_of(
    st.just(""),
    st.builds(lambda m: "?" + urllib.parse.urlencode({"m": m}), st.integers()),
    st.builds(lambda m: "?" + urllib.parse.urlencode({"m": m}), st.text(max_size=30)),
)
headers = st.dictionaries(
    st.one_of(
        st.sampled_from(["X-Twilio-Signature", "Content-Type", "X-Forwarded-Proto", "Accept"]),
        st.from_regex(r"\AX-[A-Za-z0-9-]{1,20}\Z"),
    ),
    st.one_of(
        printable_latin1,
        st.sampled_from(
            [
                "application/x-www-form-urlencoded",
                "application/x-www-form-urlencoded; charset=utf-8",
                "multipart/form-data; boundary=x",
                "application/json",
                "text/plain",
            ]
        ),
    ),
    max_size=5,
)


@pytest.fixture
def client(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The web app with a Twilio token; replies' handling goes to the offline broker."""
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "ACfuzz")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("PUBLIC_BASE_URL", BASE)
    monkeypatch.delenv("BROKER_KEY_PREFIX", raising=False)
    reset()
    with TestClient(create_app(), base_url=LOCAL, raise_server_exceptions=False) as test_client:
        yield test_client
    reset()


@pytest.fixture
def sent_message(client: TestClient, trust: Trust) -> int:
    """An SMS already sent, whose receipts the status webhook would apply."""
    with session_scope() as session:
        message, _ = create_message(
            session,
            idempotency_key="fuzz:sent",
            kind=MessageKind.PLANNED,
            trust_id=trust.id,
            channel=Channel.SMS,
            template_key="welcome",
            to_address="+447700900101",
            due_at=utcnow(),
            now=utcnow(),
        )
        message.state = MessageState.SENT
        message.provider_message_id = KNOWN_SID
        return message.id


def stored_state() -> tuple[int, list[tuple[Any, ...]]]:
    """Replies stored, and every message's state as a receipt would change it."""
    with session_scope() as session:
        replies = int(session.scalar(select(func.count()).select_from(InboundMessage)) or 0)
        messages = [
            tuple(row)
            for row in session.execute(
                select(
                    OutboundMessage.id,
                    OutboundMessage.state,
                    OutboundMessage.error_code,
                    OutboundMessage.delivered_at,
                    OutboundMessage.provider_message_id,
                ).order_by(OutboundMessage.id)
            )
        ]
    return replies, messages


def signed(path_and_query: str, params: dict[str, str]) -> dict[str, str]:
    return {
        "X-Twilio-Signature": signature(BASE + path_and_query, params, TOKEN),
        "Content-Type": "application/x-www-form-urlencoded",
    }


@FUZZ
@given(
    endpoint=st.sampled_from(ENDPOINTS),
    query=queries,
    form=forms,
    raw=st.one_of(st.none(), st.binary(max_size=3000)),
    extra_headers=headers,
)
def test_any_unsigned_request_gets_a_4xx_and_changes_nothing(
    client: TestClient,
    sent_message: int,
    endpoint: str,
    query: str,
    form: dict[str, str],
    raw: bytes | None,
    extra_headers: dict[str, str],
) -> None:
    before = stored_state()
    content = raw if raw is not None else urllib.parse.urlencode(form).encode()
    as_bytes = {name.encode(): value.encode("latin-1") for name, value in extra_headers.items()}
    response = client.post(endpoint + query, content=content, headers=as_bytes)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:200])
    assert stored_state() == before


@FUZZ
@given(endpoint=st.sampled_from(ENDPOINTS), query=queries, form=forms)
def test_any_signed_form_gets_a_2xx_or_a_4xx_never_a_5xx(
    client: TestClient, sent_message: int, endpoint: str, query: str, form: dict[str, str]
) -> None:
    response = client.post(
        endpoint + query,
        content=urllib.parse.urlencode(form),
        headers=signed(endpoint + query, form),
    )
    assert 200 <= response.status_code < 500, (response.status_code, response.text[:200])


@FUZZ
@given(body=st.text(max_size=1600))
def test_a_signed_reply_of_any_unicode_up_to_1600_characters_is_stored_exactly_once(
    client: TestClient, body: str
) -> None:
    sid = f"SM{uuid.uuid4().hex}"
    params = {
        "MessageSid": sid,
        "AccountSid": "ACfuzz",
        "From": "+447700900301",
        "To": TRUST_NUMBER,
        "Body": body,
    }
    for _ in range(2):  # Twilio may deliver the same webhook twice
        response = client.post(
            "/twilio/sms",
            content=urllib.parse.urlencode(params),
            headers=signed("/twilio/sms", params),
        )
        assert response.status_code == 200, response.text[:200]
    with session_scope() as session:
        stored = session.scalars(
            select(InboundMessage.body).where(InboundMessage.provider_message_id == sid)
        ).all()
    assert stored == [body.replace("\x00", "\ufffd")]
