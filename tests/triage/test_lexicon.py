"""The YAML lexicon: loads once, compiles every pattern, and explains its mistakes."""

from __future__ import annotations

import pytest

from messages.triage.loader import LexiconError, load_lexicon
from messages.triage.normalise import fold
from messages.triage.patterns import PatternBuilder, PatternError, join_tokens


def test_the_lexicon_is_loaded_once_and_cached() -> None:
    assert load_lexicon(("en", "cy", "pl")) is load_lexicon(("en", "cy", "pl"))


def test_every_symptom_has_a_severity_and_patterns() -> None:
    lexicon = load_lexicon()
    assert set(lexicon.severity.values()) <= {"red", "amber"}
    assert all(len(patterns) for patterns in lexicon.symptoms.values())
    assert {
        "radicular_pain",
        "limb_numbness",
        "limb_weakness",
        "saddle_numbness",
        "bladder",
        "bowel",
        "neck_pain",
        "back_pain",
    } <= set(lexicon.severity)


def test_yaml_words_like_no_and_off_stay_words() -> None:
    assert "no" in load_lexicon().vocabulary


def test_an_unknown_language_file_is_an_error() -> None:
    with pytest.raises(LexiconError):
        load_lexicon(("xx",))


def _find(pattern: str, text: str, words: dict[str, list[str]] | None = None) -> list[str]:
    built = PatternBuilder(words or {}, fold, [".", ",", "but"]).build([("t", pattern)])
    tokens = text.split()
    joined, index = join_tokens(tokens)
    return [" ".join(tokens[h.start : h.end]) for h in built.find(joined, index, frozenset(tokens))]


def test_a_pattern_gap_reaches_three_words_but_not_over_a_comma() -> None:
    assert _find("numb ... feet", "numb in my feet") == ["numb in my feet"]
    assert _find("numb ... feet", "numb in both of my feet") == []
    assert _find("numb ... feet", "numb , feet") == []


def test_word_lists_optional_words_prefixes_and_lookaheads() -> None:
    words = {"LEG": ["leg", "legs", "both legs"]}
    assert _find("@LEG weak", "both legs weak", words) == ["both legs weak"]
    assert _find("(very|so)? weak", "so weak") == ["so weak"]
    assert _find("tingl*", "tingly") == ["tingly"]
    assert _find("gone !numb", "gone numb") == []
    assert _find("gone !numb", "gone now") == ["gone"]


@pytest.mark.parametrize("pattern", ["(a|b", "@MISSING", "a )", "!"])
def test_a_broken_pattern_is_reported_with_the_pattern(pattern: str) -> None:
    with pytest.raises(PatternError, match=r"pattern|list|'"):
        PatternBuilder({}, fold, []).build([("t", pattern)])
