"""The lexicon's small pattern language, compiled to regular expressions over a token string.

A reply's tokens are joined as `` tok tok tok `` (see ``join_tokens``); one token in a pattern is
`` word`` followed by a space in the regex, so every match starts and ends on a token boundary.

    word        that word                      tingl*      any word starting "tingl"
    @NAME       any entry of the word list     (a|b c)     one of the alternatives
    x?          x is optional                  ...  ...6   up to 3 (or 6) words in between
    !x          the next word is not x (nothing is consumed)
    ^x          x is the focus: a ``not_if`` with a focus cancels only the symptom words it marks

A gap never runs over a full stop, a comma or a clause break such as "but" (``gap_stoppers``).

For speed, alternatives made only of plain words are compiled as a trie (one branch per word
instead of one try per phrase), and each regex knows words of which the reply must contain one
for it to match (its anchors), so most regexes are never run on a given reply.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import product

from messages.triage.normalise import CLITICS

# "\?" is a question mark as a word ("Numbness? No."): "?" alone makes what comes before optional
_PATTERN_TOKEN = re.compile(r"\.\.\.\d*|\\\?|[()|?!^]|[^\s()|?!^]+")
_QUESTION_MARK = "\\?"
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
    focus: tuple[tuple[int, int], ...] = ()

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

    def present(self, tokens: frozenset[str]) -> bool:
        if not self.words.isdisjoint(tokens):
            return True
        prefixes = tuple(self.prefixes)
        return bool(prefixes) and any(t.startswith(prefixes) for t in tokens)


@dataclass(frozen=True, slots=True)
class _Piece:
    regex: str
    required: bool  # must match at least one token (not optional, not a gap or lookahead)
    anchors: Anchors | None  # for a required piece: its possible first tokens; None if unknown
    phrases: frozenset[tuple[str, ...]] | None  # the word sequences it matches, if only words
    starts: Anchors | None = None  # the tokens a match can start with; None if unknown
    consumes: bool = True  # False for a lookahead, which matches no token


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


_Node = dict[str, "_Node"]


def _trie(phrases: Iterable[tuple[str, ...]]) -> str:
    root: _Node = {}
    for phrase in phrases:
        node = root
        for word in phrase:
            node = node.setdefault(word, {})
        node[""] = {}

    def emit(node: _Node) -> str:
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
    anchors = _union([p.anchors for p in pieces]) if required else None
    starts = _union([p.starts for p in pieces])
    return _Piece(regex, required, anchors, all_phrases if not others else None, starts)


def _union(sets: Sequence[Anchors | None]) -> Anchors | None:
    if any(a is None for a in sets):
        return None
    union = Anchors(frozenset(), frozenset())
    for a in sets:
        assert a is not None
        union |= a
    return union


# Words too common to decide whether a pattern is worth running: prefer another anchor.
_COMMON_WORDS = (
    ". , ? i my me the a an and to is it 's in of on at with for but so not no can't don't have "
    "has had be been was are am i'm i've his her he she you that this just all get got go going "
    "feel feels feeling like bit very really when now then still"
)
_COMMON = frozenset(_COMMON_WORDS.split())


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
    # the first token is the first token of a leading optional part or of the first required one
    leading: list[Anchors | None] = []
    for p in parts:
        if not p.consumes:
            continue
        leading.append(p.starts)
        if p.required:
            break
    else:
        leading.append(None)  # nothing is required: a match could start anywhere
    return _Piece(
        regex, first is not None, first.anchors if first else None, phrases, _union(leading)
    )


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
        self.focus_count = 0
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
            if token == "^":
                if not allow_gaps:
                    raise PatternError(f"a word list entry cannot hold a focus: {pattern!r}")
                atom, pos = self._atom(tokens, pos + 1, pattern, allow_gaps)
                name = f"f{self.focus_count}"
                self.focus_count += 1
                parts.append(
                    _Piece(f"(?P<{name}>{atom.regex})", True, atom.anchors, None, atom.starts)
                )
                continue
            if token == "!":
                atom, pos = self._atom(tokens, pos + 1, pattern, allow_gaps)
                parts.append(_Piece(f"(?!{atom.regex})", False, None, None, None, consumes=False))
                continue
            atom, pos = self._atom(tokens, pos, pattern, allow_gaps)
            if pos < len(tokens) and tokens[pos] == "?":
                phrases = None if atom.phrases is None else atom.phrases | {()}
                atom = _Piece(f"(?:{atom.regex})?", False, None, phrases, atom.starts)
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
        if token in (")", "|", "?", "!", "^"):
            raise PatternError(f"unexpected {token!r} in pattern {pattern!r}")
        if token.startswith("@"):
            return self._word_list(token[1:], pattern), pos + 1
        word = "?" if token == _QUESTION_MARK else self.fold(token)
        if word.endswith("*") and len(word) > 1:
            stem = word[:-1]
            regex = " " + re.escape(stem) + "[^ ]*"
            anchors = Anchors(frozenset(), frozenset({stem}))
            return _Piece(regex, True, anchors, None, anchors), pos + 1
        words: tuple[str, ...] = (word,)
        for clitic in CLITICS:  # written "he's", read as the tokens "he 's"
            if word.endswith(clitic) and len(word) > len(clitic):
                words = (word[: -len(clitic)], clitic)
        anchors = Anchors(frozenset({words[0]}), frozenset())
        return _Piece(_words_regex(words), True, anchors, frozenset({words}), anchors), pos + 1

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
        self.anchors = _union([piece.anchors for _, _, piece in entries])
        starts = _union([piece.starts for _, _, piece in entries])
        self.start_words = starts.words if starts is not None else None
        self.start_prefixes = tuple(starts.prefixes) if starts is not None else ()
        # the gap and focus groups, in the order groupdict() would give them
        self.spans = tuple(name for name in self.regex.groupindex if name[0] in "gf")
        self.single = (entries[0][0], entries[0][1]) if len(entries) == 1 else None

    def find_all(self, text: str, index: Mapping[int, int]) -> list[Hit]:
        return self.hits(list(self.regex.finditer(text)), index)

    def matches_at(self, text: str, offsets: list[int]) -> list[re.Match[str]]:
        """Matches starting only at these offsets (the spaces before tokens a match can start
        with); non-overlapping, as ``finditer`` would give them."""
        if len(offsets) > 1:
            offsets.sort()
        found: list[re.Match[str]] = []
        end = -1
        match_at = self.regex.match
        for offset in offsets:
            if offset < end:
                continue
            match = match_at(text, offset)
            if match is not None:
                end = match.end()
                found.append(match)
        return found

    def hits(self, matches: list[re.Match[str]], index: Mapping[int, int]) -> list[Hit]:
        hits: list[Hit] = []
        for match in matches:
            if self.single is not None:
                tag, pattern = self.single
            else:
                groups = match.groupdict()
                which = next(k for k, v in groups.items() if k[0] == "p" and v is not None)
                tag, pattern, _ = self.entries[int(which[1:])]
            gaps = []
            focus = []
            for name in self.spans:
                if match.group(name):
                    s, e = match.span(name)
                    if name[0] == "g":
                        gaps.append((index[s], index[e]))
                    else:
                        focus.append((index[s], index[e]))
            start, end = index[match.start()], index[match.end()]
            hits.append(Hit(tag, pattern, start, end, tuple(gaps), tuple(focus)))
        return hits


class PatternSet:
    """Tagged patterns, each with its own regex, so hits of different patterns may overlap: cues
    need that ("not sure" and "not" are both seen, and the longer is chosen). ``Matcher`` runs
    many sets at once; ``find`` runs this one alone."""

    def __init__(self, compiled: list[tuple[str, str, _Piece]]) -> None:
        self.units = [_Unit([entry]) for entry in compiled]

    @classmethod
    def joined(cls, sets: Iterable[PatternSet], skip: frozenset[str] = frozenset()) -> PatternSet:
        """The patterns of several sets, sharing their compiled regexes; ``skip`` leaves out
        the patterns with these texts."""
        union = cls([])
        union.units = [unit for s in sets for unit in s.units if unit.entries[0][1] not in skip]
        return union

    def __len__(self) -> int:
        return len(self.units)

    def find(self, text: str, index: Mapping[int, int], tokens: frozenset[str]) -> list[Hit]:
        hits: list[Hit] = []
        for unit in self.units:
            if unit.anchors is None or unit.anchors.present(tokens):
                hits += unit.find_all(text, index)
        return hits


class Matcher:
    """Runs named pattern sets over one reply, each regex only when the reply holds one of its
    anchor words (looked up once per word, as a bit mask over every regex)."""

    def __init__(self, sets: Mapping[str, PatternSet]) -> None:
        self.names = tuple(sets)
        self._units: list[tuple[str, _Unit]] = [
            (name, unit) for name, pattern_set in sets.items() for unit in pattern_set.units
        ]
        self._always = 0
        self._by_word: dict[str, int] = {}
        self._by_prefix: list[tuple[tuple[str, ...], int]] = []
        for i, (_, unit) in enumerate(self._units):
            bit = 1 << i
            if unit.anchors is None:
                self._always |= bit
                continue
            for word in unit.anchors.words:
                self._by_word[word] = self._by_word.get(word, 0) | bit
            if unit.anchors.prefixes:
                self._by_prefix.append((tuple(unit.anchors.prefixes), bit))
        # where a match can start: a regex whose first words are known is tried only at them,
        # and not at all when the reply holds none of them (most anchored regexes on a reply)
        self._scan = 0
        self._start_by_word: dict[str, int] = {}
        self._start_by_prefix: list[tuple[tuple[str, ...], int]] = []
        for i, (_, unit) in enumerate(self._units):
            bit = 1 << i
            if unit.start_words is None:
                self._scan |= bit
                continue
            for word in unit.start_words:
                self._start_by_word[word] = self._start_by_word.get(word, 0) | bit
            if unit.start_prefixes:
                self._start_by_prefix.append((unit.start_prefixes, bit))
        self._token_cache: dict[str, tuple[frozenset[int], frozenset[int]]] = {}
        self._always_units = _indices(self._always)
        self._scan_units = _indices(self._scan)

    def _mask(self, token: str) -> int:
        mask = self._by_word.get(token, 0)
        for prefixes, bit in self._by_prefix:
            if token.startswith(prefixes):
                mask |= bit
        return mask

    def _start_mask(self, token: str) -> int:
        mask = self._start_by_word.get(token, 0)
        for prefixes, bit in self._start_by_prefix:
            if token.startswith(prefixes):
                mask |= bit
        return mask

    def _of(self, token: str) -> tuple[frozenset[int], frozenset[int]]:
        """The regexes a token anchors, and those a match can start at it (by index)."""
        found = self._token_cache.get(token)
        if found is None:
            found = (_indices(self._mask(token)), _indices(self._start_mask(token)))
            if len(self._token_cache) < 100_000:
                self._token_cache[token] = found
        return found

    def find(self, tokens: Sequence[str]) -> dict[str, list[Hit]]:
        text, index = join_tokens(tokens)
        positions: dict[str, list[int]] = {}
        for offset, i in index.items():
            if i < len(tokens):
                positions.setdefault(tokens[i], []).append(offset)
        # sets of regex indices, not bit masks: a reply anchors a few hundred regexes of
        # thousands, and taking bits one by one off a mask that wide makes a new integer each
        active = set(self._always_units)
        of = [(self._of(token), at) for token, at in positions.items()]
        for (anchored, _), _ in of:
            active |= anchored
        starts: dict[int, list[int]] = {}
        for (_, can_start), at in of:
            for i in can_start.intersection(active):
                offsets = starts.get(i)
                if offsets is None:
                    starts[i] = list(at)
                else:
                    offsets += at
        run = sorted(self._scan_units.intersection(active).union(starts))
        found: dict[str, list[Hit]] = {name: [] for name in self.names}
        for i in run:
            name, unit = self._units[i]
            tried = starts.get(i)
            if tried is None:
                found[name] += unit.find_all(text, index)
            else:
                matches = unit.matches_at(text, tried)
                if matches:
                    found[name] += unit.hits(matches, index)
        return found


def _indices(mask: int) -> frozenset[int]:
    found = []
    while mask:
        low = mask & -mask
        mask ^= low
        found.append(low.bit_length() - 1)
    return frozenset(found)


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

    def build(self, tagged: Iterable[tuple[str, str]]) -> PatternSet:
        compiler = _Compiler(self._words, self._fold, self._stoppers, self._list_cache)
        return PatternSet([(tag, text, compiler.compile(text)) for tag, text in tagged])
