"""The web process's logs: structlog with the same redaction as the workers, and uvicorn's access
log without query strings.

A search is a GET with the name or NHS number in its query (`/patients?q=…`,
`/api/v1/patients?nhs_number=…`), and uvicorn's access log writes the full path; so every query
string is replaced before the line is written, whatever the route. Paths carry only ids.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

from worker.logs import redact

ACCESS_LOGGER = "uvicorn.access"
REDACTED_QUERY = "?[query redacted]"


def without_query(path: str) -> str:
    head, mark, _ = path.partition("?")
    return head + REDACTED_QUERY if mark else head


class RedactQueryStrings(logging.Filter):
    """uvicorn logs `'%s - "%s %s HTTP/%s" %d'` with the full path as the third argument."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 3:
            args = list(record.args)
            args[2] = without_query(str(args[2]))
            record.args = tuple(args)
        elif "?" in str(record.msg):  # any other form: no query string, whatever it holds
            record.msg = without_query(str(record.msg))
            record.args = None
        return True


class _CurrentStderr:
    """Writes to whatever sys.stderr is at the time (test runners swap it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_web_logging(level: str = "INFO", as_json: bool = False) -> None:
    access = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, RedactQueryStrings) for f in access.filters):
        access.addFilter(RedactQueryStrings())
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
        logger_factory=structlog.PrintLoggerFactory(_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
