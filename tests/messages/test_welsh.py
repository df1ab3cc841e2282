"""Welsh and bilingual wording (issue 17, H21): every patient template has its Welsh version,
every SMS is GSM-7 within its budget, the bilingual form is Welsh first, a Welsh reply is
recognised, and the trust's sign-off follows the wording."""

from __future__ import annotations

import csv
import dataclasses
import shutil
from pathlib import Path
from typing import Any

import pytest

from messages.catalogue import CATALOGUE, CHANNEL_FILES, TEMPLATE_DIR, variant
from messages.languages import BILINGUAL, correspondence_language, patient_languages
from messages.rendering import render
from messages.reply_language import reply_language
from messages.signoff import awaiting_sign_off, sign_off_status, wording_digest
from messages.sms import non_gsm_characters
from messages.template_checks import check_templates
from schema.trust_config import TranslationSignOff, TrustConfig

PATIENT = [spec for spec in CATALOGUE.values() if spec.audience == "patient"]
CORPUS = Path(__file__).resolve().parents[2] / "messages" / "triage" / "corpus"


@pytest.mark.parametrize("spec", PATIENT, ids=lambda spec: spec.key)
def test_every_patient_template_has_a_welsh_file_for_each_of_its_channels(spec: Any) -> None:
    for channel in spec.channels:
        for name in CHANNEL_FILES[channel]:
            assert (TEMPLATE_DIR / spec.key / variant(name, "cy")).is_file()


def test_every_welsh_and_bilingual_sms_is_gsm_7_and_within_its_budget(config: TrustConfig) -> None:
    checks = [
        c for c in check_templates(config) if c.channel == "sms" and c.language in ("cy", BILINGUAL)
    ]
    assert len(checks) == 2 * len([s for s in PATIENT if "sms" in s.channels])
    for check in checks:
        assert check.ok, check
        assert check.encoding == "GSM-7"
        assert check.segments is not None and check.budget is not None
        assert check.segments <= check.budget


def test_a_welsh_sms_written_with_a_circumflex_fails_its_check(
    config: TrustConfig, tmp_path: Path
) -> None:
    copy = tmp_path / "templates"
    shutil.copytree(TEMPLATE_DIR, copy)
    (copy / "thank_you" / "sms.cy.txt.j2").write_text("Diolch gan y t\u00eem")
    failed = [c for c in check_templates(config, copy) if not c.ok]
    assert [(c.key, c.language, c.encoding) for c in failed] == [
        ("thank_you", "cy", "UCS-2"),
        ("thank_you", "cy+en", "UCS-2"),
    ]


def test_welsh_sms_files_write_circumflexes_without_and_welsh_emails_keep_them() -> None:
    sms = list(TEMPLATE_DIR.glob("*/sms.cy.txt.j2"))
    assert sms and all(non_gsm_characters(path.read_text()) == [] for path in sms)
    emails = "".join(p.read_text() for p in TEMPLATE_DIR.glob("*/email*.cy.*.j2"))
    assert "t\u00eem" in emails  # tîm, as Welsh is written


def test_the_bilingual_sms_is_the_welsh_then_the_english(ordinary: dict[str, Any]) -> None:
    welsh = render("checkin", "sms", ordinary, "cy").text
    english = render("checkin", "sms", ordinary, "en").text
    both = render("checkin", "sms", ordinary, BILINGUAL)
    assert both.text == f"{welsh}\n\n{english}"
    assert both.sms is not None and both.sms.encoding == "GSM-7"


def test_the_bilingual_email_holds_both_languages_welsh_first_each_marked(
    ordinary: dict[str, Any],
) -> None:
    both = render("urgent_advice", "email", ordinary, BILINGUAL)
    assert both.subject == "Ffoniwch 0113 496 0001 nawr / Please phone 0113 496 0001 now"
    assert both.text.index("Diolch am eich neges") < both.text.index("Thank you for your message")
    html = both.html or ""
    assert html.count("<html") == 1 and '<html lang="cy">' in html
    assert html.index('<div lang="cy">') < html.index('<div lang="en">')
    assert "Anfonwyd gan eich t\u00eem" in html and "Sent by your hospital team" in html


