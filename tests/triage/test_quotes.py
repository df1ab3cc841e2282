"""Our own words quoted back are not the patient's: they are stripped before reading."""

from __future__ import annotations

from messages.triage import triage
from messages.triage.quotes import strip_quotes
from schema.vocabulary import Label, Review

CHECKIN = (
    "Hi Ann, it's your hospital team. How are you? Please reply in your own words, including any "
    "new pain, numbness, weakness, or bladder or bowel problems."
)


def test_a_quotation_of_what_we_sent_is_removed_and_named_in_the_evidence() -> None:
    reply = f"All fine thanks. {CHECKIN}"
    result = triage(reply, sent=[CHECKIN])
    assert result.label == Label.NONE
    assert result.evidence["quoted_ours"]


def test_without_the_sent_text_our_template_quoted_at_length_is_still_recognised() -> None:
    reply = (
        "Fine, nothing new. You sent: Please reply in your own words, including any new pain, "
        "numbness, weakness, or bladder or bowel problems."
    )
    assert triage(reply).label == Label.NONE


def test_a_quoted_line_is_not_the_patients() -> None:
    reply = "> Any new numbness, weakness or trouble using arms or legs?\nNo, all good thanks"
    result = triage(reply)
    assert result.label == Label.NONE
    assert result.evidence["quoted_ours"]


def test_a_few_of_our_words_used_for_the_patients_own_symptom_are_read() -> None:
    assert triage("I have new numbness in my legs", sent=[CHECKIN]).label == Label.RED


def test_our_symptom_list_quoted_after_words_of_the_patients_goes_to_urgent_review() -> None:
    reply = "I have these: new pain, numbness, weakness, or bladder or bowel problems"
    result = triage(reply, sent=[CHECKIN])
    assert result.label == Label.RED or result.review == Review.URGENT


def test_a_reply_that_is_only_a_quote_is_read_as_it_is() -> None:
    # nothing of the patient's own is left: a person sees what was sent back
    stripped = strip_quotes("> How are you?")
    assert stripped.text == "> How are you?"
