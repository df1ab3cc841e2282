"""Identifiers and bodies encrypted at rest (issue 17, item 4), on SQLite and PostgreSQL: a raw
select shows none of them, replies still find their patient and carer by the keyed hash, and
rotation moves every row to the new key so that the old one is no longer needed."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from cli.main import app as cli
from pathway import keys
from pathway.intake import store_inbound
from pathway.replies import handle_inbound
from schema.data_keys import DataKeyError
from schema.db import session_scope
from schema.encryption import EncryptedText, keyring, lookup_hmac
from schema.models import AuditEvent, InboundMessage, OutboundMessage, Patient, PatientContact
from schema.settings import Settings, reset_settings_cache
from schema.types import utcnow
from schema.vocabulary import ContactKind
from tests.data.test_erasure import erase, resolve_alert
from tests.web.conftest import World, build_world

OLD = "2026a:" + base64.b64encode(b"o" * 32).decode()
NEW = "2027a:" + base64.b64encode(b"n" * 32).decode()
TRUST_NUMBER = "+447700900000"
CARER = "+447700900777"
EMAIL = "ann.example@example.org"
SAID = "my legs went numb on the stairs"
SENT = "Hello Ann, this is your hospital team"


@pytest.fixture
def keys_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("DATA_KEYS", OLD)
    monkeypatch.setenv("LOOKUP_KEY", "a lookup key for the tests")
    reset_settings_cache()
    return monkeypatch


def use_keys(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("DATA_KEYS", value)
    reset_settings_cache()


@pytest.fixture
def world(keys_env: pytest.MonkeyPatch) -> World:
    made = build_world()
    with session_scope() as session:
        patient = session.get(Patient, made.a.patient_id)
        assert patient is not None
        patient.email = EMAIL
        session.add(
            PatientContact(
                trust_id=patient.trust_id,
                patient_id=patient.id,
                number_e164=CARER,
                kind=ContactKind.CARER,
                created_by="test",
            )
        )
    return made


def text_in(session: Session, sender: str, body: str, sid: str) -> InboundMessage:
    now = utcnow()
    inbound_id = store_inbound(session, sid=sid, sender=sender, to=TRUST_NUMBER, body=body, now=now)
    assert inbound_id is not None
    handle_inbound(session, inbound_id, now)
    inbound = session.get(InboundMessage, inbound_id)
    assert inbound is not None
    return inbound


ENCRYPTED_COLUMNS = {
    "patients": ("given_name", "family_name", "phone_e164", "email"),
    "patient_contacts": ("number_e164",),
    "outbound_messages": ("to_address", "subject", "body", "context"),
    "inbound_messages": ("from_address", "body", "evidence"),
}
HASHES = {
    "patients": "phone_hmac",
    "patient_contacts": "number_hmac",
    "inbound_messages": "from_hmac",
}


def raw_values(session: Session) -> list[str]:
    """Every encrypted column and hash of the four tables, as a raw select gives them."""
    found = []
    for table, names in ENCRYPTED_COLUMNS.items():
        columns = ", ".join((*names, HASHES[table]) if table in HASHES else names)
        for row in session.execute(text(f"SELECT {columns} FROM {table}")):
            found += [str(value) for value in row if value is not None]
    return found


def test_a_raw_select_shows_no_phone_number_name_email_or_body(world: World) -> None:
    with session_scope() as session:
        text_in(session, world.a.phone, SAID, "SM" + "a" * 32)
        text_in(session, CARER, "she cannot feel her feet", "SM" + "b" * 32)
    with session_scope() as session:
        for message in session.scalars(select(OutboundMessage)):
            message.body, message.subject = SENT, "About your back"  # as the send path renders
    with session_scope() as session:
        values = raw_values(session)
        addresses = {m.to_address for m in session.scalars(select(OutboundMessage))}
        contexts = [m.context for m in session.scalars(select(OutboundMessage))]
    assert world.a.phone in addresses and CARER in addresses  # readable through the model
    assert any(world.a.said in str(context) for context in contexts)  # an alert quotes it
    assert all(v.startswith("v1:2026a:") or v in ("", "{}", "[]") or len(v) == 64 for v in values)
    dump = "\n".join(values)
    # (base64 has no space or @, and a 13-digit number will not occur in it by chance)
    for plain in (world.a.phone, CARER, EMAIL, SAID, "cannot feel", SENT, world.a.said):
        assert plain not in dump
    assert not {"Ann", "Example", "About your back"} & set(values)


def test_a_reply_still_finds_its_patient_and_a_carers_text_its_patient(world: World) -> None:
    with session_scope() as session:
        own = text_in(session, world.a.phone, "all fine today", "SM" + "c" * 32)
        carer = text_in(session, CARER, "she is fine today", "SM" + "d" * 32)
        assert (own.patient_id, own.sender_kind) == (world.a.patient_id, "patient")
        assert (carer.patient_id, carer.sender_kind) == (world.a.patient_id, "carer")
        assert own.from_address == world.a.phone  # read back as it came


def test_the_number_look_ups_are_by_the_indexed_hash_column(world: World) -> None:
    digest = lookup_hmac(world.a.phone)
    with session_scope() as session:
        found = session.scalars(select(Patient.id).where(Patient.phone_hmac == digest)).all()
        indexes = {
            index.name: [column.name for column in index.columns]
            for index in Patient.__table__.indexes  # type: ignore[attr-defined]
        }
    assert found == [world.a.patient_id]
    assert indexes["ix_patients_trust_phone"] == ["trust_id", "phone_hmac"]


def test_comparing_an_encrypted_column_with_a_value_is_refused_rather_than_finding_nothing() -> (
    None
):
    with pytest.raises(TypeError, match="HMAC column"):
        select(Patient).where(Patient.phone_e164 == "+447700900301")
    assert "phone_e164 !=" in str(select(Patient.id).where(Patient.phone_e164 != ""))


def test_rotation_re_encrypts_every_row_and_then_the_old_key_is_not_needed(
    world: World, keys_env: pytest.MonkeyPatch
) -> None:
    with session_scope() as session:
        text_in(session, world.a.phone, SAID, "SM" + "e" * 32)
    use_keys(keys_env, f"{NEW},{OLD}")
    with session_scope() as session:
        assert keys.usage(session)["patients"]["2026a"] > 0  # still readable under the old key
        patient = session.get(Patient, world.a.patient_id)
        assert patient is not None and patient.given_name == "Ann"
    result = CliRunner().invoke(cli, ["keys", "rotate"])
    assert result.exit_code == 0, result.output
    again = CliRunner().invoke(cli, ["keys", "rotate"])
    assert "0 values re-encrypted" in again.output  # idempotent
    with session_scope() as session:
        usage = keys.usage(session)
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.action.startswith("keys."))
        ).all()
    assert all(set(counts) <= {"2027a"} for counts in usage.values()), usage
    assert actions.count("keys.rotated") == 2
    use_keys(keys_env, NEW)  # the old key gone
    with session_scope() as session:
        patient = session.get(Patient, world.a.patient_id)
        assert patient is not None
        assert (patient.given_name, patient.phone_e164, patient.email) == (
            "Ann",
            world.a.phone,
            EMAIL,
        )
        again_in = text_in(session, world.a.phone, "fine", "SM" + "f" * 32)
        assert again_in.patient_id == world.a.patient_id
    status = CliRunner().invoke(cli, ["keys", "status"])
    assert status.exit_code == 0 and "older keys are no longer needed" in status.output


def test_a_new_lookup_key_finds_patients_again_once_rotation_recomputes_the_hashes(
    world: World, keys_env: pytest.MonkeyPatch
) -> None:
    keys_env.setenv("LOOKUP_KEY", "the lookup key after a compromise")
    reset_settings_cache()
    with session_scope() as session:
        assert text_in(session, world.a.phone, "fine", "SM" + "g" * 32).patient_id is None
    assert CliRunner().invoke(cli, ["keys", "rotate"]).exit_code == 0
    with session_scope() as session:
        assert text_in(session, world.a.phone, "fine", "SM" + "h" * 32).patient_id == (
            world.a.patient_id
        )


def test_a_row_under_a_key_no_longer_configured_fails_naming_data_keys(
    world: World, keys_env: pytest.MonkeyPatch
) -> None:
    use_keys(keys_env, NEW)
    with session_scope() as session, pytest.raises(DataKeyError, match="DATA_KEYS") as error:
        session.get(Patient, world.a.patient_id)
    assert "2026a" in str(error.value) and OLD.split(":")[1] not in str(error.value)
    status = CliRunner().invoke(cli, ["keys", "status"])
    assert status.exit_code == 1 and "DATA_KEYS does not hold" in status.output


def test_a_wrong_key_under_the_same_id_fails_naming_data_keys(
    world: World, keys_env: pytest.MonkeyPatch
) -> None:
    use_keys(keys_env, "2026a:" + base64.b64encode(b"x" * 32).decode())
    with (
        session_scope() as session,
        pytest.raises(DataKeyError, match=r"the key is wrong \(DATA_KEYS\)"),
    ):
        session.get(Patient, world.a.patient_id)
    shown = CliRunner().invoke(cli, ["status"])
    assert "does not decrypt" in shown.output and shown.exit_code == 1


@pytest.mark.parametrize(
    ("value", "says"),
    [("k1:" + base64.b64encode(b"short").decode(), "32 bytes"), ("no colon", "KEY_ID:BASE64")],
)
def test_a_malformed_data_keys_setting_is_refused_naming_it(value: str, says: str) -> None:
    with pytest.raises(ValueError, match=f"DATA_KEYS.*{says}"):
        Settings(data_keys=value)


def test_without_data_keys_a_key_file_is_made_once_readable_by_the_owner_only(
    database_url: str,
) -> None:
    reset_settings_cache()
    ring = keyring()
    assert ring.source.endswith("data_keys")
    path = Path(ring.source)
    assert path.stat().st_mode & 0o777 == 0o600
    made = path.read_text()
    reset_settings_cache()
    assert keyring().current == ring.current and path.read_text() == made


def test_empty_and_null_are_stored_as_they_are_so_blanking_queries_still_work(
    world: World,
) -> None:
    kind = EncryptedText()
    assert kind.process_bind_param("", None) == ""  # type: ignore[arg-type]
    assert kind.process_bind_param(None, None) is None  # type: ignore[arg-type]
    with session_scope() as session:
        session.execute(
            text("UPDATE patients SET email = '' WHERE id = :id"), {"id": world.b.patient_id}
        )
    with session_scope() as session:
        blank = session.scalar(select(func.count()).where(Patient.email == ""))
    assert blank == 1


def test_erasure_blanks_the_hashes_too_so_the_number_finds_nobody(world: World) -> None:
    with session_scope() as session:
        text_in(session, world.a.phone, "fine today", "SM" + "i" * 32)
    resolve_alert(world.a.alert_id)
    erase(world.a.patient_id)
    with session_scope() as session:
        patient = session.get(Patient, world.a.patient_id)
        assert patient is not None and (patient.phone_e164, patient.phone_hmac) == ("", None)
        hashes = session.scalars(
            select(InboundMessage.from_hmac).where(InboundMessage.patient_id == patient.id)
        ).all()
        assert hashes and set(hashes) == {None}
        again = text_in(session, world.a.phone, "hello", "SM" + "j" * 32)
        assert again.patient_id is None
