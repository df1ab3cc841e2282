"""Read misspellings and text-speak as the words they stand for.

Listed spellings come from the lexicon (``spellings:``). A word that is not listed and not known is
compared with rapidfuzz against the lexicon's ``fuzzy.targets`` (the distinctive symptom words);
it is read as the closest one only when it is long enough, starts with the same letter and is
similar enough (at most one edit in a word of up to six letters, two in a longer one). Real words
that sit one letter from a target ("ladder", "feeding") are listed under ``fuzzy.protected``.
Answers are cached per word.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from messages.triage.loader import Lexicon

_DOUBLE = re.compile(r"(\w)\1")
_CACHE_LIMIT = 50_000


class Speller:
    def __init__(self, lexicon: Lexicon, known: frozenset[str] = frozenset()) -> None:
        self._lexicon = lexicon
        # a real word is never read as a misspelling of another ("spoiling" is not "soiling");
        # voice-to-text real-word errors have patterns of their own ("control my ladder")
        self._known = known
        self._targets_by_letter: dict[str, list[str]] = {}
        for target in lexicon.fuzzy_targets:
            self._targets_by_letter.setdefault(target[:1], []).append(target)
        self._cache: dict[str, tuple[tuple[str, ...], str | None]] = {}

    def read(self, word: str) -> tuple[tuple[str, ...], str | None]:
        """The word(s) to read instead, and how they were found ('listed', 'fuzzy' or None)."""
        cached = self._cache.get(word)
        if cached is None:
            cached = self._read(word)
            if len(self._cache) < _CACHE_LIMIT:
                self._cache[word] = cached
        return cached

    def _read(self, word: str) -> tuple[tuple[str, ...], str | None]:
        lexicon = self._lexicon
        listed = lexicon.spellings.get(word)
        if listed is not None:
            return listed, "listed"
        if word in lexicon.vocabulary or word in self._known:
            return (word,), None
        if not word.isalpha():
            # a nought for an o ("rep0rt", "g00d")
            nought = word.replace("0", "o")
            if nought != word and nought.isalpha() and nought in self._known:
                return (nought,), "listed"
            return (word,), None
        # text-speak drops the g ("askin", "watchin")
        if word.endswith("in") and len(word) > 4:
            dropped = word + "g"
            if dropped in self._known or dropped in lexicon.vocabulary:
                return (dropped,), "listed"
        single = _DOUBLE.sub(r"\1", word)
        if single != word and single in lexicon.vocabulary:
            return (single,), "fuzzy"
        if single != word and single in lexicon.spellings:
            return lexicon.spellings[single], "listed"
        if len(word) < lexicon.fuzzy_min_length:
            return (word,), None
        targets = self._targets_by_letter.get(word[:1])
        if not targets:
            return (word,), None
        best = process.extractOne(
            word, targets, scorer=fuzz.ratio, score_cutoff=lexicon.fuzzy_cutoff
        )
        # one slip in a short word, two in a longer one: more is a different word, not a typo
        if best is None or Levenshtein.distance(word, best[0]) > (1 if len(word) <= 6 else 2):
            return (word,), None
        return (best[0],), "fuzzy"

    def tokens(
        self, norms: list[str], surfaces: list[str]
    ) -> tuple[list[str], list[str], dict[str, str]]:
        """Tokens with spellings read, their surfaces, and what was read as what (evidence)."""
        out_norms: list[str] = []
        out_surfaces: list[str] = []
        changed: dict[str, str] = {}
        cache = self._cache
        for word, surface in zip(norms, surfaces, strict=True):
            cached = cache.get(word)
            words, how = cached if cached is not None else self.read(word)
            if how is None:
                out_norms.append(word)
                out_surfaces.append(surface)
                continue
            changed[surface] = " ".join(words)
            out_norms += words
            out_surfaces += [surface] * len(words)
        return out_norms, out_surfaces, changed
