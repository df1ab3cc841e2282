"""Decide the label, the review urgency and the evidence a clinician reads (LABELS.md).

- any current red symptom: `red`; else any current amber symptom: `amber`;
- else `none` only when it is shown: positive evidence (an all-well phrase, an acknowledgement, a
  denied or resolved symptom) and every word accounted for (``coverage.py``), no news after it;
- else `unclear`, with ``review``: `urgent` when the reply mentions the body in words the reader
  cannot place, hedges about a symptom, holds a red symptom it set aside as hypothetical or
  someone else's, has words no vocabulary knows, or is too long; `routine` for questions,
  requests, news and symptoms clearly outside the spine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from messages.triage.context import Finding, quote
from messages.triage.coverage import Coverage, resolved_by_a_fix
from messages.triage.loader import Lexicon
from messages.triage.news import unread_news
from messages.triage.result import TriageResult
from messages.triage.subjects import INFERRED_CARER
from schema.vocabulary import Label, Review

_NOT_CURRENT = ("negated", "resolved", "other_person", "hypothetical")
# reasons for a person that are urgent in themselves ("called an ambulance", "can't cope")
URGENT_NEEDS = frozenset({"urgent", "body_other", "hedge"})
# needs_person's tag for news of treatment changing or coming up
TREATMENT_NEWS = "news"
# a reply of this many words in which nothing is recognised says something nobody has placed
STATEMENT_WORDS = 4


def is_current(finding: Finding) -> bool:
    return not any(m in finding.modifiers for m in _NOT_CURRENT)


def _settle(finding: Finding) -> None:
    modifiers = finding.modifiers
    # only a resolution the patient is sure of counts: "I don't think the tingling has gone"
    if "resolved" in modifiers and "uncertain" in modifiers:
        del modifiers["resolved"]
    # a hedged or doubled denial is no denial: "I wouldn't say my arms aren't weaker"
    if "negated" in modifiers and ("uncertain" in modifiers or "double_negated" in modifiers):
        modifiers.setdefault("uncertain", modifiers.pop("negated"))


def _describe(finding: Finding, surfaces: Sequence[str], lexicon: Lexicon) -> dict[str, Any]:
    status = next((m for m in _NOT_CURRENT if m in finding.modifiers), "present")
    entry: dict[str, Any] = {"words": quote(surfaces, finding.hit), "status": status}
    if finding.kind == "symptom":
        entry = {"symptom": finding.tag, "severity": lexicon.severity[finding.tag], **entry}
    elif finding.kind != "all_well":
        entry = {"why": finding.tag, **entry}
    if status != "present":
        entry["cue"] = finding.modifiers[status]
    for modifier in ("uncertain", "hedge", "affirmed"):
        if modifier in finding.modifiers:
            entry[modifier] = finding.modifiers[modifier]
    entry["pattern"] = finding.hit.pattern
    return entry


@dataclass(frozen=True)
class Reading:
    """What the rule reader found, before any second reader or language check."""

    result: TriageResult
    urgent_reasons: tuple[str, ...]
    unknown: tuple[str, ...] = ()  # the words no vocabulary knows
    words: int = 0  # how many words the reply has
    placed: int = 0  # how many words its findings and cues account for


def decide(
    findings: Sequence[Finding],
    norms: Sequence[str],
    surfaces: Sequence[str],
    lexicon: Lexicon,
    coverage: Coverage,
    *,
    mentions: Sequence[Finding] = (),
    sender_well: bool,
    explained: set[int],
    question: bool,
    truncated: bool,
    extra: Mapping[str, Any],
) -> Reading:
    for finding in findings:
        _settle(finding)
    symptoms = [f for f in findings if f.kind == "symptom"]
    current = [f for f in symptoms if is_current(f)]
    red = [f for f in current if lexicon.severity[f.tag] == "red"]
    amber = [f for f in current if lexicon.severity[f.tag] == "amber"]
    needs = [f for f in findings if f.kind == "needs_person" and is_current(f)]
    needs += [f for f in findings if f.kind == "all_well" and "negated" in f.modifiers]
    # a denial the patient doubts ("not sure I haven't had any symptoms") shows nothing
    doubted = [
        f
        for f in findings
        if f.kind in ("all_well", "neutral")
        and "uncertain" in f.modifiers
        and _denies(f, norms, lexicon)
    ]
    well = [f for f in findings if f.kind == "all_well" and is_current(f) and f not in doubted]
    # news of treatment told with only thanks is for a person; told beside a real all-well
    # ("started my new tablets, all ok so far") the patient has said how it is going
    if sender_well or any(
        any(norms[i] not in lexicon.acknowledgements for i in range(f.hit.start, f.hit.end))
        for f in well
    ):
        needs = [f for f in needs if f.tag != TREATMENT_NEWS]
    well += [f for f in symptoms if "negated" in f.modifiers or "resolved" in f.modifiers]
    # a mention of the body denied or resolved ("no probs with legs or back") is shown all-well
    well += [
        f
        for f in mentions
        if ("negated" in f.modifiers or resolved_by_a_fix(f, lexicon.gone_words))
        and not {"uncertain", "hedge"} & f.modifiers.keys()
    ]
    well += [
        f
        for f in findings
        if f.kind == "needs_person" and f.tag == "other_symptom" and "negated" in f.modifiers
    ]
    # "no change", "same as usual" answer the question asked (any new symptoms?): all-well;
    # told of the body it is a mention nothing explains, and of walking or "it" a hedge; beside
    # a state going on ("no worse no better", "getting there") it is that state's (H32)
    unchanged = [f for f in findings if f.kind == "neutral" and f.tag == "unchanged"]
    as_before = {i for f in unchanged for i in range(f.hit.start, f.hit.end)}
    states = [
        f
        for f in findings
        if f.kind == "neutral"
        and f.tag == "neutral"
        and not set(range(f.hit.start, f.hit.end)) <= as_before
    ]
    if not states:
        well += [
            f
            for f in unchanged
            if is_current(f) and not {"uncertain", "hedge"} & f.modifiers.keys()
        ]
    set_aside = [
        f
        for f in symptoms
        if lexicon.severity[f.tag] == "red"
        and ("hypothetical" in f.modifiers or "other_person" in f.modifiers)
    ]
    # whose it is only inferred ("Mum says she's fine, but my back is killing me": the sender may
    # be the patient, writing of their own mum): never `none`, a person checks whose
    inferred = [
        f
        for f in [*symptoms, *mentions]
        if f.modifiers.get("other_person") == INFERRED_CARER
        and not {"negated", "resolved"} & f.modifiers.keys()
    ]

    # a red symptom gone by itself within days ("my legs went numb yesterday, gone now"): LABELS.md
    # rule 3 sets aside only a symptom gone *and dealt with*; one that came and went lately may
    # come again, so a person reads it urgently (H44)
    said_words = set(norms)
    lately_gone = [
        f
        for f in symptoms
        if lexicon.severity[f.tag] == "red"
        and "resolved" in f.modifiers
        and lexicon.lately & said_words
        and not lexicon.seen_to & said_words
    ]
    news = unread_news(norms, findings, well, sender_well, explained, lexicon) if well else None
    codes = list(dict.fromkeys(f.tag for f in red + amber))
    codes = [c for c in codes if not lexicon.yields_to.get(c, frozenset()) & set(codes)]
    if any(code in lexicon.qualifier_bases for code in codes):
        for f in findings:
            if f.kind == "qualifier" and is_current(f) and f.tag not in codes:
                codes.append(f.tag)

    urgent: list[str] = []
    if coverage.body:
        urgent.append("mentions the body in words it cannot place: " + "; ".join(coverage.body[:5]))
    if coverage.unknown:
        urgent.append("words it does not know: " + " ".join(coverage.unknown[:6]))
    if set_aside:
        urgent.append(
            "a red symptom set aside as hypothetical or someone else's: "
            + "; ".join(quote(surfaces, f.hit) for f in set_aside[:3])
        )
    # "I'm not walking well", "legs not great": wellness denied is a possible symptom unnamed
    denied_well = [f for f in findings if f.kind == "all_well" and "negated" in f.modifiers]
    if denied_well:
        urgent.append(
            "an all-well denied: " + "; ".join(quote(surfaces, f.hit) for f in denied_well[:3])
        )
    if doubted:
        urgent.append(
            "a denial it doubts: " + "; ".join(quote(surfaces, f.hit) for f in doubted[:3])
        )
    urgent_needs = [f for f in needs if f.tag in URGENT_NEEDS]
    if urgent_needs:
        urgent.append(_reason("an urgent matter", urgent_needs, surfaces))
    if truncated:
        urgent.append("too long to read in full")
    if inferred:
        urgent.append(
            "read as the carer's own, which the reply does not make plain: "
            + "; ".join(quote(surfaces, f.hit) for f in inferred[:3])
        )

    review: Review | None = None
    if red:
        label, reason = Label.RED, _reason("red flag", red, surfaces)
    elif amber:
        label, reason = Label.AMBER, _reason("spinal symptom", amber, surfaces)
    elif needs or question or truncated:
        label = Label.UNCLEAR
        reason = _reason("needs a person", needs, surfaces) if needs else "needs a person"
        if question:
            reason += "; asks a question"
        if truncated:
            reason += "; too long to read in full"
    elif not well and any(f.kind == "neutral" for f in findings):
        label, reason = Label.UNCLEAR, "says things are as they were, not what they are"
        urgent.append(
            "a continuing state it cannot name: "
            + "; ".join(quote(surfaces, f.hit) for f in findings if f.kind == "neutral")
        )
    elif inferred:
        label, reason = Label.UNCLEAR, "a symptom read as the carer's own: a person checks whose"
    elif lately_gone:
        label, reason = Label.UNCLEAR, "a red symptom told as gone by itself, lately"
        urgent.append(
            "gone lately and not said to be seen to: "
            + "; ".join(quote(surfaces, f.hit) for f in lately_gone[:3])
        )
    elif well and not coverage.shown:
        label, reason = Label.UNCLEAR, "all well is not shown"
    elif well and news is not None:
        label, reason = Label.UNCLEAR, f"needs a person: {news}"
        if not news.startswith("an acknowledgement"):
            # "fine, but ...": what the patient sets against their wellness may be a symptom
            urgent.append("news set against an all-well")
    elif well:
        label, reason = Label.NONE, _reason("says all is well", well, surfaces)
    else:
        label, reason = Label.UNCLEAR, "nothing recognised: needs a person"
        said = [t for t in norms if len(t) >= 3 and t[:1].isalpha() and t not in lexicon.filler]
        if len(said) >= STATEMENT_WORDS:
            urgent.append("a statement it cannot place")
    if label == Label.UNCLEAR:
        review = Review.URGENT if urgent else Review.ROUTINE
        if urgent:
            reason += "; urgent: " + "; ".join(urgent)

    evidence: dict[str, Any] = {
        "reason": reason,
        "reader": "rules",
        "matched": [quote(surfaces, f.hit) for f in red + amber],
        "negated": [quote(surfaces, f.hit) for f in symptoms if "negated" in f.modifiers],
        "resolved": [quote(surfaces, f.hit) for f in symptoms if "resolved" in f.modifiers],
        "other_person": [quote(surfaces, f.hit) for f in findings if "other_person" in f.modifiers],
        "hypothetical": [quote(surfaces, f.hit) for f in findings if "hypothetical" in f.modifiers],
        "uncertain": [quote(surfaces, f.hit) for f in current if "uncertain" in f.modifiers],
        "all_well": [
            quote(surfaces, f.hit) for f in well if f.kind == "all_well" or f.tag == "unchanged"
        ],
        "needs_person": [quote(surfaces, f.hit) for f in needs] + (["?"] if question else []),
        "unexplained_body": list(coverage.body),
        "unknown_words": list(coverage.unknown),
        "findings": [_describe(f, surfaces, lexicon) for f in findings],
        **extra,
    }
    result = TriageResult(label=label, symptoms=tuple(codes), evidence=evidence, review=review)
    words = sum(1 for token in norms if token[:1].isalpha())
    return Reading(result, tuple(urgent), coverage.unknown, words, len(coverage.accounted))


def _denies(finding: Finding, norms: Sequence[str], lexicon: Lexicon) -> bool:
    """An all-well that is a denial, or "no change"; a plain "fine" the patient hedges ("I
    think I'm fine") still says all is well."""
    return finding.tag == "unchanged" or bool(
        lexicon.denying & set(norms[finding.hit.start : finding.hit.end])
    )


def _reason(what: str, findings: Sequence[Finding], surfaces: Sequence[str]) -> str:
    shown = "; ".join(
        f"{f.tag} '{quote(surfaces, f.hit)}'"
        if f.kind == "symptom"
        else f"'{quote(surfaces, f.hit)}'"
        for f in findings[:5]
    )
    return f"{what}: {shown}"
