"""Webhook intake: signed inbound SMS per second, each checked and stored, on one uvicorn process.

    python -m bench.webhook_intake [--size full|small] [--smoke] [--database-down]

uvicorn serves web.app in one process (its defaults here: asyncio loop, h11) on 127.0.0.1, with
PostgreSQL and Redis. Every request is a distinct reply (its own MessageSid) signed as Twilio
signs it, so each one is validated, inserted with its audit event, committed, and its handling
task published to the `alerts` queue in Redis (no worker consumes it: intake is what is
measured).

With `--database-down` the web process is pointed at a PostgreSQL port where nothing listens (a
stopped server: connections refused), so every request takes the spool path (web/intake.py):
appended, fsync'd, answered. The rate is then the spool's, every request is counted in the
spool, and the web process is restarted on the real database to time the drain into it.

The load comes from a second process (multiprocessing, spawn): an asyncio HTTP/1.1 client with
CONNECTIONS keep-alive connections sending pre-signed, pre-serialised requests, so the client
spends as little of the two cores as it can. The rate is requests answered 200 per second of
wall time; every one is then counted in the database.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import time
import urllib.parse
import uuid
from typing import Any

from sqlalchemy import func, select, text

from bench.harness import (
    PUBLIC_BASE_URL,
    TRUST_NUMBER,
    Stack,
    emit,
    free_port,
    log,
    summary_ms,
    wait_until,
)
from schema.db import session_scope
from schema.models import InboundMessage
from schema.settings import get_settings
from schema.spool import Spool
from testing.twilio_signing import signature

SIZES = {"full": 6_000, "small": 300}
WARM_UP = 200
CONNECTIONS = 16
TARGET_PER_SECOND = 300.0


def signed_requests(port: int, auth_token: str, count: int) -> list[bytes]:
    requests = []
    for i in range(count):
        sid = f"SM{uuid.uuid4().hex}"
        params = {
            "MessageSid": sid,
            "SmsSid": sid,
            "AccountSid": "ACbench",
            "From": f"+4478{i:09d}",
            "To": TRUST_NUMBER,
            "Body": "Feeling fine today, thank you. A little tired after the radiotherapy.",
            "NumMedia": "0",
        }
        body = urllib.parse.urlencode(params).encode()
        head = (
            f"POST /twilio/sms HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"X-Twilio-Signature: {signature(PUBLIC_BASE_URL + '/twilio/sms', params, auth_token)}"
            f"\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        requests.append(head.encode() + body)
    return requests


async def _connection(port: int, pending: list[bytes], results: list[tuple[int, float]]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while pending:
            request = pending.pop()
            started = time.perf_counter()
            writer.write(request)
            await writer.drain()
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
            results.append((status, time.perf_counter() - started))
    finally:
        writer.close()


async def _load(port: int, requests: list[bytes], connections: int) -> list[tuple[int, float]]:
    results: list[tuple[int, float]] = []
    pending = list(reversed(requests))
    await asyncio.gather(*(_connection(port, pending, results) for _ in range(connections)))
    return results


def load_generator(
    port: int, auth_token: str, count: int, connections: int
) -> tuple[float, list[tuple[int, float]]]:
    """In its own process: warm up, then send `count` requests; (seconds, results)."""
    warm = signed_requests(port, auth_token, WARM_UP)
    timed = signed_requests(port, auth_token, count)
    asyncio.run(_load(port, warm, connections))
    started = time.perf_counter()
    results = asyncio.run(_load(port, timed, connections))
    return time.perf_counter() - started, results


def run(size: str, connections: int, database_down: bool = False) -> dict[str, Any]:
    n = SIZES[size]
    spooled = 0
    drain_seconds = None
    with Stack("intake") as stack:
        down = {"DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/down"}
        web, base_url = stack.web(**(down if database_down else {}))
        port = int(base_url.rsplit(":", 1)[1])
        context = multiprocessing.get_context("spawn")
        with context.Pool(1) as pool:
            seconds, results = pool.apply(
                load_generator, (port, stack.twilio.auth_token, n, connections)
            )
        if database_down:
            spool = Spool(get_settings().resolved_spool_dir)
            spooled = spool.depth().records
            web.stop()
            started = time.perf_counter()
            stack.web()  # on the database now: it drains the spool at start-up
            wait_until(lambda: spool.depth().records == 0, timeout=300)
            drain_seconds = time.perf_counter() - started
        with session_scope() as session:
            stored = int(session.scalar(select(func.count()).select_from(InboundMessage)) or 0)
            # Every connection PostgreSQL accepted for this database (each one a new backend).
            sessions = int(
                session.scalar(
                    text("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
                )
                or 0
            )
        queued = stack.queue_length("alerts")

    ok = sum(1 for status, _ in results if status == 200)
    rate = ok / seconds
    latency = summary_ms(elapsed for _, elapsed in results)
    log(f"{ok} of {n} answered 200 in {seconds:.2f} s = {rate:.0f}/s on one uvicorn process")
    log(f"request p50 {latency['p50_ms']} ms, p99 {latency['p99_ms']} ms; {stored} stored")
    log(f"{sessions} PostgreSQL sessions opened for the run's database")
    if database_down:
        log(f"database down: {spooled} spooled; drained into it in {drain_seconds:.1f} s")
    return {
        "benchmark": "webhook_intake",
        "database_down": database_down,
        "spooled": spooled,
        "drain_seconds_with_restart": round(drain_seconds, 2) if drain_seconds else None,
        "size": size,
        "requests": n,
        "ok": ok,
        "per_second": round(rate, 1),
        "seconds": round(seconds, 2),
        "connections": connections,
        "p50_ms": latency["p50_ms"],
        "p99_ms": latency["p99_ms"],
        "stored": stored,
        "stored_expected": n + WARM_UP,
        "handling_tasks_queued": queued,
        "database_sessions_opened": sessions,
        "target_per_second": TARGET_PER_SECOND,
        "met": ok == n
        and stored == n + WARM_UP
        and (spooled == n + WARM_UP or not database_down)
        and rate >= TARGET_PER_SECOND,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--smoke", action="store_true", help="the small size, for CI")
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    parser.add_argument(
        "--database-down", action="store_true", help="every request spooled, then drained"
    )
    args = parser.parse_args(argv)
    emit(run("small" if args.smoke else args.size, args.connections, args.database_down))


if __name__ == "__main__":
    main()
