"""The labelled dev set: every red and amber row by name, and the figures issue 3 targets."""

from __future__ import annotations

import csv
from functools import cache

import pytest

from messages.triage import triage
from messages.triage.evaluate import Evaluation, evaluate, read_labelled
from tests.triage.conftest import dev_set_path


def _rows() -> list[tuple[str, str, str]]:
    with dev_set_path().open(newline="", encoding="utf-8") as handle:
        return [(r["text"], r["label"], r.get("note") or "") for r in csv.DictReader(handle)]


@cache
def _evaluation() -> Evaluation:
    return evaluate(read_labelled(dev_set_path()), triage)


def _alert_rows() -> list[pytest.ParameterSet]:
    return [
        pytest.param(text, label, id=f"{n:03d}-{label}-{text[:40]}")
        for n, (text, label, _) in enumerate(_rows(), start=2)
        if label in ("red", "amber")
    ]


@pytest.mark.parametrize(("text", "gold"), _alert_rows())
def test_each_red_and_amber_row_raises_the_alert_it_needs(text: str, gold: str) -> None:
    result = triage(text)
    if gold == "red":
        assert result.label == "red", result.evidence["reason"]
    else:
        assert result.label in ("red", "amber"), result.evidence["reason"]


def _figure(name: str) -> float | None:
    figure = next(f for f in _evaluation().figures if f.name == name)
    assert figure.met, f"{name}: {figure.hits}/{figure.total} is below {figure.target:.0%}"
    return figure.value


def test_red_sensitivity_is_100_percent() -> None:
    assert _figure("red sensitivity") == 1.0


def test_alert_sensitivity_is_100_percent() -> None:
    assert _figure("alert sensitivity") == 1.0


def test_none_specificity_is_at_least_95_percent() -> None:
    value = _figure("none specificity")
    assert value is not None and value >= 0.95


def test_no_reply_is_dropped_in_at_least_95_percent_of_unclear_replies() -> None:
    value = _figure("no reply dropped")
    assert value is not None and value >= 0.95


def test_keywords_are_exact_every_time() -> None:
    assert _figure("keywords exact") == 1.0
