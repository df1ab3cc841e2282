"""Welsh opt-out, opt-in and help words are keywords as the English ones are: only as the whole
message, whatever the case, spacing or punctuation (Welsh Language Standards: a Welsh opt-out is
an opt-out, and its confirmation is in Welsh)."""

from __future__ import annotations

import pytest

from messages.reply_language import reply_language
from messages.triage import triage
from schema.vocabulary import Label

SERVED = ("en", "cy")


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("STOPIO", Label.STOP),
        ("Stopio.", Label.STOP),
        (" canslo ", Label.STOP),
        ("Dad-danysgrifio", Label.STOP),
        ("Dechrau", Label.START),
        ("ailddechrau!", Label.START),
        ("Cymorth", Label.HELP),
    ],
)
def test_a_welsh_keyword_alone_is_that_keyword(text: str, label: Label) -> None:
    assert triage(text, languages=SERVED).label == label


@pytest.mark.parametrize(
    "text",
    ["stopio'r negeseuon os gwelwch yn dda, mae fy nghoesau'n wan", "mae'r boen wedi stopio ond"],
)
def test_a_welsh_keyword_inside_a_sentence_is_read_not_obeyed(text: str) -> None:
    assert triage(text, languages=SERVED).label not in (Label.STOP, Label.START, Label.HELP)


def test_a_welsh_opt_out_is_answered_in_welsh() -> None:
    assert reply_language("STOPIO", SERVED) == "cy"
