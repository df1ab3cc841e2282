"""Worker memory: resident memory of each worker process, idle and busy.

    python -m bench.worker_memory [--size full|small] [--smoke]

Two workers as in production, `celery worker -Q alerts -c 2` and `celery worker -Q messages
-c 2`, each a prefork parent (which only consumes from Redis and hands tasks out) and two forked
children (which run the tasks). Every process is read from /proc: VmRSS and VmHWM (its peak RSS)
from /proc/PID/status and Pss from /proc/PID/smaps_rollup.

- idle: a few seconds after the workers answer a ping, nothing sent yet;
- busy: while the messages worker sends N bulk SMS (published with the product's dispatcher) and
  the alerts worker handles N/20 red replies (stored and enqueued as the webhook does: triage, an
  alert, the coordinator's SMS and e-mail, the patient's advice), sampled every 0.2 s; the figure
  is each process's peak (VmHWM) at the end.

The target (under 200 MB) is for each process. RSS counts the pages a forked child still shares
with its parent in both, so the workers' RSS summed overstates what they take; the PSS sum
(shared pages divided among the processes sharing them) is what the machine actually gives them.
"""

from __future__ import annotations

import argparse
import time
import uuid
from pathlib import Path
from typing import Any

from bench.harness import (
    TRUST_NUMBER,
    Stack,
    bulk_messages,
    bulk_patients,
    children,
    emit,
    log,
    phone_of,
    wait_until,
)
from pathway.intake import store_inbound
from schema.db import session_scope
from schema.models import Alert, Queue
from schema.types import utcnow
from worker import dispatch, tasks
from worker.app import get_app
from worker.tasks import enqueue_handling

SIZES = {"full": 4_000, "small": 200}
TARGET_MB = 200.0


def memory_kb(pid: int) -> dict[str, int]:
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            values["Pss"] = int(line.split()[1])
    return values


def snapshot(name: str, parent: int) -> dict[str, Any]:
    processes = {"parent": parent} | {
        f"child{i + 1}": pid for i, pid in enumerate(children(parent))
    }
    figures = {role: memory_kb(pid) for role, pid in processes.items()}
    mb = {
        role: {k: round(v / 1024, 1) for k, v in values.items()} for role, values in figures.items()
    }
    return {
        "worker": name,
        "processes": mb,
        "max_rss_mb": max(v["VmRSS"] for v in mb.values()),
        "max_peak_rss_mb": max(v["VmHWM"] for v in mb.values()),
        "sum_rss_mb": round(sum(v["VmRSS"] for v in mb.values()), 1),
        "sum_pss_mb": round(sum(v["Pss"] for v in mb.values()), 1),
    }


def red_replies(count: int) -> None:
    """Replies stored and their handling enqueued, exactly as the webhook does it."""

    for i in range(count):
        with session_scope() as session:
            inbound_id = store_inbound(
                session,
                sid=f"SM{uuid.uuid4().hex}",
                sender=phone_of(i),
                to=TRUST_NUMBER,
                body="My legs keep giving way and I cannot feel my feet",
                now=utcnow(),
            )
        assert inbound_id is not None
        enqueue_handling(get_app(), inbound_id)


def run(size: str) -> dict[str, Any]:
    n = SIZES[size]
    replies = max(10, n // 20)
    with Stack("memory", STUCK_AFTER_SECONDS="3600") as stack:
        bulk_patients(stack.trust_id, 0, n + replies)
        bulk_messages(stack.trust_id, per_patient=1, due_now=n, first_patient=replies, patients=n)
        alerts = stack.worker("alerts", 2, "alerts")
        messages = stack.worker("messages", 2, "messages")
        stack.wait_for_workers("alerts", "messages")
        time.sleep(3)
        idle = [snapshot("alerts", alerts.pid), snapshot("messages", messages.pid)]

        with session_scope() as session:
            claimed = dispatch.claim_due(
                session, now=utcnow(), queue=Queue.MESSAGES, limit=n, max_in_flight=n * 2
            )
        tasks.publish(get_app(), claimed)
        red_replies(replies)

        def finished() -> bool:
            with session_scope() as session:
                raised = session.query(Alert).count()
            return raised >= replies and len(stack.twilio.messages) >= n + 2 * replies

        busy_rss = {"alerts": 0.0, "messages": 0.0}
        deadline = time.monotonic() + max(120, n / 10)
        while not finished() and time.monotonic() < deadline:
            for name, process in (("alerts", alerts), ("messages", messages)):
                busy_rss[name] = max(busy_rss[name], snapshot(name, process.pid)["max_rss_mb"])
            time.sleep(0.2)
        wait_until(finished, timeout=30)
        busy = [snapshot("alerts", alerts.pid), snapshot("messages", messages.pid)]

    for state, shots in (("idle", idle), ("busy", busy)):
        for shot in shots:
            per = ", ".join(
                f"{role} {v['VmRSS']} MB (peak {v['VmHWM']}, PSS {v['Pss']})"
                for role, v in shot["processes"].items()
            )
            log(f"{state} {shot['worker']} worker: {per}")
    worst_idle = max(s["max_rss_mb"] for s in idle)
    worst_busy = max(s["max_peak_rss_mb"] for s in busy)
    return {
        "benchmark": "worker_memory",
        "size": size,
        "bulk_sent": n,
        "replies_handled": replies,
        "idle_max_process_rss_mb": worst_idle,
        "busy_max_process_peak_rss_mb": worst_busy,
        "idle": {s["worker"]: s for s in idle},
        "busy": {s["worker"]: s for s in busy},
        "busy_sampled_max_rss_mb": busy_rss,
        "target_mb": TARGET_MB,
        "met": worst_idle < TARGET_MB and worst_busy < TARGET_MB,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--smoke", action="store_true", help="the small size, for CI")
    args = parser.parse_args(argv)
    emit(run("small" if args.smoke else args.size))


if __name__ == "__main__":
    main()
