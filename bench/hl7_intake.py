"""HL7v2 ADT intake: `python -m bench.hl7_intake [--n N] [--senders S] [--applied M]
[--database-url URL] [--smoke]`.

Prints the parse time of one ADT^A01, the MLLP round trip (frame, parse, handler, ACK) over
real sockets on 127.0.0.1 with S senders at once, and the listener's memory while 50
connections each hold a message cut short just under the size limit (it must stay bounded).
That handler is the trivial `acknowledge`: it measures the listener, not a database.

Then the real handler (`worker.hl7_listener.Hl7Intake`: the trust's rules, the pathway, the
message stored with its ACK, durably, before the ACK goes): M A01s enrolling M patients over
MLLP, and the same M sent again (answered from the store, changing nothing), on a fresh SQLite
file or the database given.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from messages.hl7v2 import parse_adt
from schema.migrate import upgrade
from testing.adt_messages import adt
from testing.mllp_sender import MllpSender
from testing.nhs_numbers import fake_nhs_number
from testing.trusts import load_always_open_trust
from worker.hl7_listener import Hl7Intake
from worker.mllp import Handler, MllpLimits, MllpServer, ReceivedMessage, acknowledge, in_threads
from worker.process_state import reset


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _handler(received: ReceivedMessage) -> str:
    return acknowledge(received)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--applied", type=int, default=1000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    n = 200 if args.smoke else args.n
    applied = 40 if args.smoke else args.applied

    message = adt("A01")
    started = time.perf_counter()
    for _ in range(n):
        parse_adt(message)
    parse_us = (time.perf_counter() - started) / n * 1e6

    limits = MllpLimits(max_message_bytes=1 << 20, max_connections=128)
    loop = asyncio.new_event_loop()
    server = MllpServer(_handler, limits=limits)
    loop.run_until_complete(server.start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    host, port = server.address

    latencies: list[float] = []
    lock = threading.Lock()

    def send(count: int, index: int) -> None:
        with MllpSender(host, port) as client:
            for i in range(count):
                t0 = time.perf_counter()
                client.send(adt("A01", control_id=f"B{index}-{i}"))
                with lock:
                    latencies.append(time.perf_counter() - t0)

    per_sender = max(n // args.senders, 1)
    started = time.perf_counter()
    workers = [threading.Thread(target=send, args=(per_sender, i)) for i in range(args.senders)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    latencies.sort()

    before = _rss_mb()
    stalled = [MllpSender(host, port) for _ in range(50)]
    for client in stalled:
        client.send_raw(b"\x0bMSH|" + b"x" * (limits.max_message_bytes - 1000))
    time.sleep(0.5)
    held = _rss_mb() - before
    for client in stalled:
        client.close()

    asyncio.run_coroutine_threadsafe(server.stop(grace=1), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)

    figures = {**_applied(applied, args.database_url)}
    figures |= {
        "parse_us_per_message": round(parse_us, 1),
        "mllp_messages_per_second": round(len(latencies) / elapsed, 1),
        "mllp_p50_ms": round(statistics.median(latencies) * 1000, 2),
        "mllp_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        "senders": args.senders,
        "n": len(latencies),
        "rss_growth_mb_50_partial_1mib_messages": round(held, 1),
    }
    print(json.dumps(figures))


@contextmanager
def _serving(handler: Handler) -> Iterator[tuple[str, int]]:
    loop = asyncio.new_event_loop()
    server = MllpServer(handler)
    loop.run_until_complete(server.start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield server.address
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(grace=1), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)


def _timed(
    address: tuple[str, int], messages: list[str], check: Callable[[str], bool]
) -> list[float]:
    latencies = []
    with MllpSender(*address, timeout=30) as client:
        for message in messages:
            t0 = time.perf_counter()
            ack = client.send(message)
            latencies.append(time.perf_counter() - t0)
            assert check(ack), ack[:200]
    return latencies


def _applied(count: int, database_url: str) -> dict[str, object]:
    """The real handler: enrol `count` patients over MLLP, then send them all again."""
    with tempfile.TemporaryDirectory() as folder:
        os.environ["SAFETYNET_DATA_DIR"] = folder
        os.environ["DATABASE_URL"] = database_url or f"sqlite:///{folder}/bench.db"
        reset()
        upgrade(os.environ["DATABASE_URL"])
        load_always_open_trust()
        messages = [
            adt(
                "A01",
                control_id=f"E{i}",
                nhs_number=fake_nhs_number(1000 + i),
                telecom=f"07700{900000 + i % 1000:06d}^PRN^CP",
            )
            for i in range(count)
        ]
        with _serving(in_threads(Hl7Intake(None))) as address:
            started = time.perf_counter()
            first = _timed(address, messages, lambda ack: "|AA|" in ack)
            first_elapsed = time.perf_counter() - started
            started = time.perf_counter()
            again = _timed(address, messages, lambda ack: "|AA|" in ack)
            again_elapsed = time.perf_counter() - started
        reset()
    first.sort()
    again.sort()
    return {
        "applied_database": "postgresql" if database_url.startswith("postgresql") else "sqlite",
        "applied_messages": count,
        "applied_per_second": round(count / first_elapsed, 1),
        "applied_p50_ms": round(statistics.median(first) * 1000, 2),
        "applied_p99_ms": round(first[max(int(count * 0.99) - 1, 0)] * 1000, 2),
        "repeat_per_second": round(count / again_elapsed, 1),
        "repeat_p50_ms": round(statistics.median(again) * 1000, 2),
    }


if __name__ == "__main__":
    main()
