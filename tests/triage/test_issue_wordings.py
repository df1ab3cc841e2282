"""The kinds of failure issue 11 lists, in its own new wordings and others of the same kind.
Each must now reach the label LABELS.md gives it, or at least a person, urgently."""

from __future__ import annotations

import pytest

from messages.triage import triage
from schema.vocabulary import Label, Review
from tests.triage.conftest import reaches_a_person_urgently


def urgent(text: str) -> bool:
    result = triage(text)
    return reaches_a_person_urgently(result)


# 1. `none` is shown, not granted from positive cues
@pytest.mark.parametrize(
    "text",
    [
        "All grand here, only my soles feel sort of far away",
        "Fine thanks, bit of a funny feeling in my calves",
        "none of the above but my toes feel odd",
        "same as last week apart from my feet",
        "no pain, but my legs feel like they belong to someone else",
    ],
)
def test_an_all_well_phrase_beside_an_unplaced_body_word_is_never_none(text: str) -> None:
    assert triage(text).label != Label.NONE
    assert urgent(text)


# 2. negation as people write it
@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("never known tingling like this in my life", Label.RED),
        ("nothing to report apart from a stiff sore neck", Label.AMBER),
        ("feet are fine, it's my fingers, can't do buttons up", Label.RED),
        ("I wouldn't call it numb but my feet aren't right", Label.RED),
        ("I wouldn't say my arms aren't weaker", Label.RED),
        ("Not that I don't have any feeling in my feet, it's just much less", Label.RED),
    ],
)
def test_negation_is_read_by_clause_contrast_and_hedge(text: str, label: Label) -> None:
    assert triage(text).label == label


def test_not_on_a_modifier_does_not_deny_the_pain() -> None:
    assert urgent("this isn't my normal twinge, it sits further up")


# 3. a symptom and its place far apart
@pytest.mark.parametrize(
    "text",
    [
        "sore when I press, just there, in the middle of my back bone",
        "my back, well, it has got steadily worse since Monday",
    ],
)
def test_a_symptom_and_its_place_across_commas_are_read_together(text: str) -> None:
    assert triage(text).label in (Label.AMBER, Label.RED)


# 4. lay phrasing and symptoms told by their effect
@pytest.mark.parametrize(
    "text",
    [
        "had to get a walking stick to get about",
        "crawling up the stairs on my hands and knees",
        "my handwriting has gone to pot",
        "keep dropping cups",
        "like walking on gravel",
        "I'm holding onto the walls to get from room to room",
        "my legs feel like concrete blocks",
    ],
)
def test_a_red_symptom_told_by_its_effect_is_red(text: str) -> None:
    assert triage(text).label == Label.RED


def test_my_backs_murdering_me_is_amber() -> None:
    assert triage("my back's murdering me").label == Label.AMBER


# 6. voice-to-text real-word errors
@pytest.mark.parametrize(
    "text", ["tinkling in my toes", "can't control my ladder", "my legs feel week"]
)
def test_voice_to_text_real_word_errors_are_read(text: str) -> None:
    assert triage(text).label == Label.RED


# 7. false alarms
@pytest.mark.parametrize(
    "text",
    [
        "You said to text if my legs go weak - mine are fine",
        '"Tell us if you get numbness or tingling" - no, nothing like that, thanks',
        "right as rain again since the physio sorted it",
        "no fresh aches, tingling or wobbliness",
        "I'm fine thanks, my husband's got numb feet from his diabetes though",
    ],
)
def test_a_false_alarm_is_none(text: str) -> None:
    assert triage(text).label == Label.NONE


def test_a_hypothetical_question_is_not_red_but_a_person_reads_it_urgently() -> None:
    result = triage("what should I do if my legs ever go weak?")
    assert result.label == Label.UNCLEAR
    assert result.review == Review.URGENT
    assert result.evidence["hypothetical"]
