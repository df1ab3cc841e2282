"""Properties that hold for any text, checked with hypothesis."""

from __future__ import annotations

import json

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from messages.triage import triage
from messages.triage.keywords import keyword_of
from messages.triage.loader import load_lexicon
from messages.triage.result import LABELS

RED_SENTENCES = (
    "I can't feel my legs.",
    "My legs keep giving way.",
    "I have lost control of my bladder.",
    "Pins and needles in both feet.",
    "I've wet myself and didn't feel it.",
)
SAMPLE_REPLIES = (
    "fine thanks",
    "no numbness or weakness",
    "Mum's fine",
    "I'm fine but my wife has a bad back",
    "STOP",
    "back pain has gone",
    "no",
    "not",
    "The tingling stopped last month",
    "who is this?",
)
KEYWORDS = (
    "stop",
    "STOP",
    "Unsubscribe",
    "cancel",
    "end",
    "quit",
    "start",
    "unstop",
    "help",
    "INFO",
)

any_reply = st.one_of(st.text(max_size=1600), st.sampled_from(SAMPLE_REPLIES))
word = st.text(alphabet=st.characters(categories=("L", "N")), min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=1600))
def test_any_text_up_to_1600_characters_gets_a_label_without_error(text: str) -> None:
    result = triage(text)
    assert result.label in LABELS
    assert "error" not in result.evidence
    json.dumps(result.to_dict())


@settings(max_examples=200, deadline=None)
@given(any_reply, st.sampled_from(RED_SENTENCES))
def test_appending_a_clear_red_symptom_sentence_to_any_reply_gives_red(
    reply: str, sentence: str
) -> None:
    assert triage(f"{reply}\n{sentence}").label == "red"


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(KEYWORDS), st.lists(word, min_size=1, max_size=3), st.booleans())
def test_a_keyword_with_other_words_around_it_is_not_a_keyword(
    keyword: str, words: list[str], before: bool
) -> None:
    text = " ".join([*words, keyword] if before else [keyword, *words])
    assume(keyword_of(text, load_lexicon().keywords) is None)  # "stop all" IS a keyword
    assert triage(text).label not in ("stop", "start", "help")
