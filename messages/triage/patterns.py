"""The lexicon's small pattern language, compiled to regular expressions over a token string.

A reply's tokens are joined as `` tok tok tok `` (a space before and after each), so one token in a
pattern is ``word `` in the regex and every match starts and ends on a token boundary.

    word        that word                      tingl*      any word starting "tingl"
    @NAME       any entry of the word list     (a|b c)     one of the alternatives
    x?          x is optional                  ...  ...6   up to 3 (or 6) words in between
    !x          the next word is not x (nothing is consumed)

A gap never runs over a full stop, a comma or a clause break such as "but" (``gap_stoppers``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from messages.triage.normalise import CLITICS

_PATTERN_TOKEN = re.compile(r"\.\.\.\d*|[()|?!]|[^\s()|?!]+")
DEFAULT_GAP = 3


class PatternError(ValueError):
    """A lexicon pattern that cannot be read; the message names the pattern."""


@dataclass(frozen=True, slots=True)
class Hit:
    """One match of one pattern, in token positions (end is exclusive)."""

    tag: str
    pattern: str
    start: int
    end: int
    gaps: tuple[tuple[int, int], ...]

    @property
    def literal(self) -> frozenset[int]:
        """Token positions matched by the pattern's own words rather than by a gap."""
        inside = {i for s, e in self.gaps for i in range(s, e)}
        return frozenset(i for i in range(self.start, self.end) if i not in inside)


class _Compiler:
    def __init__(
        self,
        words: Mapping[str, Sequence[str]],
        fold: Callable[[str], str],
        gap_stoppers: Iterable[str],
    ) -> None:
        self.words = words
        self.fold = fold
        stoppers = sorted({fold(s) for s in gap_stoppers}, key=len, reverse=True)
        self.stop = "|".join(re.escape(s) for s in stoppers) or "(?!)"
        self.gap_count = 0
        self.class_cache: dict[str, str] = {}
        self.expanding: set[str] = set()

    def compile(self, pattern: str, *, allow_gaps: bool = True) -> str:
        tokens = _PATTERN_TOKEN.findall(pattern)
        if not tokens:
            raise PatternError(f"empty pattern {pattern!r}")
        regex, pos = self._sequence(tokens, 0, pattern, allow_gaps)
        if pos != len(tokens):
            raise PatternError(f"unexpected {tokens[pos]!r} in pattern {pattern!r}")
        return regex

    def _sequence(
        self, tokens: list[str], pos: int, pattern: str, allow_gaps: bool
    ) -> tuple[str, int]:
        parts: list[str] = []
        while pos < len(tokens) and tokens[pos] not in ("|", ")"):
            token = tokens[pos]
            if token.startswith("..."):
                if not allow_gaps:
                    raise PatternError(f"a word list entry cannot hold a gap: {pattern!r}")
                size = int(token[3:]) if len(token) > 3 else DEFAULT_GAP
                name = f"g{self.gap_count}"
                self.gap_count += 1
                parts.append(f"(?P<{name}>(?:(?!(?:{self.stop}) )[^ ]+ ){{0,{size}}}?)")
                pos += 1
                continue
            if token == "!":
                atom, pos = self._atom(tokens, pos + 1, pattern, allow_gaps)
                parts.append(f"(?!{atom})")
                continue
            atom, pos = self._atom(tokens, pos, pattern, allow_gaps)
            if pos < len(tokens) and tokens[pos] == "?":
                atom = f"(?:{atom})?"
                pos += 1
            parts.append(atom)
        if not parts:
            raise PatternError(f"empty alternative in pattern {pattern!r}")
        return "".join(parts), pos

    def _atom(self, tokens: list[str], pos: int, pattern: str, allow_gaps: bool) -> tuple[str, int]:
        if pos >= len(tokens):
            raise PatternError(f"pattern ends too soon: {pattern!r}")
        token = tokens[pos]
        if token == "(":
            alternatives: list[str] = []
            pos += 1
            while True:
                regex, pos = self._sequence(tokens, pos, pattern, allow_gaps)
                alternatives.append(regex)
                if pos >= len(tokens):
                    raise PatternError(f"unclosed '(' in pattern {pattern!r}")
                if tokens[pos] == ")":
                    return "(?:" + "|".join(alternatives) + ")", pos + 1
                pos += 1  # "|"
        if token in (")", "|", "?", "!"):
            raise PatternError(f"unexpected {token!r} in pattern {pattern!r}")
        if token.startswith("@"):
            return self._word_list(token[1:], pattern), pos + 1
        word = self.fold(token)
        if word.endswith("*") and len(word) > 1:
            return re.escape(word[:-1]) + "[^ ]* ", pos + 1
        for clitic in CLITICS:  # written "he's", read as the tokens "he 's"
            if word.endswith(clitic) and len(word) > len(clitic):
                return re.escape(word[: -len(clitic)]) + " " + re.escape(clitic) + " ", pos + 1
        return re.escape(word) + " ", pos + 1

    def _word_list(self, name: str, pattern: str) -> str:
        if name in self.class_cache:
            return self.class_cache[name]
        if name not in self.words:
            raise PatternError(f"unknown word list @{name} in pattern {pattern!r}")
        if name in self.expanding:
            raise PatternError(f"word list @{name} refers to itself")
        self.expanding.add(name)
        entries = [self.compile(entry, allow_gaps=False) for entry in self.words[name]]
        self.expanding.discard(name)
        # longest first, so "pins and needles" wins over "pins"
        entries.sort(key=len, reverse=True)
        regex = "(?:" + "|".join(entries) + ")"
        self.class_cache[name] = regex
        return regex


