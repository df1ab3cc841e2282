"""Structured logs that never carry a full phone number or a message body.

Code logs ids, states and masked numbers (`mask_phone`); this processor is the second line of
defence: it drops fields that hold bodies and masks anything that looks like a phone number,
whatever the field is called.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from schema.identifiers import mask_phone

DROPPED_FIELDS = frozenset({"body", "text", "reply", "html", "subject", "params", "form"})
# Ten or more digits, perhaps spaced, perhaps after a +: a phone number, not a date or a time.
_PHONE_LIKE = re.compile(r"(?<![\w:.-])\+?\d(?: ?\d){9,14}(?![\w:.-])")


def redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        value = event[key]
        if key in DROPPED_FIELDS:
            event[key] = "[redacted]"
        elif isinstance(value, str):
            event[key] = _PHONE_LIKE.sub(lambda m: mask_phone(m.group(0)), value)
    return event


class RoutineAtDebug(logging.Filter):
    """Beat says "Sending due task" for every tick (the dispatcher's, every second), and a
    worker says "received" and "succeeded" for every task: DEBUG, so the first sign-in that
    `serve` prints does not scroll away under them. A task's own events and every failure
    keep their level."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not _routine(record.getMessage()):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger().isEnabledFor(logging.DEBUG)


def _routine(message: str) -> bool:
    if message.startswith("Scheduler: Sending due task"):
        return True
    return message.startswith("Task ") and (
        message.endswith(" received") or " succeeded in " in message
    )


class NoHostnameNeeded(logging.Filter):
    """kombu warns that `filesystem://` names no host on every connection; the embedded
    broker is a folder and needs none, so the warning says nothing anyone can act on."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("No hostname was supplied")


def quiet_library_noise() -> None:
    """Library lines that repeat without telling anyone anything: demoted or dropped. Twilio's
    client logs every request's URL and headers at INFO (a query's phone numbers among them)."""
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    for name, kind in (
        ("celery.beat", RoutineAtDebug),
        ("celery.worker.strategy", RoutineAtDebug),
        ("celery.app.trace", RoutineAtDebug),
        ("kombu.connection", NoHostnameNeeded),
    ):
        logger = logging.getLogger(name)
        if not any(isinstance(f, kind) for f in logger.filters):
            logger.addFilter(kind())


def configure_logging(level: str = "INFO", as_json: bool = False) -> None:
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            redact,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(
        level=level.upper(), stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    quiet_library_noise()
