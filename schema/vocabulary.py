"""The words the safety net decides with, defined once: what a reply is labelled (and so the level
of an alert), how urgently a person must read one that triage could not place, who sent a reply,
where its review stands, what kind each outbound message and alert notification is. Imported by
triage (pure), the models, the database's CHECK constraints and the pathway alike, so this module
imports nothing of the project's."""

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


ALERT_LEVELS: tuple[Label, ...] = (Label.RED, Label.AMBER)  # the labels that raise an alert
ALERT_LABELS: frozenset[Label] = frozenset(ALERT_LEVELS)
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


class SenderKind(StrEnum):
    """Who sent a reply, by the number it came from."""

    STAFF = "staff"  # a staff member's registered phone: an acknowledgement, or a message
    PATIENT = "patient"
    UNKNOWN = "unknown"  # nobody we know (a carer's phone, a new number), or no trust's number
    CARER = "carer"  # a number recorded as a carer's for a patient: read as a report about them


class ReviewState(StrEnum):
    """A reply on its trust's review list (`open`) until a person has read it (`closed`)."""

    OPEN = "open"
    CLOSED = "closed"


class ReviewDecision(StrEnum):
    """What the person who read a reply on the review list decided."""

    NO_ACTION = "no_action"  # read: nothing needed
    CONTACTED = "contacted"  # the sender was phoned or written to
    ALERT_RAISED = "alert_raised"  # it needed an alert, raised by hand
    NUMBER_LINKED = "number_linked"  # an unknown number linked to a patient (or a carer)


class ContactKind(StrEnum):
    """Whose a patient's extra number is."""

    PATIENT = "patient"  # the patient's own (a new phone)
    CARER = "carer"  # a carer's: their texts are read as reports about the patient


class NotificationKind(StrEnum):
    """Why a staff member is sent a message about an alert."""

    ALERT = "alert"  # first step
    ESCALATION = "escalation"  # a later step, or a repeat to the whole chain
    RENOTIFY = "renotify"  # the patient sent another red reply
    TAKEN = "taken"  # someone else acknowledged
    CONFIRM = "confirm"  # to the person who acknowledged
    REMINDER = "reminder"  # acknowledged but not resolved


class MessageKind(StrEnum):
    """What an outbound message is, stored with it (its idempotency key is only its identity)."""

    PLANNED = "planned"  # part of a cohort's schedule, planned at enrolment
    REPLY = "reply"  # the answer to a reply (advice, help, a confirmation, ACK not understood)
    ALERT = "alert"  # a notification to staff about an alert
    UNKNOWN_SENDER = "unknown_sender"  # the daily note to a number we do not know
    FALLBACK = "fallback"  # an SMS that failed, sent again by email
    UNREACHABLE = "unreachable"  # coordinators told a patient cannot be reached
    ROTA_GAP = "rota_gap"  # admins told nobody is on a role an escalation chain uses
    INTEGRATION = "integration"  # admins told the trust's record is missing write-backs
    REVIEW = "review"  # coordinators told a reply on the review list is due (or overdue)
    ACCOUNT = "account"  # a staff member's one-time set-password link
