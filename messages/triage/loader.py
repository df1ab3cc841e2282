"""Load the YAML lexicon files once and compile them into pattern sets ready for matching."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from messages.triage.normalise import fold
from messages.triage.patterns import (
    _PATTERN_TOKEN,
    Matcher,
    PatternBuilder,
    PatternError,
    PatternSet,
)

COMMON_FILE = "common.yaml"
SEVERITIES = ("red", "amber")
CUE_TYPES = (
    "negated",
    "resolved",
    "uncertain",
    "hedge",
    "hypothetical",
    "experiencer",
    "pseudo",
    "terminate",
    "recurred",
    "affirmed",
)
DIRECTIONS = ("forward", "backward", "both", "none")
SUBJECT_TAGS = ("first_person", "third_person")
ROLE_TAGS = ("self_well", "relative_well", "carer_here", "own")


class _WordsLoader(yaml.SafeLoader):
    """YAML without implicit booleans or numbers: ``no``, ``off``, ``on`` and ``1`` stay words."""


_WordsLoader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag == "tag:yaml.org,2002:null"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class LexiconError(ValueError):
    """A lexicon file that is missing, malformed or refers to something undefined."""


@dataclass(frozen=True, slots=True)
class CueKind:
    type: str
    direction: str
    scope: int
    # an anaphor ("it went after a few days", "the GP sorted them") points back over commas
    over_commas: bool = False


@dataclass(frozen=True)
class Lexicon:
    languages: tuple[str, ...]
    keywords: Mapping[str, str]
    emoji: Mapping[str, str]
    spellings: Mapping[str, tuple[str, ...]]
    vocabulary: frozenset[str]
    fuzzy_targets: tuple[str, ...]
    fuzzy_cutoff: float
    fuzzy_min_length: int
    boundaries: frozenset[str]
    connectors: frozenset[str]
    listable: frozenset[str]
    listable_stems: tuple[str, ...]  # LISTABLE entries written with a * ending ("uyus*")
    contrast_after: frozenset[str]
    affirmed_after: frozenset[str]
    denying: frozenset[str]
    doubting: frozenset[str]
    lately: frozenset[str]  # words that date a thing to the last few days
    seen_to: frozenset[str]  # words that say a thing was seen to (a team, a treatment)
    current_tense: frozenset[str]  # words that tell a symptom as going on now ("are", "keeps")
    acknowledgements: frozenset[str]
    filler: frozenset[str]
    contrast_before: frozenset[str]
    scope_breakers: frozenset[str]
    verbal_negations: frozenset[str]
    # resolution words that only say "gone": they never show a bare mention of the body all-well
    gone_words: frozenset[str]
    severity: Mapping[str, str]
    yields_to: Mapping[str, frozenset[str]]
    symptoms: Mapping[str, PatternSet]
    not_if: PatternSet
    qualifiers: PatternSet
    qualifier_bases: frozenset[str]
    cues: PatternSet
    cue_kinds: Mapping[str, CueKind]
    subjects: PatternSet
    roles: PatternSet
    all_well: PatternSet
    needs_person: PatternSet
    body: PatternSet
    neutral: PatternSet
    small_talk: PatternSet
    chatter: frozenset[str]
    quiet: frozenset[str]  # every word the lexicon knows: never "unknown"
    # CHATTER entries with a * ending: everyday stems in languages that inflect ("spacer*")
    quiet_stems: tuple[str, ...]
    pairs: Mapping[str, tuple[str, str]]
    unexplained: Mapping[str, str]
    matcher: Matcher


def _read(name: str) -> dict[str, Any]:
    try:
        text = resources.files("messages.triage.lexicon").joinpath(name).read_text("utf-8")
    except FileNotFoundError as exc:
        raise LexiconError(f"no lexicon file {name}") from exc
    try:
        data = yaml.load(text, Loader=_WordsLoader) or {}
    except yaml.YAMLError as exc:
        raise LexiconError(f"{name}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise LexiconError(f"{name}: expected a mapping at the top")
    return data


def _strings(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LexiconError(f"{where}: expected a list of words or phrases")
    return [str(v) for v in value]


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise LexiconError(f"{where}: expected a mapping")
    return value


class _Merged:
    """Everything from the chosen files, before compiling."""

    def __init__(self) -> None:
        self.words: dict[str, list[str]] = {}
        self.spellings: dict[str, tuple[str, ...]] = {}
        self.fuzzy_targets: list[str] = []
        self.protected: list[str] = []
        self.severity: dict[str, str] = {}
        self.yields_to: dict[str, set[str]] = {}
        self.symptoms: dict[str, list[str]] = {}
        self.not_if: list[tuple[str, str]] = []
        self.qualifiers: list[tuple[str, str]] = []
        self.qualifier_bases: set[str] = set()
        self.cues: list[tuple[CueKind, list[str]]] = []
        self.subjects: list[tuple[str, str]] = []
        self.roles: list[tuple[str, str]] = []
        self.all_well: list[str] = []
        self.needs_person: list[tuple[str, str]] = []
        self.body: list[tuple[str, str]] = []
        self.neutral: list[str] = []
        self.unchanged: list[str] = []
        self.small_talk: list[str] = []
        self.unread_cues: set[str] = set()

    def add(self, name: str, data: Mapping[str, Any]) -> None:
        for key, entries in _mapping(data.get("words"), f"{name} words").items():
            self.words.setdefault(str(key), []).extend(_strings(entries, f"{name} words.{key}"))
        for wrong, right in _mapping(data.get("spellings"), f"{name} spellings").items():
            self.spellings[fold(str(wrong))] = tuple(fold(str(right)).split())
        fuzzy = _mapping(data.get("fuzzy"), f"{name} fuzzy")
        self.fuzzy_targets += _strings(fuzzy.get("targets"), f"{name} fuzzy.targets")
        self.protected += _strings(fuzzy.get("protected"), f"{name} fuzzy.protected")
        for code, spec in _mapping(data.get("symptoms"), f"{name} symptoms").items():
            where = f"{name} symptoms.{code}"
            spec = _mapping(spec, where)
            severity = spec.get("severity", self.severity.get(code))
            if severity not in SEVERITIES:
                raise LexiconError(f"{where}: severity must be one of {SEVERITIES}")
            if self.severity.setdefault(code, severity) != severity:
                raise LexiconError(f"{where}: severity differs from another file")
            self.symptoms.setdefault(code, []).extend(_strings(spec.get("patterns"), where))
            yields = _strings(spec.get("yields_to"), f"{where}.yields_to")
            self.yields_to.setdefault(code, set()).update(yields)
            self.not_if += [(code, p) for p in _strings(spec.get("not_if"), f"{where}.not_if")]
        # a copy: the file data is cached and shared, and applies_to is taken out of it
        qualifiers = dict(_mapping(data.get("qualifiers"), f"{name} qualifiers"))
        self.qualifier_bases |= set(_strings(qualifiers.pop("applies_to", None), name))
        for code, patterns in qualifiers.items():
            self.qualifiers += [(code, p) for p in _strings(patterns, f"{name} qualifiers.{code}")]
        for i, group in enumerate(data.get("context") or []):
            where = f"{name} context[{i}]"
            group = _mapping(group, where)
            scope = str(group.get("scope", 0))
            if not scope.isdigit():
                raise LexiconError(f"{where}: scope must be a whole number of words")
            kind = CueKind(
                str(group.get("type")),
                str(group.get("direction", "none")),
                int(scope),
                str(group.get("over_commas", "")).lower() == "true",
            )
            if kind.type not in CUE_TYPES or kind.direction not in DIRECTIONS:
                raise LexiconError(f"{where}: type in {CUE_TYPES}, direction in {DIRECTIONS}")
            self.cues.append((kind, _strings(group.get("cues"), where)))
        people = _mapping(data.get("people"), f"{name} people")
        for tag in SUBJECT_TAGS:
            self.subjects += [(tag, p) for p in _strings(people.get(tag), f"{name} people.{tag}")]
        for tag in ROLE_TAGS:
            self.roles += [(tag, p) for p in _strings(people.get(tag), f"{name} people.{tag}")]
        self.all_well += _strings(data.get("all_well"), f"{name} all_well")
        self.neutral += _strings(data.get("neutral"), f"{name} neutral")
        self.unchanged += _strings(data.get("unchanged"), f"{name} unchanged")
        self.small_talk += _strings(data.get("small_talk"), f"{name} small_talk")
        # English cue words that are this language's everyday words (Portuguese "no": in the)
        self.unread_cues |= set(_strings(data.get("unread_english_cues"), f"{name} unread"))
        for body_kind, patterns in _mapping(data.get("body"), f"{name} body").items():
            where = f"{name} body.{body_kind}"
            self.body += [(str(body_kind), p) for p in _strings(patterns, where)]
        for tag, patterns in _mapping(data.get("needs_person"), f"{name} needs_person").items():
            self.needs_person += [(str(tag), p) for p in _strings(patterns, name)]


def _literal_words(patterns: Iterable[str]) -> set[str]:
    words: set[str] = set()
    for pattern in patterns:
        for token in _PATTERN_TOKEN.findall(pattern):
            if token[0] not in "()|?!^@." and not token.endswith("*"):
                words.add(fold(token))
    return words


@dataclass(frozen=True)
class _Part:
    """One language file's patterns, compiled once per process and shared by every lexicon that
    reads the language: English is compiled once, not once per language read with it."""

    symptoms: Mapping[str, PatternSet]
    cues: PatternSet
    cue_kinds: Mapping[str, CueKind]
    not_if: PatternSet
    qualifiers: PatternSet
    subjects: PatternSet
    roles: PatternSet
    all_well: PatternSet
    needs_person: PatternSet
    body: PatternSet
    neutral: PatternSet
    small_talk: PatternSet


@lru_cache(maxsize=1)
def _common() -> dict[str, Any]:
    return _read(COMMON_FILE)


@lru_cache(maxsize=64)
def _file(language: str) -> dict[str, Any]:
    return _read(f"{language}.yaml")


@lru_cache(maxsize=32)
def _part(language: str) -> _Part:
    """A file's patterns, compiled against the word lists of common.yaml, English and itself
    (so "@LIMB" is English's limbs in every language, and "@PL_LEG" Polish legs)."""
    name = f"{language}.yaml"
    own = _Merged()
    if language != "en":  # other languages name English's symptoms without their severity
        english = _Merged()
        english.add("en.yaml", _file("en"))
        own.severity.update(english.severity)
    own.add(name, _file(language))
    words = _Merged()
    words.add(COMMON_FILE, _common())
    words.add("en.yaml", _file("en"))
    if language != "en":
        words.add(name, _file(language))
    structure = _mapping(_common().get("structure"), "structure")
    builder = PatternBuilder(words.words, fold, _strings(structure.get("gap_stoppers"), "stop"))
    try:
        cue_kinds: dict[str, CueKind] = {}
        tagged_cues: list[tuple[str, str]] = []
        for i, (kind, cues) in enumerate(own.cues):
            tag = f"{language}:c{i}"
            cue_kinds[tag] = kind
            tagged_cues += [(tag, cue) for cue in cues]
        return _Part(
            symptoms={
                code: builder.build((code, p) for p in patterns)
                for code, patterns in own.symptoms.items()
            },
            cues=builder.build(tagged_cues),
            cue_kinds=cue_kinds,
            not_if=builder.build(own.not_if),
            qualifiers=builder.build(own.qualifiers),
            subjects=builder.build(own.subjects),
            roles=builder.build(own.roles),
            all_well=builder.build(("all_well", p) for p in own.all_well),
            needs_person=builder.build(own.needs_person),
            body=builder.build(own.body),
            neutral=builder.build(
                [("neutral", p) for p in own.neutral] + [("unchanged", p) for p in own.unchanged]
            ),
            small_talk=builder.build(("small_talk", p) for p in own.small_talk),
        )
    except PatternError as exc:
        raise LexiconError(f"{name}: {exc}") from exc


@lru_cache(maxsize=16)
def load_lexicon(languages: tuple[str, ...] = ("en", "cy", "pl")) -> Lexicon:
    """The compiled lexicon for these languages (cached: each set is compiled once per process)."""
    common = _common()
    merged = _Merged()
    merged.add(COMMON_FILE, common)
    for language in languages:
        merged.add(f"{language}.yaml", _file(language))
    structure = _mapping(common.get("structure"), "structure")
    parts = [_part(language) for language in languages]
    drop = frozenset(merged.unread_cues)
    # a language read only when found is read in its own words: English text-speak must not
    # rewrite them (Punjabi "theek ae" is "is fine", not "A and E"; Romanian "n", Somali "u")
    routed_words = {
        word
        for language in languages
        if language != "en" and language not in read_with_english()
        for word in _file_words(language)
    }
    spellings = {w: r for w, r in merged.spellings.items() if w not in routed_words}

    def joined(sets: list[PatternSet], skip: frozenset[str] = frozenset()) -> PatternSet:
        return PatternSet.joined(sets, skip)

    symptoms = {
        code: joined([p.symptoms[code] for p in parts if code in p.symptoms])
        for code in merged.symptoms
    }
    cue_kinds = {tag: kind for p in parts for tag, kind in p.cue_kinds.items()}
    compiled_cues = joined([p.cues for p in parts], drop)
    not_if = joined([p.not_if for p in parts])
    qualifiers = joined([p.qualifiers for p in parts])
    subjects = joined([p.subjects for p in parts])
    roles = joined([p.roles for p in parts])
    all_well = joined([p.all_well for p in parts])
    needs_person = joined([p.needs_person for p in parts])
    body = joined([p.body for p in parts])
    neutral = joined([p.neutral for p in parts])
    small_talk = joined([p.small_talk for p in parts])

    unknown = merged.qualifier_bases - set(merged.severity)
    unknown |= {c for codes in merged.yields_to.values() for c in codes} - set(merged.severity)
    if unknown:
        raise LexiconError(f"applies_to or yields_to name unknown symptoms {sorted(unknown)}")
    every_pattern: list[str] = [p for ps in merged.symptoms.values() for p in ps]
    every_pattern += [p for _, ps in merged.cues for p in ps]
    every_pattern += [p for _, p in merged.not_if + merged.qualifiers + merged.needs_person]
    every_pattern += [p for _, p in merged.subjects + merged.roles] + merged.all_well
    every_pattern += [p for _, p in merged.body] + merged.neutral + merged.unchanged
    every_pattern += merged.small_talk
    every_pattern += [e for entries in merged.words.values() for e in entries]
    vocabulary = _literal_words(every_pattern)
    vocabulary |= {w for words in spellings.values() for w in words}
    vocabulary |= {fold(w) for w in merged.protected}

    keywords = {
        fold(word): label
        for label, words in _mapping(common.get("keywords"), "keywords").items()
        for word in _strings(words, f"keywords.{label}")
    }
    emoji = {
        char: str(name)
        for name, chars in _mapping(common.get("emoji"), "emoji").items()
        for char in _strings(chars, f"emoji.{name}")
    }
    fuzzy = _mapping(common.get("fuzzy"), "fuzzy")
    matcher = Matcher(
        {
            **{f"symptom:{code}": patterns for code, patterns in symptoms.items()},
            "not_if": not_if,
            "qualifiers": qualifiers,
            "cues": compiled_cues,
            "subjects": subjects,
            "roles": roles,
            "all_well": all_well,
            "needs_person": needs_person,
            "body": body,
            "neutral": neutral,
            "small_talk": small_talk,
        }
    )
    return Lexicon(
        languages=languages,
        keywords=keywords,
        emoji=emoji,
        spellings=spellings,
        vocabulary=frozenset(vocabulary),
        fuzzy_targets=tuple(sorted({fold(t) for t in merged.fuzzy_targets})),
        fuzzy_cutoff=float(str(fuzzy.get("cutoff", 85))),
        fuzzy_min_length=int(str(fuzzy.get("min_length", 5))),
        boundaries=frozenset(_strings(structure.get("boundaries"), "boundaries")),
        connectors=frozenset(fold(w) for w in _strings(structure.get("connectors"), "conn")),
        listable=frozenset(fold(w) for w in merged.words.get("LISTABLE", [])),
        listable_stems=tuple(
            sorted({fold(w)[:-1] for w in merged.words.get("LISTABLE", []) if w.endswith("*")})
        ),
        acknowledgements=frozenset(fold(w) for w in merged.words.get("ACK", [])),
        filler=frozenset(fold(w) for w in merged.words.get("FILLER", [])),
        contrast_before=frozenset(fold(w) for w in _strings(structure.get("contrast_before"), "b")),
        contrast_after=frozenset(fold(w) for w in _strings(structure.get("contrast_after"), "c")),
        affirmed_after=frozenset(fold(w) for w in _strings(structure.get("affirmed_after"), "a")),
        denying=frozenset(fold(w) for w in _strings(structure.get("denying"), "denying")),
        doubting=frozenset(fold(w) for w in _strings(structure.get("doubting"), "doubting")),
        lately=frozenset(fold(w) for w in merged.words.get("LATELY", [])),
        seen_to=frozenset(fold(w) for w in merged.words.get("SEEN_TO", [])),
        current_tense=frozenset(fold(w) for w in merged.words.get("NOW_TENSE", [])),
        scope_breakers=frozenset(fold(w) for w in _strings(structure.get("scope_breakers"), "b")),
        verbal_negations=frozenset(
            fold(w) for w in _strings(structure.get("verbal_negations"), "verbal_negations")
        ),
        gone_words=frozenset(fold(w) for w in _strings(structure.get("gone_words"), "gone_words")),
        severity=merged.severity,
        yields_to={code: frozenset(codes) for code, codes in merged.yields_to.items()},
        symptoms=symptoms,
        not_if=not_if,
        qualifiers=qualifiers,
        qualifier_bases=frozenset(merged.qualifier_bases),
        cues=compiled_cues,
        cue_kinds=cue_kinds,
        subjects=subjects,
        roles=roles,
        all_well=all_well,
        needs_person=needs_person,
        body=body,
        neutral=neutral,
        small_talk=small_talk,
        chatter=frozenset(fold(w) for w in merged.words.get("CHATTER", [])),
        quiet_stems=tuple(
            sorted({fold(w)[:-1] for w in merged.words.get("CHATTER", []) if w.endswith("*")})
        ),
        quiet=frozenset(
            {fold(w) for w in merged.words.get("CHATTER", []) if not w.endswith("*")}
            | {fold(w) for w in merged.words.get("FILLER", [])}
            | {fold(w) for w in merged.words.get("ACK", [])}
            | vocabulary
        ),
        pairs=_pairs(structure.get("pairs"), merged.severity, {kind for kind, _ in merged.body}),
        unexplained=_unexplained(structure.get("unexplained"), merged.severity),
        matcher=matcher,
    )


def _pairs(value: Any, severity: Mapping[str, str], kinds: set[str]) -> dict[str, tuple[str, str]]:
    pairs: dict[str, tuple[str, str]] = {}
    for code, pair in _mapping(value, "structure.pairs").items():
        both = _strings(pair, f"structure.pairs.{code}")
        if code not in severity or len(both) != 2 or not set(both) <= kinds:
            raise LexiconError(f"structure.pairs.{code}: a symptom code and two body kinds")
        pairs[str(code)] = (both[0], both[1])
    return pairs


@lru_cache(maxsize=32)
def _file_words(language: str) -> frozenset[str]:
    """The words one language file writes in its patterns and word lists."""
    own = _Merged()
    if language != "en":
        english = _Merged()
        english.add("en.yaml", _file("en"))
        own.severity.update(english.severity)
    own.add(f"{language}.yaml", _file(language))
    patterns: list[str] = [p for ps in own.symptoms.values() for p in ps]
    patterns += [p for _, ps in own.cues for p in ps]
    patterns += [p for _, p in own.not_if + own.qualifiers + own.needs_person]
    patterns += [p for _, p in own.subjects + own.roles + own.body] + own.all_well + own.neutral
    patterns += [e for entries in own.words.values() for e in entries]
    return frozenset(_literal_words(patterns))


def spelling_leaks(languages: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(language, spelling, other language) for each listed misspelling of one file that is
    another file's word, among languages read together: a rule that would rewrite it."""
    leaks: list[tuple[str, str, str]] = []
    for language in languages:
        wrong_forms = _mapping(_file(language).get("spellings"), f"{language} spellings")
        for wrong in (fold(str(w)) for w in wrong_forms):
            leaks += [
                (language, wrong, o) for o in languages if o != language and wrong in _file_words(o)
            ]
    return leaks


@lru_cache(maxsize=1)
def read_with_english() -> frozenset[str]:
    """The languages whose words are read in every reply (the rest only when found)."""
    return frozenset(_strings(_read(COMMON_FILE).get("read_with_english"), "read_with_english"))


@lru_cache(maxsize=32)
def own_words(language: str) -> frozenset[str]:
    """The words a language file adds to English: a reply holding them may be in it."""
    english = load_lexicon(("en",))
    return (load_lexicon(("en", language)).quiet - english.quiet) - english.vocabulary


@lru_cache(maxsize=1)
def lexicon_languages() -> tuple[str, ...]:
    """Every language the lexicon has a file for, English first."""
    folder = resources.files("messages.triage.lexicon")
    names = sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))
    codes = [n for n in names if n != COMMON_FILE[: -len(".yaml")] and n != "en"]
    return ("en", *codes)


def _unexplained(value: Any, severity: Mapping[str, str]) -> dict[str, str]:
    found = {str(k): str(v) for k, v in _mapping(value, "structure.unexplained").items()}
    unknown = set(found.values()) - set(severity)
    if unknown:
        raise LexiconError(f"structure.unexplained names unknown symptoms {sorted(unknown)}")
    return found


def normalise_languages(languages: Sequence[str]) -> tuple[str, ...]:
    """Known language codes in a stable order; English is always read (SMS mixes it in)."""
    return _normalised(tuple(languages))


@lru_cache(maxsize=64)
def _normalised(languages: tuple[str, ...]) -> tuple[str, ...]:
    known = lexicon_languages()
    wanted = {str(code).lower().split("-")[0] for code in languages}
    return tuple(code for code in known if code in wanted or code == "en")
