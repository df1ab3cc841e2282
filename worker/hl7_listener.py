"""A trust's HL7v2 ADT feed: the MLLP listener (`worker.mllp`) with the handler that reads each
message with the trust's rules, applies it through `pathway.integration` and answers its ACK.

For each message, in one transaction: read it (AE/AR naming the field when it cannot be used),
check the header against the trust's feed (sending facility, production or test), answer a
message already handled with the ACK it got then, otherwise apply it and store it with its ACK.
The ACK is sent only once that transaction has committed, durably, so a message is never
acknowledged unstored. A message refused for its content is answered and stored nowhere: it
changes nothing. A handler that raises sends no ACK (the sender's engine sends the message
again) and keeps the message as `failed` when it can, for a person to see and the retry to apply.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
from collections.abc import Callable, Sequence
from datetime import datetime

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from messages.hl7v2 import (
    AckCode,
    AdtEvent,
    ErrorCode,
    FieldPath,
    Hl7FieldError,
    Hl7ValidationError,
    MessageHeader,
    UnhandledEvent,
    ack_for_error,
    build_ack,
    field_error,
    parse_adt,
    parse_field_path,
)
from messages.patient_events import FieldError, InvalidMessage
from pathway import integration_store
from pathway.integration import apply_event
from schema.db import session_scope
from schema.models import IntegrationMessage, IntegrationSource, IntegrationStatus, Trust
from schema.settings import get_settings
from schema.trust_config import Hl7Feed, TrustConfig
from schema.trusts import get_trust, trust_config
from schema.types import utcnow
from worker.mllp import MllpLimits, MllpServer, ReceivedMessage, in_threads

log = structlog.get_logger(__name__)

SOURCE = IntegrationSource.HL7V2
_LOCATION = re.compile(r"^([A-Z][A-Z0-9]{2})(?:-(\d+)(?:\[(\d+)\])?(?:\.(\d+))?)?$")


class _Answer(Exception):
    """Leave the transaction (rolled back: nothing changes) and answer with this ACK."""

    def __init__(self, ack: str) -> None:
        super().__init__("answered")
        self.ack = ack


def hl7_errors(errors: Sequence[FieldError]) -> list[Hl7FieldError]:
    """The pathway's field errors (`PID-13`, `PID-5.1`) as ERR segments can carry them."""
    found: list[Hl7FieldError] = []
    for error in errors:
        if isinstance(error, Hl7FieldError):
            found.append(error)
            continue
        match = _LOCATION.match(error.location)
        missing = error.message.startswith("no ")
        code = ErrorCode.REQUIRED_FIELD_MISSING if missing else ErrorCode.DATA_TYPE
        if match is None:
            found.append(Hl7FieldError(error.location, error.message, code=code))
            continue
        segment, number, repetition, component = match.groups()
        found.append(
            field_error(
                segment,
                int(number) if number else None,
                error.message,
                code,
                repetition=int(repetition) if repetition else None,
                component=int(component) if component else None,
            )
        )
    return found


def _refusal(header: MessageHeader, feed: Hl7Feed) -> Hl7FieldError | None:
    if header.sender not in feed.sending_facilities:
        return field_error(
            "MSH",
            4,
            f"sending facility {header.sender!r} is not accepted by this trust's feed",
            ErrorCode.TABLE_VALUE_NOT_FOUND,
        )
    allowed = ("P", "T") if feed.accept_test_messages else ("P",)
    if header.processing_id not in allowed:
        return field_error(
            "MSH",
            11,
            f"processing id {header.processing_id or '(none)'} is not applied here "
            f"({' or '.join(allowed)} only)",
            ErrorCode.TABLE_VALUE_NOT_FOUND,
        )
    return None


