"""Kinds of wording behind the safety misses of held-out set 4 (2026-12-01), each told in words
of our own. Only those misses were read (a red or amber reply labelled `none`); no other held-out
row was. Each case is a kind, not a row: the rows are not here."""

from __future__ import annotations

import pytest

from messages.triage import triage
from schema.vocabulary import Label
from tests.triage.conftest import reaches_a_person_urgently

NOT_FEELING_THE_NEED = [
    "haven't felt the urge to pee since breakfast",
    "not had the feeling I need the loo all day",
    "never feel the need to wee now, it just comes",
    "Dad says he's not felt the need to pass water since lunch",
]
UNSTEADY_AS_IF_DRUNK = [
    "walking like I've had a skinful and I haven't touched a drop",
    "legs all over the place like I've been on the beer all night",
    "staggering about like I've had six pints",
    "wobbling down the hall like I'm three sheets to the wind, and I've had none",
]
PLACE_OF_PAST_TREATMENT = [
    "Aching in my neck where they did the radiotherapy. No numbness though",
    "sore in the middle of my back where the cancer was treated last year",
    "pain between my shoulder blades where the tumour was zapped",
]
LACKING_NOT_DENIED = [
    "No appetite at all",
    "no appetite since Tuesday",
    "zero appetite and no energy",
]
# romanised Punjabi and Urdu: urine "not coming", in the progressive, after the word it follows
URINE_NOT_COMING = [
    "Dadi nu peshab nahi aa rehi subah ton",
    "mainu kal raat ton pishab nai aa reha",
    "abbu ko peshab nahi aa rahi kal se",
]
GONE_BY_ITSELF_LATELY = [
    "I'm fine now. My legs went numb yesterday but it's gone",
    "had pins and needles in both feet this morning, they've gone now",
    "the weakness in my arms on Saturday has passed, all good",
]
GONE_AND_SEEN_TO = [
    "the tingling stopped last month after my steroids",
    "The numbness I had in the summer went after treatment, all fine now",
]


@pytest.mark.parametrize("text", NOT_FEELING_THE_NEED)
def test_not_feeling_the_need_to_pass_urine_is_red(text: str) -> None:
    result = triage(text)
    assert result.label == Label.RED, result.evidence["reason"]


@pytest.mark.parametrize("text", UNSTEADY_AS_IF_DRUNK)
def test_walking_as_if_drunk_is_red_and_having_had_none_is_no_all_well(text: str) -> None:
    result = triage(text)
    assert result.label == Label.RED, result.evidence["reason"]


@pytest.mark.parametrize("text", PLACE_OF_PAST_TREATMENT)
def test_pain_where_a_tumour_was_treated_is_current_not_resolved(text: str) -> None:
    result = triage(text)
    assert result.label in (Label.AMBER, Label.RED), result.evidence["reason"]


@pytest.mark.parametrize("text", LACKING_NOT_DENIED)
def test_no_appetite_is_a_symptom_for_a_person_not_a_denial(text: str) -> None:
    result = triage(text)
    assert result.label == Label.UNCLEAR, result.evidence["reason"]


@pytest.mark.parametrize("text", URINE_NOT_COMING)
def test_urine_not_coming_told_in_the_progressive_is_red(text: str) -> None:
    result = triage(text)
    assert result.label == Label.RED, result.evidence["reason"]


@pytest.mark.parametrize("text", GONE_BY_ITSELF_LATELY)
def test_a_red_symptom_gone_by_itself_in_the_last_days_is_read_urgently(text: str) -> None:
    result = triage(text)
    assert result.label != Label.NONE, result.evidence["reason"]
    assert reaches_a_person_urgently(result)


@pytest.mark.parametrize("text", GONE_AND_SEEN_TO)
def test_a_red_symptom_gone_and_dealt_with_is_not_current(text: str) -> None:
    result = triage(text)
    assert result.label == Label.NONE, result.evidence["reason"]
