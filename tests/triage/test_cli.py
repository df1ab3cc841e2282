"""`safetynet triage` through typer's CliRunner."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from tests.triage.conftest import dev_set_path

runner = CliRunner()


def test_triage_writes_one_json_object_per_line_of_stdin_in_order() -> None:
    result = runner.invoke(app, ["triage"], input="cant feel ma legs\nfine thanks\nSTOP\n")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["label"] for line in lines] == ["red", "none", "stop"]
    assert all({"label", "symptoms", "evidence"} <= set(line) for line in lines)


def test_triage_reads_the_text_column_of_a_csv(tmp_path: Path) -> None:
    path = tmp_path / "replies.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text"])
        writer.writerow(["1", "back pain worse at night"])
        writer.writerow(["2", "Hi,\nall good here"])
    result = runner.invoke(app, ["triage", "--csv", str(path)])
    assert result.exit_code == 0, result.output
    assert [json.loads(x)["label"] for x in result.output.splitlines()] == ["amber", "none"]


def test_triage_eval_prints_the_matrix_and_figures_and_passes_on_the_dev_set() -> None:
    result = runner.invoke(app, ["triage", "--eval", str(dev_set_path())])
    assert result.exit_code == 0, result.output
    for name in (
        "red sensitivity",
        "alert sensitivity",
        "none specificity",
        "no reply dropped",
        "keywords exact",
    ):
        assert name in result.output
    assert "gold \\ predicted" in result.output


def test_triage_eval_exits_non_zero_when_a_target_is_missed(tmp_path: Path) -> None:
    path = tmp_path / "labelled.csv"
    path.write_text("text,label\nfine thanks,red\nstop,stop\n", encoding="utf-8")
    result = runner.invoke(app, ["triage", "--eval", str(path)])
    assert result.exit_code == 1
    assert "MISSED" in result.output


def test_triage_eval_rejects_a_csv_without_labels(tmp_path: Path) -> None:
    path = tmp_path / "unlabelled.csv"
    path.write_text("text\nfine\n", encoding="utf-8")
    assert runner.invoke(app, ["triage", "--eval", str(path)]).exit_code == 2
