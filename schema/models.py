"""What the service stores. One table per thing a coordinator would name.

Times are aware UTC datetimes. States are short strings checked by the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from schema.encryption import EncryptedJSON, EncryptedText, lookup_hmac
from schema.types import JSONType, UTCDateTime, utcnow
from schema.vocabulary import (
    ALERT_LEVELS,
    ContactKind,
    Label,
    MessageKind,
    NotificationKind,
    Review,
    ReviewDecision,
    ReviewState,
    SenderKind,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
        list[Any]: JSONType,
    }


def _in(column: str, allowed: Iterable[StrEnum]) -> CheckConstraint:
    values = ", ".join(f"'{member.value}'" for member in allowed)
    return CheckConstraint(f"{column} IN ({values})", name=f"{column}_valid")


class PatientStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    DISCHARGED = "discharged"


class StaffRole(StrEnum):
    COORDINATOR = "coordinator"
    ADMIN = "admin"
    ESCALATION = "escalation"  # on the chain, no dashboard role of their own


SIGN_IN_ROLES = frozenset({StaffRole.COORDINATOR.value, StaffRole.ADMIN.value})


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"
    VOICE = "voice"  # a phone call to staff on an escalation step that says `call: true`


class MessageState(StrEnum):
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SUPPRESSED = "suppressed"


class Queue(StrEnum):
    ALERTS = "alerts"
    MESSAGES = "messages"


class AlertState(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Trust(Base):
    __tablename__ = "trusts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    config_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    config_versions: Mapped[list[TrustConfigVersion]] = relationship(
        back_populates="trust", order_by="TrustConfigVersion.version"
    )


class TrustConfigVersion(Base):
    """Every configuration a trust ever loaded, kept for history and review."""

    __tablename__ = "trust_config_versions"
    __table_args__ = (UniqueConstraint("trust_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"))
    version: Mapped[int] = mapped_column(Integer)
    config: Mapped[dict[str, Any]]
    source_text: Mapped[str] = mapped_column(Text)
    source_sha256: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    loaded_by: Mapped[str] = mapped_column(String(100))

    trust: Mapped[Trust] = relationship(back_populates="config_versions")


class TrustNumber(Base):
    """A phone number a trust sends from and receives replies on (routes inbound `To`)."""

    __tablename__ = "trust_numbers"

    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"), index=True)
    number_e164: Mapped[str] = mapped_column(String(20), unique=True)


class StaffMember(Base):
    __tablename__ = "staff_members"
    __table_args__ = (
        UniqueConstraint("trust_id", "key"),
        Index("ix_staff_members_trust_phone", "trust_id", "phone_e164"),
        _in("role", StaffRole),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"))
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default=StaffRole.COORDINATOR)
    phone_e164: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    from_config: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    last_sign_in_at: Mapped[datetime | None]
    # Dashboard sessions carry this number; raising it (sign-out, new password) ends them all.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    trust: Mapped[Trust] = relationship()


class Patient(Base):
    __tablename__ = "patients"
    __table_args__ = (
        UniqueConstraint("trust_id", "nhs_number"),
        Index("ix_patients_trust_phone", "trust_id", "phone_hmac"),
        Index("ix_patients_phone", "phone_hmac"),
        Index("ix_patients_pds_due", "pds_next_check_at"),
        _in("status", PatientStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"))
    cohort: Mapped[str] = mapped_column(String(64))
    nhs_number: Mapped[str] = mapped_column(String(10))
    # Encrypted at rest (schema/encryption.py); the phone is found by its keyed hash.
    given_name: Mapped[str] = mapped_column(EncryptedText)
    family_name: Mapped[str] = mapped_column(EncryptedText)
    phone_e164: Mapped[str] = mapped_column(EncryptedText)
    phone_hmac: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(EncryptedText)
    # The language the patient chose to be written to in; None: not recorded (a trust serving
    # Welsh then writes bilingually, Welsh first: messages/languages.py).
    language: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(20), default=PatientStatus.ACTIVE)
    opted_out_at: Mapped[datetime | None]
    unreachable_since: Mapped[datetime | None]
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    plan_generation: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # NHS integration (issue 16): what PDS and the trust's systems told us about the patient.
    deceased_at: Mapped[datetime | None]  # when the death was learnt: nothing reaches them after
    restricted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    nhs_number_verified_at: Mapped[datetime | None]  # PDS last found a record under this number
    pds_checked_at: Mapped[datetime | None]  # the last answer PDS gave about the person
    pds_next_check_at: Mapped[datetime | None]  # None: no check owed (discharged, deceased)
    pds_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))
    # Issue 17: the phone number and email blanked after the retention period (or on erasure).
    contacts_purged_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]  # erased on request: identifiers and bodies blanked

    trust: Mapped[Trust] = relationship()

    @property
    def opted_out(self) -> bool:
        return self.opted_out_at is not None

    @property
    def receives_messages(self) -> bool:
        return (
            self.status == PatientStatus.ACTIVE
            and self.opted_out_at is None
            and self.deceased_at is None
        )


class PatientContact(Base):
    """A number of a patient's besides `Patient.phone_e164`: their own new phone, or a carer's.
    A number is one patient's contact within a trust (and plain E.164 for now)."""

    __tablename__ = "patient_contacts"
    __table_args__ = (UniqueConstraint("trust_id", "number_hmac"), _in("kind", ContactKind))

    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    number_e164: Mapped[str] = mapped_column(EncryptedText)
    number_hmac: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))


