"""Two of every process on one database and one Redis, one of each SIGKILLed mid-run (issue 15).

    python -m bench.two_of_everything [--bulk 2000] [--replies 100] [--smoke]

Two web processes (uvicorn), two `celery worker -Q alerts`, two `celery worker -Q messages` and
two beats, each beat with its own schedule file, on one PostgreSQL database and one Redis, with
the fake Twilio API answering in 50 ms. `--bulk` welcome SMS come due at once while `--replies`
signed red replies arrive over the run, each from its own patient, to the two web processes in
turn (to the survivor once one is gone, as Twilio's Fallback URL would). When a third of the bulk
messages have gone, one of each process is SIGKILLed (its prefork children with it). Once every
alert is raised, every alert's step is made due at once, so both beats' escalation races to move
each alert to its second step.

The figures: messages lost (bulk not sent; replies not stored), duplicates (sends to the fake
Twilio beyond one per message, by the `?m=` of each message's status callback), alerts per
reply, and notifications per alert, step, person and channel. `met`: nothing lost, duplicates
under 1%, every alert raised once, every step notified once.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import signal
import sys
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from typing import Any

from sqlalchemy import func, select, update

from bench.harness import (
    PUBLIC_BASE_URL,
    TRUST_NUMBER,
    Process,
    Stack,
    _answers,
    bulk_messages,
    bulk_patients,
    emit,
    free_port,
    log,
    phone_of,
    wait_until,
)
from schema.db import session_scope
from schema.models import (
    Alert,
    AlertNotification,
    AlertState,
    InboundMessage,
    MessageState,
    OutboundMessage,
)
from testing.twilio_signing import signed_headers

RED = "My legs keep giving way and I cannot feel my feet"
SIZES = {"full": {"bulk": 2000, "replies": 100}, "smoke": {"bulk": 200, "replies": 10}}
DONE = (MessageState.SENT, MessageState.DELIVERED)


class Twice:
    """The stack with two of each process, and what the run posted."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.webs: list[tuple[Process, int]] = []
        self.posted: list[str] = []
        self.refused = 0

    def start(self) -> None:
        for n in (1, 2):
            port = free_port()
            argv = [sys.executable, "-m", "uvicorn", "web.app:app", "--host", "127.0.0.1"]
            argv += ["--port", str(port), "--no-access-log", "--no-proxy-headers"]
            process = self.stack.spawn(f"web-{n}", argv)
            self.webs.append((process, port))
            url = f"http://127.0.0.1:{port}/healthz"
            wait_until(lambda p=process, u=url: _answers(u, p), timeout=90)  # type: ignore[misc]
            self.stack.worker("alerts", 2, f"alerts-{n}")
            self.stack.worker("messages", 2, f"messages-{n}")
            schedule = str(self.stack.workdir / f"celerybeat-schedule-{n}")
            beat = ["-m", "celery", "-A", "worker.app:celery_app", "beat", "-s", schedule]
            self.stack.spawn(f"beat-{n}", [sys.executable, *beat, "--loglevel", "WARNING"])
        self.stack.wait_for_workers("alerts-1", "alerts-2", "messages-1", "messages-2")

    def kill_one_of_each(self) -> list[str]:
        killed = []
        for name in ("web-1", "alerts-1", "messages-1", "beat-1"):
            (process,) = [p for p in self.stack.processes if p.name == name]
            os.killpg(process.pid, signal.SIGKILL)
            assert process.popen is not None
            process.popen.wait(timeout=10)
            killed.append(name)
        return killed

    def post_reply(self, sender: str) -> None:
        """One signed red reply, to the next web process that is up."""
        sid = f"SM{uuid.uuid4().hex}"
        params = {"MessageSid": sid, "From": sender, "To": TRUST_NUMBER, "Body": RED}
        headers = signed_headers(
            PUBLIC_BASE_URL + "/twilio/sms", params, self.stack.twilio.auth_token
        )
        for process, port in itertools.islice(itertools.cycle(self.webs), len(self.posted), None):
            if not process.alive():
                continue
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
            try:
                connection.request("POST", "/twilio/sms", urllib.parse.urlencode(params), headers)
                response = connection.getresponse()
                response.read()
            except OSError:
                continue  # killed as we posted: the fallback (the other web process) takes it
            finally:
                connection.close()
            if response.status == 200:
                self.posted.append(sid)
            else:
                self.refused += 1
            return


def counts() -> dict[str, int]:
    with session_scope() as session:
        bulk_sent = session.scalar(
            select(func.count())
            .select_from(OutboundMessage)
            .where(OutboundMessage.kind == "planned", OutboundMessage.state.in_(DONE))
        )
        alerts = session.scalar(select(func.count()).select_from(Alert))
        return {"bulk_sent": int(bulk_sent or 0), "alerts": int(alerts or 0)}


