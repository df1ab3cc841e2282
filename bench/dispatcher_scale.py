"""The dispatcher at scale: one claim among 1,000,000 planned messages, and its query plans.

    python -m bench.dispatcher_scale [--size full|small] [--smoke]

A fresh PostgreSQL database gets 40,000 patients and 25 planned SMS each (1,000,000 rows, by
INSERT … SELECT generate_series, then ANALYZE); 1,000 of them (the first message of 1,000
patients) are due, the rest spread over the coming year. Each run times one call of the real
`worker.dispatch.claim_due` (in-flight count + UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP
LOCKED) RETURNING) claiming all 1,000, then rolls it back so every run claims the same rows.
The statements it sent are captured and run again under EXPLAIN (ANALYZE, BUFFERS).
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from sqlalchemy import event, text

from bench.harness import Stack, bulk_messages, bulk_patients, emit, log
from schema.db import get_engine, session_factory
from schema.models import Queue
from schema.types import utcnow
from worker.dispatch import claim_due

SIZES = {
    "full": {"patients": 40_000, "per_patient": 25, "due": 1_000},
    "small": {"patients": 400, "per_patient": 25, "due": 100},
}
RUNS = 7
TARGET_MS = 200.0


def run(size: str) -> dict[str, Any]:
    spec = SIZES[size]
    with Stack("dispatch") as stack:
        clock = time.monotonic()
        bulk_patients(stack.trust_id, 0, spec["patients"])
        rows = bulk_messages(stack.trust_id, per_patient=spec["per_patient"], due_now=spec["due"])
        load_seconds = time.monotonic() - clock
        log(f"loaded {rows} messages for {spec['patients']} patients in {load_seconds:.1f} s")

        timings: list[float] = []
        claimed = 0
        statements: list[tuple[str, Any]] = []

        def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            statements.append((statement, parameters))

        engine = get_engine()
        for attempt in range(RUNS):
            if attempt == 0:
                event.listen(engine, "before_cursor_execute", capture)
            with session_factory()() as session:
                session.execute(text("SELECT 1"))  # connection and transaction already open
                started = time.perf_counter()
                result = claim_due(
                    session,
                    now=utcnow(),
                    queue=Queue.MESSAGES,
                    limit=spec["due"],
                    max_in_flight=spec["due"] * 2,
                )
                timings.append(time.perf_counter() - started)
                claimed = len(result)
                session.rollback()
            if attempt == 0:
                event.remove(engine, "before_cursor_execute", capture)

        plans = []
        with engine.connect() as connection:
            raw = connection.connection.dbapi_connection
            assert raw is not None
            for statement, parameters in statements:
                if statement.strip() == "SELECT 1":
                    continue
                cursor = raw.cursor()
                try:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                    plan = "\n".join(row[0] for row in cursor.fetchall())
                finally:
                    cursor.close()
                plans.append(plan)
            raw.rollback()

    for plan in plans:
        print(plan, end="\n\n")
    joined = "\n".join(plans)
    index_used = "ix_outbound_due" in joined
    seq_scan_on_messages = "Seq Scan on outbound_messages" in joined
    ms = [t * 1000 for t in timings]
    log(f"claim of {claimed}: median {statistics.median(ms):.1f} ms, max {max(ms):.1f} ms")
    return {
        "benchmark": "dispatcher_scale",
        "size": size,
        "messages": rows,
        "patients": spec["patients"],
        "due": spec["due"],
        "claimed": claimed,
        "runs": RUNS,
        "claim_first_ms": round(ms[0], 1),
        "claim_median_ms": round(statistics.median(ms), 1),
        "claim_max_ms": round(max(ms), 1),
        "index_used": index_used,
        "seq_scan_on_outbound_messages": seq_scan_on_messages,
        "load_seconds": round(load_seconds, 1),
        "target_ms": TARGET_MS,
        "met": claimed == spec["due"] and max(ms) < TARGET_MS and index_used,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--smoke", action="store_true", help="the small size, for CI")
    args = parser.parse_args(argv)
    emit(run("small" if args.smoke else args.size))


if __name__ == "__main__":
    main()
