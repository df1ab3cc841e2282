"""Plain words for triage's codes, from one file (templates/symptoms.yaml).

Staff SMS, staff email and the dashboard all describe symptoms through here, so a coordinator
reads the same words for the same reply everywhere, and a code such as `limb_weakness` never
shows to a person. A code the file lacks is shown as words (never dropped); a test keeps the
file complete for every code the lexicons can report.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

SYMPTOMS_FILE = Path(__file__).resolve().parent / "templates" / "symptoms.yaml"

SEVERITY_WORDS = {
    "red": "a symptom of MSCC (red)",
    "amber": "a symptom of spinal metastases (amber)",
}


@dataclass(frozen=True)
class Words:
    symptoms: dict[str, str]
    reasons: dict[str, str]


@lru_cache(maxsize=1)
def words() -> Words:
    data = yaml.safe_load(SYMPTOMS_FILE.read_text(encoding="utf-8"))
    return Words(
        symptoms={str(k): str(v) for k, v in (data.get("symptoms") or {}).items()},
        reasons={str(k): str(v) for k, v in (data.get("reasons") or {}).items()},
    )


def _as_words(code: str) -> str:
    return code.replace("_", " ").strip()


def describe_symptom(code: str) -> str:
    """Plain words for a symptom code; an unknown code is shown as words, never dropped."""
    return words().symptoms.get(code) or _as_words(code)


def describe_reason(code: str) -> str:
    """Plain words for why a reply needs a person (a `needs_person` finding)."""
    return words().reasons.get(code) or words().symptoms.get(code) or _as_words(code)


def describe_symptoms(codes: list[str] | tuple[str, ...]) -> str:
    return ", ".join(describe_symptom(code) for code in codes)
