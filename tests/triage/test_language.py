"""How triage reads the language of SMS replies: each rule of LABELS.md, in sentences of our own."""

from __future__ import annotations

import dataclasses
import json

import pytest

from messages.triage import TriageResult, triage


def label(text: str) -> str:
    return triage(text).label


# --- red flags written as negations are positive findings ---


@pytest.mark.parametrize(
    "text",
    [
        "can't feel my legs",
        "cant wee",
        "not able to walk since this morning",
        "no feeling in my feet",
        "I haven't been able to pass water today",
        "he can't stand up",
        "couldn't do my buttons up",
    ],
)
def test_a_red_flag_written_as_a_negation_is_red(text: str) -> None:
    assert label(text) == "red"


# --- negation scope ---


def test_no_numbness_or_weakness_negates_both() -> None:
    result = triage("no numbness or weakness")
    assert result.label == "none"
    assert set(result.evidence["negated"]) == {"numbness", "weakness"}


def test_no_pain_but_my_legs_are_weak_does_not_negate_the_weakness() -> None:
    result = triage("no pain but my legs are weak")
    assert result.label == "red"
    assert "limb_weakness" in result.symptoms


def test_a_list_of_symptom_nouns_after_no_is_negated_to_the_end() -> None:
    assert label("No tingling, numbness, weakness or bladder problems") == "none"


def test_a_clause_after_a_comma_is_outside_the_negation() -> None:
    assert label("no back pain, legs weak") == "red"


def test_though_after_a_listed_symptom_means_it_is_there() -> None:
    assert label("no back pain, weak legs though") == "red"


def test_a_full_stop_ends_the_negation() -> None:
    assert label("No pain. Numb feet.") == "red"


def test_a_negation_inside_the_phrase_negates_it() -> None:
    assert label("my legs are not weak") == "none"


def test_negated_back_pain_alone_is_none_and_recorded_as_negated() -> None:
    result = triage("no back pain today")
    assert result.label == "none"
    assert result.evidence["negated"] == ["back pain"]


# --- uncertainty counts as present ---


@pytest.mark.parametrize(
    "text",
    [
        "not sure if it's numbness in my feet",
        "might be nothing but my toes are tingly",
        "legs feel a bit odd",
        "I think my right leg is weaker",
    ],
)
def test_uncertain_wording_about_a_red_symptom_is_red(text: str) -> None:
    assert label(text) == "red"


def test_uncertainty_is_recorded_in_the_evidence() -> None:
    result = triage("maybe a bit of tingling in my fingers")
    assert result.label == "red"
    assert result.evidence["uncertain"]


# --- resolved symptoms ---


def test_a_symptom_fully_gone_and_treated_is_not_current() -> None:
    result = triage("The pins and needles stopped after the radiotherapy, all good now")
    assert result.label == "none"
    assert result.evidence["resolved"] == ["pins and needles"]


def test_a_symptom_nearly_gone_is_still_present() -> None:
    assert label("the numbness in my feet has nearly gone") == "red"


def test_a_symptom_that_has_not_gone_is_present() -> None:
    assert label("the tingling in my hands hasn't gone") == "red"


def test_a_resolved_symptom_does_not_hide_a_new_one() -> None:
    assert label("Back pain has gone but my feet are numb now") == "red"


def test_a_resolution_the_patient_doubts_does_not_count() -> None:
    assert label("I don't think the tingling in my feet has gone") == "red"


def test_a_mild_symptom_that_has_completely_gone_is_resolved() -> None:
    assert label("Had a bit of back pain last week but it's completely gone now") == "none"


def test_legs_gone_weak_is_not_a_resolution() -> None:
    assert label("my legs have gone weak") == "red"


def test_pain_that_will_not_stop_is_amber_not_resolved() -> None:
    assert label("my back pain won't stop") == "amber"


# --- carers and other people ---


def test_a_carer_reporting_the_patients_red_symptom_is_red() -> None:
    assert label("Husband here, she can't feel her feet and keeps falling") == "red"


def test_a_carer_reporting_back_pain_is_amber() -> None:
    assert label("Dad's back is really bad today") == "amber"


def test_a_relatives_own_symptom_when_the_patient_is_well_is_none() -> None:
    result = triage("I'm fine thanks, my husband's got numb feet from his diabetes though")
    assert result.label == "none"
    assert result.evidence["other_person"]


def test_the_carers_own_back_pain_is_none_when_the_patient_is_well() -> None:
    assert label("Mum's fine, I've hurt my back gardening though") == "none"


def test_a_first_person_red_flag_is_never_put_down_to_someone_else() -> None:
    assert label("Mum's fine. I can't feel my legs") == "red"


# --- keywords ---


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("STOP", "stop"),
        (" stop. ", "stop"),
        ("Unsubscribe!", "stop"),
        ("stop all", "stop"),
        ("Start", "start"),
        ("UNSTOP", "start"),
        ("help?", "help"),
        ("Info", "help"),
    ],
)
def test_a_keyword_as_the_whole_message_is_that_keyword(text: str, keyword: str) -> None:
    assert label(text) == keyword


@pytest.mark.parametrize(
    "text",
    ["please stop", "stop the texts", "help me", "the pain won't stop", "when do I start"],
)
def test_a_keyword_inside_a_sentence_is_not_a_keyword(text: str) -> None:
    assert label(text) not in ("stop", "start", "help")


