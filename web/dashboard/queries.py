"""What the queue and the API show: alerts with their replies and notifications, review items,
unreachable patients. Every query here takes the trust id and filters by it."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from schema.models import (
    Alert,
    AlertNotification,
    AlertState,
    InboundMessage,
    OutboundMessage,
    Patient,
    PatientStatus,
    RotaGap,
    StaffMember,
    Trust,
)
from schema.trusts import trust_config
from schema.vocabulary import Label, ReviewState
from web.dashboard.views import (
    AlertView,
    GapView,
    NotificationView,
    PatientView,
    ReplyView,
    alert_view,
    patient_view,
    reply_view,
)

SEARCH_LIMIT = 100

MOST_SERIOUS_FIRST = (
    Alert.nobody_reachable_at.is_(None),  # nobody reachable outranks everything
    case((Alert.level == Label.RED, 0), else_=1),
    Alert.raised_at,
    Alert.id,
)


def alerts_in_state(session: Session, trust_id: int, state: AlertState) -> list[AlertView]:
    """Alerts of the trust in this state, the most serious and then the oldest first."""
    alerts = list(
        session.scalars(
            select(Alert)
            .where(Alert.trust_id == trust_id, Alert.state == state)
            .order_by(*MOST_SERIOUS_FIRST)
        )
    )
    return alert_views(session, trust_id, alerts)


def recent_alerts(
    session: Session, trust_id: int, *, state: AlertState | None, limit: int
) -> list[AlertView]:
    query = select(Alert).where(Alert.trust_id == trust_id)
    if state is not None:
        query = query.where(Alert.state == state)
    alerts = list(
        session.scalars(query.order_by(Alert.raised_at.desc(), Alert.id.desc()).limit(limit))
    )
    return alert_views(session, trust_id, alerts)


def alert_views(session: Session, trust_id: int, alerts: list[Alert]) -> list[AlertView]:
    if not alerts:
        return []
    ids = [a.id for a in alerts]
    patients = {
        p.id: p
        for p in session.scalars(
            select(Patient).where(
                Patient.trust_id == trust_id,
                Patient.id.in_({a.patient_id for a in alerts if a.patient_id is not None}),
            )
        )
    }
    staff = list(session.scalars(select(StaffMember).where(StaffMember.trust_id == trust_id)))
    names_by_key = {m.key: m.name for m in staff}
    trust = session.get(Trust, trust_id)
    config = trust_config(trust) if trust is not None else None
    role_names = {role: config.role_name(role) for role in config.rotas} if config else {}
    names_by_id = {m.id: m.name for m in staff}
    replies = list(
        session.scalars(
            select(InboundMessage)
            .where(
                InboundMessage.trust_id == trust_id,
                InboundMessage.id.in_(
                    [a.inbound_message_id for a in alerts if a.inbound_message_id]
                )
                | InboundMessage.alert_id.in_(ids),
            )
            .order_by(InboundMessage.received_at, InboundMessage.id)
        )
    )
    by_id = {r.id: r for r in replies}
    later: dict[int, list[ReplyView]] = defaultdict(list)
    notices = _notifications(session, trust_id, ids, names_by_id)
    choices = outcome_choices(session, trust_id)
    views = []
    for alert in alerts:
        first = by_id.get(alert.inbound_message_id or 0)
        for r in replies:
            if r.alert_id == alert.id and r.id != alert.inbound_message_id:
                later[alert.id].append(reply_view(r))
        views.append(
            alert_view(
                alert,
                patient=patients[alert.patient_id] if alert.patient_id is not None else None,
                reply=reply_view(first) if first is not None else None,
                later_replies=later[alert.id],
                staff_names=names_by_key,
                names_by_id=names_by_id,
                notifications=notices[alert.id],
                role_names=role_names,
                outcome_choices=choices,
            )
        )
    return views


def outcome_choices(session: Session, trust_id: int) -> tuple[tuple[str, str], ...]:
    """The trust's outcomes as (key, name), in the order its configuration lists them."""
    trust = session.get(Trust, trust_id)
    assert trust is not None
    return tuple((o.key, o.name) for o in trust_config(trust).outcomes)


