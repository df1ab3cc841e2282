"""Red-flag latency under bulk load: webhook request to the coordinator's SMS at the fake Twilio.

    python -m bench.alert_latency [--size full|small] [--smoke]

The whole service runs as it does in production, each part its own process on 127.0.0.1:
uvicorn serving web.app, `celery worker -Q alerts`, `celery worker -Q messages`, `celery beat`
(which runs the dispatch, escalation and sweep ticks, as in production), PostgreSQL, Redis and
the fake Twilio API (in this process, with the timestamps).

The bulk backlog is real: the driver claims every bulk message with the product's dispatcher
(`claim_due` + `publish`, with a window as large as the batch) so the Redis `messages` list
holds them all (in send tasks of 20), and the messages worker works through it at its full
natural speed while the red replies arrive. The bulk messages still waiting (claimed, not yet
sent) are counted at every reply and reported; a run in which they ran out before the last reply
says so (`backlog_held: false`) and does not count as met.

Each red reply comes from its own enrolled patient, signed as Twilio signs, posted at times drawn
from a Poisson process. Latency is from just before the request is sent to the moment the fake
Twilio accepts the SMS to the first-step coordinator about that reply's alert (matched through
the StatusCallback's message id -> alert -> inbound MessageSid).
"""

from __future__ import annotations

import argparse
import random
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from bench.harness import (
    FIRST_COORDINATOR,
    PUBLIC_BASE_URL,
    TRUST_NUMBER,
    Stack,
    bulk_messages,
    bulk_patients,
    emit,
    log,
    phone_of,
    summary_ms,
    wait_until,
)
from schema.db import session_scope
from schema.models import Alert, InboundMessage, MessageState, OutboundMessage, Queue
from schema.types import utcnow
from testing.twilio_signing import signed_headers
from worker import dispatch, tasks
from worker.app import get_app

SIZES = {
    # Bulk sends run at 500-600/s since they go in batches: 40,000 keep well over 10,000 waiting
    # for every one of the 200 replies posted over about 33 s.
    "full": {"bulk": 40_000, "replies": 200, "rate": 6.0},
    "small": {"bulk": 600, "replies": 12, "rate": 10.0},
}
RED_REPLIES = (
    "My legs keep giving way and I cannot feel my feet",
    "new back pain and numbness in both legs",
    "I have lost control of my bladder since this morning",
    "sudden weakness in my legs, can hardly walk",
)
TARGET_P99_MS = 1000.0


@dataclass
class Posted:
    sid: str
    started: float
    answered: float
    status: int
    backlog: int
    alerts_queued: int


def post_red_reply(base_url: str, auth_token: str, sender: str, body: str) -> tuple[str, Any]:
    sid = f"SM{uuid.uuid4().hex}"
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": "ACbench",
        "From": sender,
        "To": TRUST_NUMBER,
        "Body": body,
        "NumMedia": "0",
    }
    headers = signed_headers(f"{PUBLIC_BASE_URL}/twilio/sms", params, auth_token)
    request = urllib.request.Request(
        f"{base_url}/twilio/sms",
        data=urllib.parse.urlencode(params).encode(),
        headers=headers,
        method="POST",
    )
    return sid, request


def send(request: urllib.request.Request) -> int:
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def coordinator_latencies(stack: Stack, posted: dict[str, Posted]) -> dict[str, float]:
    """Seconds from each reply's request to the first coordinator SMS about its alert."""
    first_arrival: dict[int, float] = {}
    for message in stack.twilio.messages:
        if message.to != FIRST_COORDINATOR or not message.status_callback:
            continue
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(message.status_callback).query)
        outbound_id = int(query["m"][0])
        first_arrival[outbound_id] = min(
            first_arrival.get(outbound_id, message.received_monotonic),
            message.received_monotonic,
        )
    with session_scope() as session:
        rows = session.execute(
            select(OutboundMessage.id, InboundMessage.provider_message_id)
            .join(Alert, Alert.id == OutboundMessage.alert_id)
            .join(InboundMessage, InboundMessage.id == Alert.inbound_message_id)
            .where(OutboundMessage.id.in_(list(first_arrival)))
        ).all()
    latencies: dict[str, float] = {}
    for outbound_id, sid in rows:
        if sid in posted:
            arrival = first_arrival[outbound_id] - posted[sid].started
            latencies[sid] = min(latencies.get(sid, arrival), arrival)
    return latencies


def bulk_waiting() -> int:
    """Bulk messages claimed and published but not yet sent: the backlog, in messages."""

    with session_scope() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(OutboundMessage)
                .where(
                    OutboundMessage.state.in_((MessageState.QUEUED, MessageState.SENDING)),
                    OutboundMessage.queue == Queue.MESSAGES,
                )
            )
            or 0
        )


def claim_backlog(bulk: int) -> int:
    """The dispatcher's own claim and publish, with a window wide enough for the whole bulk."""
    with session_scope() as session:
        claimed = dispatch.claim_due(
            session, now=utcnow(), queue=Queue.MESSAGES, limit=bulk, max_in_flight=bulk * 2
        )
    return tasks.publish(get_app(), claimed)


