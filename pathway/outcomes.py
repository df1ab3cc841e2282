"""What a coordinator records when resolving an alert: one of the trust's outcomes, a note if
they wish, and the time of the MRI when there was one. Checked here, so the dashboard, the API
and any other caller refuse the same things with the same words, naming the field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from schema.trust_config import TrustConfig

NOTE_LIMIT = 4000
# An MRI may be recorded when it is booked, so a time ahead is allowed, within reason.
MRI_AHEAD_LIMIT = timedelta(days=31)


class OutcomeError(ValueError):
    """A resolution that cannot be recorded; `field` is the form or JSON field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Resolution:
    outcome: str  # one of the trust's outcome keys
    outcome_name: str  # its words in the configuration in force
    note: str | None
    mri_at: datetime | None


def check_resolution(
    config: TrustConfig,
    *,
    outcome: str,
    note: str = "",
    mri_at: datetime | None = None,
    reply_at: datetime,
    now: datetime,
) -> Resolution:
    """The resolution as it will be stored, or OutcomeError naming the first field at fault."""
    chosen = config.outcome(outcome.strip())
    if chosen is None:
        raise OutcomeError("outcome", "choose what happened from the list")
    text = note.strip()
    if len(text) > NOTE_LIMIT:
        raise OutcomeError("outcome_note", f"a note of at most {NOTE_LIMIT} characters")
    if mri_at is not None:
        if mri_at.tzinfo is None:
            raise OutcomeError("mri_at", "the MRI time needs its time zone")
        if mri_at < reply_at:
            raise OutcomeError("mri_at", "the MRI time is before the patient's reply")
        if mri_at > now + MRI_AHEAD_LIMIT:
            raise OutcomeError("mri_at", "the MRI time is more than a month from now")
    return Resolution(chosen.key, chosen.name, text or None, mri_at)
