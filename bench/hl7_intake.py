"""HL7v2 ADT intake: `python -m bench.hl7_intake [--n N] [--senders S] [--smoke]`.

Prints the parse time of one ADT^A01, the MLLP round trip (frame, parse, handler, ACK) over
real sockets on 127.0.0.1 with S senders at once, and the listener's memory while 50
connections each hold a message cut short just under the size limit (it must stay bounded).
The handler is the trivial `acknowledge`: this measures the listener, not a database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import threading
import time

from messages.hl7v2 import parse_adt
from tests.fakes.adt_messages import adt
from tests.fakes.mllp_sender import MllpSender
from worker.mllp import MllpLimits, MllpServer, ReceivedMessage, acknowledge


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
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    n = 200 if args.smoke else args.n

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

    figures = {
        "parse_us_per_message": round(parse_us, 1),
        "mllp_messages_per_second": round(len(latencies) / elapsed, 1),
        "mllp_p50_ms": round(statistics.median(latencies) * 1000, 2),
        "mllp_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        "senders": args.senders,
        "n": len(latencies),
        "rss_growth_mb_50_partial_1mib_messages": round(held, 1),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
