"""Plain-language symptoms from one file, and evidence rows that say what was read and why."""

from __future__ import annotations

import pytest

from messages.evidence import explain
from messages.symptoms import describe_reason, describe_symptom, words
from messages.template_context import AlertFacts, build_context
from messages.triage import triage
from messages.triage.loader import load_lexicon
from schema.trust_config import TrustConfig

LEXICON = load_lexicon(("en", "cy", "pl"))
SYMPTOM_CODES = sorted(LEXICON.severity)
QUALIFIER_CODES = sorted({t for u in LEXICON.qualifiers.units for t, _, _ in u.entries})
REASON_CODES = sorted({t for u in LEXICON.needs_person.units for t, _, _ in u.entries})


@pytest.mark.parametrize("code", SYMPTOM_CODES + QUALIFIER_CODES)
def test_every_symptom_code_the_lexicons_can_report_has_words_of_its_own(code: str) -> None:
    assert code in words().symptoms and "_" not in describe_symptom(code)


@pytest.mark.parametrize("code", REASON_CODES)
def test_every_reason_for_a_person_has_words_of_its_own(code: str) -> None:
    assert code in words().reasons and "_" not in describe_reason(code)


def test_the_staff_sms_and_the_dashboard_use_the_same_words_for_a_reply(
    config: TrustConfig,
) -> None:
    result = triage("my legs keep giving way")
    alert = AlertFacts(code="K7P2", level="red", symptoms=result.symptoms)
    sms_words = build_context(config, alert=alert)["alert"]["symptoms"]
    shown = explain(result.evidence, result.label, result.symptoms)
    assert sms_words == ["limb weakness"]
    assert shown.summary == "Red: a symptom of MSCC: limb weakness (“legs keep giving way”)."
    assert "limb_weakness" not in shown.summary + "".join(r.finding for r in shown.rows)


def test_each_row_says_the_words_the_finding_and_the_cue_and_none_is_blank() -> None:
    result = triage("no numbness or weakness, all good thanks")
    rows = explain(result.evidence, result.label).rows
    assert [(r.words, r.cue) for r in rows][:2] == [
        ("numbness", "negated by “no”"),
        ("weakness", "negated by “no”"),
    ]
    assert rows[0].finding == "numb or tingling arms or legs: a symptom of MSCC (red)"
    assert all(r.words and r.finding and r.cue for r in rows)
    assert [r.counted for r in rows[:4]] == [False, False, True, True]
    assert rows[4].finding == "the second reader's opinion" and not rows[4].counted


@pytest.mark.parametrize(
    ("reply", "cue"),
    [
        (
            "the tingling stopped last month after my steroids, fine now",
            "said to be over: “stopped”",
        ),
        ("my husband has back pain, I am fine", "about someone else: “a relative's own symptom”"),
        ("not sure if its tingling in my feet", "counted although uncertain (“not sure if”)"),
    ],
)
def test_the_cue_that_decided_a_finding_is_quoted(reply: str, cue: str) -> None:
    result = triage(reply)
    assert cue in [r.cue for r in explain(result.evidence, result.label).rows]


def test_the_second_readers_opinion_is_a_row_that_says_it_raised_the_label() -> None:
    evidence = {
        "reader": "second reader",
        "findings": [],
        "second_reader": {"p_red": 0.91, "p_alert": 0.97, "red_because": ["legs", "wobbly"]},
    }
    shown = explain(evidence, "red")
    assert shown.summary.startswith("Red: a symptom of MSCC: raised by the second reader")
    row = shown.rows[-1]
    assert (row.words, row.finding) == ("“legs”, “wobbly”", "the second reader's opinion")
    assert row.cue == (
        "raised by the second reader: chance of an MSCC symptom 91%, of any alert symptom 97%"
    )


def test_spelling_keywords_and_failures_are_said_in_words() -> None:
    misspelt = triage("cant feel ma legs numbnes")
    (spelling,) = [n for n in explain(misspelt.evidence, misspelt.label).notes if "Spelling" in n]
    assert spelling.startswith("Spelling read: “cant” as “can't”")
    assert "“numbnes” as “numbness”" in spelling
    stop = triage("STOP")
    assert explain(stop.evidence, stop.label).summary == (
        "STOP: the patient opts out (the keyword “STOP” as the whole message)."
    )
    failed = explain({"handling_failed": "OperationalError"}, None)
    assert failed.notes == ("Handling this reply failed, so a person must read it.",)
    assert failed.rows == ()


def test_older_evidence_without_findings_still_gets_rows_and_plain_words() -> None:
    shown = explain(
        {"reason": "red flag: limb_weakness 'x'", "matched": ["legs gone"]},
        "red",
        ["limb_weakness"],
    )
    assert shown.summary == "Red: a symptom of MSCC: limb weakness (“legs gone”)."
    assert [(r.words, r.cue) for r in shown.rows] == [("legs gone", "counted")]
