"""The two kinds of signed request the intake stores: a reply and a delivery receipt, from
Twilio or from GOV.UK Notify (a receipt's `p` says which; a reply's fields are the same).

Each record holds what the webhook verified (`f`, Twilio's own words) and when it arrived
(`at`), so one that waited in the spool is stored as received then, not when the drain got to
it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from pathway.intake import store_inbound
from pathway.receipts import ReceiptOutcome, receive_receipt
from worker.app import get_app
from worker.providers.notify.callbacks import NotifyReceipt
from worker.providers.notify.callbacks import receipt_of as notify_receipt_of
from worker.providers.twilio.webhook import Receipt as TwilioReceipt
from worker.providers.twilio.webhook import receipt_of
from worker.tasks import enqueue_handling

REPLY = "sms"
RECEIPT = "status"


class Reply:
    name = REPLY

    def store(self, session: Session, record: Mapping[str, Any], *, spooled: bool) -> int | None:
        fields = record["f"]
        return store_inbound(
            session,
            sid=str(fields["sid"]),
            sender=str(fields["from"]),
            to=str(fields["to"]),
            body=str(fields["body"]),
            now=datetime.fromisoformat(record["at"]),
        )

    def after_commit(self, result: Any) -> None:
        if result is not None:  # None: this MessageSid was stored before
            enqueue_handling(get_app(), int(result))


class Receipt:
    name = RECEIPT

    def store(
        self, session: Session, record: Mapping[str, Any], *, spooled: bool
    ) -> ReceiptOutcome:
        fields = record["f"]
        message_id = fields.get("m")
        error_code = fields.get("error_code")
        receipt: TwilioReceipt | NotifyReceipt = (
            notify_receipt_of(str(fields["sid"]), str(fields["status"]))
            if fields.get("p") == "notify"
            else receipt_of(
                str(fields["sid"]), str(fields["status"]), str(error_code) if error_code else None
            )
        )
        return receive_receipt(
            session,
            message_id=int(message_id) if message_id is not None else None,
            provider_message_id=receipt.sid,
            state=receipt.state,
            error_code=receipt.error_code if isinstance(receipt, TwilioReceipt) else receipt.status,
            reason=receipt.reason,
            detail=receipt.detail,
            now=datetime.fromisoformat(record["at"]),
            spooled=spooled,
        )

    def after_commit(self, result: Any) -> None:
        pass


KINDS = (Reply(), Receipt())
