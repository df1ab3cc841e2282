"""Properties that hold for any text, checked with hypothesis."""

from __future__ import annotations

import json

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from messages.triage import triage
from messages.triage.keywords import keyword_of
from messages.triage.loader import load_lexicon
from messages.triage.result import LABELS
from schema.vocabulary import Label

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


ALL_WELL = (
    "fine thanks",
    "All good here thank you",
    "Nothing new, no numbness or weakness",
    "I'm grand, off to bingo later",
    "Wszystko w porządku, dziękuję",
    "Iawn diolch",
    "Sunt bine, mulțumesc",
    "ok 👍",
)
BODY_PARTS = (
    "legs", "feet", "toes", "soles", "hands", "fingers", "back", "spine", "neck", "bum",
    "bladder", "bowels", "knees", "thighs", "arms", "shins", "heels", "groin",
)  # fmt: skip
# Random letters sometimes spell the body told well ("my legs gud"): that is shown all-well.
SAYS_WELL = {"good", "gud", "fine", "grand", "okay", "well", "great", "better", "strong", "normal"}
DESCRIPTIONS = st.lists(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=9).filter(
        lambda word: word not in SAYS_WELL
    ),
    min_size=1,
    max_size=4,
).map(" ".join) | st.sampled_from(
    ["feel far away", "are not themselves", "sort of gone", "feel like cardboard", "went odd"]
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(ALL_WELL), st.sampled_from(BODY_PARTS), DESCRIPTIONS, st.booleans())
def test_an_unexplained_body_phrase_added_to_an_all_well_reply_never_gives_none(
    reply: str, part: str, description: str, before: bool
) -> None:
    phrase = f"my {part} {description}"
    text = f"{phrase}. {reply}" if before else f"{reply}, only {phrase}"
    assert triage(text).label != Label.NONE


OURS = (
    "Hi Ann, it's your hospital team. How are you? Please reply in your own words, including any "
    "new pain, numbness, weakness, or bladder or bowel problems.",
    "Phone 0113 496 0001 (24 hours) NOW if you get: a band of pain down an arm or leg or round "
    "your body; numbness, weakness or trouble using arms or legs; bladder or bowel control "
    "problems.",
)
REPLIES = st.sampled_from(
    [
        "fine thanks",
        "All good, nothing new",
        "my legs have gone weak",
        "back pain worse at night",
        "who is this?",
        "cant feel ma legs",
        "no numbness or weakness",
        "Thanks, I'm well",
    ]
)


@settings(max_examples=150, deadline=None)
@given(REPLIES, st.sampled_from(OURS), st.sampled_from(["before", "after", "quoted"]))
def test_our_own_message_quoted_inside_a_reply_changes_nothing(
    reply: str, ours: str, where: str
) -> None:
    if where == "before":
        text = f"{ours}\n{reply}"
    elif where == "after":
        text = f"{reply}\n\n{ours}"
    else:
        text = f"{reply}\n> {ours}"
    alone = triage(reply, sent=[ours])
    quoted = triage(text, sent=[ours])
    assert (quoted.label, quoted.review) == (alone.label, alone.review)


RED_IN_OTHER_WORDS = (
    "My legs keep giving way.",
    "Nie czuję nóg.",
    "Mae fy nghoesau'n wan iawn.",
    "I can't control my bladder any more.",
    "my handwriting has gone to pot and I keep dropping cups.",
)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(SAMPLE_REPLIES + ALL_WELL), st.sampled_from(RED_IN_OTHER_WORDS))
def test_a_clear_red_sentence_in_any_language_the_trust_serves_added_to_a_reply_gives_red(
    reply: str, sentence: str
) -> None:
    assert triage(f"{reply}\n{sentence}").label == Label.RED
