"""Whose symptom is it? The patient's, reported by the patient or a carer, or someone else's own.

The enrolled phone is the patient's, so a symptom is the patient's unless the reply makes it clear
that it is not (rule 4 of LABELS.md):
- the sender says they are well ("I'm fine") and the symptom belongs to a relative in the third
  person ("my wife's got pins and needles in her hands"), and the sender is not a carer;
- the sender is a carer ("Mum's fine", "Husband here") and the symptom is the sender's own, in
  the first person ("I've done my own back in"), and is not a red flag.
Anything less clear stays the patient's: a carer reporting "Mum can't feel her legs" is red.
"""

from __future__ import annotations

from collections.abc import Sequence

from messages.triage.context import Finding
from messages.triage.loader import Lexicon
from messages.triage.normalise import COMMA
from messages.triage.patterns import Hit

INFERRED_CARER = "the carer's own symptom"  # labeller.py reads this: whose is only inferred
SAID_CARER = "the carer's own symptom, as they say"


def _clause(norms: Sequence[str], stops: set[int], start: int, end: int, lexicon: Lexicon) -> range:
    def breaks(i: int) -> bool:
        return norms[i] in lexicon.boundaries or norms[i] == COMMA or i in stops

    left = start
    while left > 0 and not breaks(left - 1):
        left -= 1
    right = end
    while right < len(norms) and not breaks(right):
        right += 1
    return range(left, right)


def _red(finding: Finding, lexicon: Lexicon) -> bool:
    return finding.kind == "symptom" and lexicon.severity.get(finding.tag) == "red"


def other_people(
    norms: Sequence[str],
    findings: Sequence[Finding],
    subject_hits: Sequence[Hit],
    role_hits: Sequence[Hit],
    stops: set[int],
    lexicon: Lexicon,
) -> dict[str, str]:
    """Mark findings that are someone else's own (returns the roles seen, for the evidence)."""
    roles = {hit.tag for hit in role_hits}
    sender_is_patient = "self_well" in roles and "carer_here" not in roles
    sender_is_carer = bool({"relative_well", "carer_here"} & roles) and "self_well" not in roles
    if not (sender_is_patient or sender_is_carer):
        return {}
    third = [h for h in subject_hits if h.tag == "third_person"]
    # "my wife" is the wife, not me
    # (a word that is both, Polish "mam" (I have) and Welsh "mam" (mum), stays both)
    subject_hits = [
        h
        for h in subject_hits
        if h.tag == "third_person"
        or not any(
            t.start <= h.start < t.end and (t.start, t.end) != (h.start, h.end) for t in third
        )
    ]
    for finding in findings:
        if finding.kind not in ("symptom", "needs_person", "body"):
            continue
        clause = _clause(norms, stops, finding.hit.start, finding.hit.end, lexicon)
        people = {h.tag for h in subject_hits if h.start in clause}
        if sender_is_patient and people == {"third_person"}:
            finding.modifiers.setdefault("other_person", "a relative's own symptom")
        elif sender_is_carer and people == {"first_person"} and not _red(finding, lexicon):
            # "Mum's fine" may be a patient talking about their own mum: a red flag in the first
            # person is always the patient's, and another symptom is plainly the carer's only
            # when they say so ("I've done my own back in")
            said = any(h.tag == "own" and h.start in clause for h in role_hits)
            finding.modifiers.setdefault("other_person", SAID_CARER if said else INFERRED_CARER)
    return {"sender": "patient" if sender_is_patient else "carer"}