class PatternSet:
    """Many tagged patterns compiled into one regex; ``find`` returns every non-overlapping hit."""

    def __init__(self, compiled: list[tuple[str, str, str]], gap_names: int) -> None:
        self._entries = compiled  # (tag, pattern text, regex)
        body = "|".join(f"(?P<p{i}>{regex})" for i, (_, _, regex) in enumerate(compiled))
        self._regex = re.compile(f"(?<= )(?:{body})" if compiled else "(?!)")
        self._gap_names = [f"g{i}" for i in range(gap_names)]

    def __len__(self) -> int:
        return len(self._entries)

    def find(self, text: str, index: Mapping[int, int]) -> list[Hit]:
        hits: list[Hit] = []
        for match in self._regex.finditer(text):
            which = match.lastgroup
            if which is None or not which.startswith("p"):
                which = next(k for k, v in match.groupdict().items() if k[0] == "p" and v)
            tag, pattern, _ = self._entries[int(which[1:])]
            gaps = []
            for name, value in match.groupdict().items():
                if name[0] == "g" and value:
                    s, e = match.span(name)
                    gaps.append((index[s], index[e]))
            hits.append(Hit(tag, pattern, index[match.start()], index[match.end()], tuple(gaps)))
        return hits


class PatternBuilder:
    """Compiles patterns against one set of word lists; builds PatternSets from tagged lists."""

    def __init__(
        self,
        words: Mapping[str, Sequence[str]],
        fold: Callable[[str], str],
        gap_stoppers: Iterable[str],
    ) -> None:
        self._words = words
        self._fold = fold
        self._stoppers = list(gap_stoppers)
        self._class_cache: dict[str, str] = {}

    def build(self, tagged: Iterable[tuple[str, str]]) -> PatternSet:
        compiler = _Compiler(self._words, self._fold, self._stoppers)
        compiler.class_cache = self._class_cache
        compiled = [(tag, text, compiler.compile(text)) for tag, text in tagged]
        # the most specific (longest) pattern first: at one start position the first that fits wins
        compiled.sort(key=lambda entry: _specificity(entry[1]), reverse=True)
        return PatternSet(compiled, compiler.gap_count)


def _specificity(pattern: str) -> int:
    return sum(
        1 for t in _PATTERN_TOKEN.findall(pattern) if t not in "()|?!" and not t.startswith("...")
    )
