"""A phone to text from (issue 18, item 9): `safetynet sms receive` and the admins' Patient phone
page put a reply through the webhook's store-first path; `serve` says webhooks are refused."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from typer.testing import CliRunner

from cli.main import app as cli
from cli.serve import simulation_hint
from pathway.replies import handle_inbound
from schema.db import session_scope
from schema.encryption import lookup_hmac
from schema.models import AuditEvent, InboundMessage
from schema.settings import get_settings
from schema.types import utcnow
from tests.web.conftest import World, signed_in
from worker.process_state import reset
from worker.providers.base import Outgoing
from worker.providers.outbox import OutboxProvider, outbox_directory

runner = CliRunner()
TRUST_NUMBER = "+447700900000"  # examples/trust.yaml's from_number
RED = "my legs keep giving way since this morning"


def replies_from(number: str) -> list[InboundMessage]:
    with session_scope() as session:
        found = list(
            session.scalars(
                select(InboundMessage)
                .where(InboundMessage.from_hmac == lookup_hmac(number))
                .order_by(InboundMessage.id)
            )
        )
        session.expunge_all()
        return found


def simulated_audits() -> list[AuditEvent]:
    with session_scope() as session:
        found = list(
            session.scalars(select(AuditEvent).where(AuditEvent.action == "inbound.simulated"))
        )
        session.expunge_all()
        return found


def use_twilio(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "a" * 32)
    reset()


def test_sms_receive_stores_the_reply_as_the_webhook_would_and_triage_reads_it_red(
    world: World,
) -> None:
    result = runner.invoke(cli, ["sms", "receive", "--trust", "RXX", "--from", "07700 900301", RED])
    assert result.exit_code == 0, result.output
    (stored,) = replies_from("+447700900301")[-1:]
    assert stored.to_address == TRUST_NUMBER
    assert stored.body == RED
    assert stored.provider_message_id.startswith("SIM")
    assert stored.handled_at is None  # handed to the alerts workers, not handled here
    assert f"stored reply {stored.id} from patient {world.a.patient_id}" in result.output
    (event,) = simulated_audits()
    assert event.actor == "cli" and event.subject_id == stored.id
    assert event.details == {"patient_id": world.a.patient_id}  # no number, no words
    with session_scope() as session:
        handle_inbound(session, stored.id, utcnow())
    with session_scope() as session:
        triaged = session.get(InboundMessage, stored.id)
        assert triaged is not None and triaged.label == "red"
        assert triaged.patient_id == world.a.patient_id


def test_sms_receive_refuses_a_number_that_is_not_one_and_stores_nothing(world: World) -> None:
    before = len(replies_from("12345"))
    result = runner.invoke(cli, ["sms", "receive", "--from", "12345", "--trust", "RXX", "hello"])
    assert result.exit_code == 2
    assert "from: not a valid phone number" in result.output
    assert len(replies_from("12345")) == before and not simulated_audits()


def test_sms_receive_refuses_an_empty_text(world: World) -> None:
    result = runner.invoke(cli, ["sms", "receive", "--from", "07700 900301", "--trust", "RXX", " "])
    assert result.exit_code == 2 and "text: say something" in result.output


def test_sms_receive_is_refused_when_twilio_is_configured(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_twilio(monkeypatch)
    result = runner.invoke(cli, ["sms", "receive", "--from", "07700 900301", "--trust", "RXX", RED])
    assert result.exit_code == 2 and "replies come from Twilio only" in result.output
    assert not simulated_audits()


def test_an_admin_texts_as_a_patient_and_reads_the_answer_on_the_patient_phone(
    world: World, app: FastAPI
) -> None:
    admin = signed_in(app, world.a.admin)
    picker = admin.get("/patient-phone")
    assert picker.status_code == 200 and "Ann Example" in picker.text
    assert "Bea Other" not in picker.text  # another trust's patient
    chosen = admin.get(f"/patient-phone?patient={world.a.patient_id}")
    assert chosen.headers["location"] == f"/patient-phone/{world.a.patient_id}"

    sent = admin.post(f"/patient-phone/{world.a.patient_id}", {"text": RED})
    assert sent.status_code == 303, sent.text
    stored = replies_from(world.a.phone)[-1]
    assert stored.body == RED and stored.provider_message_id.startswith("SIM")
    (event,) = simulated_audits()
    assert event.actor.startswith("staff:") and event.subject_id == stored.id

    outbox = OutboxProvider(outbox_directory(get_settings().data_dir.resolve()), "sms")
    answer = "Call the 24-hour MSCC line now on 0113 496 0000."
    outbox.send(Outgoing(message_id=1, channel="sms", to=world.a.phone, body=answer))
    outbox.send(Outgoing(message_id=2, channel="sms", to=world.b.phone, body="not Ann's"))
    page = admin.get(f"/patient-phone/{world.a.patient_id}")
    assert RED in page.text and "waiting for triage" in page.text
    assert answer in page.text and "not Ann&#39;s" not in page.text
    assert page.text.index(RED) < page.text.index(answer)  # oldest first


def test_the_patient_phone_refuses_an_empty_text_and_stores_nothing(
    world: World, app: FastAPI
) -> None:
    admin = signed_in(app, world.a.admin)
    before = len(replies_from(world.a.phone))
    refused = admin.post(f"/patient-phone/{world.a.patient_id}", {"text": "   "})
    assert refused.status_code == 422 and "text: say something" in refused.text
    assert len(replies_from(world.a.phone)) == before


def test_the_patient_phone_is_for_admins_of_the_patients_trust_only(
    world: World, app: FastAPI
) -> None:
    coordinator = signed_in(app, world.a.coordinator)
    assert coordinator.get("/patient-phone").status_code == 403
    assert (
        coordinator.post(f"/patient-phone/{world.a.patient_id}", {"text": RED}).status_code == 403
    )
    admin = signed_in(app, world.a.admin)
    assert admin.get(f"/patient-phone/{world.b.patient_id}").status_code == 404
    assert admin.post(f"/patient-phone/{world.b.patient_id}", {"text": RED}).status_code == 404
    assert not simulated_audits()


def test_the_patient_phone_does_not_exist_once_twilio_is_configured(
    world: World, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = signed_in(app, world.a.admin)
    assert "Patient phone" in admin.get("/").text
    use_twilio(monkeypatch)
    assert admin.get(f"/patient-phone/{world.a.patient_id}").status_code == 404
    assert admin.post(f"/patient-phone/{world.a.patient_id}", {"text": RED}).status_code == 404
    assert "Patient phone" not in admin.get("/").text


def test_serve_says_webhooks_are_refused_without_an_auth_token_and_how_to_simulate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hint = "\n".join(simulation_hint(get_settings(), "127.0.0.1", 8000))
    assert "Webhooks are refused" in hint and "TWILIO_AUTH_TOKEN" in hint
    assert "http://127.0.0.1:8000/patient-phone" in hint and "safetynet sms receive" in hint
    use_twilio(monkeypatch)
    assert simulation_hint(get_settings(), "127.0.0.1", 8000) == []
