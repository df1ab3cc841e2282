"""Red-flag latency while Twilio answers 500: webhook request to the coordinator's text at the
fake GOV.UK Notify, which alerts fail over to.

    python -m bench.failover_latency [--replies 30] [--rate 1.0] [--fault-seconds 60]

The service runs as in production, each part its own process on 127.0.0.1 (uvicorn, an alerts
worker, beat), with PostgreSQL, Redis, the fake Twilio API and the fake Notify API (in this
process, with the timestamps). Twilio answers every request 500 for `--fault-seconds`, from
just before the first reply. Red replies arrive at times drawn from a Poisson process, each from
its own patient. Latency is from just before the request is sent to the moment Notify accepts
the text to the first-step coordinator about that reply's alert, at whichever provider took it
(Notify's `reference`, Twilio's StatusCallback `m`: our message id -> alert -> inbound
MessageSid). `--fault-seconds 0` is the same run with Twilio healthy, for comparison. The
first figure is the first alert's: from the first Twilio failure (the first reply) to Notify.
"""

from __future__ import annotations

import argparse
import random
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import select

from bench.alert_latency import RED_REPLIES, post_red_reply, send
from bench.harness import (
    FIRST_COORDINATOR,
    Stack,
    bulk_patients,
    emit,
    log,
    phone_of,
    summary_ms,
    wait_until,
)
from schema.db import session_scope
from schema.models import Alert, InboundMessage, OutboundMessage
from testing.fake_notify import FakeNotify

TARGET_FIRST_SECONDS = 5.0
TARGET_P99_MS = 1000.0


def coordinator_latencies(
    stack: Stack, notify: FakeNotify, started: dict[str, float]
) -> dict[str, float]:
    """Seconds from each reply's request to its alert's text at either provider."""
    arrivals = {
        int(text.reference): text.received_monotonic
        for text in notify.texts
        if text.phone_number == FIRST_COORDINATOR and text.reference and text.reference.isdigit()
    }
    for message in stack.twilio.messages:
        if message.to == FIRST_COORDINATOR and message.status_callback:
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(message.status_callback).query)
            arrivals.setdefault(int(query["m"][0]), message.received_monotonic)
    with session_scope() as session:
        rows = session.execute(
            select(OutboundMessage.id, InboundMessage.provider_message_id)
            .join(Alert, Alert.id == OutboundMessage.alert_id)
            .join(InboundMessage, InboundMessage.id == Alert.inbound_message_id)
            .where(OutboundMessage.id.in_(list(arrivals)))
        ).all()
    return {sid: arrivals[mid] - started[sid] for mid, sid in rows if sid in started}


def run(replies: int, rate: float, fault_seconds: float, seed: int) -> dict[str, Any]:
    with FakeNotify() as notify, Stack("failover", **notify.env()) as stack:
        bulk_patients(stack.trust_id, 0, replies)
        stack.worker("alerts", 2, "alerts")
        stack.wait_for_workers("alerts")
        stack.beat()
        _, base_url = stack.web()
        if fault_seconds:
            stack.twilio.fail_for(fault_seconds, status=500)
        rng = random.Random(seed)
        started: dict[str, float] = {}
        lock = threading.Lock()

        def one(i: int) -> None:
            sid, request = post_red_reply(
                base_url, stack.twilio.auth_token, phone_of(i), RED_REPLIES[i % len(RED_REPLIES)]
            )
            began = time.monotonic()
            with lock:
                started[sid] = began
            send(request)

        schedule_start = time.monotonic()
        at = 0.0
        with ThreadPoolExecutor(max_workers=8) as pool:
            for i in range(replies):
                delay = schedule_start + at - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(one, i)
                at += rng.expovariate(rate)

        def all_arrived() -> bool:
            at_notify = sum(1 for t in notify.texts if t.phone_number == FIRST_COORDINATOR)
            at_twilio = sum(1 for m in stack.twilio.messages if m.to == FIRST_COORDINATOR)
            return at_notify + at_twilio >= replies

        try:
            wait_until(all_arrived, timeout=60, every=0.2)
        except TimeoutError:
            log("not every coordinator text arrived in time")
        latencies = coordinator_latencies(stack, notify, started)
        twilio_refused = stack.twilio.request_count - len(stack.twilio.messages)
        at_notify = sum(1 for t in notify.texts if t.phone_number == FIRST_COORDINATOR)
    first = min(started.values())
    first_at_notify = (
        min(t.received_monotonic for t in notify.texts) - first if notify.texts else None
    )
    figures = summary_ms(latencies.values())
    if first_at_notify is not None:
        log(f"first alert at Notify {first_at_notify:.2f} s after the first reply")
    for name, value in figures.items():
        log(f"webhook -> coordinator text {name}: {value}")
    return {
        "benchmark": "failover_latency",
        "replies": replies,
        "replies_per_second": rate,
        "twilio_500_seconds": fault_seconds,
        "coordinator_texts_matched": len(latencies),
        "coordinator_texts_by_notify": at_notify,
        "first_alert_at_notify_seconds": round(first_at_notify, 3) if first_at_notify else None,
        **figures,
        "twilio_requests_refused": twilio_refused,
        "target_first_seconds": TARGET_FIRST_SECONDS,
        "target_p99_ms": TARGET_P99_MS,
        "met": len(latencies) == replies
        and (not fault_seconds or (first_at_notify or 99.0) < TARGET_FIRST_SECONDS)
        and figures["p99_ms"] < TARGET_P99_MS,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=30)
    parser.add_argument("--rate", type=float, default=1.0, help="replies per second")
    parser.add_argument("--fault-seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args(argv)
    emit(run(args.replies, args.rate, args.fault_seconds, args.seed))


if __name__ == "__main__":
    main()
