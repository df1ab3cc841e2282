"""The example trust made for tests and benchmarks: its send window open all day, and a cohort
whose only message is the welcome, so an enrolled patient's message is due at once."""

from __future__ import annotations

from pathlib import Path

from pathway import audit
from pathway.trust_loading import load_trust
from schema.config_file import config_from_text
from schema.db import session_scope
from schema.types import utcnow

EXAMPLE_TRUST = Path(__file__).resolve().parents[1] / "examples" / "trust.yaml"

WELCOME_ONLY_COHORT = """cohorts:
  - key: welcome_only
    name: Welcome message only (tests)
    schedule:
      - template: welcome
        channels: [sms, email]
"""


def always_open_trust_yaml(source: str | None = None) -> str:
    """The example trust's YAML (or `source`) with the window and the cohort above."""
    return (
        (source if source is not None else EXAMPLE_TRUST.read_text())
        .replace('start: "09:00"', 'start: "00:00"')
        .replace('end: "20:00"', 'end: "24:00"')
        .replace("cohorts:\n", WELCOME_ONLY_COHORT)
    )


def load_always_open_trust() -> int:
    """Load that trust into the database the settings point at; returns its id."""
    text = always_open_trust_yaml()
    with session_scope() as session:
        result = load_trust(
            session,
            config_from_text(text),
            actor=audit.CLI,
            now=utcnow(),
        )
        return int(result.trust.id)