def make_every_step_due() -> int:
    with session_scope() as session:
        moved = session.execute(
            update(Alert)
            .where(Alert.state == AlertState.OPEN, Alert.current_step == 0)
            .values(next_escalation_at=func.now())
        )
        return int(moved.rowcount or 0)  # type: ignore[attr-defined]


def second_steps_notified() -> int:
    with session_scope() as session:
        return int(
            session.scalar(
                select(func.count(func.distinct(AlertNotification.alert_id))).where(
                    AlertNotification.step == 1
                )
            )
            or 0
        )


def figures(twice: Twice, bulk: int, killed: list[str], seconds: float) -> dict[str, Any]:
    sends = Counter(
        urllib.parse.parse_qs(urllib.parse.urlsplit(m.status_callback or "").query).get("m", ["?"])[
            0
        ]
        for m in twice.stack.twilio.messages
    )
    duplicates = sum(n - 1 for n in sends.values())
    with session_scope() as session:
        stored = set(
            session.scalars(
                select(InboundMessage.provider_message_id).where(
                    InboundMessage.provider_message_id.in_(twice.posted)
                )
            )
        )
        per_reply = Counter(session.scalars(select(Alert.inbound_message_id)))
        per_step = Counter(
            session.execute(
                select(
                    AlertNotification.alert_id,
                    AlertNotification.step,
                    AlertNotification.round,
                    AlertNotification.staff_member_id,
                    AlertNotification.kind,
                    OutboundMessage.channel,
                ).join(OutboundMessage, AlertNotification.outbound_message_id == OutboundMessage.id)
            ).all()
        )
        unsent = session.scalar(
            select(func.count())
            .select_from(OutboundMessage)
            .where(OutboundMessage.state.not_in((*DONE, MessageState.SUPPRESSED)))
            .where(OutboundMessage.channel == "sms")
        )
    done = counts()
    result = {
        "bulk": bulk,
        "bulk_lost": bulk - done["bulk_sent"],
        "replies_posted": len(twice.posted),
        "replies_refused": twice.refused,
        "replies_lost": len(twice.posted) - len(stored),
        "alerts": done["alerts"],
        "alerts_raised_twice": sum(1 for n in per_reply.values() if n > 1),
        "steps_notified_twice": sum(1 for n in per_step.values() if n > 1),
        "second_steps": second_steps_notified(),
        "sms_not_sent": int(unsent or 0),
        "sends": sum(sends.values()),
        "duplicates": duplicates,
        "duplicate_rate": round(duplicates / max(1, sum(sends.values())), 4),
        "killed": killed,
        "seconds": round(seconds, 1),
    }
    result["met"] = (
        result["bulk_lost"] == 0
        and result["replies_lost"] == 0
        and result["alerts"] == len(twice.posted)
        and result["alerts_raised_twice"] == 0
        and result["steps_notified_twice"] == 0
        and result["second_steps"] == result["alerts"]
        and result["duplicate_rate"] < 0.01
    )
    return result


def run(bulk: int, replies: int, timeout: float) -> dict[str, Any]:
    # Bulk messages a dead worker held go again after 20 s (not 120) so the run ends sooner.
    with Stack("twice", STUCK_AFTER_SECONDS="20") as stack:
        stack.twilio.delay_next(bulk + 10 * replies, 0.05)
        bulk_patients(stack.trust_id, 1, bulk)
        twice = Twice(stack)
        twice.start()
        log(f"two of everything up: {len(stack.processes)} processes")
        started = time.monotonic()
        bulk_messages(stack.trust_id, per_patient=1, due_now=bulk)
        senders = [phone_of(i) for i in range(1, replies + 1)]
        spread = max(10.0, bulk / 100)

        def post_all() -> None:
            for sender in senders:
                twice.post_reply(sender)
                time.sleep(spread / replies)

        poster = threading.Thread(target=post_all, daemon=True)
        poster.start()
        wait_until(lambda: counts()["bulk_sent"] >= bulk // 3, timeout=timeout)
        killed = twice.kill_one_of_each()
        log(f"killed {', '.join(killed)} at {counts()['bulk_sent']} of {bulk} sent")
        poster.join(timeout=timeout)
        wait_until(lambda: counts()["alerts"] >= len(twice.posted), timeout=timeout)
        log(f"{make_every_step_due()} alerts made due for their second step")
        wait_until(lambda: second_steps_notified() >= len(twice.posted), timeout=timeout)
        wait_until(lambda: counts()["bulk_sent"] >= bulk, timeout=timeout)
        time.sleep(3)  # anything still in flight lands (a duplicate would show now)
        return figures(twice, bulk, killed, time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bulk", type=int)
    parser.add_argument("--replies", type=int)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    size = SIZES["smoke" if args.smoke else "full"]
    result = run(args.bulk or size["bulk"], args.replies or size["replies"], args.timeout)
    emit({"benchmark": "two_of_everything", **result})


if __name__ == "__main__":
    main()
