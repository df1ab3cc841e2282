"""A catalogue of abuse at the web edge and of numbers that are not one mobile, at every entry
point, on SQLite and PostgreSQL: each gets a clear error naming the field (or a 4xx saying what
is wrong) and leaves every table exactly as it was.

The phone numbers are the cases of issue 13: keypad letters that phonenumbers would turn into a
stranger's number, two numbers in one field, a mobile abroad where the trust sends to the UK
only, a landline. They are tried through the command line, a CSV import, the staff API (enrol
and update), the dashboard's enrolment form, a trust file's staff phone (where red-flag alerts
go) and `safetynet staff add`.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pathway import audit
from schema.db import session_scope
from schema.models import Patient, StaffMember, Trust
from schema.types import utcnow
from testing.twilio_signing import signed_headers
from tests.conftest import EXAMPLE_TRUST, LOCAL
from tests.reliability import test_bad_input_catalogue as catalogue
from tests.reliability.test_bad_input_catalogue import (
    BASE,
    CSV_HEADER,
    ENROL,
    GOOD_ROW,
    REPLY,
    TOKEN,
    coordinators_database,
    refused_unchanged,
    row_counts,
)
from tests.web.conftest import PASSWORD, Staff
from web.app import create_app
from web.auth import passwords, tokens
from web.auth.signin import SignInPolicy
from worker.process_state import reset

__all__ = ["coordinators_database"]

pytestmark = pytest.mark.timeout(300)

BAD_PHONES = {
    "a letter O for a zero": ("07911 1OO OO1", "only digits"),
    "words on a keypad": ("07723 CALL ME", "only digits"),
    "two numbers with a semicolon": ("07723456789;07911123456", "only digits"),
    "two numbers with a space": ("07723456789 07911123456", "too many digits"),
    "a mobile abroad": ("+33 6 12 34 56 78", "allow_international"),
    "a landline": ("0113 496 0001", "not a mobile"),
}


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("case", sorted(BAD_PHONES))
def test_a_bad_phone_on_the_command_line_exits_2_naming_the_field(
    coordinators_database: dict[str, int], case: str
) -> None:
    phone, words = BAD_PHONES[case]
    args = list(ENROL)
    args[args.index("--phone") + 1] = phone
    refused_unchanged(coordinators_database, args, "phone", words)


@pytest.mark.parametrize("case", sorted(BAD_PHONES))
def test_a_bad_phone_in_a_csv_import_exits_2_naming_the_line_and_field(
    coordinators_database: dict[str, int], tmp_path: Path, case: str
) -> None:
    phone, words = BAD_PHONES[case]
    path = tmp_path / "patients.csv"
    path.write_text(CSV_HEADER + GOOD_ROW.replace("07700 900299", f'"{phone}"'))
    args = ["patients", "import", str(path)]
    refused_unchanged(coordinators_database, args, "line 2", "phone", words)


@pytest.mark.parametrize("case", sorted(BAD_PHONES))
def test_a_bad_staff_phone_in_a_trust_file_exits_2_naming_the_field(
    coordinators_database: dict[str, int], tmp_path: Path, case: str
) -> None:
    phone, _ = BAD_PHONES[case]
    path = tmp_path / "trust.yaml"
    path.write_text(EXAMPLE_TRUST.read_text().replace('"07700 900101"', json.dumps(phone), 1))
    refused_unchanged(coordinators_database, ["trust", "load", str(path)], "staff[0].phone")


@pytest.mark.parametrize("case", sorted(BAD_PHONES))
def test_a_bad_phone_for_a_new_staff_member_exits_2_naming_the_field(
    coordinators_database: dict[str, int], case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    phone, _ = BAD_PHONES[case]
    args = ["staff", "add", "--trust", "RXX", "--email", "new.coordinator@riverside.example"]
    args += ["--name", "New Coordinator", "--phone", phone, "--password-stdin"]
    result = catalogue.runner.invoke(catalogue.app, args, input=PASSWORD + "\n")
    assert result.exit_code == 2, result.output
    assert "phone" in flat(result.output)
    assert row_counts() == coordinators_database


@pytest.fixture
def api(coordinators_database: dict[str, int]) -> Iterator[tuple[TestClient, str, int]]:
    with session_scope() as session:
        trust = session.scalars(select(Trust)).one()
        _, token = tokens.issue(session, trust, "PAS", actor=audit.CLI, now=utcnow())
        patient_id = session.scalars(select(Patient.id).order_by(Patient.id)).first()
        assert patient_id is not None
    before = row_counts()
    with TestClient(
        create_app(), base_url=LOCAL, headers={"Authorization": f"Bearer {token}"}
    ) as c:
        yield c, token, patient_id
    assert row_counts() == before


@pytest.mark.parametrize("case", sorted(BAD_PHONES))
def test_a_bad_phone_through_the_api_is_a_422_naming_the_field(
    api: tuple[TestClient, str, int], case: str
) -> None:
    client, _, patient_id = api
    phone, words = BAD_PHONES[case]
    body = {
        "nhs_number": "9434765919",
        "given_name": "Ann",
        "family_name": "Example",
        "phone": phone,
        "cohort": "high_risk",
    }
    for response in (
        client.post("/api/v1/patients", json=body),
        client.patch(f"/api/v1/patients/{patient_id}", json={"phone": phone}),
    ):
        assert response.status_code == 422, response.text
        detail = response.json()["detail"]
        assert any(d["loc"] == ["body", "phone"] and words in d["msg"] for d in detail), detail


@pytest.mark.parametrize("case", sorted(BAD_PHONES))
def test_a_bad_phone_in_the_dashboards_enrolment_form_is_a_422_naming_the_field(
    coordinators_database: dict[str, int], case: str
) -> None:
    with session_scope() as session:
        member = session.scalars(
            select(StaffMember).where(StaffMember.role == "coordinator").limit(1)
        ).one()
        member.password_hash = passwords.hash_password(PASSWORD)
        email = member.email
    app = create_app()
    app.state.sign_in_policy = SignInPolicy(failure_delay_seconds=0)
    staff = Staff(app)
    assert email and staff.sign_in(email).status_code == 303
    before = row_counts()
    phone, words = BAD_PHONES[case]
    response = staff.post(
        "/patients",
        {
            "nhs_number": "9434765919",
            "given_name": "Ann",
            "family_name": "Example",
            "phone": phone,
            "cohort": "high_risk",
        },
    )
    assert response.status_code == 422
    assert "phone:" in response.text and words in response.text
    assert row_counts() == before


# -- the edge itself ---------------------------------------------------------------------------


@pytest.fixture
def client(
    coordinators_database: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("PUBLIC_BASE_URL", BASE)
    reset()
    with TestClient(create_app(), base_url=LOCAL, raise_server_exceptions=False) as test_client:
        yield test_client
    reset()


def chunks(total: int) -> Iterator[bytes]:
    for _ in range(total // 8192 + 1):
        yield b"a" * 8192


EDGE = {
    "a chunked reply over 64 KiB": ("POST", "/twilio/sms", {"content": "chunked:70000"}, 413),
    "a chunked receipt over 16 KiB": ("POST", "/twilio/status", {"content": "chunked:20000"}, 413),
    "a receipt declaring 800 MB": (
        "POST",
        "/twilio/status",
        {"Content-Length": "838860800", "content": "x"},
        413,
    ),
    "a sign-in of 5 KiB": ("POST", "/sign-in", {"content": "chunked:5000"}, 413),
    "an enrolment of 40 KiB": ("POST", "/patients", {"content": "chunked:40000"}, 413),
    "an API call of 70 KiB": ("POST", "/api/v1/patients", {"content": "chunked:70000"}, 413),
    "a sign-in with 50 fields": (
        "POST",
        "/sign-in",
        {"content": "&".join(f"f{i}=x" for i in range(50))},
        400,
    ),
    "a reply with 300 fields": (
        "POST",
        "/twilio/sms",
        {"signed": "yes", "fields": "300"},
        400,
    ),
    "another Host": ("GET", "/sign-in", {"Host": "evil.example"}, 400),
    "an unsigned receipt": ("POST", "/twilio/status", {"content": "MessageSid=SM1"}, 403),
}


@pytest.mark.parametrize("case", sorted(EDGE))
def test_abuse_at_the_edge_gets_a_4xx_saying_what_and_changes_nothing(
    client: TestClient, coordinators_database: dict[str, int], case: str
) -> None:
    method, path, how, expected = EDGE[case]
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    content: object = how.get("content", "")
    if isinstance(content, str) and content.startswith("chunked:"):
        content = chunks(int(content.split(":")[1]))
    if "fields" in how:
        params = {**REPLY, **{f"X{i}": "y" for i in range(int(how["fields"]))}}
        headers.update(signed_headers(BASE + path, params, TOKEN))
        content = urllib.parse.urlencode(params)
    headers.update({k: v for k, v in how.items() if k in ("Host", "Content-Length")})
    response = client.request(method, path, content=content, headers=headers)  # type: ignore[arg-type]
    assert response.status_code == expected, response.text[:300]
    assert len(response.text) > 10
    assert row_counts() == coordinators_database
