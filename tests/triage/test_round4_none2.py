"""Round 4, `none` round 2: an all-well reply that tells of someone else's symptom, said outright,
is shown `none`, in wordings written for this test by kind, never taken from a corpus row; beside
each kind, the wordings that must still reach a person.

H41: the relative named as the one who has it ("my husband is the one with the bad back", "it's my
sister who has the sciatica, not me": a trailing "not me" had hidden the cue), or said not to be the
patient ("Mum had a fall but she's not the patient"), beside the sender's own all-well.
H42: "I'm all good", "I'm right as rain" say the sender is well, as "I'm fine" does."""

from __future__ import annotations

import pytest

from messages.triage import triage
from schema.vocabulary import Label, Review

SOMEONE_ELSES_SAID_OUTRIGHT = [
    "It's my brother who has the sciatica not me, I'm fine",
    "I'm fine. it's my wife who has the numb toes, not me",
    "its dad who's got the tingling in his hands, I'm ok",
    "My son is the one with the bad back, I'm all good thanks",
    "Our daughter's the one with the stiff neck this week, me I'm fine",
    "My partner is the one who keeps falling, I'm well thank you",
    "Gran had a tumble on Sunday but she's not the patient, I am, and I'm fine",
    "My neighbour had a fall though she isn't one of your patients. I'm well",
    "Auntie's had a fall but she's not on your list. I'm fine thanks",
]

SENDER_WELL_IN_OTHER_WORDS = [
    "I'm all good, thanks for checking",
    "Me all fine here x",
    "I'm right as rain, ta",
    "Hubby has a sore back from the garden, I'm all good",
    "My sister fell off her bike, I'm on top form though",
]

# the sender's own symptom, or the patient's told by a carer, beside the same ways of speaking
STILL_AN_ALERT = [
    ("Mum had a fall but she's not the patient, I am, and my legs are weak", Label.RED),
    ("It's my brother who has the sciatica, not me, and my feet are numb", Label.RED),
    ("My husband is the one with the bad back, and my legs keep giving way", Label.RED),
    ("I'm all good but I can't feel my feet", Label.RED),
    ("I'm right as rain apart from the tingling in my toes", Label.RED),
    ("Mum's the one who's our patient, she can't feel her legs", Label.RED),
    ("She's not herself, Dad says her legs went from under her", Label.RED),
    ("I'm all good except my back is killing me at night", Label.AMBER),
    # a carer naming the patient, then telling of them after a comma (urgent review on main for
    # "it's my X who ...": the relative's cue reached over the comma)
    ("My mum's the one who's your patient, she can't feel her legs", Label.RED),
    ("my dad is the one with the cancer, he can't feel his feet", Label.RED),
    ("It's my dad who is the patient, he can't walk now", Label.RED),
    ("It's my wife who has cancer, she can't feel her feet", Label.RED),
    ("its my husband with the cancer, his legs went", Label.RED),
]


@pytest.mark.parametrize("text", SOMEONE_ELSES_SAID_OUTRIGHT)
def test_a_relatives_own_symptom_said_outright_beside_an_all_well_is_shown_none(
    text: str,
) -> None:
    result = triage(text)
    assert result.label == Label.NONE, result.evidence["reason"]


@pytest.mark.parametrize("text", SENDER_WELL_IN_OTHER_WORDS)
def test_the_sender_saying_they_are_all_good_or_right_as_rain_is_shown_none(text: str) -> None:
    result = triage(text)
    assert result.label == Label.NONE, result.evidence["reason"]


@pytest.mark.parametrize(("text", "label"), STILL_AN_ALERT)
def test_the_senders_own_or_the_patients_symptom_beside_those_words_is_still_an_alert(
    text: str, label: Label
) -> None:
    result = triage(text)
    assert result.label == label, result.evidence["reason"]


def test_a_relative_said_to_have_it_with_no_all_well_still_reaches_a_person_urgently() -> None:
    result = triage("it's my wife who has the numb legs")
    assert result.label == Label.UNCLEAR
    assert result.review == Review.URGENT
