"""Every benchmark, one after another, each in its own process: `python -m bench.run_all [--smoke]`.

Full size by default (the figures for docs/benchmarks.md); `--smoke` runs each at its small
size, as CI does. Each benchmark's last line is its JSON; this prints a table of the headline
figures against their targets, then one JSON object with every benchmark's figures.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from typing import Any

from bench.harness import ROOT, emit, log

BENCHMARKS = (
    "alert_latency",
    "throughput",
    "dispatcher_scale",
    "webhook_intake",
    "triage_bench",
    "worker_memory",
    "rota_gaps",
    "reply_outage",
    "signin_flood",
    "edge_memory",
    "two_of_everything",
)
HEADLINES = {
    "alert_latency": ("p99_ms", "< 1000 ms"),
    "throughput": ("ratio", ">= 0.5"),
    "dispatcher_scale": ("claim_max_ms", "< 200 ms"),
    "webhook_intake": ("per_second", ">= 300/s"),
    "triage_bench": ("replies_per_second", ">= 5000/s"),
    "worker_memory": ("busy_max_process_peak_rss_mb", "< 200 MB"),
    "rota_gaps": ("beat_tick_ms", "< 1000 ms"),
    "reply_outage": ("stored", "all 20 stored once, alerted, advised"),
    "signin_flood": ("webhook_p99_ms", "< 250 ms"),
    "edge_memory": ("worst_peak_growth_mb", "< 50 MB"),
    "two_of_everything": ("duplicate_rate", "0 lost, < 1% twice, alerts and steps once"),
}


def run_one(name: str, smoke: bool) -> dict[str, Any]:
    argv = [sys.executable, "-m", f"bench.{name}"] + (["--smoke"] if smoke else [])
    log(f"== {' '.join(argv[1:])}")
    started = time.monotonic()
    completed = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    sys.stderr.write(completed.stderr[-4000:])
    lines = completed.stdout.strip().splitlines()
    try:
        figures: dict[str, Any] = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        figures = {}
    figures["exit_code"] = completed.returncode
    figures["wall_seconds"] = round(time.monotonic() - started, 1)
    return figures


def met(name: str, figures: dict[str, Any]) -> bool | None:
    if "met" in figures:
        return bool(figures["met"])
    if name == "triage_bench" and "replies_per_second" in figures:
        return float(figures["replies_per_second"]) >= 5000
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="every benchmark at its small size")
    parser.add_argument("--only", nargs="*", choices=BENCHMARKS, help="run only these")
    args = parser.parse_args(argv)
    results = {name: run_one(name, args.smoke) for name in (args.only or BENCHMARKS)}
    for name, figures in results.items():
        key, target = HEADLINES[name]
        verdict = {True: "met", False: "MISSED", None: "?"}[met(name, figures)]
        log(f"{name:18} {key} = {figures.get(key)} (target {target}): {verdict}")
    emit({"smoke": args.smoke, "results": results})
    return 0 if all(f["exit_code"] == 0 for f in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
