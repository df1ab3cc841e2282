"""What the sending set-up lacks that the safety net would be better for: told by
`safetynet status` and logged once when a worker starts. Warnings, not faults: the service sends."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.models import Trust
from schema.settings import Settings
from schema.trusts import trust_config


def sender_warnings(session: Session, settings: Settings) -> list[str]:
    warnings: list[str] = []
    for trust in session.scalars(select(Trust).order_by(Trust.code)):
        sms = trust_config(trust).sms
        if sms.alert_sender is None:
            warnings.append(
                f"trust {trust.code} has no dedicated alert sender (sms.alert_sender): staff"
                " alerts and urgent advice go from the bulk sender and can queue behind its"
                " check-ins at Twilio"
            )
        if not (sms.bulk_per_second or settings.bulk_sms_per_second):
            warnings.append(
                f"trust {trust.code}'s bulk is not paced (sms.bulk_per_second or"
                " BULK_SMS_PER_SECOND): a large batch can fill its sender's queue at Twilio"
            )
    if settings.sms_provider == "twilio" and not settings.notify_enabled:
        warnings.append(
            "no second SMS provider (NOTIFY_API_KEY): when Twilio fails, alerts wait for it"
        )
    return warnings
