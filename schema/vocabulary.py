"""The words the safety net decides with, defined once: what a reply is labelled, and how urgently
a person must read one that triage could not place. Imported by triage (pure), the models and the
pathway alike, so this module imports nothing of the project's."""

from __future__ import annotations

from enum import StrEnum


class Label(StrEnum):
    """A reply's label (LABELS.md). `red` and `amber` are also the levels of an alert."""

    RED = "red"
    AMBER = "amber"
    NONE = "none"
    UNCLEAR = "unclear"
    STOP = "stop"
    START = "start"
    HELP = "help"


ALERT_LABELS: frozenset[Label] = frozenset({Label.RED, Label.AMBER})
KEYWORD_LABELS: frozenset[Label] = frozenset({Label.STOP, Label.START, Label.HELP})


class Review(StrEnum):
    """How soon a person must read an `unclear` reply."""

    URGENT = "urgent"  # about the body, a hedge about a symptom, or a language we cannot read
    ROUTINE = "routine"  # questions, appointments, wrong numbers: by the next working morning


class PermanentReason(StrEnum):
    """Why a provider will never deliver a message, whichever provider said so."""

    UNSUBSCRIBED = "unsubscribed"  # the recipient opted out at the carrier (Twilio 21610)
    INVALID_NUMBER = "invalid_number"  # not a number, or cannot take SMS (21211, 21614)
    FICTIONAL_NUMBER = "fictional_number"  # Ofcom drama range sent to the real Twilio API
    REJECTED = "rejected"  # anything else the provider will never accept