class OutboundMessage(Base):
    """One message to one address on one channel. Created once (idempotency key), sent once.

    `patient_id` is the patient the message concerns; the recipient is that patient unless
    `staff_member_id` is set, in which case it is that staff member (an alert, a notice).
    """

    __tablename__ = "outbound_messages"
    __table_args__ = (
        Index("ix_outbound_due", "state", "queue", "due_at"),
        Index("ix_outbound_patient", "patient_id", "state"),
        Index("ix_outbound_alert", "alert_id"),
        Index("ix_outbound_provider_id", "provider_message_id"),
        Index("ix_outbound_sent", "sent_at"),
        _in("state", MessageState),
        _in("channel", Channel),
        _in("queue", Queue),
        _in("kind", MessageKind),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))
    staff_member_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))
    inbound_message_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"))
    channel: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(20))
    queue: Mapped[str] = mapped_column(String(20), default=Queue.MESSAGES)
    template_key: Mapped[str] = mapped_column(String(64))
    context: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)  # quotes replies
    # None: the patient's language when it is sent; set when the answer follows the reply's
    # language (a Welsh reply is answered in Welsh).
    language: Mapped[str | None] = mapped_column(String(8))
    to_address: Mapped[str] = mapped_column(EncryptedText)
    subject: Mapped[str | None] = mapped_column(EncryptedText)
    body: Mapped[str | None] = mapped_column(EncryptedText)
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(20), default=MessageState.SCHEDULED)
    state_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    provider: Mapped[str | None] = mapped_column(String(20))
    provider_message_id: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error_code: Mapped[str | None] = mapped_column(String(32))
    error_message: Mapped[str | None] = mapped_column(String(500))
    segments: Mapped[int | None] = mapped_column(Integer)
    encoding: Mapped[str | None] = mapped_column(String(10))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    # body, subject and context blanked after the retention period (or on erasure)
    content_purged_at: Mapped[datetime | None]

    patient: Mapped[Patient | None] = relationship()
    staff_member: Mapped[StaffMember | None] = relationship()


