"""Two trusts with staff who can sign in, a patient, a red alert and an unclear reply each,
an API token each, and HTTP clients that sign in and post forms the way a browser does."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from pathway import alerts, audit
from pathway.enrolment import enrol, parse_patient
from pathway.pds_checks import mobile_differs
from pathway.review import open_review
from pathway.rota_overrides import add_override
from pathway.trust_loading import load_trust
from schema.config_file import config_from_text, read_config_file
from schema.db import session_scope
from schema.models import InboundMessage, Patient, PatientNotice, StaffMember, Trust
from schema.trusts import trust_config
from schema.types import utcnow
from schema.vocabulary import Label, Review
from tests.conftest import EXAMPLE_TRUST, LOCAL
from web.app import create_app
from web.auth import passwords, tokens
from web.auth.signin import SignInPolicy

T = TypeVar("T")
PASSWORD = "correct horse battery staple"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def second_trust_yaml() -> str:
    """The example trust as another trust: its own code, number, staff addresses and phones."""
    return (
        EXAMPLE_TRUST.read_text()
        .replace("code: RXX", "code: RYY")
        .replace("Riverside Teaching Hospitals", "Hillside General Hospital")
        .replace('from_number: "07700 900000"', 'from_number: "07700 900050"')
        .replace("riverside.example", "hillside.example")
        .replace('"07700 9001', '"07700 9002')
    )


def load_second_trust(session: Session) -> Trust:
    text = second_trust_yaml()
    loaded = config_from_text(text)
    return load_trust(session, loaded, actor=audit.CLI, now=utcnow()).trust


@dataclass(frozen=True)
class Side:
    """One trust's things, by id."""

    trust_id: int
    code: str
    coordinator: str  # email
    admin: str
    escalation: str
    patient_id: int
    patient_name: str
    nhs_number: str
    said: str  # the red reply that raised the alert
    alert_id: int
    review_id: int
    token: str
    override_id: int  # cover on the trust's on-call consultant rota, made on the rota page
    notice_id: int  # PDS offers another mobile: a coordinator confirms or dismisses it
    phone: str


@dataclass(frozen=True)
class World:
    a: Side
    b: Side


def enrol_patient(
    session: Session, trust: Trust, nhs_number: str, phone: str, **extra: str
) -> Patient:
    config = trust_config(trust)
    row = {
        "nhs_number": nhs_number,
        "given_name": extra.get("given_name", "Ann"),
        "family_name": extra.get("family_name", "Example"),
        "phone": phone,
        "email": extra.get("email", ""),
        "cohort": extra.get("cohort", "spinal_mets"),
    }
    return enrol(session, trust, config, parse_patient(row, config), actor=audit.CLI, now=utcnow())


def reply(
    session: Session, trust: Trust, patient: Patient, body: str, label: str, **evidence: Any
) -> InboundMessage:
    """A reply as the worker leaves it after triage."""
    now = utcnow()
    inbound = InboundMessage(
        provider_message_id=f"SM{uuid.uuid4().hex}",
        trust_id=trust.id,
        patient_id=patient.id,
        from_address=patient.phone_e164,
        to_address=trust_config(trust).sms.inbound_numbers[0],
        body=body,
        received_at=now,
        sender_kind="patient",
        label=label,
        symptoms=list(evidence.pop("symptoms", [])),
        evidence=evidence,
        handled_at=now,
    )
    session.add(inbound)
    session.flush()
    if label == "unclear":
        open_review(session, inbound, Review.URGENT, trust_config(trust), now=now)
    return inbound


def red_alert(session: Session, trust: Trust, patient: Patient, body: str) -> int:
    inbound = reply(
        session,
        trust,
        patient,
        body,
        "red",
        symptoms=["limb_weakness"],
        reason="red flag: limb_weakness 'legs keep giving way'",
        matched=["legs keep giving way"],
    )
    alert = alerts.raise_alert(
        session,
        patient=patient,
        inbound=inbound,
        level=Label.RED,
        config=trust_config(trust),
        now=utcnow(),
    )
    return alert.id


