"""A local, append-only spool for signed requests the database could not take.

The webhook answers Twilio 200 only once a request is durable. When the database cannot take
it, the request is appended here: one record per request, written and fsync'd (file, and the
directory when a file is created) before the answer goes out. A drain moves the records into
the database later (web/intake.py).

Files. Each web process appends to a segment of its own (`<ns>-<pid>-<random>.spool`) and holds
an exclusive `flock` on it while it may still write. A drainer takes only segments it can lock,
so it never reads one a live writer is using; a writer that died (SIGKILL included) lost its
lock with its process, so its segment drains. A segment is created under a hidden name, locked,
then renamed into place, so no drainer sees it unlocked before its writer holds it. One drainer
at a time per directory: `drain.lock`. Records that can never be stored go to `quarantine/`,
kept for a person to look at.

Records. `MAGIC, length (4 bytes), CRC-32 (4 bytes), payload`, the payload ASCII-only JSON.
A record torn by a crash (short, or failing its checksum) is skipped, never misread: the
reader resynchronises at the next MAGIC. A reply's text cannot forge a record inside a
payload: MAGIC starts with a byte above 0x7F, and ASCII-only JSON never contains one.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import secrets
import struct
import threading
import time
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MAGIC = b"\xabSN1"
_HEADER = struct.Struct(">II")  # length, CRC-32 of the payload
HEADER_SIZE = len(MAGIC) + _HEADER.size
MAX_PAYLOAD = (1 << 24) - 1
SUFFIX = ".spool"
_HIDDEN = ".new-"
DRAIN_LOCK = "drain.lock"
QUARANTINE = "quarantine"


class SpoolError(OSError):
    """The spool could not make a record durable."""


def encode(payload: Mapping[str, Any]) -> bytes:
    data = json.dumps(payload, ensure_ascii=True, separators=(",", ":"), sort_keys=True).encode()
    if len(data) > MAX_PAYLOAD:
        raise ValueError("record too large for the spool")
    return MAGIC + _HEADER.pack(len(data), zlib.crc32(data)) + data


@dataclass(frozen=True)
class Decoded:
    records: list[dict[str, Any]]
    skipped_bytes: int  # torn or damaged bytes passed over (0 for a healthy segment)


def decode(data: bytes) -> Decoded:
    """Every intact record in `data`, in order; anything else is counted and passed over."""
    records: list[dict[str, Any]] = []
    skipped = 0
    position = 0
    while position < len(data):
        record, end = _record_at(data, position)
        if record is not None:
            records.append(record)
            position = end
            continue
        following = data.find(MAGIC, position + 1)
        following = len(data) if following == -1 else following
        skipped += following - position
        position = following
    return Decoded(records, skipped)


def _record_at(data: bytes, position: int) -> tuple[dict[str, Any] | None, int]:
    if data[position : position + len(MAGIC)] != MAGIC or position + HEADER_SIZE > len(data):
        return None, position
    length, checksum = _HEADER.unpack_from(data, position + len(MAGIC))
    start = position + HEADER_SIZE
    end = start + length
    if length > MAX_PAYLOAD or end > len(data):
        return None, position
    payload = data[start:end]
    if zlib.crc32(payload) != checksum:
        return None, position
    try:
        record = json.loads(payload)
    except ValueError:
        return None, position
    return (record, end) if isinstance(record, dict) else (None, position)


def fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def created_at(path: Path) -> datetime | None:
    """When a segment was created (its name starts with the time in nanoseconds)."""
    head = path.name.split("-", 1)[0]
    return datetime.fromtimestamp(int(head) / 1e9, UTC) if head.isdigit() else None


class _Segment:
    """The file one writer appends to. Writes are serialised by the caller; fsyncs are shared
    (one fsync makes every record written before it durable: group commit)."""

    def __init__(self, directory: Path) -> None:
        name = f"{time.time_ns():020d}-{os.getpid()}-{secrets.token_hex(4)}{SUFFIX}"
        hidden = directory / f"{_HIDDEN}{name}"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_CLOEXEC
        self.fd = os.open(hidden, flags, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.rename(hidden, directory / name)
            fsync_directory(directory)
        except BaseException:
            os.close(self.fd)
            with suppress(OSError):
                hidden.unlink()
            raise
        self.path = directory / name
        self.size = 0
        self.records = 0
        self.broken = False
        self._synced = 0
        self._sync_lock = threading.Lock()

    def write(self, frame: bytes) -> int:
        """Append one frame whole, or leave the file as it was. Returns the end offset."""
        written = 0
        try:
            while written < len(frame):
                written += os.write(self.fd, frame[written:])
        except OSError:
            self.broken = True
            with suppress(OSError):
                os.ftruncate(self.fd, self.size)
            raise
        self.size += len(frame)
        self.records += 1
        return self.size

    def sync_through(self, offset: int) -> None:
        with self._sync_lock:
            if self._synced >= offset:
                return
            target = self.size
            try:
                os.fsync(self.fd)
            except OSError:
                self.broken = True
                raise
            self._synced = target

    def close(self) -> None:
        """Make what was written durable and give the segment up to the drainers."""
        with self._sync_lock:
            try:
                if not self.broken:
                    os.fsync(self.fd)
                    self._synced = self.size
            finally:
                os.close(self.fd)  # releases the flock


@dataclass(frozen=True)
class Ticket:
    """A record written to a segment, durable once `Spool.sync(ticket)` returns."""

    segment: _Segment
    offset: int


@dataclass(frozen=True)
class Depth:
    records: int
    segments: int
    oldest: datetime | None
    quarantined: int
    skipped_bytes: int


class Spool:
    """One directory of segments. Safe for many threads; many processes may share a directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._active: _Segment | None = None

    # -- writing ---------------------------------------------------------------------------

    def write(self, payload: Mapping[str, Any]) -> Ticket:
        """Append a record (not yet durable: `sync` it). Raises SpoolError."""
        frame = encode(payload)
        with self._lock:
            try:
                if self._active is None or self._active.broken:
                    self._abandon_broken()
                    self._make_directory()
                    self._active = _Segment(self.directory)
                segment = self._active
                return Ticket(segment, segment.write(frame))
            except OSError as error:
                raise SpoolError(error.errno, f"spool write failed: {error.strerror}") from error

    def sync(self, ticket: Ticket) -> None:
        try:
            ticket.segment.sync_through(ticket.offset)
        except OSError as error:
            raise SpoolError(error.errno, f"spool fsync failed: {error.strerror}") from error

    def append(self, payload: Mapping[str, Any]) -> None:
        """Write a record and return once it is durable."""
        self.sync(self.write(payload))

    def rotate(self) -> Path | None:
        """Close the segment being written (if any), so a drainer can take it. Its path."""
        with self._lock:
            segment, self._active = self._active, None
        if segment is None:
            return None
        segment.close()
        return segment.path

    def has_active_segment(self) -> bool:
        with self._lock:
            return self._active is not None

    def close(self) -> None:
        self.rotate()

    def _abandon_broken(self) -> None:
        if self._active is not None:
            with suppress(OSError):
                self._active.close()
            self._active = None

    def _make_directory(self) -> None:
        if not self.directory.is_dir():
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            fsync_directory(self.directory.parent)

    # -- draining --------------------------------------------------------------------------

    def segments(self) -> list[Path]:
        """Every segment, oldest first (locked or not)."""
        try:
            names = sorted(p for p in os.listdir(self.directory) if p.endswith(SUFFIX))
        except FileNotFoundError:
            return []
        return [self.directory / name for name in names if not name.startswith(".")]

    @contextmanager
    def drain_lock(self) -> Iterator[bool]:
        """The directory's drainer lock, if no one else holds it (yields False otherwise)."""
        try:
            self._make_directory()
            fd = os.open(self.directory / DRAIN_LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError:
            yield False
            return
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as error:
                if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise
                yield False
                return
            yield True
        finally:
            os.close(fd)

    @contextmanager
    def claim(self, path: Path) -> Iterator[Decoded | None]:
        """A closed segment's records, held locked until the block ends; None if a writer
        still holds it (or it is gone)."""
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            yield None
            return
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as error:
                if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise
                yield None
                return
            with os.fdopen(os.dup(fd), "rb") as file:
                data = file.read()
            yield decode(data)
        finally:
            os.close(fd)

    def remove(self, path: Path) -> None:
        """A drained segment goes; the directory is fsync'd so it stays gone after a crash."""
        with suppress(FileNotFoundError):
            path.unlink()
        fsync_directory(self.directory)

    def quarantine(self, payload: Mapping[str, Any]) -> None:
        """Keep a record that can never be stored where a person will find it."""
        folder = self.directory / QUARANTINE
        folder.mkdir(mode=0o700, exist_ok=True)
        path = folder / f"{time.time_ns():020d}-{os.getpid()}-{secrets.token_hex(4)}{SUFFIX}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, encode(payload))
            os.fsync(fd)
        finally:
            os.close(fd)
        fsync_directory(folder)

    def remove_abandoned_hidden_files(self) -> int:
        """Hidden files left by a writer that died between creating and renaming a segment:
        they never held a record (records are written only after the rename)."""
        removed = 0
        try:
            names = [n for n in os.listdir(self.directory) if n.startswith(_HIDDEN)]
        except FileNotFoundError:
            return 0
        for name in names:
            with self.claim(self.directory / name) as decoded:
                if decoded is not None and not decoded.records:
                    with suppress(FileNotFoundError):
                        (self.directory / name).unlink()
                    removed += 1
        return removed

    # -- looking -----------------------------------------------------------------------------

    def depth(self) -> Depth:
        """How many records wait (in every segment, written to or not), and since when."""
        records = skipped = 0
        oldest: datetime | None = None
        segments = self.segments()
        for path in segments:
            try:
                decoded = decode(path.read_bytes())
            except FileNotFoundError:
                continue
            records += len(decoded.records)
            skipped += decoded.skipped_bytes
            if decoded.records:
                born = created_at(path)
                if born is not None and (oldest is None or born < oldest):
                    oldest = born
        try:
            quarantined = sum(
                1 for n in os.listdir(self.directory / QUARANTINE) if n.endswith(SUFFIX)
            )
        except FileNotFoundError:
            quarantined = 0
        return Depth(records, len(segments), oldest, quarantined, skipped)
