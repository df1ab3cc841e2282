"""Each benchmark runs at its small size and ends with its figures as one JSON line.

Timing is not asserted here: CI machines differ and are shared. These runs only keep the
benchmarks from rotting; the figures that count are the full-size ones in docs/benchmarks.md.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

EXPECTED_KEYS = {
    "alert_latency": {"p50_ms", "p95_ms", "p99_ms", "max_ms", "coordinator_sms_matched", "met"},
    "throughput": {"pipeline_per_second", "bare_sdk_per_second", "ratio", "met"},
    "dispatcher_scale": {"claim_median_ms", "claim_max_ms", "claimed", "index_used", "met"},
    "webhook_intake": {"per_second", "ok", "stored", "met"},
    "triage_bench": {"replies_per_second", "n"},
    "worker_memory": {"idle_max_process_rss_mb", "busy_max_process_peak_rss_mb", "met"},
    "rota_gaps": {"on_duty_p50_us", "gaps_14d_ms", "beat_tick_ms", "beat_first_tick_ms", "met"},
    "signin_flood": {"webhook_p99_ms", "flood_statuses", "coordinator_status", "met"},
    "edge_memory": {"all_413", "worst_peak_growth_mb", "receipts", "met"},
    "hl7_intake": {
        "parse_us_per_message",
        "mllp_messages_per_second",
        "applied_per_second",
        "repeat_per_second",
        "rss_growth_mb_50_partial_1mib_messages",
    },
}


def run_smoke(name: str) -> dict[str, object]:
    completed = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", "--smoke"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    last = completed.stdout.strip().splitlines()[-1]
    figures = json.loads(last)
    assert isinstance(figures, dict)
    return figures


@pytest.mark.parametrize("name", sorted(EXPECTED_KEYS))
def test_each_benchmark_runs_small_and_ends_with_its_json_figures(name: str) -> None:
    figures = run_smoke(name)
    assert EXPECTED_KEYS[name] <= figures.keys(), sorted(figures)
    if name == "alert_latency":  # every coordinator SMS was matched to the reply behind it
        assert figures["coordinator_sms_matched"] == figures["replies"]
        assert figures["webhook_2xx"] == figures["replies"]
