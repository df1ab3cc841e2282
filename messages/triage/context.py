"""ConText-style modifiers: which findings a negation, resolution or uncertainty cue reaches.

A cue reaches findings in its direction, over at most ``scope`` other words before the first one,
and then along a list ("no numbness, tingling or weakness") while findings follow each other joined
only by connectors and each starts with a listable symptom word. A full stop, question mark or a
terminating cue ("but", "though") ends the reach; so does a comma before the first finding.
A cue never modifies a finding whose own words it overlaps ("can't feel my legs", "not able to
walk"), but a cue inside a finding's gap does ("legs are not weak").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from messages.triage.loader import CueKind, Lexicon
from messages.triage.normalise import COMMA
from messages.triage.patterns import Hit

_PLACES = frozenset({"limb", "joint", "back", "neck", "saddle"})
MODIFYING = ("negated", "resolved", "uncertain", "hedge", "hypothetical", "experiencer")
# the modifier each cue type records on a finding
RECORDED_AS = {"experiencer": "other_person"}


@dataclass
class Finding:
    """A matched phrase (symptom, all-well phrase, reason for a person) and what modifies it."""

    kind: str  # "symptom", "qualifier", "all_well", "needs_person", "neutral", "small_talk", "body"
    hit: Hit
    literal: frozenset[int] = frozenset()
    modifiers: dict[str, str] = field(default_factory=dict)  # cue type -> cue words

    def __post_init__(self) -> None:
        self.literal = self.hit.literal

    @property
    def tag(self) -> str:
        return self.hit.tag


@dataclass(frozen=True, slots=True)
class Cue:
    hit: Hit
    kind: CueKind


def select_cues(hits: Sequence[Hit], lexicon: Lexicon) -> list[Cue]:
    """Where cues overlap the longest wins ("not sure" over "not", "no more" over "no")."""
    ordered = sorted(hits, key=lambda h: (-(h.end - h.start), h.start))
    taken: set[int] = set()
    chosen: list[Cue] = []
    for hit in ordered:
        span = range(hit.start, hit.end)
        if any(i in taken for i in span):
            continue
        taken.update(span)
        chosen.append(Cue(hit, lexicon.cue_kinds[hit.tag]))
    return sorted(chosen, key=lambda c: c.hit.start)


class _Reach:
    def __init__(self, norms: Sequence[str], findings: Sequence[Finding], lexicon: Lexicon) -> None:
        self.norms = norms
        self.lexicon = lexicon
        self.covering: list[list[Finding]] = [[] for _ in norms]
        for finding in findings:
            for i in range(finding.hit.start, min(finding.hit.end, len(norms))):
                self.covering[i].append(finding)
        self.stops: set[int] = set()
        self.breakers = True  # a new subject ends a negation; not a hypothetical ("if you get")

    def _blocked(self, i: int) -> bool:
        return self.norms[i] in self.lexicon.boundaries or i in self.stops

    def _contrasted(self, finding: Finding) -> bool:
        after = self.norms[finding.hit.end : finding.hit.end + 2]
        if after and after[0] in self.lexicon.affirmed_after:
            return True
        return any(word in self.lexicon.contrast_after for word in after)

    def _chains(self, first: Finding, finding: Finding) -> bool:
        """A list goes on only with the same kind of finding, led by a listable symptom word;
        or with a mention of the body joined by a word, not a comma ("neither numb nor weak",
        "no weakness in my legs or arms")."""
        if finding.kind == "body":
            return self.norms[finding.hit.start - 1] in self.lexicon.connectors - {",", "/"}
        same = finding.kind == first.kind or first.kind == "body"
        word = self.norms[finding.hit.start]
        listable = word in self.lexicon.listable or word.startswith(self.lexicon.listable_stems)
        return same and listable

    def _starting_within(
        self, cue: Hit, start: int, end: int, seen: list[Finding]
    ) -> list[Finding]:
        # a symptom that starts in the gap of a longer one is its own finding, not denied with
        # it: "no tingling no numbness can't feel my feet" (numbness ...3 feet spans it)
        gaps = [g for f in seen for g in f.hit.gaps]
        found: list[Finding] = []
        for i in range(start, min(end, len(self.norms))):
            for f in self.covering[i]:
                if f.hit.start == i and f not in seen and f not in found and not _overlaps(cue, f):
                    if f.kind == "symptom" and (
                        any(s <= i < e for s, e in gaps) or f.hit.end > end
                    ):
                        continue  # ... or runs on past it: "no pain legs like jelly"
                    found.append(f)
        return found

    def _placed(self, chained: list[Finding], reached: list[Finding]) -> bool:
        """A symptom after a comma that names a place in the body, where the denied list so far
        named none: read as news, not as one more item of the list."""

        def places(findings: list[Finding]) -> bool:
            return any(
                f.kind == "symptom"
                and any(
                    g.kind == "body" and g.tag in _PLACES
                    for j in range(f.hit.start, f.hit.end)
                    for g in self.covering[j]
                )
                for f in findings
            )

        return places(chained) and not places(reached)

    def forward(self, cue: Hit, scope: int) -> list[Finding]:
        reached: list[Finding] = []
        filler = 0
        i = cue.end
        while i < len(self.norms) and not self._blocked(i):
            # a finding that began inside the last one reached and runs on past it is reached
            # only through the list rules, never by overlap ("no pain legs like jelly")
            here = [
                f
                for f in self.covering[i]
                if f not in reached and not _overlaps(cue, f) and (not reached or f.hit.start >= i)
            ]
            if here:
                chained = _leaders([f for f in here if f.hit.start == i])
                if reached and not all(self._chains(_leaders(reached)[0], f) for f in chained):
                    break
                if reached and any(self._contrasted(f) for f in chained):
                    break  # "no back pain, weakness in my legs though"
                if reached and self.norms[i - 1] == COMMA and self._placed(chained, reached):
                    break  # "no numbness, pins and needles in my hands": a statement, not a list
                end = max(f.hit.end for f in here)
                reached += here + self._starting_within(cue, i, end, reached + here)
                i = end
                continue
            token = self.norms[i]
            if reached:
                if token not in self.lexicon.connectors:
                    break
            elif self.breakers and (token == COMMA or token in self.lexicon.scope_breakers):
                break
            else:
                filler += 1
                if filler > scope:
                    break
            i += 1
        return reached

    def backward(self, cue: Hit, scope: int, over_commas: bool = False) -> list[Finding]:
        reached: list[Finding] = []
        filler = 0
        i = cue.start - 1
        while i >= 0 and not self._blocked(i):
            here = [f for f in self.covering[i] if f not in reached and not _overlaps(cue, f)]
            if here:
                if reached and not all(
                    self._chains(_leaders(reached)[0], f) for f in _leaders(here)
                ):
                    break
                start = min(f.hit.start for f in here)
                reached += here + self._starting_within(cue, start, i + 1, reached + here)
                i = start - 1
                continue
            token = self.norms[i]
            if reached:
                if token not in self.lexicon.connectors:
                    break
            elif token == COMMA and not over_commas:
                break
            else:
                filler += 1
                if filler > scope:
                    break
            i -= 1
        return reached


def _leaders(findings: list[Finding]) -> list[Finding]:
    """The findings that decide whether a list goes on: a mention of the body that shares its
    words with a symptom follows the symptom; a qualifier that shares them follows the mention
    ("no problems with wee or poo": "poo" is a mention, not only the occasion of a pain)."""
    return (
        [f for f in findings if f.kind not in ("body", "qualifier")]
        or [f for f in findings if f.kind == "body"]
        or findings
    )


def _part_of_a_finding(cue: Hit, findings: Sequence[Finding]) -> bool:
    """A cue that is part of a symptom's own words modifies nothing ("not able to walk"), nor does
    one inside an all-well phrase or a reason for a person ("no problems", "not feeling great")."""
    for finding in findings:
        if finding.kind in ("symptom", "qualifier"):
            if _overlaps(cue, finding):
                return True
        elif finding.hit.start <= cue.start and cue.end <= finding.hit.end:
            # a denial that opens an all-well phrase goes on along a list after it:
            # "no new pain, tingling or weakness", "bez nowych bolow, mrowien czy chwiejnosci"
            opens = finding.kind == "all_well" and cue.start == finding.hit.start
            if not opens:
                return True
    return False


def _contains(finding: Finding, cue: Hit) -> bool:
    return finding.hit.start <= cue.start and cue.end <= finding.hit.end


def _overlaps(cue: Hit, finding: Finding) -> bool:
    return any(cue.start <= i < cue.end for i in finding.literal)


def _inside_gap(cue: Hit, finding: Finding) -> bool:
    return any(s <= cue.start and cue.end <= e for s, e in finding.hit.gaps)


def apply_context(
    norms: Sequence[str],
    surfaces: Sequence[str],
    findings: Sequence[Finding],
    cues: list[Cue],
    lexicon: Lexicon,
) -> None:
    """Record on each finding the cues that modify it (in place)."""
    reach = _Reach(norms, findings, lexicon)
    # an affirmation may share words with what it affirms ("I have had that for a week")
    affirmations = [c for c in cues if c.kind.type == "affirmed"]
    # ... and a return may share words with a qualifier ("now it's worse": 'worse')
    returns = [c for c in cues if c.kind.type == "recurred"]
    cues = [c for c in cues if not _part_of_a_finding(c.hit, findings)]
    for cue in cues:
        if cue.kind.type == "terminate":
            reach.stops.update(range(cue.hit.start, cue.hit.end))
    modifying = [c for c in cues if c.kind.type in MODIFYING]
    verbal = lexicon.verbal_negations | {"aren't", "isn't", "weren't", "wasn't"}
    for cue in modifying:  # a cue inside a finding's own gap: "legs are not weak"
        recorded = RECORDED_AS.get(cue.kind.type, cue.kind.type)
        for finding in findings:
            if _inside_gap(cue.hit, finding):
                words = quote(surfaces, cue.hit)
                finding.modifiers.setdefault(recorded, words)
                if cue.kind.type == "negated" and words in verbal:
                    # a verb denied inside the phrase ("arms aren't weaker"), not a list's "nor"
                    finding.modifiers["negated_inside"] = words
    for cue in modifying:
        kind = cue.kind
        words = quote(surfaces, cue.hit)
        targets: list[Finding] = []
        # a new subject or a comma ends a denial, and whose a symptom is ("it's my husband who
        # has cancer, he can't feel his feet": the carer goes on to the patient); a hedge or a
        # hypothetical reaches over them
        reach.breakers = kind.type in ("negated", "resolved", "experiencer")
        if kind.direction in ("forward", "both"):
            targets += reach.forward(cue.hit, kind.scope)
        if kind.direction in ("backward", "both"):
            targets += reach.backward(cue.hit, kind.scope, kind.over_commas)
        recorded = RECORDED_AS.get(kind.type, kind.type)
        opened = [f for f in findings if f.kind == "all_well" and f.hit.start == cue.hit.start]
        opens = bool(opened)
        if opens:
            targets = _along_a_list(targets, max(f.hit.end for f in opened), norms, lexicon)
        if kind.over_commas:
            # a symptom told in the present ("my legs are numb, it went after a few days") is
            # current whatever "it" points to
            now = lexicon.current_tense
            targets = [f for f in targets if not now & set(norms[f.hit.start : f.hit.end])]
        for finding in targets:
            if _contains(finding, cue.hit):
                continue  # the all-well phrase the denial opens is not denied by it
            if opens and finding.kind in ("all_well", "needs_person"):
                continue  # "none of the above, thanks": the thanks are not denied
            if finding.kind == "body" and kind.type == "negated" and words in verbal:
                continue  # "not right down below": the "not" is the feeling's, not the body's
            if kind.type == "negated" and finding.modifiers.get("negated_inside", words) != words:
                # "not that my legs aren't weak": two denials make no denial
                finding.modifiers["double_negated"] = words
            finding.modifiers.setdefault(recorded, words)
    # "it's started (happening) again" is read as an affirmation (the longer cue): a return too
    again = [c for c in affirmations if "again" in _rest_of_sentence(norms, c.hit.start, lexicon)]
    recurrences = returns + again
    _undo_resolutions(surfaces, findings, recurrences)
    _undo_hypotheticals(surfaces, findings, affirmations)


def _rest_of_sentence(norms: Sequence[str], start: int, lexicon: Lexicon) -> Sequence[str]:
    end = start
    while end < len(norms) and norms[end] not in lexicon.boundaries:
        end += 1
    return norms[start:end]


def _along_a_list(
    targets: list[Finding], end: int, norms: Sequence[str], lexicon: Lexicon
) -> list[Finding]:
    """A denial that opens an all-well phrase goes on to a symptom after it only along a list:
    joined by a word of a list ("no new pain, tingling or weakness"), or straight on from a
    symptom the phrase denies ("no new pain tingling or weakness"); never otherwise ("no
    problems my back hurts", "no new symptoms cant feel my feet" are symptoms). A mention of
    the body is what it denies ("no problems at all with my legs")."""
    symptoms = sorted(
        (f for f in targets if f.hit.start >= end and f.kind == "symptom"),
        key=lambda f: f.hit.start,
    )
    if not symptoms:
        return targets
    between = norms[end : symptoms[0].hit.start]
    inside = [f for f in targets if f.hit.start < end]
    if between and all(token in lexicon.connectors for token in between):
        return targets
    listed = not between and norms[symptoms[0].hit.start] in lexicon.listable
    if listed and any(f.kind == "symptom" for f in inside):
        return targets
    return [f for f in targets if f.hit.start < end or f.kind != "symptom"]


def _undo_resolutions(
    surfaces: Sequence[str], findings: Sequence[Finding], recurrences: Sequence[Cue]
) -> None:
    """A return told anywhere after a finding ("the tingling stopped. It's come back now") undoes
    its resolution, over commas and full stops: a resolution the reply itself takes back is no
    resolution (LABELS.md rule 3)."""
    for cue in recurrences:
        for finding in findings:
            if finding.hit.start < cue.hit.start and finding.modifiers.pop("resolved", ""):
                finding.modifiers["recurred"] = quote(surfaces, cue.hit)


def _undo_hypotheticals(
    surfaces: Sequence[str], findings: Sequence[Finding], affirmations: Sequence[Cue]
) -> None:
    """A symptom asked about, then said to be happening ("is it bad if my legs feel weak? It's
    been going on a few days", "your text said to ring about tingling. I've got it in both
    hands"), is had, not asked about: uncertain wording about a symptom is the symptom."""
    for cue in affirmations:
        for finding in findings:
            if finding.hit.start < cue.hit.start and finding.modifiers.pop("hypothetical", ""):
                finding.modifiers["affirmed"] = quote(surfaces, cue.hit)


def quote(surfaces: Sequence[str], hit: Hit) -> str:
    """The patient's own words for a hit."""
    words: list[str] = []
    for surface in surfaces[hit.start : hit.end]:
        if surface and (not words or words[-1] != surface):
            words.append(surface)
    return " ".join(words)
