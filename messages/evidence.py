"""What triage read in a reply and why, in words a coordinator reads at a glance.

Triage stores its evidence as data (`findings`, cue words, the second reader's opinion); this
turns it into one summary line and one row per finding: the patient's words, what they were read
as, and the cue that decided it ("negated by 'no'", "raised by the second reader: ..."). Rows
without words are left out, so no row is ever blank. Pure: evidence in, words out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from messages.symptoms import (
    SEVERITY_WORDS,
    describe_reason,
    describe_symptom,
    describe_symptoms,
)

READINGS = {
    "present": "counted",
    "negated": "negated by",
    "resolved": "said to be over:",
    "other_person": "about someone else:",
    "hypothetical": "only a what-if:",
}
LABEL_WORDS = {
    "red": "Red: a symptom of MSCC",
    "amber": "Amber: a symptom of spinal metastases",
    "none": "None: no new symptom",
    "unclear": "Unclear: a person must read it",
    "stop": "STOP: the patient opts out",
    "start": "START: the patient opts back in",
    "help": "HELP: the patient asks for the contact numbers",
}


@dataclass(frozen=True)
class EvidenceRow:
    words: str  # what the patient wrote, as triage quoted it
    finding: str  # what it was read as, in plain words
    cue: str  # why it counted or not
    severity: str | None = None  # red or amber for a symptom
    counted: bool = True  # whether it weighed in the label


@dataclass(frozen=True)
class Explanation:
    summary: str
    rows: tuple[EvidenceRow, ...]
    notes: tuple[str, ...]


def _quote(text: object) -> str:
    return f"“{text}”"


def _finding_words(finding: Mapping[str, Any]) -> tuple[str, str | None]:
    if finding.get("symptom"):
        code = str(finding["symptom"])
        severity = str(finding.get("severity") or "") or None
        return describe_symptom(code), severity
    if finding.get("why"):
        return describe_reason(str(finding["why"])), None
    return "says all is well", None


def _cue(finding: Mapping[str, Any]) -> tuple[str, bool]:
    status = str(finding.get("status") or "present")
    cue = finding.get("cue")
    if status == "present":
        if finding.get("uncertain"):
            return f"counted although uncertain ({_quote(finding['uncertain'])})", True
        if finding.get("hedge"):
            return f"counted although hedged ({_quote(finding['hedge'])})", True
        return "counted", True
    reading = READINGS.get(status, status.replace("_", " "))
    return (f"{reading} {_quote(cue)}" if cue else reading), False


# Evidence stored before triage kept `findings` has only these lists of quoted words.
LISTS = {
    "matched": ("a red or amber symptom", "counted", True),
    "uncertain": ("a symptom, uncertain", "counted although uncertain", True),
    "negated": ("a symptom", "negated", False),
    "resolved": ("a symptom", "said to be over", False),
    "other_person": ("a symptom", "about someone else", False),
    "all_well": ("says all is well", "counted", True),
    "needs_person": ("something for a person", "counted", True),
}


def _rows_from_lists(evidence: Mapping[str, Any]) -> list[EvidenceRow]:
    rows: list[EvidenceRow] = []
    for key, (what, cue, counted) in LISTS.items():
        values = evidence.get(key)
        for said in values if isinstance(values, list) else []:
            if str(said).strip() and str(said) != "?":
                rows.append(EvidenceRow(str(said), what, cue, counted=counted))
    return rows


def rows_of(evidence: Mapping[str, Any]) -> list[EvidenceRow]:
    findings = evidence.get("findings")
    if not isinstance(findings, list):
        return _rows_from_lists(evidence)
    rows: list[EvidenceRow] = []
    for finding in findings:
        if not isinstance(finding, Mapping) or not str(finding.get("words") or "").strip():
            continue
        what, severity = _finding_words(finding)
        cue, counted = _cue(finding)
        if severity in SEVERITY_WORDS:
            what = f"{what}: {SEVERITY_WORDS[severity]}"
        rows.append(EvidenceRow(str(finding["words"]), what, cue, severity, counted))
    second = evidence.get("second_reader")
    if isinstance(second, Mapping):
        rows.append(_second_reader_row(second, raised=evidence.get("reader") == "second reader"))
    return rows


def _second_reader_row(opinion: Mapping[str, Any], *, raised: bool) -> EvidenceRow:
    because = [str(w) for w in (opinion.get("red_because") or opinion.get("alert_because") or [])]
    chance = (
        f"chance of an MSCC symptom {float(opinion.get('p_red') or 0):.0%}, "
        f"of any alert symptom {float(opinion.get('p_alert') or 0):.0%}"
    )
    cue = f"raised by the second reader: {chance}" if raised else f"no change: {chance}"
    return EvidenceRow(
        ", ".join(_quote(w) for w in because) or "the whole reply",
        "the second reader's opinion",
        cue,
        counted=raised,
    )


def _notes(evidence: Mapping[str, Any]) -> list[str]:
    notes: list[str] = []
    spelling = evidence.get("spelling")
    if isinstance(spelling, Mapping) and spelling:
        read = ", ".join(f"{_quote(a)} as {_quote(b)}" for a, b in spelling.items())
        notes.append(f"Spelling read: {read}.")
    if evidence.get("shared_number"):
        notes.append(f"Shared phone: {evidence['shared_number']}.")
    if evidence.get("handling_failed"):
        notes.append("Handling this reply failed, so a person must read it.")
    if evidence.get("error"):
        notes.append("Triage failed on this reply, so a person must read it.")
    return notes


def _summary(
    label: str | None, evidence: Mapping[str, Any], rows: list[EvidenceRow], symptoms: list[str]
) -> str:
    head = LABEL_WORDS.get(label or "", "Not triaged yet")
    if evidence.get("keyword"):
        return f"{head} (the keyword {_quote(evidence['keyword'])} as the whole message)."
    counted = [r for r in rows if r.counted and r.finding != "the second reader's opinion"]
    if label in ("red", "amber"):
        counted = [r for r in counted if r.severity == label] or counted
    grouped: dict[str, list[str]] = {}
    for row in counted:
        grouped.setdefault(row.finding.split(":")[0], []).append(_quote(row.words))
    shown = "; ".join(
        f"{what} ({', '.join(dict.fromkeys(said))})" for what, said in grouped.items()
    )
    if symptoms and not any(r.severity for r in counted):
        # older evidence names no symptom per row: the reply's symptom codes say what it was
        said = ", ".join(dict.fromkeys(_quote(r.words) for r in counted))
        shown = describe_symptoms(symptoms) + (f" ({said})" if said else "")
    if evidence.get("reader") == "second reader":
        shown = "raised by the second reader" + (f"; {shown}" if shown else "")
    return f"{head}: {shown}." if shown else f"{head}."


def explain(
    evidence: Mapping[str, Any] | None,
    label: str | None,
    symptoms: list[str] | tuple[str, ...] = (),
) -> Explanation:
    """The summary line, the rows and the notes for one reply's stored triage."""
    evidence = evidence or {}
    rows = rows_of(evidence)
    summary = _summary(label, evidence, rows, list(symptoms))
    return Explanation(summary, tuple(rows), tuple(_notes(evidence)))
