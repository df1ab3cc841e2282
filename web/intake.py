"""Store first, whatever is down: a signed request is in the database or the spool before 200.

Twilio does not retry a failed inbound webhook, so a reply answered with an error is a reply
lost. Each request is stored in the database if it answers within a short timeout
(`INTAKE_DATABASE_TIMEOUT_SECONDS`, well inside Twilio's 15 s); otherwise it is appended to the
local spool (schema/spool.py) and answered 200 once fsync'd. If neither can take it the answer is
503 at once, and Twilio's Fallback URL (a second web instance) gets the request.

Order. After one failure the process is *spooling*: every request goes to the spool, without
waiting on the database again, until a drain has emptied the spool. A drainer thread in each
web process probes the database every `POLL_SECONDS` and, when it answers, moves the spooled
records into it in the order they arrived (once each: storing is idempotent by MessageSid),
then lets requests go to the database again. So a patient's STOP and START, or two replies,
are never stored the wrong way round across an outage.

Why not always spool? The database commit is itself durable (the web app commits
synchronously), so a spool write for every request would double the disk work of the hot path
and add a second path every reply must take; the spool is for when the database cannot answer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import anyio
import structlog
from anyio import to_thread
from fastapi import FastAPI, HTTPException
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from schema.db import session_scope
from schema.settings import get_settings
from schema.spool import Spool, SpoolError
from schema.types import utcnow
from web.stored_requests import KINDS

log = structlog.get_logger(__name__)

RECORD_VERSION = 1
POLL_SECONDS = 1.0
DRAIN_BATCH = 100
UNAVAILABLE = "neither the database nor the spool can take this request"
SPOOL_THREADS = 4  # appends have threads of their own: they never wait behind database calls


class Kind(Protocol):
    """One kind of request the intake stores (a reply, a delivery receipt)."""

    name: str

    def store(self, session: Session, record: Mapping[str, Any], *, spooled: bool) -> Any:
        """Store the record in the session's transaction; the result goes to the caller."""

    def after_commit(self, result: Any) -> None:
        """What follows once the transaction is committed (publishing a task)."""


@dataclass(frozen=True)
class Accepted:
    spooled: bool
    result: Any = None


