"""A catalogue of bad inputs at every entry point but the staff API, on SQLite and PostgreSQL.

Trust configuration files, CSV imports, command-line arguments, the two Twilio webhooks, the
HL7v2 ADT feed (over MLLP, with its real handler) and the FHIR endpoints.
Each bad input gets a clear error (exit code 2 naming the problem, or a 4xx with a message) and
leaves every table exactly as it was. The database starts as a coordinator's would: the example
trust loaded and the example patients imported.
"""

from __future__ import annotations

import json
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from cli.main import app
from schema.db import session_scope
from schema.models import Base
from testing.adt_messages import adt
from testing.mllp_sender import MllpSender, ack_fields
from testing.twilio_signing import signed_headers
from tests.conftest import EXAMPLE_PATIENTS, EXAMPLE_TRUST, LOCAL
from tests.nhs.conftest import listening
from web.app import create_app
from worker.process_state import reset

pytestmark = pytest.mark.timeout(300)

runner = CliRunner()
TOKEN = "catalogue0123456789abcdef0123456"
BASE = "https://safetynet.catalogue.example"
TRUST_YAML = EXAMPLE_TRUST.read_text()
CSV_HEADER = "nhs_number,given_name,family_name,phone,email,cohort,language\n"
GOOD_ROW = "943 476 5919,Ann,Example,07700 900299,,high_risk,en\n"


def row_counts() -> dict[str, int]:
    with session_scope() as session:
        return {
            table.name: int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
        }


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture
def coordinators_database(database_url: str) -> dict[str, int]:
    assert run("trust", "load", str(EXAMPLE_TRUST))[0] == 0
    assert run("patients", "import", str(EXAMPLE_PATIENTS))[0] == 0
    return row_counts()


def refused_unchanged(before: dict[str, int], args: list[str], *expected: str) -> str:
    code, output = run(*args)
    assert code == 2, output
    flat = " ".join(output.split())
    for words in expected:
        assert words in flat, flat
    assert row_counts() == before
    return output


# -- trust configuration files ---------------------------------------------------------------

CONFIG_FILES: dict[str, tuple[str | bytes, str]] = {
    "broken YAML": (b"code: RXX\nname: [unclosed\n", "not valid YAML"),
    "bad indentation": (TRUST_YAML.replace("  mscc_coordinator", "mscc_coordinator", 1), "line"),
    "a key written twice": (TRUST_YAML.replace("code: RXX\n", "code: RXX\ncode: RYY\n"), "code"),
    "an unknown key": (TRUST_YAML + "colour: blue\n", "colour"),
    "minutes as a word": (TRUST_YAML.replace("minutes: 5\n", "minutes: five\n", 1), "minutes"),
    "a list for a mapping": (TRUST_YAML.replace("replies:\n  thank", "replies: []\n  thank"), ""),
    "an unknown time zone": (TRUST_YAML.replace("Europe/London", "Mars/Olympus_Mons"), "timezone"),
    "a bad send window": (TRUST_YAML.replace('start: "09:00"', 'start: "25:00"'), "start"),
    "an unknown weekday": (TRUST_YAML.replace("days: [mon,", "days: [funday,"), "days"),
    "a chain naming nobody": (TRUST_YAML.replace("notify: [ben]", "notify: [nobody]"), "nobody"),
    "a staff phone that is no number": (
        TRUST_YAML.replace('phone: "07700 900101"', 'phone: "not a phone"'),
        "phone",
    ),
    "empty": (b"", "mapping"),
    "a top-level list": (b"- code: RXX\n- name: x\n", "mapping"),
    "not UTF-8": (b"\xff\xfe\x00c\x00o\x00d\x00e", "UTF-8"),
    "a cohort removed while patients are in it": (
        TRUST_YAML.replace("key: bone_mets", "key: bone_mets_renamed"),
        "bone_mets",
    ),
    "a cohort rule naming no cohort": (
        TRUST_YAML.replace("{alert: MSCC-RISK, cohort: high_risk}", "{alert: X, cohort: nowhere}"),
        "integration.cohort_rules[2].cohort",
    ),
    "a cohort rule with two markers": (
        TRUST_YAML.replace('{specialty: "800",', '{specialty: "800", location: A,'),
        "give exactly one of",
    ),
    "an alert field that is no field": (
        TRUST_YAML.replace("alert_fields: [ZAL-2]", "alert_fields: [somewhere]"),
        "alert_fields",
    ),
    "a callback over plain http": (
        TRUST_YAML.replace(
            "  # write_back:",
            "  write_back: {callback_url: 'http://engine.example/cb', secret_env: RXX_S}\n  #",
        ),
        "an https address",
    ),
    "a callback secret written in the file": (
        TRUST_YAML.replace(
            "  # write_back:",
            "  write_back: {callback_url: 'https://engine.example/cb', secret: abc}\n  #",
        ),
        "integration.write_back.secret",
    ),
}


