"""The three exception bugs of issue 11: each exception now cancels only what it is about."""

from __future__ import annotations

import pytest

from messages.triage import triage
from messages.triage.normalise import tokenise


@pytest.mark.parametrize(
    "text",
    [
        "had an accident by the kitchen door, didn't get to the loo",
        "kitchen accident - didn't make it to the loo",
        "wee accident in the kitchen",
        "I had an accident at work, wet myself",
        "Had a bowel accident at work",
        "had a poo accident in bed",
    ],
)
def test_a_bladder_or_bowel_accident_is_red_whatever_room_or_place_it_names(text: str) -> None:
    assert triage(text).label == "red"


@pytest.mark.parametrize("text", ["had a car accident last year", "went to accident and emergency"])
def test_an_accident_of_another_kind_is_not_incontinence(text: str) -> None:
    assert "incontinence" not in triage(text).symptoms


@pytest.mark.parametrize("text", ["my back pain is back", "back pain is back again"])
def test_a_back_pain_that_has_returned_is_amber(text: str) -> None:
    result = triage(text)
    assert result.label == "amber"
    assert "back_pain" in result.symptoms


def test_the_pain_is_back_still_does_not_name_the_back() -> None:
    assert "back_pain" not in triage("the pain is back").symptoms


def test_the_welsh_clitic_r_is_split_from_the_word_it_follows() -> None:
    assert tokenise("teimlo'r coesau mae'r boen", {})[0] == [
        "teimlo",
        "'r",
        "coesau",
        "mae",
        "'r",
        "boen",
    ]


@pytest.mark.parametrize("text", ["Dw i'n methu teimlo'r coesau", "ffaelu teimlo'r traed"])
def test_a_welsh_verb_before_the_clitic_r_is_read(text: str) -> None:
    assert triage(text).label == "red"