class InboundMessage(Base):
    """A reply as received. Stored before anything else happens to it."""

    __tablename__ = "inbound_messages"
    __table_args__ = (
        Index("ix_inbound_patient", "patient_id", "received_at"),
        Index("ix_inbound_review", "trust_id", "review_state"),
        Index("ix_inbound_unhandled", "handled_at", "received_at"),
        Index("ix_inbound_review_due", "review_state", "review_next_at"),
        Index("ix_inbound_trust_from", "trust_id", "from_hmac"),
        _in("label", Label),
        _in("sender_kind", SenderKind),
        _in("review_state", ReviewState),
        _in("review_priority", Review),
        _in("review_decision", ReviewDecision),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_message_id: Mapped[str] = mapped_column(String(64), unique=True)
    trust_id: Mapped[int | None] = mapped_column(ForeignKey("trusts.id"))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))
    staff_member_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))
    from_address: Mapped[str] = mapped_column(EncryptedText)
    from_hmac: Mapped[str | None] = mapped_column(String(64))
    to_address: Mapped[str] = mapped_column(String(40))  # a trust's own number
    body: Mapped[str] = mapped_column(EncryptedText)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    sender_kind: Mapped[str | None] = mapped_column(String(10))
    label: Mapped[str | None] = mapped_column(String(10))
    symptoms: Mapped[list[Any]] = mapped_column(default=list)
    evidence: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)  # quotes it
    handled_at: Mapped[datetime | None]
    review_state: Mapped[str | None] = mapped_column(String(10))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    reviewed_at: Mapped[datetime | None]
    review_note: Mapped[str | None] = mapped_column(Text)
    # Review deadlines (issue 12): when a person must have read it, and the reminders so far:
    # step 0 none yet, 1 the on-duty coordinator reminded, n > 1 escalated to review step n.
    review_priority: Mapped[str | None] = mapped_column(String(10))
    review_due_at: Mapped[datetime | None]
    review_step: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    review_next_at: Mapped[datetime | None]
    review_decision: Mapped[str | None] = mapped_column(String(20))
    # blanked after the retention period (or on erasure): the label and symptom codes stay
    body_purged_at: Mapped[datetime | None]
    evidence_purged_at: Mapped[datetime | None]

    patient: Mapped[Patient | None] = relationship()


OPEN_ALERT = "state <> 'resolved'"  # open or acknowledged: an alert not yet resolved
UNKNOWN_OPEN = f"patient_id IS NULL AND {OPEN_ALERT}"


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("trust_id", "code"),
        Index("ix_alerts_escalation", "state", "next_escalation_at"),
        Index("ix_alerts_patient", "patient_id", "state"),
        # One open alert per patient: a second reply racing the first joins its alert.
        Index(
            "uq_alerts_one_open_per_patient",
            "patient_id",
            unique=True,
            postgresql_where=text(OPEN_ALERT),
            sqlite_where=text(OPEN_ALERT),
        ),
        # And one per unknown number: a carer's three texts raise one alert, not three.
        Index(
            "uq_alerts_one_open_per_unknown_sender",
            "trust_id",
            "sender_e164",
            unique=True,
            postgresql_where=text(UNKNOWN_OPEN),
            sqlite_where=text(UNKNOWN_OPEN),
        ),
        _in("level", ALERT_LEVELS),
        _in("state", AlertState),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"))
    # None for an alert from an unknown sender, until a coordinator links their number.
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))
    sender_e164: Mapped[str | None] = mapped_column(String(20))  # an unknown sender's number
    inbound_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_messages.id", use_alter=True)
    )
    code: Mapped[str] = mapped_column(String(8))
    level: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(20), default=AlertState.OPEN)
    chain: Mapped[dict[str, Any]]
    current_step: Mapped[int] = mapped_column(Integer, default=0)
    round: Mapped[int] = mapped_column(Integer, default=0)
    next_escalation_at: Mapped[datetime | None]
    nobody_reachable_at: Mapped[datetime | None]
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    reminder_due_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    outcome_note: Mapped[str | None] = mapped_column(Text)
    # The structured outcome (issue 18): the trust's outcome key, its name as it read when
    # recorded (names may be reworded later; the report counts what was chosen), and the MRI.
    outcome: Mapped[str | None] = mapped_column(String(64))
    outcome_name: Mapped[str | None] = mapped_column(String(100))
    mri_at: Mapped[datetime | None]

    patient: Mapped[Patient | None] = relationship()
    acknowledged_by: Mapped[StaffMember | None] = relationship(foreign_keys=[acknowledged_by_id])
    notifications: Mapped[list[AlertNotification]] = relationship(
        back_populates="alert", order_by="AlertNotification.id"
    )