@pytest.mark.parametrize("case", sorted(CONFIG_FILES))
def test_a_bad_trust_file_exits_2_naming_the_problem_and_changes_nothing(
    coordinators_database: dict[str, int], tmp_path: Path, case: str
) -> None:
    content, hint = CONFIG_FILES[case]
    path = tmp_path / "trust.yaml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    output = refused_unchanged(coordinators_database, ["trust", "load", str(path)], hint)
    assert "nothing was" in output


def test_a_trust_file_that_does_not_exist_exits_2_and_changes_nothing(
    coordinators_database: dict[str, int], tmp_path: Path
) -> None:
    missing = str(tmp_path / "missing.yaml")
    refused_unchanged(coordinators_database, ["trust", "load", missing], "cannot read")


# -- CSV imports -----------------------------------------------------------------------------

CSV_FILES = {
    "a missing column": (
        "nhs_number,given_name,phone,cohort\n9434765919,Ann,07700 900299,high_risk\n",
        "missing column 'family_name'",
    ),
    "an unknown column": (CSV_HEADER.replace("\n", ",ward\n") + GOOD_ROW[:-1] + ",7B\n", "ward"),
    "a bad NHS number": (CSV_HEADER + GOOD_ROW.replace("943 476 5919", "943 476 5918"), "line 2"),
    "letters for an NHS number": (CSV_HEADER + GOOD_ROW.replace("943 476 5919", "ABC"), "nhs"),
    "a landline": (CSV_HEADER + GOOD_ROW.replace("07700 900299", "0113 496 0001"), "phone"),
    "a phone of letters": (CSV_HEADER + GOOD_ROW.replace("07700 900299", "call me"), "phone"),
    "an unknown cohort": (CSV_HEADER + GOOD_ROW.replace("high_risk", "nowhere"), "cohort"),
    "an unknown language": (CSV_HEADER + GOOD_ROW.replace(",en\n", ",xx\n"), "language"),
    "a bad email": (CSV_HEADER + GOOD_ROW.replace(",,", ",not-an-email,"), "email"),
    "an empty name": (CSV_HEADER + GOOD_ROW.replace("Ann", ""), "given_name"),
    "a patient enrolled already": (
        CSV_HEADER + "999 000 0018,Margaret,Hughes,07700 900201,,spinal_mets,en\n",
        "already enrolled",
    ),
    "the same patient twice": (CSV_HEADER + GOOD_ROW + GOOD_ROW, "repeats line 2"),
    "too few fields": (CSV_HEADER + "9434765919,Ann\n", "fields"),
    "one bad row among good ones": (
        CSV_HEADER + GOOD_ROW + "9990000077,Bad,Row,07700 900221,,nowhere,en\n",
        "line 3",
    ),
    "only a header": (CSV_HEADER, "no patients"),
    "empty": ("", "missing column"),
}


