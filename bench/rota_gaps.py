"""What rotas cost: `python -m bench.rota_gaps [--trusts N] [--covers N] [--smoke]`.

Three figures. Resolving who is on a role at an instant (what a firing step asks), on a trust
with three roles of weekly shifts and `--covers` one-off overrides and swaps; finding every gap
in 14 days on those roles; and beat's rota check (`check_rota_gaps`: every trust's gaps found,
reconciled with those already warned about, warnings written) on PostgreSQL with `--trusts`
trusts, each with its own cover in the database. Beat runs the check every minute.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from bench.harness import create_database, drop_database, emit, log, percentile
from pathway import audit
from pathway.rota import Cover, gaps, on_duty
from pathway.rota_gaps import warn_about_gaps
from pathway.trust_loading import load_trust
from schema.config_file import config_from_text, parse_config_text
from schema.db import session_factory
from schema.models import RotaOverride, StaffMember
from schema.trust_config import TrustConfig
from testing.trusts import always_open_trust_yaml
from worker.process_state import reset

START = datetime(2026, 3, 23, 9, 0, tzinfo=UTC)  # the week of the spring clock change
ROLES = ("on_duty_coordinator", "on_call_consultant", "spinal_registrar")
STAFF = ("asha", "ben", "duty_consultant")
ROTAS = """rotas:
  on_duty_coordinator:
    shifts:
      - "mon-fri 08:00-18:00: asha"
      - "mon-fri 18:00-08:00: ben"
      - "sat,sun 08:00-08:00: ben"
  on_call_consultant:
    shifts:
      - "daily 09:00-09:00: duty_consultant"
  spinal_registrar:
    shifts:
      - "mon-fri 08:00-20:00: asha"

"""
CHAIN = """escalation:
  red:
    steps:
      - {notify: ["role:on_duty_coordinator"], minutes: 5}
      - {notify: ["role:spinal_registrar"], minutes: 5}
      - {notify: ["role:on_call_consultant"], minutes: 10}
    repeat_every_minutes: 10
  amber:
    steps:
      - {notify: ["role:on_duty_coordinator"], minutes: 60}
    repeat_every_minutes: 240

"""


def trust_yaml(n: int) -> str:
    text = always_open_trust_yaml()
    start, end = text.index("escalation:"), text.index("cohorts:")
    text = text[:start] + CHAIN + ROTAS + text[end:]
    return text.replace("code: RXX", f"code: B{n:03d}").replace(
        'from_number: "07700 900000"', f'from_number: "07700 9{n:05d}"'
    )


def random_covers(rng: random.Random, count: int, start: datetime) -> list[Cover]:
    covers = []
    for i in range(count):
        begins = start + timedelta(minutes=rng.randrange(14 * 24 * 60))
        ends = begins + timedelta(hours=rng.choice((2, 4, 8, 12, 24)))
        staff, instead_of = rng.sample(STAFF, 2)
        swap = rng.random() < 0.5
        covers.append(
            Cover(rng.choice(ROLES), begins, ends, staff, instead_of if swap else None, f"o:{i}")
        )
    return covers


def pure_figures(
    config: TrustConfig, covers: list[Cover], instants: int, rounds: int
) -> dict[str, float]:
    rng = random.Random(7)
    spent = []
    for _ in range(instants):
        at = START + timedelta(seconds=rng.randrange(14 * 86400))
        role = rng.choice(ROLES)
        began = time.perf_counter()
        on_duty(config, covers, role, at)
        spent.append(time.perf_counter() - began)
    found = 0
    timings = []
    for _ in range(rounds):
        began = time.perf_counter()
        found = len(gaps(config, covers, START, START + timedelta(days=14)))
        timings.append(time.perf_counter() - began)
    micro = [s * 1e6 for s in spent]
    return {
        "on_duty_p50_us": round(percentile(micro, 50), 1),
        "on_duty_p99_us": round(percentile(micro, 99), 1),
        "gaps_14d_ms": round(statistics.median(timings) * 1000, 2),
        "gaps_found": found,
    }


def beat_figures(trusts: int, covers: int, ticks: int) -> dict[str, float]:
    url = create_database("bench_rota")
    try:
        os.environ["DATABASE_URL"] = url
        reset()
        rng = random.Random(11)
        with session_factory()() as session:
            for n in range(trusts):
                text = trust_yaml(n)
                trust = load_trust(
                    session,
                    config_from_text(text),
                    actor=audit.CLI,
                    now=START,
                ).trust
                staff = {
                    m.key: m
                    for m in session.query(StaffMember).filter(StaffMember.trust_id == trust.id)
                }
                for cover in random_covers(rng, covers, START):
                    session.add(
                        RotaOverride(
                            trust_id=trust.id, role=cover.role, starts_at=cover.start,
                            ends_at=cover.end, staff_member_id=staff[cover.staff].id,
                            instead_of_id=staff[cover.instead_of].id if cover.instead_of else None,
                            created_at=START, created_by="bench",
                        )
                    )  # fmt: skip
            session.commit()
        timings = []
        for tick in range(ticks):
            began = time.perf_counter()
            with session_factory()() as session:
                warn_about_gaps(session, now=START + timedelta(minutes=tick), days=14)
                session.commit()
            timings.append(time.perf_counter() - began)
        log(f"beat ticks (ms): {[round(t * 1000) for t in timings]}")
        return {
            "beat_first_tick_ms": round(timings[0] * 1000, 1),
            "beat_tick_ms": round(statistics.median(timings[1:] or timings) * 1000, 1),
        }
    finally:
        drop_database(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trusts", type=int, default=20)
    parser.add_argument("--covers", type=int, default=100)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    trusts, covers = (2, 20) if args.smoke else (args.trusts, args.covers)
    config = parse_config_text(trust_yaml(0))
    result: dict[str, object] = {"trusts": trusts, "covers_per_trust": covers}
    result.update(
        pure_figures(
            config,
            random_covers(random.Random(3), covers, START),
            instants=200 if args.smoke else 5000,
            rounds=3 if args.smoke else 30,
        )
    )
    result.update(beat_figures(trusts, covers, ticks=3 if args.smoke else 10))
    result["met"] = float(result["beat_tick_ms"]) < 1000  # type: ignore[arg-type]
    emit(result)


if __name__ == "__main__":
    main()
