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

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from messages.triage.context import Cue, Finding, quote
from messages.triage.loader import Lexicon
from messages.triage.normalise import fold, wordlike
from messages.triage.patterns import Hit
from messages.triage.subjects import INFERRED_CARER

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
    names: frozenset[str],
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
    explaining = [f.hit for f in findings if f.kind != "qualifier"]
    explaining += _occasions(norms, findings, lexicon)
    accounted = _spans(explaining) | _spans(c.hit for c in cues) | _spans(placed)
    in_body: set[int] = set()
    unexplained: list[Hit] = []
    for mention in mentions:
        hit = mention.hit
        span = range(hit.start, hit.end)
        in_body.update(span)
        # only a denial shows a mention of the body all-well ("neither numb nor weak"): "my legs
        # have gone" is no resolution, and a hedge ("sort of") is no denial
        denied = {"negated", "other_person"} & mention.modifiers.keys()
        if mention.modifiers.get("other_person") == INFERRED_CARER:
            denied.discard("other_person")  # inferred, not plain: it explains nothing
        if resolved_by_a_fix(mention, lexicon.gone_words):
            denied.add("resolved")
        if denied and not {"uncertain", "hedge"} & mention.modifiers.keys():
            continue
        if any(i not in accounted for i in span):
            unexplained.append(hit)
    pairs = _pairs(norms, unexplained, lexicon)
    paired = {id(h) for pair in pairs for h in pair[1]}
    outside = [f.hit for f in findings if f.kind == "needs_person" and f.tag == "other_symptom"]
    alone = _alone(
        norms, [h for h in unexplained if id(h) not in paired], accounted, outside, lexicon
    )
    paired |= {id(h) for _, h in alone}
    body: list[str] = []
    for hit in unexplained:
        words = quote(surfaces, hit)
        if id(hit) not in paired and words not in body:
            body.append(words)
    quiet = lexicon.quiet
    unknown: list[str] = []
    for i, token in enumerate(norms):
        if i in accounted or i in in_body or len(token) < _SHORTEST_UNKNOWN:
            continue
        if not wordlike(token) or token in quiet or _known(token, known) or token in names:
            continue
        if _quiet_in_arabic(token, quiet) or token.startswith(lexicon.quiet_stems):
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
    pair_hits += tuple(
        Hit(code, f"{hit.tag} described in words it cannot place", hit.start, hit.end, ())
        for code, hit in alone
    )
    return Coverage(tuple(body), tuple(unknown), frozenset(accounted), pair_hits)


_NOT_CURRENT = ("negated", "resolved", "other_person", "hypothetical")


def sentence_of_each_token(norms: Sequence[str], lexicon: Lexicon) -> list[int]:
    """The number of the sentence each token is in (a boundary token ends its sentence)."""
    sentence = 0
    sentences: list[int] = []
    for token in norms:
        sentences.append(sentence)
        if token in lexicon.boundaries:
            sentence += 1
    return sentences


def _occasions(norms: Sequence[str], findings: Sequence[Finding], lexicon: Lexicon) -> list[Hit]:
    """A qualifier told as the occasion of a current pain, in its sentence, explains its words:
    "hurts in my back when I go for a poo" says when it hurts, not that the bowels changed.
    A bare word is no occasion ("back ache, poo everywhere"), unless a second one of the same
    kind is beside it ("straining on the toilet")."""
    sentences = sentence_of_each_token(norms, lexicon)
    pained = {
        sentences[f.hit.start]
        for f in findings
        if f.kind == "symptom"
        and f.tag in lexicon.qualifier_bases
        and not any(m in f.modifiers for m in _NOT_CURRENT)
    }
    qualifiers = [
        f.hit for f in findings if f.kind == "qualifier" and sentences[f.hit.start] in pained
    ]
    return [
        hit
        for hit in qualifiers
        if hit.end - hit.start > 1
        or any(
            other is not hit
            and other.tag == hit.tag
            and sentences[other.start] == sentences[hit.start]
            and not (other.start < hit.end and hit.start < other.end)
            for other in qualifiers
        )
    ]


