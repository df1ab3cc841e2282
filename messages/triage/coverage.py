"""Is every word of a reply accounted for? `none` must be shown, never assumed (LABELS.md rule 7).

A word is accounted for when the reader placed it: inside a symptom (whatever its status), an
all-well phrase, a reason for a person, a cue ("no", "gone", "but"), a person ("my husband"), an
exception (`not_if`: "back home", "a car accident"), or when it is a filler, an acknowledgement
or a known word of chatter. Two kinds of words are not:

- a mention of the body, movement, sensation, pain, bladder or bowel (the lexicon's ``body:``
  patterns) that nothing else explains: "only my soles feel sort of far away";
- a word that no vocabulary knows (not English, not in the lexicon): a misspelled symptom or
  another language, which the reader cannot vouch for.

Either withdraws `none`, and sends the reply to a person urgently.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from messages.triage.context import Cue, Finding, quote
from messages.triage.loader import Lexicon
from messages.triage.patterns import Hit

_SHORTEST_UNKNOWN = 3  # "ma", "xx", "da": too short to be sure of, and read as chatter


@dataclass(frozen=True)
class Coverage:
    body: tuple[str, ...]  # the patient's words about the body that nothing accounts for
    unknown: tuple[str, ...]  # words no vocabulary knows
    accounted: frozenset[int]  # token positions the reader placed
    pairs: tuple[Hit, ...] = ()  # symptoms made of two unexplained mentions in one sentence

    @property
    def shown(self) -> bool:
        return not self.body and not self.unknown


def _spans(hits: Iterable[Hit]) -> set[int]:
    return {i for hit in hits for i in range(hit.start, hit.end)}


def account(
    norms: Sequence[str],
    surfaces: Sequence[str],
    findings: Sequence[Finding],
    cues: Sequence[Cue],
    placed: Iterable[Hit],
    mentions: Sequence[Finding],
    lexicon: Lexicon,
    known: frozenset[str],
) -> Coverage:
    """``placed`` are other hits that explain their words (people, exceptions)."""
    # a qualifier ("in the middle", "at night") explains nothing without a symptom to qualify
    explaining = (f.hit for f in findings if f.kind != "qualifier")
    accounted = _spans(explaining) | _spans(c.hit for c in cues) | _spans(placed)
    in_body: set[int] = set()
    unexplained: list[Hit] = []
    for mention in mentions:
        hit = mention.hit
        span = range(hit.start, hit.end)
        in_body.update(span)
        denied = {"negated", "resolved", "other_person"} & mention.modifiers.keys()
        if denied and "uncertain" not in mention.modifiers:
            continue  # "neither numb nor weak"
        if any(i not in accounted for i in span):
            unexplained.append(hit)
    pairs = _pairs(norms, unexplained, lexicon)
    paired = {id(h) for pair in pairs for h in pair[1]}
    body: list[str] = []
    for hit in unexplained:
        words = quote(surfaces, hit)
        if id(hit) not in paired and words not in body:
            body.append(words)
    quiet = lexicon.filler | lexicon.acknowledgements | lexicon.chatter | lexicon.vocabulary
    unknown: list[str] = []
    for i, token in enumerate(norms):
        if i in accounted or i in in_body or len(token) < _SHORTEST_UNKNOWN:
            continue
        if not token.isalpha() or token in quiet or token in known:
            continue
        if _a_name(i, norms, surfaces):
            continue
        if surfaces[i] not in unknown:
            unknown.append(surfaces[i])
    pair_hits = tuple(
        Hit(
            code,
            f"two mentions in one sentence: {a.tag} + {b.tag}",
            a.start,
            b.end,
            ((a.end, b.start),),
        )
        for code, (a, b) in pairs
    )
    return Coverage(tuple(body), tuple(unknown), frozenset(accounted), pair_hits)


def _pairs(
    norms: Sequence[str], unexplained: Sequence[Hit], lexicon: Lexicon
) -> list[tuple[str, tuple[Hit, Hit]]]:
    """Symptoms made of two unexplained mentions of the kinds ``structure.pairs`` names, in one
    sentence: "sore when I press, just there, in the middle of my back bone" is back pain."""
    if len(unexplained) < 2 or not lexicon.pairs:
        return []
    sentence = 0
    sentences: list[int] = []
    for token in norms:
        sentences.append(sentence)
        if token in lexicon.boundaries:
            sentence += 1
    found: list[tuple[str, tuple[Hit, Hit]]] = []
    for code, (first, second) in lexicon.pairs.items():
        for a in unexplained:
            if a.tag not in (first, second):
                continue
            wanted = second if a.tag == first else first
            b = next(
                (
                    h
                    for h in unexplained
                    if h.tag == wanted
                    and sentences[h.start] == sentences[a.start]
                    and not (h.start < a.end and a.start < h.end)
                ),
                None,
            )
            if b is not None:
                found.append((code, (a, b) if a.start < b.start else (b, a)))
                break
    return found


def _a_name(i: int, norms: Sequence[str], surfaces: Sequence[str]) -> bool:
    """A capitalised word inside a sentence is taken for a name ("went to see Bethany")."""
    surface = surfaces[i]
    return (
        i > 0
        and surface[:1].isupper()
        and not surface.isupper()
        and norms[i - 1] not in (".", "?", "")
        and surfaces[i - 1] != surface
    )
