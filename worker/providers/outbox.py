"""The offline provider: every message becomes one JSON line in `<data_dir>/outbox/<channel>.jsonl`.

It is the default when no credentials are set, so the demo and the tests run with no network.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import structlog

from messages.sms import sms_info
from schema.identifiers import mask_phone
from schema.types import utcnow
from worker.providers.base import Outgoing, SendResult

log = structlog.get_logger(__name__)

CHANNELS = ("sms", "email", "voice")


def outbox_directory(data_dir: Path) -> Path:
    """Where the outbox files of a data folder live."""
    return data_dir / "outbox"


def outbox_path(directory: Path, channel: str) -> Path:
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    return directory / f"{channel}.jsonl"


class OutboxProvider:
    """Records instead of sending. Safe with several processes appending to one file."""

    name = "outbox"

    def __init__(self, directory: Path, channel: str) -> None:
        self.directory = directory
        self.channel = channel
        self.path = outbox_path(directory, channel)

    def send(self, outgoing: Outgoing) -> SendResult:
        if outgoing.channel != self.channel:
            raise ValueError(f"{self.channel} outbox given a {outgoing.channel} message")
        segments = sms_info(outgoing.body).segments if self.channel == "sms" else None
        record: dict[str, Any] = {
            "provider_message_id": f"OB{uuid.uuid4().hex}",
            "message_id": outgoing.message_id,
            "channel": outgoing.channel,
            "to": outgoing.to,
            "subject": outgoing.subject,
            "body": outgoing.body,
            "html": outgoing.html,
            "segments": segments,
            "sent_at": utcnow().isoformat(),
        }
        self._append(json.dumps(record, ensure_ascii=False) + "\n")
        log.info(
            "outbox.recorded",
            channel=self.channel,
            to=mask_phone(outgoing.to) if self.channel == "sms" else "-",
            message_id=outgoing.message_id,
        )
        return SendResult(
            provider=self.name,
            provider_message_id=record["provider_message_id"],
            segments=segments,
        )

    def _append(self, line: str) -> None:
        data = line.encode("utf-8")
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        # One write() on an O_APPEND descriptor lands as a whole line at the end of the file,
        # even with other processes appending at the same moment. The file holds personal data.
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            written = os.write(fd, data)
        finally:
            os.close(fd)
        if written != len(data):
            raise OSError(f"short write to {self.path}: {written} of {len(data)} bytes")


def read_outbox(directory: Path, channel: str) -> list[dict[str, Any]]:
    """Every complete line recorded so far, oldest first (none when nothing was sent)."""
    try:
        text = outbox_path(directory, channel).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    complete = text[: text.rfind("\n") + 1]  # a line still being written has no newline yet
    return [json.loads(line) for line in complete.splitlines() if line.strip()]