def _alone(
    norms: Sequence[str],
    unexplained: Sequence[Hit],
    accounted: set[int],
    outside: Sequence[Hit],
    lexicon: Lexicon,
) -> list[tuple[str, Hit]]:
    """A mention of a limb, the saddle, the bladder or bowel, the back or neck that nothing
    explains, in a sentence with other words nothing explains ("my legs feel like concrete
    blocks"): uncertain wording about a symptom counts as the symptom (LABELS.md rule 1)."""
    if not unexplained or not lexicon.unexplained:
        return []
    quiet = lexicon.filler | lexicon.acknowledgements
    found: list[tuple[str, Hit]] = []
    for hit in unexplained:
        code = lexicon.unexplained.get(hit.tag)
        if code is None:
            continue
        left = hit.start
        while left > 0 and norms[left - 1] not in lexicon.boundaries:
            left -= 1
        right = hit.end
        while right < len(norms) and norms[right] not in lexicon.boundaries:
            right += 1
        others = [
            i
            for i in (*range(left, hit.start), *range(hit.end, right))
            if i not in accounted
            and len(norms[i]) >= _SHORTEST_UNKNOWN
            and norms[i][0].isalpha()
            and norms[i] not in quiet
        ]
        # "Bruise on my hand", "cramp in my calves": a symptom outside the spine explains it
        explained = any(left <= h.start < right for h in outside)
        if others and not explained:
            found.append((code, hit))
    return found


def resolved_by_a_fix(mention: Finding, gone_words: frozenset[str] = frozenset()) -> bool:
    """Resolved by a fix ("the GP sorted my back out"), not by a bare "gone" in any language
    ("my legs have gone" is weakness; Urdu "pairon ki jaan chali gayi": the life has gone from
    my legs)."""
    cue = mention.modifiers.get("resolved", "")
    if not cue or "gone" in cue or "went" in cue:
        return False
    return not gone_words.intersection(fold(cue).split())


def _pairs(
    norms: Sequence[str], unexplained: Sequence[Hit], lexicon: Lexicon
) -> list[tuple[str, tuple[Hit, Hit]]]:
    """Symptoms made of two unexplained mentions of the kinds ``structure.pairs`` names, in one
    sentence: "sore when I press, just there, in the middle of my back bone" is back pain."""
    if len(unexplained) < 2 or not lexicon.pairs:
        return []
    sentences = sentence_of_each_token(norms, lexicon)
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


_NAME = re.compile(r"(?<=[^\W\d_])[ ,;:()-]+([A-Z][a-z\u00e0-\u024f']+)")
_BRITISH = (
    ("our", "or"),
    ("ise", "ize"),
    ("ised", "ized"),
    ("ising", "izing"),
    ("isation", "ization"),
    ("tre", "ter"),
    ("ogue", "og"),
    ("ence", "ense"),
    ("lled", "led"),
    ("lling", "ling"),
)


def names_in(text: str) -> frozenset[str]:
    """Capitalised words inside a sentence, taken for names ("back from Tenerife", "our Gemma")."""
    names = {fold(m.group(1)) for m in _NAME.finditer(text)}
    return frozenset(names | {n[:-2] for n in names if n.endswith("'s")})


_ARABIC_PREFIXES = ("وال", "بال", "لل", "ال", "و", "ب", "ل", "ف")


def _quiet_in_arabic(token: str, quiet: frozenset[str]) -> bool:
    """Arabic joins "and", "with", "the" to the word: "والدكتور" is "and the doctor"."""
    if not ("\u0600" <= token[0] <= "\u06ff"):
        return False
    for prefix in _ARABIC_PREFIXES:
        rest = token[len(prefix) :]
        if token.startswith(prefix) and len(rest) >= 2 and (rest in quiet or "ال" + rest in quiet):
            return True
    return False


def _known(token: str, known: frozenset[str]) -> bool:
    """Known English, in British spelling too ("colour", "realise", "centre", "travelled"),
    and plural or possessive ("watercolours", "courgette's")."""
    stems = [token]
    for ending in ("'s", "es", "s"):
        if token.endswith(ending) and len(token) > len(ending) + 2:
            stems.append(token[: -len(ending)])
    for stem in stems:
        if stem in known:
            return True
        for british, american in _BRITISH:
            if stem.endswith(british) and stem[: -len(british)] + american in known:
                return True
    return False