# --- what it cannot read goes to a person ---


@pytest.mark.parametrize("text", ["", "   ", "?", "asdkjh", "😢", "🙂", "12", "Je ne sais pas"])
def test_text_it_cannot_read_is_unclear_never_none(text: str) -> None:
    assert label(text) == "unclear"


@pytest.mark.parametrize("text", ["👍", "👍🏽", "ok 👌", "Thumbs up"])
def test_a_thumbs_up_is_an_acknowledgement(text: str) -> None:
    assert label(text) == "none"


def test_a_question_needs_a_person_even_when_all_is_well() -> None:
    assert label("All good, is my scan still on Monday?") == "unclear"


def test_a_symptom_outside_the_spine_needs_a_person() -> None:
    assert label("fine apart from a bad cough") == "unclear"


# --- spelling, text-speak, capitals, emoji ---


@pytest.mark.parametrize(
    "text",
    [
        "NUMBNESS IN MY FEET",
        "numbnes in my feet",
        "tinglng in both hands",
        "pins n needles 😩",
        "legz r wobbly",
        "cnt feel me toes",
    ],
)
def test_spelling_capitals_and_emoji_do_not_change_a_red_label(text: str) -> None:
    assert label(text) == "red"


def test_an_unlisted_misspelling_is_read_with_fuzzy_matching_and_recorded() -> None:
    result = triage("tinglling in my feet")
    assert result.label == "red"
    assert result.evidence["spelling"] == {"tinglling": "tingling"}


@pytest.mark.parametrize("text", ["up a ladder in the garden", "I was leaning on the wall"])
def test_a_real_word_near_a_symptom_word_is_not_misread(text: str) -> None:
    result = triage(text)
    assert result.symptoms == ()
    assert "spelling" not in result.evidence


# --- Welsh and Polish ---


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mae fy nghoesau'n wan", "red"),
        ("pinnau bach yn fy nhraed", "red"),
        ("methu cerdded", "red"),
        ("poen yn fy nghefn", "amber"),
        ("Iawn diolch", "none"),
        ("Popeth yn iawn", "none"),
        ("Nie czuję nóg", "red"),
        ("drętwienie w nogach", "red"),
        ("nie mogę chodzić", "red"),
        ("Ból pleców coraz gorszy", "amber"),
        ("Wszystko w porządku, dziękuję", "none"),
        ("Czuję się dobrze", "none"),
        ("Nie rozumiem", "unclear"),
    ],
)
def test_welsh_and_polish_common_symptom_words_and_all_well_replies(
    text: str, expected: str
) -> None:
    assert label(text) == expected


def test_a_trust_serving_english_only_does_not_read_polish() -> None:
    assert triage("Nie czuję nóg", languages=("en",)).label == "unclear"


# --- the result ---


def test_the_result_is_frozen_and_serialises_to_json() -> None:
    result = triage("Back pain worse at night, can't feel my feet")
    assert isinstance(result, TriageResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.label = "none"  # type: ignore[misc]
    data = json.loads(json.dumps(result.to_dict()))
    assert data["label"] == "red"
    assert {"limb_numbness", "night_pain"} <= set(data["symptoms"])
    assert data["evidence"]["matched"]


def test_amber_back_pain_carries_its_nice_detail_codes() -> None:
    result = triage("pain between my shoulder blades, worse when I cough and at night")
    assert result.label == "amber"
    assert {"upper_back_pain", "straining_pain", "night_pain"} <= set(result.symptoms)


def test_a_red_symptom_buried_in_a_long_message_is_found() -> None:
    filler = "We had a lovely time at the seaside and the weather was kind to us. " * 20
    assert label(filler + "My legs went from under me on the prom. " + filler) == "red"


# --- negations that must not swallow a red flag ---


@pytest.mark.parametrize(
    "text",
    [
        "Without my frame I can't walk",
        "Never felt so weak in my legs",
        "my legs aren't right",
        "No. My legs are numb.",
        "Not numb, just tingly",
        "no improvement in the numbness",
        "Feet not as numb as yesterday but still numb",
        "Nothing much, just numb feet",
        "no pain, numb legs",
    ],
)
def test_a_negation_nearby_does_not_hide_a_red_flag(text: str) -> None:
    assert label(text) == "red"


@pytest.mark.parametrize(
    "text",
    [
        "Neither numb nor weak",
        "not had any numbness or tingling",
        "Haven't noticed any weakness",
        "no weakness in my legs or arms",
        "Hi, all good here, no new pain",
    ],
)
def test_a_denial_of_every_symptom_is_none(text: str) -> None:
    assert label(text) == "none"


# --- an all-well reply that also brings news ---


@pytest.mark.parametrize(
    "text",
    [
        "ok, my new address is 12 High Street",
        "Thanks. I've changed my mobile number",
        "Fine, but I've run out of my tablets",
        "Hi I'm fine, had a fall but it was because I tripped on the rug",
    ],
)
def test_an_acknowledgement_with_other_news_goes_to_a_person(text: str) -> None:
    assert label(text) == "unclear"


@pytest.mark.parametrize(
    "text",
    [
        "Fine thanks, we've had a lovely few days at the coast",
        "Thanks for asking, all fine, off to bingo later",
        "Had pins and needles in my feet in the summer but that was sorted. Nothing new now",
    ],
)
def test_an_all_well_reply_with_chat_is_none(text: str) -> None:
    assert label(text) == "none"
