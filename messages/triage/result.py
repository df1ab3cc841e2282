"""What triage returns: the label, the symptom codes and the evidence behind them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LABELS = ("red", "amber", "none", "unclear", "stop", "start", "help")


@dataclass(frozen=True)
class TriageResult:
    """One reply's label, the symptom codes that are current, and why (JSON-serialisable)."""

    label: str
    symptoms: tuple[str, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "symptoms": list(self.symptoms), "evidence": self.evidence}