@pytest.mark.parametrize("case", sorted(CSV_FILES))
def test_a_bad_csv_import_exits_2_naming_the_line_and_imports_nobody(
    coordinators_database: dict[str, int], tmp_path: Path, case: str
) -> None:
    content, hint = CSV_FILES[case]
    path = tmp_path / "patients.csv"
    path.write_text(content)
    refused_unchanged(coordinators_database, ["patients", "import", str(path)], hint)


@pytest.mark.parametrize(
    ("case", "content", "hint"),
    [
        ("not UTF-8", b"nhs_number,given_name\n\xff\xfe\xfa\n", "cannot read"),
        ("a folder", None, "cannot read"),
    ],
)
def test_an_unreadable_csv_exits_2_and_imports_nobody(
    coordinators_database: dict[str, int],
    tmp_path: Path,
    case: str,
    content: bytes | None,
    hint: str,
) -> None:
    path = tmp_path / "patients.csv"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    refused_unchanged(coordinators_database, ["patients", "import", str(path)], hint)


# -- command-line arguments ------------------------------------------------------------------

ENROL = [
    "patients",
    "enrol",
    "--nhs-number",
    "943 476 5919",
    "--given-name",
    "Ann",
    "--family-name",
    "Example",
    "--phone",
    "07700 900299",
    "--cohort",
    "high_risk",
]


def enrol_with(option: str, value: str) -> list[str]:
    args = list(ENROL)
    if option in args:
        args[args.index(option) + 1] = value
    else:
        args += [option, value]
    return args


ARGUMENTS = {
    "a short NHS number": (enrol_with("--nhs-number", "123"), "10 digits"),
    "a wrong check digit": (enrol_with("--nhs-number", "943 476 5918"), "check digit"),
    "an NHS number of letters": (enrol_with("--nhs-number", "nine four three"), "nhs_number"),
    "a landline": (enrol_with("--phone", "0113 496 0001"), "phone"),
    "a foreign landline": (enrol_with("--phone", "+33 1 23 45 67 89"), "phone"),
    "a phone of letters": (enrol_with("--phone", "mobile"), "phone"),
    "an unknown cohort": (enrol_with("--cohort", "nowhere"), "not a cohort of this trust"),
    "an unknown trust": (enrol_with("--trust", "ZZZ"), "no trust with code 'ZZZ'"),
    "an unknown language": (enrol_with("--language", "xx"), "language"),
    "a bad email": (enrol_with("--email", "not-an-email"), "email"),
    "an NHS number enrolled already": (
        enrol_with("--nhs-number", "999 000 0018"),
        "already enrolled",
    ),
    "a missing option": (ENROL[:-2], "Missing option '--cohort'"),
    "an unknown option": ([*ENROL, "--ward", "7B"], "No such option"),
    "an unknown command": (["patients", "adopt"], "No such command"),
    "discharge with a bad NHS number": (["patients", "discharge", "123"], "10 digits"),
    "pause with an unknown patient": (["patients", "pause", "943 476 5919"], "no patient"),
    "opt-out in an unknown trust": (
        ["patients", "opt-out", "999 000 0018", "--trust", "ZZZ"],
        "no trust with code",
    ),
    "history of an unknown trust": (["trust", "history", "--trust", "ZZZ"], "no trust"),
    "an ADT feed for an unknown trust": (
        ["hl7", "listen", "--port", "2575", "--trust", "ZZZ"],
        "no trust with code 'ZZZ'",
    ),
    "an ADT feed on no port": (["hl7", "listen"], "Missing option '--port'"),
    "an ADT feed on a port out of range": (["hl7", "listen", "--port", "70000"], "--port"),
}


@pytest.mark.parametrize("case", sorted(ARGUMENTS))
def test_bad_command_line_arguments_exit_2_naming_the_problem_and_change_nothing(
    coordinators_database: dict[str, int], case: str
) -> None:
    args, hint = ARGUMENTS[case]
    refused_unchanged(coordinators_database, args, hint)


