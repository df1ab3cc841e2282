"""What triage returns: the label, the symptom codes, the evidence behind them and, for an
`unclear` reply, how soon a person must read it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schema.vocabulary import Label, Review

LABELS: tuple[str, ...] = tuple(label.value for label in Label)


@dataclass(frozen=True)
class TriageResult:
    """One reply's label, the symptom codes that are current, why (JSON-serialisable), and the
    review urgency: `urgent` or `routine` on every `unclear` result, None on every other."""

    label: Label
    symptoms: tuple[str, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)
    review: Review | None = None

    def __post_init__(self) -> None:
        label = Label(self.label)
        object.__setattr__(self, "label", label)
        if label == Label.UNCLEAR:
            # an unclear reply with no urgency given is read at once: failing safe
            object.__setattr__(self, "review", Review(self.review or Review.URGENT))
        elif self.review is not None:
            raise ValueError(f"a {label} result carries no review urgency")

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label.value,
            "review": self.review.value if self.review is not None else None,
            "symptoms": list(self.symptoms),
            "evidence": self.evidence,
        }