def _notifications(
    session: Session, trust_id: int, alert_ids: list[int], names: dict[int, str]
) -> dict[int, list[NotificationView]]:
    rows = session.execute(
        select(AlertNotification, OutboundMessage)
        .join(OutboundMessage, OutboundMessage.id == AlertNotification.outbound_message_id)
        .where(AlertNotification.alert_id.in_(alert_ids), OutboundMessage.trust_id == trust_id)
        .order_by(AlertNotification.id)
    ).all()
    found: dict[int, list[NotificationView]] = defaultdict(list)
    for notification, message in rows:
        found[notification.alert_id].append(
            NotificationView(
                staff_name=names.get(notification.staff_member_id, "?"),
                channel=message.channel,
                kind=notification.kind,
                step=notification.step + 1,
                round=notification.round,
                state=message.state,
                created_at=notification.created_at,
                error_code=message.error_code,
                sent_at=message.sent_at,
                delivered_at=message.delivered_at,
                state_changed_at=message.state_changed_at,
            )
        )
    return found


def replies_awaiting_review(session: Session, trust_id: int) -> list[ReplyView]:
    rows = session.execute(
        select(InboundMessage, Patient)
        .outerjoin(Patient, Patient.id == InboundMessage.patient_id)
        .where(InboundMessage.trust_id == trust_id, InboundMessage.review_state == ReviewState.OPEN)
        .order_by(
            InboundMessage.review_due_at.is_(None),
            InboundMessage.review_due_at,
            InboundMessage.received_at,
            InboundMessage.id,
        )
    ).all()
    return [reply_view(inbound, patient=patient) for inbound, patient in rows]


def unreachable_patients(session: Session, trust_id: int) -> list[PatientView]:
    return [
        patient_view(p)
        for p in session.scalars(
            select(Patient)
            .where(
                Patient.trust_id == trust_id,
                Patient.unreachable_since.is_not(None),
                Patient.status != PatientStatus.DISCHARGED,
            )
            .order_by(Patient.unreachable_since)
        )
    ]


def search_patients(
    session: Session, trust_id: int, text: str, *, limit: int = SEARCH_LIMIT
) -> list[PatientView]:
    """Patients whose NHS number starts with the digits typed, or whose name contains the text."""
    query = select(Patient.id, Patient.given_name, Patient.family_name).where(
        Patient.trust_id == trust_id
    )
    text = text.strip()
    digits = text.replace(" ", "").replace("-", "")
    if digits.isdigit():
        query = query.where(Patient.nhs_number.startswith(digits))
    # Names are encrypted at rest, so the database can neither match nor sort them: the trust's
    # names are read (three columns, no relationships) and matched here.
    rows = list(session.execute(query).all())
    if text and not digits.isdigit():
        wanted = text.lower()
        rows = [row for row in rows if wanted in f"{row.given_name} {row.family_name}".lower()]
    rows.sort(key=lambda row: (row.family_name, row.given_name, row.id))
    ids = [row.id for row in rows[:limit]]
    if not ids:
        return []
    found = {p.id: p for p in session.scalars(select(Patient).where(Patient.id.in_(ids)))}
    return [patient_view(found[patient_id]) for patient_id in ids]


def open_alert_patients(session: Session, trust_id: int) -> dict[int, str]:
    """Patient id → level of their unresolved alert, for flags in the patients list."""
    rows = session.execute(
        select(Alert.patient_id, Alert.level).where(
            Alert.trust_id == trust_id,
            Alert.state != AlertState.RESOLVED,
            Alert.patient_id.is_not(None),
        )
    ).all()
    return {patient_id: level for patient_id, level in rows if patient_id is not None}


def unresolved_alerts_of(session: Session, trust_id: int, patient_id: int) -> list[AlertView]:
    alerts = list(
        session.scalars(
            select(Alert)
            .where(
                Alert.trust_id == trust_id,
                Alert.patient_id == patient_id,
                Alert.state != AlertState.RESOLVED,
            )
            .order_by(*MOST_SERIOUS_FIRST)
        )
    )
    return alert_views(session, trust_id, alerts)


def rota_gaps(session: Session, trust_id: int, now: datetime) -> list[GapView]:
    """The gaps beat has found on the trust's rotas and not yet seen covered, soonest first."""
    trust = session.get(Trust, trust_id)
    assert trust is not None
    config = trust_config(trust)
    rows = session.scalars(
        select(RotaGap)
        .where(RotaGap.trust_id == trust_id, RotaGap.closed_at.is_(None), RotaGap.ends_at > now)
        .order_by(RotaGap.starts_at, RotaGap.id)
    )
    return [
        GapView(config.role_name(g.role), g.starts_at, g.ends_at, open_now=g.starts_at <= now)
        for g in rows
    ]
