"""Outbound throughput: the whole pipeline against the bare Twilio SDK loop, in the same run.

    python -m bench.throughput [--size full|small] [--smoke]

Pipeline: N welcome SMS become due at once (one UPDATE of due_at); `celery beat` ticks the
dispatcher every second on `celery worker -Q alerts -c 1`, which claims them in batches into a
window (DISPATCH_BATCH_SIZE 2000, DISPATCH_MAX_IN_FLIGHT 2000, the defaults) and publishes them to
Redis; `celery worker -Q messages -c 2` (two prefork processes) claims each, renders it, sends
it through the Twilio SDK to the fake API and records it `sent`. The rate is N divided by the
time from the UPDATE to the last `sent_at`.

Bare loop: then, in a fresh process of its own, one Twilio SDK client (the product's pooled
HTTP client) creates the same N messages (same To, From, body and StatusCallback, the bodies as
the pipeline rendered them) one after another against the same fake API.
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, text
from twilio.rest import Client

from bench.harness import (
    Stack,
    bulk_messages,
    bulk_patients,
    cpu_seconds,
    emit,
    log,
    wait_until,
)
from schema.db import get_engine, session_scope
from schema.models import MessageState, OutboundMessage
from schema.types import utcnow
from worker.providers.twilio.client import BaseUrlHttpClient

SIZES = {"full": 5_000, "small": 200}
TARGET_RATIO = 0.5


def bare_loop(
    account_sid: str, auth_token: str, base_url: str, messages: list[dict[str, str]]
) -> float:
    """Seconds for one SDK client to create every message in turn."""

    client = Client(account_sid, auth_token, http_client=BaseUrlHttpClient(base_url, 10))
    started = time.perf_counter()
    for message in messages:
        client.messages.create(**message)
    return time.perf_counter() - started


def sent_count() -> int:
    with session_scope() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(OutboundMessage)
                .where(OutboundMessage.state == MessageState.SENT)
            )
            or 0
        )


def run(size: str, prefetch: int | None = None) -> dict[str, Any]:
    n = SIZES[size]
    with Stack("throughput") as stack:
        bulk_patients(stack.trust_id, 0, n)
        bulk_messages(stack.trust_id, per_patient=1, due_now=0)  # all due in the future
        stack.worker("alerts", 1, "alerts")
        extra = ("--prefetch-multiplier", str(prefetch)) if prefetch else ()
        messages_worker = stack.worker("messages", 2, "messages", *extra)
        stack.wait_for_workers("alerts", "messages")
        stack.beat()
        time.sleep(2)  # beat's first ticks, so its start-up is not counted
        cpu_before = cpu_seconds(messages_worker.pid)

        started = utcnow()
        clock = time.monotonic()
        with get_engine().begin() as connection:
            connection.execute(text("UPDATE outbound_messages SET due_at = :now"), {"now": started})
        wait_until(lambda: sent_count() >= n, timeout=max(120, n / 5), every=0.2)
        wall = time.monotonic() - clock
        worker_cpu = cpu_seconds(messages_worker.pid) - cpu_before
        with session_scope() as session:
            last_sent = session.scalar(select(func.max(OutboundMessage.sent_at)))
            rows = session.execute(
                select(
                    OutboundMessage.to_address, OutboundMessage.body, OutboundMessage.id
                ).order_by(OutboundMessage.id)
            ).all()
        assert last_sent is not None
        pipeline_seconds = (last_sent - started) / timedelta(seconds=1)
        arrivals = sorted(m.received_monotonic for m in stack.twilio.messages)
        steady = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]) if len(arrivals) > 1 else 0
        for process in stack.processes:  # the bare loop gets the machine to itself, as they did
            process.stop()

        messages = [
            {
                "to": to,
                "body": body,
                "from_": "+447700900000",
                "status_callback": f"https://safetynet.bench.example/twilio/status?m={mid}",
            }
            for to, body, mid in rows
        ]
        context = multiprocessing.get_context("spawn")
        with context.Pool(1) as pool:
            bare_seconds = pool.apply(
                bare_loop,
                (
                    stack.twilio.account_sid,
                    stack.twilio.auth_token,
                    stack.twilio.base_url,
                    messages,
                ),
            )
        accepted = len(stack.twilio.messages)

    pipeline_rate = n / pipeline_seconds
    bare_rate = n / bare_seconds
    ratio = pipeline_rate / bare_rate
    log(f"pipeline: {n} due -> sent in {pipeline_seconds:.2f} s = {pipeline_rate:.0f}/s")
    log(f"pipeline steady rate at the fake API: {steady:.0f}/s; wall {wall:.1f} s")
    log(f"bare SDK loop: {n} in {bare_seconds:.2f} s = {bare_rate:.0f}/s; ratio {ratio:.2f}")
    log(f"messages worker CPU: {worker_cpu * 1000 / n:.1f} ms per message (parent + children)")
    return {
        "benchmark": "throughput",
        "size": size,
        "messages": n,
        "pipeline_per_second": round(pipeline_rate, 1),
        "pipeline_seconds": round(pipeline_seconds, 2),
        "pipeline_steady_per_second": round(steady, 1),
        "bare_sdk_per_second": round(bare_rate, 1),
        "bare_sdk_seconds": round(bare_seconds, 2),
        "ratio": round(ratio, 3),
        "fake_api_accepted": accepted,
        "worker_processes": 2,
        "worker_cpu_ms_per_message": round(worker_cpu * 1000 / n, 2),
        "bare_sdk_ms_per_message": round(bare_seconds * 1000 / n, 2),
        "prefetch_multiplier": prefetch or 1,
        "target_ratio": TARGET_RATIO,
        "met": ratio >= TARGET_RATIO,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--smoke", action="store_true", help="the small size, for CI")
    parser.add_argument(
        "--prefetch", type=int, help="the messages worker's --prefetch-multiplier (default: 1)"
    )
    args = parser.parse_args(argv)
    emit(run("small" if args.smoke else args.size, args.prefetch))


if __name__ == "__main__":
    main()