# -- webhooks --------------------------------------------------------------------------------


@pytest.fixture
def client(
    coordinators_database: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("PUBLIC_BASE_URL", BASE)
    monkeypatch.delenv("BROKER_KEY_PREFIX", raising=False)
    reset()
    with TestClient(create_app(), base_url=LOCAL, raise_server_exceptions=False) as test_client:
        yield test_client
    reset()


REPLY = {
    "MessageSid": "SM" + "a" * 32,
    "AccountSid": "ACcatalogue",
    "From": "+447700900201",
    "To": "+447700900000",
    "Body": "my legs are weak",
}
RECEIPT = {"MessageSid": "SM" + "b" * 32, "MessageStatus": "delivered"}


def without(params: dict[str, str], *names: str) -> dict[str, str]:
    return {k: v for k, v in params.items() if k not in names}


def signed_post(
    client: TestClient, path: str, params: dict[str, str], **changes: str | bytes
) -> tuple[int, str]:
    headers = signed_headers(BASE + path, params, TOKEN)
    content: str | bytes = urllib.parse.urlencode(params)
    if "content" in changes:
        content = changes.pop("content")
    headers.update({k.replace("_", "-"): str(v) for k, v in changes.items()})
    response = client.post(path, content=content, headers=headers)
    return response.status_code, response.text


WEBHOOKS = {
    "a reply without MessageSid": ("/twilio/sms", without(REPLY, "MessageSid"), {}, 400),
    "a reply without From": ("/twilio/sms", without(REPLY, "From"), {}, 400),
    "a reply without To": ("/twilio/sms", without(REPLY, "To"), {}, 400),
    "a reply with no fields": ("/twilio/sms", {}, {}, 400),
    "a reply of 1,601 characters": ("/twilio/sms", {**REPLY, "Body": "a" * 1601}, {}, 413),
    "a MessageSid of 65 characters": ("/twilio/sms", {**REPLY, "MessageSid": "S" * 65}, {}, 400),
    "a body over 64 KiB": ("/twilio/sms", {**REPLY, "Pad": "x" * 70_000}, {}, 413),
    "a reply sent as JSON": (
        "/twilio/sms",
        REPLY,
        {"Content_Type": "application/json", "content": '{"Body": "hi"}'},
        415,
    ),
    "a reply sent as multipart": (
        "/twilio/sms",
        REPLY,
        {"Content_Type": "multipart/form-data; boundary=x"},
        415,
    ),
    "a reply sent as text": ("/twilio/sms", REPLY, {"Content_Type": "text/plain"}, 415),
    "a reply whose signature is wrong": (
        "/twilio/sms",
        REPLY,
        {"X_Twilio_Signature": "bm90IGEgc2lnbmF0dXJl"},
        403,
    ),
    "a reply whose signature is empty": ("/twilio/sms", REPLY, {"X_Twilio_Signature": ""}, 403),
    "a reply with a false length": ("/twilio/sms", REPLY, {"Content_Length": "99999999"}, 413),
    "a receipt without MessageStatus": (
        "/twilio/status",
        without(RECEIPT, "MessageStatus"),
        {},
        400,
    ),
    "a receipt without MessageSid": ("/twilio/status", without(RECEIPT, "MessageSid"), {}, 400),
    "a receipt for no message of ours": ("/twilio/status", RECEIPT, {}, 404),
    "a receipt sent as JSON": (
        "/twilio/status",
        RECEIPT,
        {"Content_Type": "application/json", "content": "{}"},
        415,
    ),
    "a receipt over 64 KiB": ("/twilio/status", {**RECEIPT, "Pad": "x" * 70_000}, {}, 413),
}


@pytest.mark.parametrize("case", sorted(WEBHOOKS))
def test_a_bad_webhook_gets_a_4xx_with_a_message_and_changes_nothing(
    client: TestClient, coordinators_database: dict[str, int], case: str
) -> None:
    path, params, changes, expected = WEBHOOKS[case]
    if "Content_Length" in changes:
        # A client cannot send a false length through the test transport; ask in the raw.
        response = client.post(
            path,
            content=urllib.parse.urlencode(params),
            headers={
                **signed_headers(BASE + path, params, TOKEN),
                "Content-Length": str(changes["Content_Length"]),
            },
        )
        status, text = response.status_code, response.text
    else:
        status, text = signed_post(client, path, params, **dict(changes))
    assert status == expected, text[:300]
    assert '"detail"' in text and len(text) > len('{"detail":""}')
    assert row_counts() == coordinators_database


# -- the ADT feed (HL7v2 over MLLP) ----------------------------------------------------------

GOOD_ADT = adt("A01", control_id="CAT1", nhs_number="9434765919")

ADT_MESSAGES: dict[str, tuple[bytes, str, str]] = {
    "no NHS number": (adt(pid3="RX1^^^RXX^MR").encode(), "AE", "PID-3: no NHS number"),
    "a wrong check digit": (
        adt(nhs_number="9434765918").encode(),
        "AE",
        "PID-3[1].1: not a valid NHS number",
    ),
    "two NHS numbers": (
        adt(pid3="9434765919^^^NHS^NH~9434765870^^^NHS^NH").encode(),
        "AE",
        "PID-3: more than one NHS number",
    ),
    "a date of birth in the future": (
        adt(date_of_birth="29990101").encode(),
        "AE",
        "PID-7: date of birth in the future",
    ),
    "a date of birth that is no date": (adt(date_of_birth="19501301").encode(), "AE", "PID-7"),
    "a mobile that is a landline": (
        adt(telecom="01134960000^PRN^CP").encode(),
        "AE",
        "PID-13[1].1: not a mobile number",
    ),
    "no mobile to enrol with": (
        adt(telecom="^NET^Internet^ann@example.com").encode(),
        "AE",
        "PID-13: no mobile number, needed to enrol",
    ),
    "no family name to enrol with": (
        adt(name="^ANN").encode(),
        "AE",
        "PID-5.1: no family name, needed to enrol",
    ),
    "a name over 100 characters": (adt(name="E" * 101 + "^ANN").encode(), "AE", "PID-5.1"),
    "a bad email address": (
        adt(telecom="07700900123^PRN^CP~^NET^Internet^not-an-address").encode(),
        "AE",
        "PID-13[2].4: not a valid email address",
    ),
    "no PID segment": (
        GOOD_ADT.replace(GOOD_ADT.split("\r")[2] + "\r", "").encode(),
        "AE",
        "PID: segment missing",
    ),
    "no PV1 segment": (adt(pv1=None).encode(), "AE", "PV1: segment missing"),
    "a merge without MRG": (adt("A40", pv1=None).encode(), "AE", "MRG: segment missing"),
    "a merge of a record into itself": (
        adt("A40", pv1=None, mrg="MRG|9434765919^^^NHS^NH").encode(),
        "AE",
        "MRG-1: the same NHS number as PID-3",
    ),
    "not ADT": (adt(message_type="ORU").encode(), "AR", "MSH-9.1: message type ORU is not ADT"),
    "an unsupported version": (adt(version="2.9").encode(), "AR", "MSH-12: version 2.9"),
    "no control id": (adt(control_id="").encode(), "AR", "MSH-10: no message control id"),
    "another trust's facility": (adt(sending_facility="RZZ").encode(), "AR", "MSH-4"),
    "a training message": (GOOD_ADT.replace("|P|2.4", "|T|2.4").encode(), "AR", "MSH-11"),
    "not HL7 at all": (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "AR", "MSH"),
}


@pytest.fixture
def adt_feed(coordinators_database: dict[str, int]) -> Iterator[tuple[str, int]]:
    with listening() as server:
        yield server.address


def test_every_bad_adt_message_gets_ae_or_ar_naming_the_field_and_changes_nothing(
    adt_feed: tuple[str, int], coordinators_database: dict[str, int]
) -> None:
    # One walk over the catalogue on one connection (the feed stays usable after each refusal):
    # setting the database up once per case would cost CI a minute.
    with MllpSender(*adt_feed) as client:
        for case, (message, code, field) in sorted(ADT_MESSAGES.items()):
            ack = client.send(message)
            assert ack_fields(ack)["MSA"][1] == code, f"{case}: {ack}"
            assert field in ack, f"{case}: {ack}"
            assert row_counts() == coordinators_database, case


def test_bad_mllp_framing_gets_ar_and_changes_nothing(
    adt_feed: tuple[str, int], coordinators_database: dict[str, int]
) -> None:
    with MllpSender(*adt_feed) as client:
        client.send_raw(GOOD_ADT.encode())  # no start block
        ack = client.read_reply()
    assert ack_fields(ack)["MSA"][1] == "AR" and "MLLP:" in ack
    assert row_counts() == coordinators_database


# -- FHIR in -----------------------------------------------------------------------------------

NHS_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
EPISODE_TYPES = "https://fhir.riverside.example/CodeSystem/episode-type"
FHIR_PATIENT = {
    "resourceType": "Patient",
    "identifier": [{"system": NHS_SYSTEM, "value": "9434765919"}],
    "name": [{"family": "Example", "given": ["Ann"]}],
    "telecom": [{"system": "phone", "use": "mobile", "value": "07700 900299"}],
}


def fhir_bundle(person: dict[str, Any] | None = None, **episode: Any) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": "urn:uuid:p", "resource": person or FHIR_PATIENT},
            {
                "resource": {
                    "resourceType": "EpisodeOfCare",
                    "status": "active",
                    "type": [{"coding": [{"system": EPISODE_TYPES, "code": "mscc-spinal-mets"}]}],
                    "patient": {"reference": "urn:uuid:p"},
                    **episode,
                }
            },
        ],
    }