class AlertNotification(Base):
    """One message to one staff member about one alert, at one step of its chain."""

    __tablename__ = "alert_notifications"
    __table_args__ = (_in("kind", NotificationKind),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    staff_member_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    outbound_message_id: Mapped[int] = mapped_column(
        ForeignKey("outbound_messages.id"), unique=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    step: Mapped[int] = mapped_column(Integer)
    round: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    alert: Mapped[Alert] = relationship(back_populates="notifications")
    staff_member: Mapped[StaffMember] = relationship()
    outbound_message: Mapped[OutboundMessage] = relationship()


class AuditEvent(Base):
    """Append-only record of who did what. The code has no path that updates or deletes one."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_subject", "subject_type", "subject_id"),
        Index("ix_audit_trust_at", "trust_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    trust_id: Mapped[int | None] = mapped_column(ForeignKey("trusts.id"))
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ApiToken(Base):
    """A bearer token for a hospital system, scoped to one trust. Only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class PasswordLink(Base):
    """A one-time link to set a password, sent to a staff member by SMS and email. Only a hash
    of its token is stored; it is used once, before it expires, and a newer link revokes it."""

    __tablename__ = "password_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"))
    staff_member_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"), index=True)
    # The token is HMAC(secret key, id and nonce): the database alone cannot make a working link.
    nonce: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class Heartbeat(Base):
    """The last tick of a periodic component (beat), so a stale one shows on /healthz."""

    __tablename__ = "heartbeats"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class RotaOverride(Base):
    """One-off cover on a role made on the admin page (the YAML's own are in the configuration).

    Without `instead_of_id` it is an override: `staff_member` alone is on the role for the period.
    With it, a swap: `staff_member` takes only that person's shifts. Never deleted: cancelling
    one stamps it, and both are audited.
    """

    __tablename__ = "rota_overrides"
    __table_args__ = (Index("ix_rota_overrides_trust_role", "trust_id", "role", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"))
    role: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    staff_member_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    instead_of_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))
    cancelled_at: Mapped[datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(String(100))


class RotaGap(Base):
    """A period with nobody on a role an escalation chain uses, as beat last saw it.

    Admins are warned once when it is first seen (`warned_at`) and once more when it opens
    (`open_warned_at`); it is closed when cover is found or the period is over.
    """

    __tablename__ = "rota_gaps"
    __table_args__ = (Index("ix_rota_gaps_trust_open", "trust_id", "closed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"))
    role: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    found_at: Mapped[datetime] = mapped_column(default=utcnow)
    warned_at: Mapped[datetime | None]
    open_warned_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]


# -- NHS integration (issue 16): PDS notices, messages from the trust's systems, write-back ----


class NoticeKind(StrEnum):
    """What a coordinator is asked to see, or decide, about one patient."""

    DECEASED = "deceased"  # PDS or the PAS says the patient has died: seen, never undone here
    MOBILE_DIFFERS = "mobile_differs"  # another mobile in PDS or the PAS: confirm or dismiss
    NHS_NUMBER_SUPERSEDED = "nhs_number_superseded"  # PDS gives a newer number: confirm/dismiss
    NHS_NUMBER_UNVERIFIED = "nhs_number_unverified"  # PDS has no record under the number
    RECORDS_MERGED = "records_merged"  # the PAS merged two records (A40) into this one


class NoticeState(StrEnum):
    OPEN = "open"
    CONFIRMED = "confirmed"  # the change is applied, or the notice was seen
    DISMISSED = "dismissed"  # the change is refused: our record stays as it is


class PatientNotice(Base):
    """Something about a patient that a coordinator must see, or decide, on the patient's page.
    Never applied silently: a different mobile or NHS number changes nothing until confirmed."""

    __tablename__ = "patient_notices"
    __table_args__ = (
        Index("ix_patient_notices_open", "trust_id", "state"),
        Index("ix_patient_notices_patient", "patient_id", "state"),
        _in("kind", NoticeKind),
        _in("state", NoticeState),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    kind: Mapped[str] = mapped_column(String(30))
    state: Mapped[str] = mapped_column(String(12), default=NoticeState.OPEN)
    source: Mapped[str] = mapped_column(String(10))  # pds, hl7v2 or fhir
    # One notice per patient, kind and proposed value: a daily check repeats nothing.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the proposed value, if any
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))


class IntegrationSource(StrEnum):
    HL7V2 = "hl7v2"
    FHIR = "fhir"


class IntegrationStatus(StrEnum):
    APPLIED = "applied"  # it changed, or deliberately left, the patient's record
    IGNORED = "ignored"  # an event this service does not use (A02, A31...), acknowledged
    FAILED = "failed"  # handling raised: unanswered, so the sender sends it again