class Hl7Intake:
    """The blocking handler for one trust's feed (run in threads by `worker.mllp.in_threads`)."""

    def __init__(
        self,
        trust_code: str | None,
        *,
        clock: Callable[[], datetime] = utcnow,
        keep_raw: bool | None = None,
    ) -> None:
        self.trust_code = trust_code
        self.clock = clock
        # INTEGRATION_RAW_RETENTION_DAYS 0: a message applied keeps no raw body at all.
        retention = get_settings().integration_raw_retention_days
        self.keep_raw = keep_raw if keep_raw is not None else retention > 0

    def __call__(self, received: ReceivedMessage) -> str:
        now = self.clock()
        try:
            return self._answer(received, now)
        except _Answer as answer:
            return answer.ack
        except IntegrityError:
            # The same message on another connection was stored first: answer as it was.
            try:
                return self._answer(received, now)
            except _Answer as answer:
                return answer.ack
        except Exception as error:
            self._keep_failed(received, now, error)
            raise

    def _parse(
        self, raw: bytes, config: TrustConfig, feed: Hl7Feed, now: datetime
    ) -> AdtEvent | UnhandledEvent:
        fields: list[FieldPath] = [parse_field_path(path) for path in feed.alert_fields]
        today = now.astimezone(config.zone).date()
        try:
            return parse_adt(raw, zone=config.zone, alert_fields=fields, today=today)
        except UnhandledEvent as unhandled:
            return unhandled
        except Hl7ValidationError as error:
            log.warning(
                "hl7.refused",
                control_id=error.header.control_id if error.header else None,
                ack=error.ack_code.value,
                fields=[e.location for e in error.hl7_errors],
            )
            raise _Answer(ack_for_error(error, now=now)) from None

    def _answer(self, received: ReceivedMessage, now: datetime) -> str:
        with session_scope() as session:
            trust = get_trust(session, self.trust_code)
            config = trust_config(trust)
            feed = config.integration.hl7
            if feed is None:
                error = field_error("MSH", 4, "this trust takes no ADT feed (integration.hl7)")
                raise _Answer(build_ack(received.header, AckCode.AR, now=now, errors=[error]))
            parsed = self._parse(received.raw, config, feed, now)
            header = parsed.header
            refusal = _refusal(header, feed)
            if refusal is not None:
                log.warning("hl7.refused", control_id=header.control_id, fields=[refusal.location])
                raise _Answer(build_ack(header, AckCode.AR, now=now, errors=[refusal]))
            existing = integration_store.find(
                session,
                trust_id=trust.id,
                source=SOURCE,
                sender=header.sender,
                message_id=header.control_id,
            )
            if existing is not None and existing.status in integration_store.DONE:
                log.info("hl7.repeat", control_id=header.control_id, message=existing.id)
                return existing.response
            if isinstance(parsed, UnhandledEvent):
                return self._ignore(session, trust, parsed, existing, now)
            return self._apply(session, trust, config, parsed, received.raw, existing, now)

    def _ignore(
        self,
        session: Session,
        trust: Trust,
        unhandled: UnhandledEvent,
        existing: IntegrationMessage | None,
        now: datetime,
    ) -> str:
        ack = ack_for_error(unhandled, now=now)
        header = unhandled.header
        integration_store.save(
            session,
            existing,
            trust_id=trust.id,
            source=SOURCE,
            sender=header.sender,
            message_id=header.control_id,
            event=f"{header.message_type}^{header.trigger_event}",
            status=IntegrationStatus.IGNORED,
            raw=None,
            now=now,
            response=ack,
        )
        return ack

    def _apply(
        self,
        session: Session,
        trust: Trust,
        config: TrustConfig,
        event: AdtEvent,
        raw: bytes,
        existing: IntegrationMessage | None,
        now: datetime,
    ) -> str:
        header = event.header
        try:
            applied = apply_event(session, trust, config, event.to_patient_event(), now=now)
        except InvalidMessage as error:
            errors = hl7_errors(error.errors)
            log.warning(
                "hl7.refused", control_id=header.control_id, fields=[e.location for e in errors]
            )
            raise _Answer(build_ack(header, AckCode.AE, now=now, errors=errors)) from None
        ack = build_ack(header, AckCode.AA, now=now, text=applied.note)
        integration_store.save(
            session,
            existing,
            trust_id=trust.id,
            source=SOURCE,
            sender=header.sender,
            message_id=header.control_id,
            event=f"ADT^{event.trigger.value}",
            status=IntegrationStatus.APPLIED,
            raw=raw if self.keep_raw else None,
            now=now,
            outcome=applied.outcome,
            patient_id=applied.patient_id,
            response=ack,
        )
        log.info(
            "hl7.applied",
            control_id=header.control_id,
            trigger=event.trigger.value,
            outcome=applied.outcome,
            patient_id=applied.patient_id,
        )
        return ack

    def _keep_failed(self, received: ReceivedMessage, now: datetime, error: Exception) -> None:
        """Keep a message whose handling raised, for a person and for the sender's retry."""
        header = received.header
        log.error(
            "hl7.handling_failed",
            control_id=header.control_id if header else None,
            error=type(error).__name__,
        )
        if header is None or not header.control_id or not header.sender:
            return
        try:
            with session_scope() as session:
                integration_store.keep_failed(
                    session,
                    trust_id=get_trust(session, self.trust_code).id,
                    source=SOURCE,
                    sender=header.sender,
                    message_id=header.control_id,
                    event=f"{header.message_type}^{header.trigger_event}",
                    raw=received.raw,
                    now=now,
                    error=error,
                )
        except Exception:  # the database itself is down: the sender keeps the message
            log.warning("hl7.failed_not_kept", control_id=header.control_id)


def server_for(
    trust_code: str | None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    limits: MllpLimits | None = None,
    threads: int = 4,
) -> MllpServer:
    return MllpServer(
        in_threads(Hl7Intake(trust_code), limit=threads), host=host, port=port, limits=limits
    )


def listen(
    trust_code: str | None,
    *,
    host: str,
    port: int,
    announce: Callable[[str, int], None] = lambda host, port: None,
) -> None:
    """Run the listener until SIGINT or SIGTERM, then finish the messages in hand and stop."""

    async def main() -> None:
        server = server_for(trust_code, host=host, port=port)
        await server.start()
        announce(*server.address)
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, stopping.set)
        await stopping.wait()
        await server.stop()

    asyncio.run(main())