def with_patient(**changes: Any) -> dict[str, Any]:
    return {**FHIR_PATIENT, **changes}


# name -> (path, body or raw bytes, headers changed, status, words the error must contain)
FHIR_REQUESTS: dict[str, tuple[str, Any, dict[str, str], int, str]] = {
    "no token": ("/fhir/Patient", fhir_bundle(), {"Authorization": ""}, 401, "bearer"),
    "a token nobody issued": (
        "/fhir/Patient",
        fhir_bundle(),
        {"Authorization": "Bearer sn_forged"},
        401,
        "token",
    ),
    "no X-Request-ID": ("/fhir/Patient", fhir_bundle(), {"X-Request-ID": ""}, 400, "X-Request-ID"),
    "an X-Request-ID that is no UUID": (
        "/fhir/Patient",
        fhir_bundle(),
        {"X-Request-ID": "42"},
        400,
        "X-Request-ID",
    ),
    "sent as a form": (
        "/fhir/Patient",
        fhir_bundle(),
        {"Content-Type": "application/x-www-form-urlencoded"},
        415,
        "application/fhir+json",
    ),
    "not JSON": ("/fhir/Patient", b"{not json", {}, 400, "not JSON"),
    "over the edge's ceiling": ("/fhir/Patient", b" " * (256 << 10) + b"{}", {}, 413, "too large"),
    "a JSON list": ("/fhir/Patient", [], {}, 400, "resourceType"),
    "an Observation": ("/fhir/Patient", {"resourceType": "Observation"}, {}, 400, "Observation"),
    "a Patient to the Flag endpoint": ("/fhir/Flag", FHIR_PATIENT, {}, 400, "expected Flag"),
    "a bad NHS number": (
        "/fhir/Patient",
        fhir_bundle(with_patient(identifier=[{"system": NHS_SYSTEM, "value": "9434765918"}])),
        {},
        400,
        "Bundle.entry[0].resource.identifier[0].value: not a valid NHS number",
    ),
    "a birth date that is no date": (
        "/fhir/Patient",
        fhir_bundle(with_patient(birthDate="01/01/1950")),
        {},
        400,
        "Bundle.entry[0].resource.birthDate: not a date",
    ),
    "a landline for a mobile": (
        "/fhir/Patient",
        fhir_bundle(
            with_patient(telecom=[{"system": "phone", "use": "mobile", "value": "0113 496 0001"}])
        ),
        {},
        400,
        "Bundle.entry[0].resource.telecom[0].value: not a mobile number",
    ),
    "an episode of someone else": (
        "/fhir/Patient",
        fhir_bundle(patient={"reference": "urn:uuid:other"}),
        {},
        400,
        "Bundle.entry[1].resource.patient: does not name the Patient in this Bundle",
    ),
    "an episode on hold": (
        "/fhir/Patient",
        fhir_bundle(status="onhold"),
        {},
        400,
        "Bundle.entry[1].resource.status: 'onhold' is not used by this service",
    ),
    "an episode with no type": (
        "/fhir/Patient",
        fhir_bundle(type=[]),
        {},
        400,
        "Bundle.entry[1].resource.type: no coding",
    ),
    "no mobile to enrol with": (
        "/fhir/Patient",
        fhir_bundle(with_patient(telecom=[])),
        {},
        422,
        "Patient.telecom: no mobile number, needed to enrol",
    ),
    "a Patient alone for nobody enrolled": (
        "/fhir/Patient",
        FHIR_PATIENT,
        {},
        422,
        "Patient.identifier: no patient of this trust has this NHS number",
    ),
    "an EpisodeOfCare naming nobody": (
        "/fhir/EpisodeOfCare",
        {
            "resourceType": "EpisodeOfCare",
            "status": "active",
            "type": [{"coding": [{"code": "x"}]}],
        },
        {},
        400,
        "EpisodeOfCare.patient: missing",
    ),
}