def record_of(kind: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """What is stored (or spooled) for one request: its kind, when it arrived, its fields."""
    return {"v": RECORD_VERSION, "kind": kind, "at": utcnow().isoformat(), "f": dict(fields)}


def store_records(
    kinds: Mapping[str, Kind], records: list[dict[str, Any]], *, spooled: bool
) -> Any:
    """Store records in one transaction, then do what follows each. The last result."""
    chosen = [kinds[record["kind"]] for record in records]
    with session_scope() as session:
        results = [
            kind.store(session, record, spooled=spooled)
            for kind, record in zip(chosen, records, strict=True)
        ]
    for kind, result in zip(chosen, results, strict=True):
        kind.after_commit(result)
    return results[-1] if results else None


def database_unavailable(error: BaseException) -> bool:
    """An error that says the database cannot be reached now, rather than a fault of the
    request itself."""
    if isinstance(error, TimeoutError | OperationalError | InterfaceError | DisconnectionError):
        return True
    if isinstance(error, PoolTimeout):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


class Intake:
    def __init__(
        self,
        spool: Spool,
        kinds: Iterable[Kind],
        *,
        timeout: float,
        poll_seconds: float | None = None,
    ) -> None:
        self.spool = spool
        self.kinds = {kind.name: kind for kind in kinds}
        self.timeout = timeout
        self.poll_seconds = poll_seconds or POLL_SECONDS
        self._spooling = False
        self._mode_lock = threading.Lock()  # the choice "spool or database" and the switch back
        self._pending: set[Path] = set()  # segments to drain before requests go direct again
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._probe: threading.Thread | None = None
        self._spool_threads = anyio.CapacityLimiter(SPOOL_THREADS)

    @property
    def spooling(self) -> bool:
        return self._spooling

    # -- the request path ------------------------------------------------------------------

    async def accept(self, kind: str, fields: Mapping[str, Any]) -> Accepted:
        """Store a verified request, or spool it; 503 only if neither can take it."""
        record = record_of(kind, fields)
        sid = fields.get("sid")
        if self._spooling:
            try:
                if await self._spool(record, force=False, enter=False):
                    return Accepted(True)
                # The drainer emptied the spool meanwhile: the database again.
            except SpoolError as error:
                log.error("intake_spool_failed", kind=kind, sid=sid, error=error.strerror)
                try:  # the spool is broken too: the database is the last resort
                    return Accepted(False, await self._store_now(record))
                except Exception as last:
                    log.critical("intake_refused", kind=kind, sid=sid, error=type(last).__name__)
                    raise HTTPException(503, UNAVAILABLE) from None
        try:
            return Accepted(False, await self._store_now(record))
        except Exception as error:
            down = database_unavailable(error)
            log.warning(
                "intake_database_failed",
                kind=kind,
                sid=sid,
                error=type(error).__name__,
                database_down=down,
            )
        try:
            await self._spool(record, force=True, enter=down)
        except SpoolError as error:
            log.critical("intake_refused", kind=kind, sid=sid, error=error.strerror)
            raise HTTPException(503, UNAVAILABLE) from None
        return Accepted(True)

    async def _spool(self, record: dict[str, Any], *, force: bool, enter: bool) -> bool:
        spooled: bool = await to_thread.run_sync(
            self._spool_record, record, force, enter, limiter=self._spool_threads
        )
        if spooled:
            log.warning("intake_spooled", kind=record["kind"], sid=_sid(record))
        return spooled

    async def _store_now(self, record: dict[str, Any]) -> Any:
        # A database that does not answer is abandoned after the timeout; if it does commit
        # later, the spooled copy is a duplicate by MessageSid and the drain stores nothing.
        with anyio.fail_after(self.timeout):
            return await to_thread.run_sync(self.store, [record], False, abandon_on_cancel=True)

    def _spool_record(self, record: dict[str, Any], force: bool, enter: bool) -> bool:
        with self._mode_lock:
            if not (force or self._spooling):
                return False
            if enter and not self._spooling:
                self._spooling = True
                log.warning("intake_spooling", reason="database unavailable")
            ticket = self.spool.write(record)
        self.spool.sync(ticket)  # outside the lock: concurrent appends share one fsync
        self._wake.set()
        return True

    def store(self, records: list[dict[str, Any]], spooled: bool) -> Any:
        """Store records in one transaction, then do what follows each. The last result."""
        return store_records(self.kinds, records, spooled=spooled)

    # -- the drain -------------------------------------------------------------------------

    def start(self) -> None:
        """Start draining (what a previous process left first). Requests stay on the spool
        while anything is left in it, so the order of arrival is kept."""
        with self._mode_lock:
            self._pending = set(self.spool.segments())
            if self._pending:
                self._spooling = True
                log.warning("intake_spool_found", segments=len(self._pending))
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="spool-drainer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.spool.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                progressed = self.step()
            except Exception as error:
                if database_unavailable(error):
                    log.warning("spool_drain_stopped", error=type(error).__name__)
                else:
                    log.exception("spool_drain_error", error=type(error).__name__)
                progressed = False
            if progressed:
                self._wake.set()  # more arrived while draining: go again at once
            else:
                self._stop.wait(self.poll_seconds)  # the database is down, or nothing to do

    def step(self) -> bool:
        """One round of the drainer. True if it moved anything (so go again at once)."""
        if not (self._spooling or self.spool.has_active_segment() or self.spool.segments()):
            return False
        if not self.database_answers():
            return False
        self._rotate_or_go_direct()
        _, held = self.drain_once()
        if not held:
            return False  # another process is draining this directory
        return self._rotate_or_go_direct() is False

    def _rotate_or_go_direct(self) -> bool | None:
        """Hand the segment being written to the drainers; go direct when none was being
        written and everything this process spooled is drained. True when it went direct."""
        with self._mode_lock:
            closed = self.spool.rotate()
            if closed is not None:
                self._pending.add(closed)
            self._pending = {path for path in self._pending if path.exists()}
            if closed is None and not self._pending:
                if self._spooling:
                    self._spooling = False
                    log.info("intake_direct", reason="spool drained")
                return True
            return None if closed is None else False

    def drain_once(self) -> tuple[int, bool]:
        """Move every closed segment into the database. (records moved, lock held)."""
        moved = 0
        with self.spool.drain_lock() as held:
            if not held:
                return 0, False
            self.spool.remove_abandoned_hidden_files()
            for path in self.spool.segments():
                with self.spool.claim(path) as decoded:
                    if decoded is None:
                        continue  # a live writer's segment
                    if decoded.skipped_bytes:
                        log.warning(
                            "spool_segment_damaged",
                            segment=path.name,
                            skipped_bytes=decoded.skipped_bytes,
                        )
                    started = time.monotonic()
                    moved += self._move(decoded.records)
                    self.spool.remove(path)
                    log.info(
                        "spool_drained",
                        segment=path.name,
                        records=len(decoded.records),
                        seconds=round(time.monotonic() - started, 3),
                    )
        return moved, True

    def _move(self, records: list[dict[str, Any]]) -> int:
        """Store records in order, in batches; a database failure stops the drain (the
        segment stays and is drained again, idempotently), a record that can never be stored
        is quarantined rather than blocking every record behind it."""
        for start in range(0, len(records), DRAIN_BATCH):
            batch = records[start : start + DRAIN_BATCH]
            try:
                self.store(batch, True)
            except Exception as error:
                if database_unavailable(error):
                    raise
                for record in batch:
                    self._move_one(record)
            for record in batch:
                log.info("spool_record_stored", kind=record.get("kind"), sid=_sid(record))
        return len(records)

    def _move_one(self, record: dict[str, Any]) -> None:
        try:
            self.store([record], True)
        except Exception as error:
            if database_unavailable(error):
                raise
            self.spool.quarantine(record)
            log.error(
                "spool_record_quarantined",
                kind=record.get("kind"),
                sid=_sid(record),
                error=type(error).__name__,
            )

    def database_answers(self) -> bool:
        """SELECT 1 within the timeout, in a thread of its own that is left behind if the
        database hangs; while it hangs no second probe starts (one stuck thread, not many)."""
        if self._probe is not None and self._probe.is_alive():
            return False
        answered = threading.Event()

        def probe() -> None:
            try:
                with session_scope() as session:
                    session.execute(text("SELECT 1"))
                answered.set()
            except Exception as error:
                log.debug("spool_probe_failed", error=type(error).__name__)

        self._probe = threading.Thread(target=probe, name="spool-probe", daemon=True)
        self._probe.start()
        self._probe.join(self.timeout)
        return answered.is_set()


def _sid(record: Mapping[str, Any]) -> Any:
    fields = record.get("f")
    return fields.get("sid") if isinstance(fields, dict) else None


# -- the web app ---------------------------------------------------------------------------


def make_intake() -> Intake:
    settings = get_settings()
    return Intake(
        Spool(settings.resolved_spool_dir),
        KINDS,
        timeout=settings.intake_database_timeout_seconds,
    )


def intake_of(app: FastAPI) -> Intake:
    intake: Intake | None = getattr(app.state, "intake", None)
    if intake is None:
        intake = app.state.intake = make_intake()
    return intake


def attach(app: FastAPI, factory: Callable[[], Intake] = make_intake) -> None:
    """Run the drainer for as long as the app runs, draining what is spooled at start-up."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        intake = application.state.intake = factory()
        intake.start()
        try:
            async with inner(application) as state:
                yield state
        finally:
            await to_thread.run_sync(intake.stop)

    app.router.lifespan_context = lifespan
