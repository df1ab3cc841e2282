"""`safetynet demo` runs offline, through the real code paths, and shows every step."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(90)
def test_the_demo_walks_the_whole_service_offline_and_exits_0(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SMTP_"))}
    env.pop("DATABASE_URL", None)
    env.pop("BROKER_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "cli.main", "demo", "--keep", str(tmp_path / "demo")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=80,
    )
    output = result.stdout
    assert result.returncode == 0, result.stderr[-3000:]
    steps = [
        "enrol      Margaret Hughes",
        "enrol      David Okonkwo",
        "enrol      Siân Pritchard",
        "Margaret: welcome (GSM-7, ",
        "Margaret: checkin (GSM-7, ",
        "Margaret's reply is NONE",
        'David, 2 a.m. on a Sunday: "my legs keep giving way"',
        "David's reply is RED (limb_weakness)",
        "David: urgent_advice (GSM-7",
        "Asha Okafor: coordinator_alert (GSM-7",
        "email ->   Asha Okafor: coordinator_alert",
        "escalated to step 2",
        "Ben Carter: escalation_alert (GSM-7",
        "acknowledged by Ben; escalation stopped",
        "Ben Carter: ack_confirmation",
        "Asha Okafor: alert_taken",
        "nobody else paged",
        "Audit trail of the alert",
        "alert.acknowledged     by Ben Carter",
    ]
    missing = [step for step in steps if step not in output]
    assert not missing, output
    in_order = [steps[i] for i in (3, 4, 5, 6, 7, 11, 12, 13, 16, 17)]
    positions = [output.index(step) for step in in_order]
    assert positions == sorted(positions), "the timeline is out of order"
    assert "UCS-2" not in output
    outbox = (tmp_path / "demo" / "outbox" / "sms.jsonl").read_text()
    assert outbox.count("\n") >= 10