@pytest.fixture
def fhir_client(
    coordinators_database: dict[str, int],
) -> Iterator[tuple[TestClient, str, dict[str, int]]]:
    code, output = run("tokens", "issue", "--trust", "RXX", "--name", "catalogue EPR")
    assert code == 0, output
    token = next(word for word in output.split() if word.startswith("sn_"))
    with TestClient(create_app(), base_url=LOCAL, raise_server_exceptions=False) as test_client:
        yield test_client, token, row_counts()


def test_every_bad_fhir_request_gets_a_4xx_naming_the_element_and_changes_nothing(
    fhir_client: tuple[TestClient, str, dict[str, int]],
) -> None:
    client, token, before = fhir_client
    for case, (path, body, changes, expected, words) in sorted(FHIR_REQUESTS.items()):
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/fhir+json",
            "X-Request-ID": str(uuid.uuid4()),
            **changes,
        }
        headers = {name: value for name, value in headers.items() if value}
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        response = client.post(path, content=content, headers=headers)
        assert response.status_code == expected, f"{case}: {response.text[:500]}"
        assert words in response.text, f"{case}: {response.text[:500]}"
        assert row_counts() == before, case


def test_a_reused_request_id_with_another_body_gets_409_and_changes_nothing(
    fhir_client: tuple[TestClient, str, dict[str, int]],
) -> None:
    client, token, _ = fhir_client
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/fhir+json",
        "X-Request-ID": str(uuid.uuid4()),
    }
    first = client.post("/fhir/Patient", content=json.dumps(fhir_bundle()), headers=headers)
    assert first.status_code == 201, first.text
    after_first = row_counts()
    second = client.post(
        "/fhir/Patient", content=json.dumps(fhir_bundle(status="finished")), headers=headers
    )
    assert second.status_code == 409 and "already used" in second.text
    assert row_counts() == after_first
