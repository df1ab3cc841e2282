"""Replies through a PostgreSQL outage: every one answered 200, stored once, alerted, advised.

    python -m bench.reply_outage [--outage 30] [--replies 20] [--smoke]

A PostgreSQL cluster of this run's own (testing/own_postgres.py) is stopped as in a crash
(`pg_ctl -m immediate`) for `--outage` seconds, while signed red replies arrive, one from each of
`--replies` patients, each posted once (Twilio never posts an inbound SMS again after an error),
spread over the outage. The web process (uvicorn) is SIGKILLed the moment it has answered 200 to
the middle reply and started again, still in the outage; it is SIGKILLed again right after
answering the last reply and stays down until the database is back, when it is started once
more and drains the spool at start-up. Real processes throughout: uvicorn, `celery worker -Q
alerts`, `celery beat`, Redis, and the fake Twilio API in this process.

After the outage it measures how long until every reply is stored (exactly once), every alert
raised, every patient's urgent advice and every first-step coordinator's SMS accepted by the
fake Twilio, and that the spool is empty. The figures are the JSON line; `met` means nothing
was lost or doubled.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import signal
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import func, select

from bench.harness import (
    FIRST_COORDINATOR,
    PUBLIC_BASE_URL,
    REDIS_URL,
    TRUST_NUMBER,
    Process,
    Stack,
    _answers,
    bulk_patients,
    celery_worker_argv,
    emit,
    free_port,
    log,
    phone_of,
)
from schema.db import session_scope
from schema.migrate import upgrade
from schema.models import Alert, InboundMessage, MessageState, OutboundMessage
from schema.spool import Spool
from testing.fake_twilio import FakeTwilio
from testing.own_postgres import OwnPostgres, has_template, remove_template, template_cluster
from testing.trusts import load_always_open_trust
from testing.twilio_signing import signed_headers

RED = "My legs keep giving way and I cannot feel my feet"
SIZES = {"full": {"outage": 30.0, "replies": 20}, "small": {"outage": 5.0, "replies": 20}}


class OutageRun:
    """The service on a database cluster of its own, which this run stops and starts."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.postgres = OwnPostgres.fresh()
        self.twilio = FakeTwilio()
        self.key_prefix = f"safetynet-bench-{uuid.uuid4().hex[:12]}:"
        self.env: dict[str, str] = {}
        self.web_port = free_port()
        self.web_process: Process | None = None
        self.processes: list[Process] = []
        self.web_starts = 0

    def start(self, patients: int) -> None:
        self.postgres.start()
        url = self.postgres.create_database("safetynet")
        upgrade(url)
        self.twilio.start()
        self.env = {
            "DATABASE_URL": url,
            "BROKER_URL": REDIS_URL,
            "BROKER_KEY_PREFIX": self.key_prefix,
            "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            "SAFETYNET_DATA_DIR": str(self.workdir / "data"),
            "SMTP_HOST": "",
            "LOG_LEVEL": "INFO",
            **self.twilio.env(),
        }
        Stack.apply_env(self.env)
        trust_id = load_always_open_trust()
        bulk_patients(trust_id, 0, patients)
        self.spawn("worker-alerts", celery_worker_argv("alerts", 2, "alerts"))
        schedule = str(self.workdir / "celerybeat-schedule")
        beat = ["-m", "celery", "-A", "worker.app:celery_app", "beat", "-s", schedule]
        self.spawn("beat", [sys.executable, *beat])
        self.start_web()

    def spawn(self, name: str, argv: list[str]) -> Process:
        process = Process(name, argv, {**os.environ, **self.env}, self.workdir).start()
        self.processes.append(process)
        return process

    def start_web(self) -> float:
        """uvicorn on the same port each time (Twilio calls one address); seconds to answer."""
        started = time.monotonic()
        self.web_starts += 1
        argv = [sys.executable, "-m", "uvicorn", "web.app:app", "--host", "127.0.0.1"]
        argv += ["--port", str(self.web_port), "--no-access-log", "--no-proxy-headers"]
        self.web_process = self.spawn(f"web-{self.web_starts}", argv)
        url = f"http://127.0.0.1:{self.web_port}/healthz"
        _wait(lambda: _answers(url, self.web_process), timeout=60)  # type: ignore[arg-type]
        return time.monotonic() - started

    def kill_web(self) -> None:
        assert self.web_process is not None and self.web_process.popen is not None
        os.killpg(self.web_process.pid, signal.SIGKILL)
        self.web_process.popen.wait(timeout=10)

    def post_reply(self, sender: str) -> tuple[str, int, float]:
        sid = f"SM{uuid.uuid4().hex}"
        params = {"MessageSid": sid, "From": sender, "To": TRUST_NUMBER, "Body": RED}
        headers = signed_headers(PUBLIC_BASE_URL + "/twilio/sms", params, self.twilio.auth_token)
        connection = http.client.HTTPConnection("127.0.0.1", self.web_port, timeout=20)
        started = time.monotonic()
        try:
            connection.request("POST", "/twilio/sms", urllib.parse.urlencode(params), headers)
            response = connection.getresponse()
            response.read()
            status = response.status
        finally:
            connection.close()
        return sid, status, time.monotonic() - started

    def close(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.twilio.stop()
        self.postgres.close()
        client = redis.Redis.from_url(REDIS_URL)
        try:
            for key in client.scan_iter(match=f"{self.key_prefix}*", count=1000):
                client.delete(key)
        finally:
            client.close()


def _wait(predicate: Callable[[], bool], timeout: float, every: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(every)


def _counts(sids: list[str], patient_phones: list[str], twilio_to: set[str]) -> dict[str, int]:
    sent = (MessageState.SENT, MessageState.DELIVERED)
    with session_scope() as session:
        stored = session.scalar(
            select(func.count())
            .select_from(InboundMessage)
            .where(InboundMessage.provider_message_id.in_(sids))
        )
        rows = session.scalar(select(func.count()).select_from(InboundMessage))
        alerts = session.scalar(select(func.count()).select_from(Alert))
        alerted = session.scalar(select(func.count(func.distinct(Alert.patient_id))))
        advised = session.scalar(
            select(func.count(func.distinct(OutboundMessage.patient_id))).where(
                OutboundMessage.template_key == "urgent_advice",
                OutboundMessage.state.in_(sent),
            )
        )
    return {
        "stored": int(stored or 0),
        "inbound_rows": int(rows or 0),
        "alerts": int(alerts or 0),
        "alerted_patients": int(alerted or 0),
        "advised_patients": int(advised or 0),
        "advice_at_twilio": sum(1 for phone in patient_phones if phone in twilio_to),
    }


def run(outage_seconds: float, replies: int) -> dict[str, Any]:
    made_template = not has_template()
    template_cluster()
    workdir = Path(tempfile.mkdtemp(prefix="bench-outage-"))
    stack = OutageRun(workdir)
    began = time.monotonic()
    phones = [phone_of(i) for i in range(replies)]
    try:
        stack.start(replies)
        spool = Spool(workdir / "data" / "spool")
        stack.postgres.stop("immediate")
        down_at = time.monotonic()
        log(f"PostgreSQL stopped; {replies} red replies over {outage_seconds:.0f} s")
        sids: list[str] = []
        statuses: list[int] = []
        answer_seconds: list[float] = []
        restart_in_outage = 0.0
        for i, phone in enumerate(phones):
            _sleep_until(down_at + outage_seconds * (i + 0.5) / (replies + 0.5))
            sid, status, seconds = stack.post_reply(phone)
            sids.append(sid)
            statuses.append(status)
            answer_seconds.append(seconds)
            if i == replies // 2 - 1:
                stack.kill_web()  # right after it answered 200
                restart_in_outage = stack.start_web()
        stack.kill_web()  # right after the last 200; it stays down until the database is back
        spooled = spool.depth().records
        _sleep_until(down_at + outage_seconds)
        stack.postgres.start()
        up_at = time.monotonic()
        outage = up_at - down_at
        restart_after = stack.start_web()
        log(f"PostgreSQL back after {outage:.1f} s; web started in {restart_after:.1f} s")

        def coordinator_told() -> bool:
            return sum(1 for m in stack.twilio.messages if m.to == FIRST_COORDINATOR) >= replies

        def done() -> bool:
            to = {m.to for m in stack.twilio.messages}
            counts = _counts(sids, phones, to)
            return (
                counts["stored"] == replies
                and counts["alerted_patients"] == replies
                and counts["advice_at_twilio"] == replies
                and coordinator_told()
            )

        _wait(lambda: _counts(sids, [], set())["stored"] == replies, timeout=60, every=0.05)
        stored_after = time.monotonic() - up_at
        _wait(done, timeout=90, every=0.1)
        all_done = time.monotonic() - up_at
        counts = _counts(sids, phones, {m.to for m in stack.twilio.messages})
        left = spool.depth()
        advice_sms = sum(1 for m in stack.twilio.messages if m.to in set(phones))
        coordinator_sms = sum(1 for m in stack.twilio.messages if m.to == FIRST_COORDINATOR)
    finally:
        stack.close()
        log_lines, leaks = _log_lines_naming_a_patient(workdir, phones)
        shutil.rmtree(workdir, ignore_errors=True)
        if made_template:
            remove_template()
    wall = time.monotonic() - began
    ok = sum(1 for status in statuses if status == 200)
    slowest = max(answer_seconds) * 1000
    log(f"{ok} of {replies} answered 200 (slowest {slowest:.0f} ms); {spooled} spooled")
    log(
        f"{counts['stored']} stored once ({counts['inbound_rows']} rows), "
        f"{counts['alerts']} alerts, {counts['advised_patients']} advised, "
        f"{stored_after:.1f} s to store all after the restart, {all_done:.1f} s to advise all"
    )
    met = (
        ok == replies
        and counts["stored"] == replies
        and counts["inbound_rows"] == replies
        and counts["alerts"] == replies
        and counts["alerted_patients"] == replies
        and counts["advised_patients"] == replies
        and left.records == 0
        and left.quarantined == 0
        and leaks == 0
    )
    return {
        "benchmark": "reply_outage",
        "outage_seconds": round(outage, 1),
        "replies": replies,
        "answered_200": ok,
        "answer_max_ms": round(max(answer_seconds) * 1000, 1),
        "spooled": spooled,
        "web_restart_in_outage_seconds": round(restart_in_outage, 1),
        "web_restart_after_seconds": round(restart_after, 1),
        "stored": counts["stored"],
        "inbound_rows": counts["inbound_rows"],
        "alerts": counts["alerts"],
        "alerted_patients": counts["alerted_patients"],
        "advised_patients": counts["advised_patients"],
        "advice_sms_at_twilio": advice_sms,
        "coordinator_sms_at_twilio": coordinator_sms,
        "stored_seconds_after_database_back": round(stored_after, 1),
        "advised_seconds_after_database_back": round(all_done, 1),
        "spool_left": left.records,
        "quarantined": left.quarantined,
        "log_lines_read": log_lines,
        "log_lines_naming_a_patient": leaks,
        "wall_seconds": round(wall, 1),
        "met": met,
    }


def _log_lines_naming_a_patient(workdir: Path, phones: list[str]) -> tuple[int, int]:
    """(lines read, lines holding a patient's number or a reply's words) in every log."""
    read = found = 0
    for path in workdir.glob("*.log"):
        for line in path.read_text(errors="replace").splitlines():
            read += 1
            if RED in line or "legs" in line or any(p in line or p[3:] in line for p in phones):
                found += 1
    return read, found


def _sleep_until(moment: float) -> None:
    delay = moment - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--smoke", action="store_true", help="the small size, for CI")
    parser.add_argument("--outage", type=float, help="seconds the database is down")
    parser.add_argument("--replies", type=int)
    args = parser.parse_args(argv)
    size = SIZES["small" if args.smoke else args.size]
    emit(run(args.outage or size["outage"], args.replies or int(size["replies"])))


if __name__ == "__main__":
    main()
