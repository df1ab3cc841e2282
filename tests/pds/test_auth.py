"""Application-restricted authentication: a signed JWT exchanged for a cached bearer token."""

from __future__ import annotations

import time

import jwt
import pytest

from tests.fakes.fake_pds import FakePds, generate_private_key_pem
from worker.providers.pds import PdsAuthError, PdsTransientError, TokenSource, client_assertion
from worker.providers.pds.auth import REFRESH_MARGIN


def test_the_client_assertion_has_the_header_and_claims_nhs_england_requires(
    fake_pds: FakePds,
) -> None:
    now = time.time()
    assertion = client_assertion(fake_pds.credentials(), now=now)
    header = jwt.get_unverified_header(assertion)
    assert header == {"alg": "RS512", "typ": "JWT", "kid": fake_pds.key_id}
    claims = jwt.decode(
        assertion, fake_pds._public_key, algorithms=["RS512"], audience=fake_pds.token_url
    )
    assert claims["iss"] == claims["sub"] == fake_pds.api_key
    assert claims["aud"] == fake_pds.token_url
    assert 0 < claims["exp"] - now <= 300
    again = jwt.decode(
        client_assertion(fake_pds.credentials(), now=now),
        fake_pds._public_key,
        algorithms=["RS512"],
        audience=fake_pds.token_url,
    )
    assert again["jti"] != claims["jti"]


def test_the_token_endpoint_gives_a_token_for_a_correctly_signed_assertion(
    fake_pds: FakePds, tokens: TokenSource
) -> None:
    token = tokens.token()
    assert token
    assert fake_pds.token_requests == 1
    assert fake_pds.refused_assertions == []


def test_an_assertion_signed_with_another_key_is_refused(fake_pds: FakePds) -> None:
    tokens = TokenSource(fake_pds.credentials(private_key_pem=generate_private_key_pem()))
    with pytest.raises(PdsAuthError) as caught:
        tokens.token()
    assert caught.value.status == 401
    assert fake_pds.refused_assertions == ["JWT signature verification failed"]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"api_key": "someone-else"}, "Invalid 'iss'/'sub' claims in client_assertion JWT"),
        ({"key_id": "unknown"}, "Invalid 'kid' header in JWT - no matching public key"),
    ],
)
def test_a_wrong_api_key_or_key_id_is_refused(
    fake_pds: FakePds, overrides: dict[str, str], reason: str
) -> None:
    with pytest.raises(PdsAuthError):
        TokenSource(fake_pds.credentials(**overrides)).token()
    assert fake_pds.refused_assertions == [reason]


def test_an_audience_other_than_the_token_url_is_refused(fake_pds: FakePds) -> None:
    credentials = fake_pds.credentials()
    assertion = client_assertion(
        fake_pds.credentials(token_url=fake_pds.origin + "/oauth2"), now=time.time()
    )
    status, body = fake_pds.token(
        {
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        }
    )
    assert credentials.token_url != fake_pds.origin + "/oauth2"
    assert status == 401
    assert "aud" in body["error_description"]


def test_a_token_is_reused_until_shortly_before_it_expires(fake_pds: FakePds) -> None:
    clock = [time.time()]
    fake_pds.clock = lambda: clock[0]
    tokens = TokenSource(fake_pds.credentials(), clock=lambda: clock[0])
    first = tokens.token()
    clock[0] += 599 - REFRESH_MARGIN - 1
    assert tokens.token() == first
    assert fake_pds.token_requests == 1
    clock[0] += 2
    assert tokens.token() != first
    assert fake_pds.token_requests == 2


def test_a_token_endpoint_that_is_down_or_busy_is_a_transient_error(fake_pds: FakePds) -> None:
    tokens = TokenSource(fake_pds.credentials())
    fake_pds.fail_token_next(503)
    with pytest.raises(PdsTransientError) as caught:
        tokens.token()
    assert caught.value.status == 503
    assert tokens.token()  # and the next attempt works


def test_a_token_endpoint_that_cannot_be_reached_is_a_transient_error() -> None:
    with FakePds() as fake:
        credentials = fake.credentials()
    with pytest.raises(PdsTransientError, match="token endpoint unreachable"):
        TokenSource(credentials, timeout=1).token()