def run(size: str, seed: int, dump: str | None = None, **overrides: float | None) -> dict[str, Any]:
    spec = {**SIZES[size], **{k: v for k, v in overrides.items() if v is not None}}
    bulk, replies, rate = int(spec["bulk"]), int(spec["replies"]), float(spec["rate"])
    # A window of 10,000 queued messages would look "stuck" to the 120 s sweep and be published
    # again; production keeps a 2,000 window instead. The benchmark wants the backlog as is.
    with Stack("alerts", STUCK_AFTER_SECONDS="3600") as stack:
        bulk_patients(stack.trust_id, 0, replies + bulk)
        made = bulk_messages(
            stack.trust_id, per_patient=1, due_now=bulk, first_patient=replies, patients=bulk
        )
        assert made == bulk, made
        stack.worker("alerts", 2, "alerts")
        stack.worker("messages", 2, "messages")
        stack.wait_for_workers("alerts", "messages")
        stack.beat()
        _, base_url = stack.web()

        started = time.monotonic()
        published = claim_backlog(bulk)
        log(f"published {published} bulk sends in {time.monotonic() - started:.1f} s")
        time.sleep(1.0)  # the messages worker is now at full speed on the backlog
        backlog_at_start = bulk_waiting()

        rng = random.Random(seed)
        posted: dict[str, Posted] = {}
        lock = threading.Lock()

        def one(i: int) -> None:
            sid, request = post_red_reply(
                base_url, stack.twilio.auth_token, phone_of(i), RED_REPLIES[i % len(RED_REPLIES)]
            )
            backlog = bulk_waiting()
            alerts_queued = stack.queue_length("alerts")
            began = time.monotonic()
            status = send(request)
            with lock:
                posted[sid] = Posted(sid, began, time.monotonic(), status, backlog, alerts_queued)

        schedule_start = time.monotonic()
        at = 0.0
        with ThreadPoolExecutor(max_workers=16) as pool:
            for i in range(replies):
                at += rng.expovariate(rate)
                delay = schedule_start + at - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(one, i)
        posting_seconds = time.monotonic() - schedule_start
        backlog_at_end = bulk_waiting()

        def all_arrived() -> bool:
            to_coordinator = [m for m in stack.twilio.messages if m.to == FIRST_COORDINATOR]
            return len({m.status_callback for m in to_coordinator}) >= replies

        try:
            wait_until(all_arrived, timeout=120, every=0.2)
        except TimeoutError:
            log("not every coordinator SMS arrived in time")
        latencies = coordinator_latencies(stack, posted)
        statuses = [p.status for p in posted.values()]
        webhook = summary_ms(p.answered - p.started for p in posted.values())
        reply_phones = {phone_of(i) for i in range(replies)}
        bulk_received = sum(
            1
            for m in stack.twilio.messages
            if m.to.startswith("+4478") and m.to not in reply_phones
        )
        backlogs = [p.backlog for p in posted.values()]
        if dump:
            with open(dump, "w") as out:
                for p in sorted(posted.values(), key=lambda p: p.started):
                    ms = latencies.get(p.sid, float("nan")) * 1000
                    at = p.started - schedule_start
                    print(f"{at:.2f} {ms:.0f} {p.backlog} {p.alerts_queued}", file=out)

    figures = summary_ms(latencies.values())
    for name, value in figures.items():
        log(f"webhook -> coordinator SMS {name}: {value}")
    log(f"webhook answered p50 {webhook['p50_ms']} ms, p99 {webhook['p99_ms']} ms")
    log(
        f"bulk messages waiting: {backlog_at_start} at the first reply, "
        f"min {min(backlogs)} during, {backlog_at_end} after the last"
    )
    return {
        "benchmark": "alert_latency",
        "size": size,
        "bulk_messages": bulk,
        "replies": replies,
        "replies_per_second": rate,
        "posting_seconds": round(posting_seconds, 1),
        "webhook_2xx": sum(1 for s in statuses if 200 <= s < 300),
        "coordinator_sms_matched": len(latencies),
        **figures,
        "webhook_p50_ms": webhook["p50_ms"],
        "webhook_p99_ms": webhook["p99_ms"],
        "backlog_at_first_reply": backlog_at_start,
        "backlog_min_during_replies": min(backlogs),
        "backlog_after_last_reply": backlog_at_end,
        "backlog_held": min(backlogs) > 0 and backlog_at_end > 0,
        "alerts_queue_max_at_a_reply": max(p.alerts_queued for p in posted.values()),
        "bulk_sent_during_run": bulk_received,
        "target_p99_ms": TARGET_P99_MS,
        "met": len(latencies) == replies
        and figures["p99_ms"] < TARGET_P99_MS
        and min(backlogs) > 0,
        "beat": "celery beat subprocess",
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--smoke", action="store_true", help="the small size, for CI")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--bulk", type=int, help="bulk messages waiting (overrides the size)")
    parser.add_argument("--replies", type=int, help="red replies posted (overrides the size)")
    parser.add_argument("--rate", type=float, help="replies per second (overrides the size)")
    parser.add_argument("--dump", help="write each reply's start, latency and queues here")
    args = parser.parse_args(argv)
    size = "small" if args.smoke else args.size
    overrides = {"bulk": args.bulk, "replies": args.replies, "rate": args.rate}
    emit(run(size, args.seed, args.dump, **overrides))


if __name__ == "__main__":
    main()