class IntegrationMessage(Base):
    """A message from the trust's systems, kept once per (trust, source, sender, message id)
    with the answer it got, so the same message sent again is answered the same and changes
    nothing. The raw body is cleared after the retention period; the rest stays as the record.
    A message refused for its content (AE/AR, a 4xx) is answered and not stored."""

    __tablename__ = "integration_messages"
    __table_args__ = (
        UniqueConstraint("trust_id", "source", "sender", "message_id"),
        Index("ix_integration_messages_received", "received_at"),
        Index("ix_integration_messages_patient", "patient_id"),
        _in("source", IntegrationSource),
        _in("status", IntegrationStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"))
    source: Mapped[str] = mapped_column(String(10))
    sender: Mapped[str] = mapped_column(String(200))  # MSH-4 (else MSH-3), or the API token
    message_id: Mapped[str] = mapped_column(String(200))  # MSH-10, or the X-Request-ID
    event: Mapped[str] = mapped_column(String(40))  # A01, EpisodeOfCare.active...
    status: Mapped[str] = mapped_column(String(12))
    outcome: Mapped[str | None] = mapped_column(String(40))  # enrolled, discharged, merged...
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))
    body_sha256: Mapped[str] = mapped_column(String(64))
    raw: Mapped[str | None] = mapped_column(EncryptedText)  # names, numbers: encrypted at rest
    response: Mapped[str] = mapped_column(Text, default="")  # the ACK, or the JSON answered
    response_status: Mapped[int | None] = mapped_column(Integer)  # HTTP status (FHIR)
    error: Mapped[str | None] = mapped_column(String(200))  # a failure's kind, never content
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
    raw_purged_at: Mapped[datetime | None]


class CallbackState(StrEnum):
    PENDING = "pending"  # to be sent to the trust's endpoint (again) at next_attempt_at
    DELIVERED = "delivered"  # the endpoint answered 2xx
    FAILED = "failed"  # a day of failures: a person was told; still readable by pull
    PULL_ONLY = "pull_only"  # the trust has no endpoint: its integration engine pulls the feed


class Callback(Base):
    """One write-back to the trust's record (a FHIR Communication or Flag), tracked like any
    outbound work: kept until the trust's endpoint answers 2xx, retried for a day, and readable
    by the staff API's feed. `record` holds the facts as they were at the event; the signed body
    is built from them, the same bytes every time."""

    __tablename__ = "callbacks"
    __table_args__ = (
        Index("ix_callbacks_due", "state", "next_attempt_at"),
        Index("ix_callbacks_trust_feed", "trust_id", "id"),
        _in("state", CallbackState),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))
    event_type: Mapped[str] = mapped_column(String(30))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    resource_type: Mapped[str] = mapped_column(String(20))  # Communication or Flag
    record: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]


class ErasureTombstone(Base):
    """A patient erased on request, kept only as a keyed hash (HMAC-SHA256) of their NHS number,
    so that no later import or feed enrols them again (schema/tombstones.py)."""

    __tablename__ = "erasure_tombstones"
    __table_args__ = (UniqueConstraint("trust_id", "nhs_number_hmac"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"))
    nhs_number_hmac: Mapped[str] = mapped_column(String(64))
    erased_at: Mapped[datetime] = mapped_column(default=utcnow)


# The keyed hash beside each number that is looked up, kept by the model so no caller forgets
# it. Bulk UPDATEs bypass these: the ones that blank a number set its hash to NULL too.
@event.listens_for(Patient.phone_e164, "set")
def _patient_phone_hmac(target: Patient, value: str | None, *_: object) -> None:
    target.phone_hmac = lookup_hmac(value)


@event.listens_for(PatientContact.number_e164, "set")
def _contact_number_hmac(target: PatientContact, value: str | None, *_: object) -> None:
    target.number_hmac = lookup_hmac(value)


@event.listens_for(InboundMessage.from_address, "set")
def _inbound_from_hmac(target: InboundMessage, value: str | None, *_: object) -> None:
    target.from_hmac = lookup_hmac(value)


class AppendOnlyError(RuntimeError):
    pass


@event.listens_for(AuditEvent, "before_update")
def _refuse_audit_update(*_: object) -> None:
    raise AppendOnlyError("audit events are append-only")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_audit_delete(*_: object) -> None:
    raise AppendOnlyError("audit events are append-only")