def test_a_recorded_choice_is_kept_and_none_is_bilingual_only_where_welsh_is_served() -> None:
    assert correspondence_language("en", ["en", "cy"]) == "en"
    assert correspondence_language("cy", ["en", "cy"]) == "cy"
    assert correspondence_language(None, ["en", "cy"]) == BILINGUAL
    assert correspondence_language(None, ["en", "pl"]) == "en"
    assert patient_languages(["en", "cy"]) == ["en", "cy", BILINGUAL]
    assert patient_languages(["en", "pl"]) == ["en", "pl"]


def test_a_bilingual_budget_that_cannot_hold_both_fails_and_says_so(
    config: TrustConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = dataclasses.replace(CATALOGUE["welcome"], bilingual_sms_budget=6)
    monkeypatch.setitem(CATALOGUE, "welcome", spec)
    (failed,) = [c for c in check_templates(config) if not c.ok]
    assert (failed.key, failed.language, failed.problem) == (
        "welcome",
        BILINGUAL,
        "9 segments, budget 6",
    )


def corpus_rows() -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    # the rows the detector was written against; the held-out split is measured on its own
    for path in sorted(p for p in CORPUS.rglob("*.csv") if "heldout" not in p.parts):
        with path.open(encoding="utf-8", newline="") as handle:
            rows += [row for row in csv.DictReader(handle) if row.get("language")]
    return rows


def test_welsh_replies_in_the_corpus_are_recognised_and_others_almost_never() -> None:
    rows = corpus_rows()
    welsh = [r for r in rows if r["language"] == "cy"]
    others = [r for r in rows if r["language"] != "cy"]
    found = sum(reply_language(r["text"], ["en", "cy", "pl"]) == "cy" for r in welsh)
    wrong = sum(reply_language(r["text"], ["en", "cy", "pl"]) == "cy" for r in others)
    assert len(welsh) >= 140 and found >= 0.93 * len(welsh)
    assert wrong <= 2
    assert reply_language("Mae fy nghoesau yn wan iawn", ["en"]) is None  # not served


def test_every_welsh_template_awaits_sign_off_until_the_trust_records_its_wording(
    config: TrustConfig,
) -> None:
    awaiting = awaiting_sign_off(config)
    assert {s.key for s in awaiting} == {s.key for s in PATIENT}
    assert all("awaiting the trust's clinical and translation sign-off" in s.note for s in awaiting)
    record = TranslationSignOff(
        clinical="Dr A. Jones, MSCC lead",
        translation="Welsh Language Unit",
        date="2027-01-15",
        templates={"welcome": wording_digest("welcome", "cy")},
    )
    signed = config.model_copy(update={"translation_sign_off": {"cy": record}})
    status = {s.key: s for s in sign_off_status(signed)}
    assert status["welcome"].signed_off and "Dr A. Jones" in status["welcome"].note
    assert not status["checkin"].signed_off


def test_changed_welsh_wording_awaits_sign_off_again(config: TrustConfig, tmp_path: Path) -> None:
    copy = tmp_path / "templates"
    shutil.copytree(TEMPLATE_DIR, copy)
    record = TranslationSignOff(
        clinical="Dr A. Jones",
        translation="Welsh Language Unit",
        date="2027-01-15",
        templates={"help": wording_digest("help", "cy", copy)},
    )
    signed = config.model_copy(update={"translation_sign_off": {"cy": record}})
    assert not any(s.key == "help" for s in awaiting_sign_off(signed, copy))
    path = copy / "help" / "sms.cy.txt.j2"
    path.write_text(path.read_text() + "Diolch.\n")
    (changed,) = [s for s in awaiting_sign_off(signed, copy) if s.key == "help"]
    assert "the wording changed since" in changed.note
