"""The two kinds of signed request the intake stores: a reply and a delivery receipt.

Each record holds what the webhook verified (`f`) and when it arrived (`at`), so one that waited
in the spool is stored as received then, not when the drain got to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from web.receipts import ReceiptOutcome, receive_receipt
from worker.inbound import enqueue_handling, store_inbound

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
            received_at=datetime.fromisoformat(record["at"]),
        )

    def after_commit(self, result: Any) -> None:
        if result is not None:  # None: this MessageSid was stored before
            enqueue_handling(int(result))


class Receipt:
    name = RECEIPT

    def store(
        self, session: Session, record: Mapping[str, Any], *, spooled: bool
    ) -> ReceiptOutcome:
        fields = record["f"]
        message_id = fields.get("m")
        return receive_receipt(
            session,
            message_id=int(message_id) if message_id is not None else None,
            sid=str(fields["sid"]),
            status=str(fields["status"]),
            error_code=fields.get("error_code"),
            now=datetime.fromisoformat(record["at"]),
            spooled=spooled,
        )

    def after_commit(self, result: Any) -> None:
        pass


KINDS = (Reply(), Receipt())
