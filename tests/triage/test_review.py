"""Every `unclear` reply carries how soon a person must read it: `urgent` or `routine`."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cli.main import app
from messages.triage import TriageResult, triage
from schema.vocabulary import Label, Review
from tests.triage.conftest import reaches_a_person_urgently


@pytest.mark.parametrize(
    "text",
    [
        "Is my scan still on Tuesday?",
        "Can you change my appointment to Friday please",
        "Sorry I think you've got the wrong number",
        "Got a stinking headache today",
        "Thanks, my new address is 12 High Street",
    ],
)
def test_questions_appointments_wrong_numbers_and_symptoms_outside_the_spine_are_routine(
    text: str,
) -> None:
    result = triage(text)
    assert result.label == Label.UNCLEAR
    assert result.review == Review.ROUTINE


@pytest.mark.parametrize(
    "text",
    [
        "All grand here, only my soles feel sort of far away",  # an unexplained body word
        "fine thanks, my shins are a bit strange",
        "something's not right down below",
        "my back, well, hard to describe",
        "kjhgf gfdsa",  # words no vocabulary knows
        "what should I do if my legs ever go weak?",  # a red symptom set aside
        "Je me sens bizarre aujourd'hui",  # a language the trust does not serve
    ],
)
def test_a_reply_about_the_body_a_hedge_or_words_it_cannot_read_is_urgent(text: str) -> None:
    result = triage(text)
    assert reaches_a_person_urgently(result)


def test_non_unclear_results_carry_no_review() -> None:
    for text in ("cant feel ma legs", "back pain worse at night", "fine thanks", "STOP"):
        assert triage(text).review is None


def test_an_unclear_result_without_a_review_fails_safe_to_urgent() -> None:
    assert TriageResult(label=Label.UNCLEAR).review == Review.URGENT


def test_a_review_on_a_label_other_than_unclear_is_refused() -> None:
    with pytest.raises(ValueError, match="review"):
        TriageResult(label=Label.RED, review=Review.ROUTINE)


def test_the_json_carries_review_at_the_top_level() -> None:
    data = json.loads(json.dumps(triage("who is this?").to_dict()))
    assert data["label"] == "unclear"
    assert data["review"] == "routine"
    assert json.loads(json.dumps(triage("fine thanks").to_dict()))["review"] is None


def test_safetynet_triage_prints_the_review_of_every_unclear_reply() -> None:
    result = CliRunner().invoke(app, ["triage"], input="who is this?\nfine thanks\n")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [(line["label"], line["review"]) for line in lines] == [
        ("unclear", "routine"),
        ("none", None),
    ]
