"""The lexicon's small pattern language, compiled to regular expressions over a token string.

A reply's tokens are joined as `` tok tok tok `` (see ``join_tokens``); one token in a pattern is
`` word`` followed by a space in the regex, so every match starts and ends on a token boundary.

    word        that word                      tingl*      any word starting "tingl"
    @NAME       any entry of the word list     (a|b c)     one of the alternatives
    x?          x is optional                  ...  ...6   up to 3 (or 6) words in between
    !x          the next word is not x (nothing is consumed)

A gap never runs over a full stop, a comma or a clause break such as "but" (``gap_stoppers``).

For speed, alternatives made only of plain words are compiled as a trie (one branch per word
instead of one try per phrase), and each pattern set knows words the reply must contain for any
of its patterns to match, so most sets are skipped without running their regex.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import product

from messages.triage.normalise import CLITICS

_PATTERN_TOKEN = re.compile(r"\.\.\.\d*|[()|?!]|[^\s()|?!]+")
DEFAULT_GAP = 3
_MAX_EXPANSION = 400  # word sequences a sequence of word lists may expand to before giving up


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


@dataclass(frozen=True, slots=True)
class Anchors:
    """Words (or word beginnings) of which a reply must contain one for a pattern to match."""

    words: frozenset[str]
    prefixes: frozenset[str]

    def __or__(self, other: Anchors) -> Anchors:
        return Anchors(self.words | other.words, self.prefixes | other.prefixes)


@dataclass(frozen=True, slots=True)
class _Piece:
    regex: str
    required: bool  # must match at least one token (not optional, not a gap or lookahead)
    anchors: Anchors | None  # for a required piece: its possible first tokens; None if unknown
    phrases: frozenset[tuple[str, ...]] | None  # the word sequences it matches, if only words


def _words_regex(words: Sequence[str]) -> str:
    return "".join(" " + re.escape(w) + "(?= )" for w in words)


def join_tokens(tokens: Sequence[str]) -> tuple[str, dict[int, int]]:
    """`` tok tok `` and a map from the space before each token (and the last space) to its
    position, which is where matches and gaps start and end."""
    index: dict[int, int] = {}
    offset = 0
    for i, token in enumerate(tokens):
        index[offset] = i
        offset += len(token) + 1
    index[offset] = len(tokens)
    return " " + " ".join(tokens) + " ", index


def _trie(phrases: Iterable[tuple[str, ...]]) -> str:
    root: dict[str, dict] = {}  # type: ignore[type-arg]
    for phrase in phrases:
        node = root
        for word in phrase:
            node = node.setdefault(word, {})
        node[""] = {}

    def emit(node: dict[str, dict]) -> str:  # type: ignore[type-arg]
        branches = [
            " " + re.escape(w) + "(?= )" + emit(child) for w, child in sorted(node.items()) if w
        ]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(root)


def _alternation(pieces: list[_Piece]) -> _Piece:
    phrases = [p for p in pieces if p.phrases is not None]
    others = [p for p in pieces if p.phrases is None]
    all_phrases = frozenset().union(*(p.phrases for p in phrases if p.phrases is not None))
    regexes = [p.regex for p in sorted(others, key=lambda p: len(p.regex), reverse=True)]
    if all_phrases:
        regexes.append(_trie(all_phrases))
    regex = regexes[0] if len(regexes) == 1 else "(?:" + "|".join(regexes) + ")"
    required = all(p.required for p in pieces)
    anchors: Anchors | None = None
    if required and all(p.anchors is not None for p in pieces):
        anchors = Anchors(frozenset(), frozenset())
        for p in pieces:
            assert p.anchors is not None
            anchors |= p.anchors
    return _Piece(regex, required, anchors, all_phrases if not others else None)


# Words too common to decide whether a pattern is worth running: prefer another anchor.
_COMMON = frozenset(
    ". , ? i my me the a an and to is it 's in of on at with for but so not no can't don't have "
    "has had be been was are am i'm i've his her he she you that this just all get got go going "
    "feel feels feeling like bit very really when now then still".split()
)


def _cost(anchors: Anchors | None) -> int:
    if anchors is None:
        return 1_000_000
    common = sum(1 for w in anchors.words if w in _COMMON)
    return common * 1000 + len(anchors.words) + 5 * len(anchors.prefixes)


def _sequence_of(parts: list[_Piece]) -> _Piece:
    regex = "".join(p.regex for p in parts)
    required = [p for p in parts if p.required]
    # any required part is a necessary condition; the rarest words make the best gate
    first = min(required, key=lambda p: _cost(p.anchors), default=None)
    phrases: frozenset[tuple[str, ...]] | None = None
    if all(p.phrases is not None for p in parts):
        expansions = 1
        for p in parts:
            assert p.phrases is not None
            expansions *= len(p.phrases)
        if expansions <= _MAX_EXPANSION:
            phrases = frozenset(
                tuple(w for phrase in combo for w in phrase)
                for combo in product(*(p.phrases or () for p in parts))
            )
    return _Piece(regex, first is not None, first.anchors if first else None, phrases)


class _Compiler:
    def __init__(
        self,
        words: Mapping[str, Sequence[str]],
        fold: Callable[[str], str],
        gap_stoppers: Iterable[str],
        list_cache: dict[str, _Piece],
    ) -> None:
        self.words = words
        self.fold = fold
        stoppers = sorted({fold(s) for s in gap_stoppers}, key=len, reverse=True)
        self.stop = "|".join(re.escape(s) for s in stoppers) or "(?!)"
        self.gap_count = 0
        self.list_cache = list_cache
        self.expanding: set[str] = set()

    def compile(self, pattern: str, *, allow_gaps: bool = True) -> _Piece:
        tokens = _PATTERN_TOKEN.findall(pattern)
        if not tokens:
            raise PatternError(f"empty pattern {pattern!r}")
        piece, pos = self._sequence(tokens, 0, pattern, allow_gaps)
        if pos != len(tokens):
            raise PatternError(f"unexpected {tokens[pos]!r} in pattern {pattern!r}")
        return piece

    def _sequence(
        self, tokens: list[str], pos: int, pattern: str, allow_gaps: bool
    ) -> tuple[_Piece, int]:
        parts: list[_Piece] = []
        while pos < len(tokens) and tokens[pos] not in ("|", ")"):
            token = tokens[pos]
            if token.startswith("..."):
                if not allow_gaps:
                    raise PatternError(f"a word list entry cannot hold a gap: {pattern!r}")
                size = int(token[3:]) if len(token) > 3 else DEFAULT_GAP
                name = f"g{self.gap_count}"
                self.gap_count += 1
                gap = f"(?P<{name}>(?: (?!(?:{self.stop})(?= ))[^ ]+){{0,{size}}}?)"
                parts.append(_Piece(gap, False, None, None))
                pos += 1
                continue
            if token == "!":
                atom, pos = self._atom(tokens, pos + 1, pattern, allow_gaps)
                parts.append(_Piece(f"(?!{atom.regex})", False, None, None))
                continue
            atom, pos = self._atom(tokens, pos, pattern, allow_gaps)
            if pos < len(tokens) and tokens[pos] == "?":
                phrases = None if atom.phrases is None else atom.phrases | {()}
                atom = _Piece(f"(?:{atom.regex})?", False, None, phrases)
                pos += 1
            parts.append(atom)
        if not parts:
            raise PatternError(f"empty alternative in pattern {pattern!r}")
        return _sequence_of(parts), pos

    def _atom(
        self, tokens: list[str], pos: int, pattern: str, allow_gaps: bool
    ) -> tuple[_Piece, int]:
        if pos >= len(tokens):
            raise PatternError(f"pattern ends too soon: {pattern!r}")
        token = tokens[pos]
        if token == "(":
            alternatives: list[_Piece] = []
            pos += 1
            while True:
                piece, pos = self._sequence(tokens, pos, pattern, allow_gaps)
                alternatives.append(piece)
                if pos >= len(tokens):
                    raise PatternError(f"unclosed '(' in pattern {pattern!r}")
                if tokens[pos] == ")":
                    return _alternation(alternatives), pos + 1
                pos += 1  # "|"
        if token in (")", "|", "?", "!"):
            raise PatternError(f"unexpected {token!r} in pattern {pattern!r}")
        if token.startswith("@"):
            return self._word_list(token[1:], pattern), pos + 1
        word = self.fold(token)
        if word.endswith("*") and len(word) > 1:
            stem = word[:-1]
            regex = " " + re.escape(stem) + "[^ ]*"
            return _Piece(regex, True, Anchors(frozenset(), frozenset({stem})), None), pos + 1
        words = (word,)
        for clitic in CLITICS:  # written "he's", read as the tokens "he 's"
            if word.endswith(clitic) and len(word) > len(clitic):
                words = (word[: -len(clitic)], clitic)
        anchors = Anchors(frozenset({words[0]}), frozenset())
        return _Piece(_words_regex(words), True, anchors, frozenset({words})), pos + 1

    def _word_list(self, name: str, pattern: str) -> _Piece:
        if name in self.list_cache:
            return self.list_cache[name]
        if name not in self.words:
            raise PatternError(f"unknown word list @{name} in pattern {pattern!r}")
        if name in self.expanding:
            raise PatternError(f"word list @{name} refers to itself")
        self.expanding.add(name)
        entries = [self.compile(entry, allow_gaps=False) for entry in self.words[name]]
        self.expanding.discard(name)
        piece = _alternation(entries)
        self.list_cache[name] = piece
        return piece


class _Unit:
    """One compiled regex over some tagged patterns, and the words a reply needs for it to run."""

    def __init__(self, entries: list[tuple[str, str, _Piece]]) -> None:
        self.entries = entries  # (tag, pattern text, piece)
        body = "|".join(f"(?P<p{i}>{piece.regex})" for i, (_, _, piece) in enumerate(entries))
        self.regex = re.compile(f"(?:{body})")
        self.anchors: Anchors | None = Anchors(frozenset(), frozenset())
        for _, _, piece in entries:
            if piece.anchors is None or self.anchors is None:
                self.anchors = None
            else:
                self.anchors |= piece.anchors

    def find_all(self, text: str, index: Mapping[int, int]) -> list[Hit]:
        hits: list[Hit] = []
        for match in self.regex.finditer(text):
            groups = match.groupdict()
            which = next(k for k, v in groups.items() if k[0] == "p" and v is not None)
            tag, pattern, _ = self.entries[int(which[1:])]
            gaps = []
            for name, value in groups.items():
                if name[0] == "g" and value:
                    s, e = match.span(name)
                    gaps.append((index[s], index[e]))
            hits.append(Hit(tag, pattern, index[match.start()], index[match.end()], tuple(gaps)))
        return hits


class PatternSet:
    """Tagged patterns; ``find`` returns their hits.

    Each pattern (or, with ``merge_tags``, each tag) has its own regex, so hits may overlap: cues
    need that ("not sure" and "not" are both seen, and the longer is chosen). A regex runs only
    when the reply holds one of its anchor words, found through an index by word.
    """

    def __init__(self, compiled: list[tuple[str, str, _Piece]]) -> None:
        self._units = [_Unit([entry]) for entry in compiled]
        self._for_token: dict[str, tuple[int, ...]] = {}
        self._always: list[_Unit] = []
        self._by_word: dict[str, list[_Unit]] = {}
        self._by_prefix: list[tuple[tuple[str, ...], _Unit]] = []
        for unit in self._units:
            if unit.anchors is None:
                self._always.append(unit)
                continue
            for word in unit.anchors.words:
                self._by_word.setdefault(word, []).append(unit)
            if unit.anchors.prefixes:
                self._by_prefix.append((tuple(unit.anchors.prefixes), unit))

    def __len__(self) -> int:
        return len(self._units)

    def _units_for(self, token: str) -> tuple[int, ...]:
        found = self._for_token.get(token)
        if found is None:
            units = list(self._by_word.get(token, ()))
            units += [u for prefixes, u in self._by_prefix if token.startswith(prefixes)]
            found = tuple(self._units.index(u) for u in units)
            if len(self._for_token) < 100_000:
                self._for_token[token] = found
        return found

    def find(self, text: str, index: Mapping[int, int], tokens: frozenset[str]) -> list[Hit]:
        chosen: set[int] = set()
        for token in tokens:
            chosen.update(self._units_for(token))
        hits: list[Hit] = []
        for unit in self._always:
            hits += unit.find_all(text, index)
        for i in sorted(chosen):
            hits += self._units[i].find_all(text, index)
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
        self._list_cache: dict[str, _Piece] = {}

    def build(self, tagged: Iterable[tuple[str, str]], *, merge_tags: bool = False) -> PatternSet:
        """With ``merge_tags`` the patterns of one tag become one alternation with its own regex
        (faster, and tags may overlap; the hit's pattern is then the tag)."""
        pairs = list(tagged)
        if merge_tags:
            grouped: dict[str, list[str]] = {}
            for tag, text in pairs:
                grouped.setdefault(tag, []).append(text)
            pairs = [
                (tag, "(" + " | ".join(texts) + ")" if len(texts) > 1 else texts[0])
                for tag, texts in grouped.items()
            ]
        compiler = _Compiler(self._words, self._fold, self._stoppers, self._list_cache)
        compiled = [(tag, text, compiler.compile(text)) for tag, text in pairs]
        if merge_tags:
            compiled = [(tag, tag, piece) for tag, _, piece in compiled]
        return PatternSet(compiled)
