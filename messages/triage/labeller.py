"""Decide the label from the findings and write the evidence a clinician reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from messages.triage.context import Finding, quote
from messages.triage.loader import Lexicon
from messages.triage.news import unread_news
from messages.triage.result import TriageResult

_NOT_CURRENT = ("negated", "resolved", "other_person")


def is_current(finding: Finding) -> bool:
    return not any(m in finding.modifiers for m in _NOT_CURRENT)


def _settle(finding: Finding) -> None:
    # only a resolution the patient is sure of counts: "I don't think the tingling has gone"
    if "resolved" in finding.modifiers and "uncertain" in finding.modifiers:
        del finding.modifiers["resolved"]


def _describe(finding: Finding, surfaces: Sequence[str], lexicon: Lexicon) -> dict[str, Any]:
    status = next((m for m in _NOT_CURRENT if m in finding.modifiers), "present")
    entry: dict[str, Any] = {"words": quote(surfaces, finding.hit), "status": status}
    if finding.kind == "symptom":
        entry = {"symptom": finding.tag, "severity": lexicon.severity[finding.tag], **entry}
    elif finding.kind != "all_well":
        entry = {"why": finding.tag, **entry}
    if status != "present":
        entry["cue"] = finding.modifiers[status]
    for modifier in ("uncertain", "hedge"):
        if modifier in finding.modifiers:
            entry[modifier] = finding.modifiers[modifier]
    entry["pattern"] = finding.hit.pattern
    return entry


def decide(
    findings: Sequence[Finding],
    norms: Sequence[str],
    surfaces: Sequence[str],
    lexicon: Lexicon,
    *,
    sender_well: bool,
    explained: set[int],
    question: bool,
    truncated: bool,
    extra: Mapping[str, Any],
) -> TriageResult:
    for finding in findings:
        _settle(finding)
    symptoms = [f for f in findings if f.kind == "symptom"]
    current = [f for f in symptoms if is_current(f)]
    red = [f for f in current if lexicon.severity[f.tag] == "red"]
    amber = [f for f in current if lexicon.severity[f.tag] == "amber"]
    needs = [f for f in findings if f.kind == "needs_person" and is_current(f)]
    needs += [f for f in findings if f.kind == "all_well" and "negated" in f.modifiers]
    well = [f for f in findings if f.kind == "all_well" and is_current(f)]
    well += [f for f in symptoms if "negated" in f.modifiers or "resolved" in f.modifiers]
    well += [
        f
        for f in findings
        if f.kind == "needs_person" and f.tag == "other_symptom" and "negated" in f.modifiers
    ]

    news = unread_news(norms, findings, well, sender_well, explained, lexicon) if well else None
    codes = list(dict.fromkeys(f.tag for f in red + amber))
    codes = [c for c in codes if not lexicon.yields_to.get(c, frozenset()) & set(codes)]
    if any(code in lexicon.qualifier_bases for code in codes):
        for f in findings:
            if f.kind == "qualifier" and is_current(f) and f.tag not in codes:
                codes.append(f.tag)

    if red:
        label, reason = "red", _reason("red flag", red, surfaces)
    elif amber:
        label, reason = "amber", _reason("spinal symptom", amber, surfaces)
    elif needs or question or truncated:
        label = "unclear"
        reason = _reason("needs a person", needs, surfaces) if needs else "needs a person"
        if question:
            reason += "; asks a question"
        if truncated:
            reason += "; too long to read in full"
    elif well and news is not None:
        label, reason = "unclear", f"needs a person: {news}"
    elif well:
        label, reason = "none", _reason("says all is well", well, surfaces)
    else:
        label, reason = "unclear", "nothing recognised: needs a person"

    evidence: dict[str, Any] = {
        "reason": reason,
        "matched": [quote(surfaces, f.hit) for f in red + amber],
        "negated": [quote(surfaces, f.hit) for f in symptoms if "negated" in f.modifiers],
        "resolved": [quote(surfaces, f.hit) for f in symptoms if "resolved" in f.modifiers],
        "other_person": [quote(surfaces, f.hit) for f in findings if "other_person" in f.modifiers],
        "uncertain": [quote(surfaces, f.hit) for f in current if "uncertain" in f.modifiers],
        "all_well": [quote(surfaces, f.hit) for f in well if f.kind == "all_well"],
        "needs_person": [quote(surfaces, f.hit) for f in needs] + (["?"] if question else []),
        "findings": [_describe(f, surfaces, lexicon) for f in findings],
        **extra,
    }
    return TriageResult(label=label, symptoms=tuple(codes), evidence=evidence)


def _reason(what: str, findings: Sequence[Finding], surfaces: Sequence[str]) -> str:
    shown = "; ".join(
        f"{f.tag} '{quote(surfaces, f.hit)}'"
        if f.kind == "symptom"
        else f"'{quote(surfaces, f.hit)}'"
        for f in findings[:5]
    )
    return f"{what}: {shown}"