def give_passwords(session: Session, trust: Trust) -> dict[str, str]:
    """Every staff member of the trust gets PASSWORD; returns role → email."""
    emails: dict[str, str] = {}
    for member in session.query(StaffMember).filter(StaffMember.trust_id == trust.id):
        member.password_hash = passwords.hash_password(PASSWORD)
        emails.setdefault(member.role, member.email or "")
    return emails


def _side(
    session: Session, trust: Trust, nhs_number: str, phone: str, name: str, said: str
) -> Side:
    emails = give_passwords(session, trust)
    given, family = name.split()
    patient = enrol_patient(session, trust, nhs_number, phone, given_name=given, family_name=family)
    alert_id = red_alert(session, trust, patient, said)
    review = reply(session, trust, patient, f"not sure, {given} here, about my tablets?", "unclear")
    _, token = tokens.issue(session, trust, f"{trust.code} PAS", actor=audit.CLI, now=utcnow())
    ben = session.query(StaffMember).filter_by(trust_id=trust.id, key="ben").one()
    now = utcnow()
    cover = add_override(
        session, trust, role="on_call_consultant", starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=2), staff=ben, instead_of=None, reason="leave",
        actor=audit.CLI, now=now,
    )  # fmt: skip
    mobile_differs(session, patient, "+447700900399", source="pds", now=utcnow())
    notice_id = session.scalars(
        select(PatientNotice.id).where(PatientNotice.patient_id == patient.id)
    ).one()
    return Side(
        trust_id=trust.id,
        code=trust.code,
        coordinator=emails["coordinator"],
        admin=emails["admin"],
        escalation=emails["escalation"],
        patient_id=patient.id,
        patient_name=name,
        nhs_number=nhs_number,
        said=said,
        alert_id=alert_id,
        review_id=review.id,
        token=token,
        override_id=cover.id,
        notice_id=notice_id,
        phone=phone,
    )


def build_world() -> World:
    with session_scope() as session:
        trust_a = load_trust(
            session, read_config_file(EXAMPLE_TRUST), actor=audit.CLI, now=utcnow()
        ).trust
        trust_b = load_second_trust(session)
        a = _side(
            session,
            trust_a,
            "9434765919",
            "+447700900301",
            "Ann Example",
            "my legs keep giving way",
        )
        b = _side(
            session, trust_b, "9434765870", "+447700900302", "Bea Other", "cant feel my feet today"
        )
    return World(a, b)


@pytest.fixture
def world(sqlite_url: str) -> World:
    """Both trusts on SQLite (the isolation walk also runs on PostgreSQL)."""
    return build_world()


@pytest.fixture
def app() -> FastAPI:
    application = create_app()
    application.state.sign_in_policy = SignInPolicy(failure_delay_seconds=0)
    return application


class Staff:
    """A browser-like client: keeps its cookie, reads the CSRF token from pages, posts forms."""

    def __init__(self, app: FastAPI, client: tuple[str, int] = ("testclient", 50000)) -> None:
        self.client = TestClient(app, base_url=LOCAL, follow_redirects=False, client=client)

    def sign_in(self, email: str, password: str = PASSWORD) -> Response:
        page = self.client.get("/sign-in")
        data = {"email": email, "password": password, "csrf_token": csrf_of(page)}
        return self.client.post("/sign-in", data=data)

    def csrf(self) -> str:
        return csrf_of(self.client.get("/patients"))

    def post(self, path: str, data: dict[str, str] | None = None) -> Response:
        return self.client.post(path, data={"csrf_token": self.csrf(), **(data or {})})

    def get(self, path: str) -> Response:
        return self.client.get(path)


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run in a thread of its own: the browser tests leave an event loop in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def csrf_of(page: Response) -> str:
    found = CSRF_FIELD.search(page.text)
    assert found, f"no CSRF field on {page.request.url}: {page.status_code}"
    return found.group(1)


@pytest.fixture
def staff_client(app: FastAPI) -> Iterator[Staff]:
    staff = Staff(app)
    yield staff
    staff.client.close()


def signed_in(app: FastAPI, email: str) -> Staff:
    staff = Staff(app)
    response = staff.sign_in(email)
    assert response.status_code == 303, response.text
    return staff


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; Playwright's own download does not work
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright launches Debian's Chromium. Missing, the browser tests fail: never skip."""
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: apt-get install -y chromium"
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_FLAGS}
