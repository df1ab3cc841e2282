"""triage(): read one reply and label it. Never raises: a reply it cannot read goes to a person."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from messages.triage.context import Finding, apply_context, quote, select_cues
from messages.triage.keywords import keyword_of
from messages.triage.labeller import decide
from messages.triage.loader import Lexicon, load_lexicon, normalise_languages
from messages.triage.normalise import BOUNDARY, MAX_CHARS, QUESTION, tokenise
from messages.triage.patterns import Hit
from messages.triage.result import TriageResult
from messages.triage.spelling import Speller
from messages.triage.subjects import other_people

DEFAULT_LANGUAGES = ("en", "cy", "pl")


@lru_cache(maxsize=16)
def _prepared(languages: tuple[str, ...]) -> tuple[Lexicon, Speller]:
    lexicon = load_lexicon(languages)
    return lexicon, Speller(lexicon)


def triage(text: str, languages: Sequence[str] = DEFAULT_LANGUAGES) -> TriageResult:
    """Label one SMS reply: red, amber, none, unclear, stop, start or help, with the evidence."""
    # a broken lexicon is a deployment error and raises here, loudly, not per reply
    prepared = _prepared(normalise_languages(languages))
    try:
        return _triage(text if isinstance(text, str) else str(text), *prepared)
    except Exception as exc:
        return TriageResult(
            label="unclear",
            evidence={"reason": "triage failed: needs a person", "error": type(exc).__name__},
        )


def _overlap(a: Hit, b: Hit) -> bool:
    return a.start < b.end and b.start < a.end


def _cancels(exception: Hit, hit: Hit) -> bool:
    """A ``not_if`` cancels a symptom it overlaps, or, when it marks a focus, only a symptom whose
    own words include the focus: "the pain is ^back" cancels that 'back', not "back pain"."""
    if exception.focus:
        return any(s <= i < e for s, e in exception.focus for i in hit.literal)
    return _overlap(exception, hit)


def _triage(text: str, lexicon: Lexicon, speller: Speller) -> TriageResult:
    keyword = keyword_of(text, lexicon.keywords)
    if keyword is not None:
        return TriageResult(
            label=keyword, evidence={"reason": f"keyword {keyword}", "keyword": text.strip()}
        )

    norms, surfaces, spelling = speller.tokens(*tokenise(text, lexicon.emoji))
    # a full stop before and after, so patterns can say "at the start of a sentence" (". who")
    norms = [BOUNDARY, *norms, BOUNDARY]
    surfaces = ["", *surfaces, ""]
    found = lexicon.matcher.find(norms)
    excluded = found["not_if"]
    hits = [
        hit
        for code in lexicon.symptoms
        for hit in found[f"symptom:{code}"]
        if not any(x.tag == hit.tag and _cancels(x, hit) for x in excluded)
    ]
    findings = [Finding("symptom", hit) for hit in _outermost(hits)]
    findings += [Finding("qualifier", h) for h in _outermost(found["qualifiers"])]
    findings += [Finding("all_well", h) for h in _outermost(found["all_well"])]
    findings += [Finding("needs_person", h) for h in _outermost(found["needs_person"])]
    findings = _drop_contained(findings)
    _denied_by_all_well(findings, surfaces)
    cues = select_cues(found["cues"], lexicon)
    apply_context(norms, surfaces, findings, cues, lexicon)
    stops = {i for c in cues if c.kind.type == "terminate" for i in range(c.hit.start, c.hit.end)}
    roles = other_people(
        norms,
        findings,
        found["subjects"],
        found["roles"],
        stops,
        lexicon,
    )
    extra: dict[str, object] = {}
    if spelling:
        extra["spelling"] = spelling
    if roles:
        extra["people"] = roles
    return decide(
        findings,
        norms,
        surfaces,
        lexicon,
        sender_well=any(h.tag in ("self_well", "relative_well") for h in found["roles"]),
        explained={i for c in cues for i in range(c.hit.start, c.hit.end)},
        question=QUESTION in norms,
        truncated=len(text) > MAX_CHARS,
        extra=extra,
    )


def _denied_by_all_well(findings: list[Finding], surfaces: list[str]) -> None:
    """A symptom inside an all-well phrase is denied by it: "no new pain", "pain free"."""
    well = [f.hit for f in findings if f.kind == "all_well"]
    for finding in findings:
        if finding.kind != "symptom":
            continue
        for hit in well:
            if hit.start <= finding.hit.start and finding.hit.end <= hit.end:
                finding.modifiers.setdefault("negated", quote(surfaces, hit))


def _outermost(hits: list[Hit]) -> list[Hit]:
    """One finding per stretch of words and tag: the longest ("numbness in my feet", not also
    "numbness"), so a negation inside the longer phrase is not lost on a shorter one."""
    hits = sorted(hits, key=lambda h: (h.start, -h.end))
    kept: list[Hit] = []
    for hit in hits:
        if not any(k.tag == hit.tag and k.start <= hit.start and hit.end <= k.end for k in kept):
            kept.append(hit)
    return kept


def _drop_contained(findings: list[Finding]) -> list[Finding]:
    """An all-well phrase inside a longer reason for a person goes, and the other way round:
    "not feeling great" is not "feeling great"; "don't worry" is not "worry"."""
    kinds = ("all_well", "needs_person")

    def inside(small: Finding, big: Finding) -> bool:
        return (
            big.hit.start <= small.hit.start
            and small.hit.end <= big.hit.end
            and (big.hit.end - big.hit.start) > (small.hit.end - small.hit.start)
        )

    return [
        f
        for f in findings
        if f.kind not in kinds
        or not any(g.kind in kinds and g.kind != f.kind and inside(f, g) for g in findings)
    ]
