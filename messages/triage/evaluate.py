"""Score triage against a labelled set: confusion matrix and the figures issue 3 has targets for."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from messages.triage.result import LABELS, TriageResult

ALERTS = frozenset({"red", "amber"})
KEYWORDS = frozenset({"stop", "start", "help"})


@dataclass(frozen=True)
class Figure:
    name: str
    hits: int
    total: int
    target: float

    @property
    def value(self) -> float | None:
        return self.hits / self.total if self.total else None

    @property
    def met(self) -> bool:
        return self.value is None or self.value >= self.target


@dataclass(frozen=True)
class Evaluation:
    pairs: tuple[tuple[str, str], ...]  # (gold, predicted)
    figures: tuple[Figure, ...]

    @property
    def confusion(self) -> Counter[tuple[str, str]]:
        return Counter(self.pairs)

    @property
    def passed(self) -> bool:
        return all(f.met for f in self.figures)


def _figure(
    name: str,
    pairs: Sequence[tuple[str, str]],
    target: float,
    gold: Callable[[str], bool],
    right: Callable[[str, str], bool],
) -> Figure:
    chosen = [(g, p) for g, p in pairs if gold(g)]
    return Figure(name, sum(1 for g, p in chosen if right(g, p)), len(chosen), target)


def evaluate(
    rows: Iterable[tuple[str, str]], classify: Callable[[str], TriageResult]
) -> Evaluation:
    """``rows`` are (text, gold label); ``classify`` is usually ``triage``."""
    pairs = tuple((gold.strip().lower(), classify(text).label) for text, gold in rows)
    figures = (
        _figure("red sensitivity", pairs, 1.0, lambda g: g == "red", lambda g, p: p == "red"),
        _figure("alert sensitivity", pairs, 1.0, lambda g: g in ALERTS, lambda g, p: p in ALERTS),
        _figure("none specificity", pairs, 0.95, lambda g: g == "none", lambda g, p: p == "none"),
        _figure(
            "no reply dropped", pairs, 0.95, lambda g: g == "unclear", lambda g, p: p != "none"
        ),
        _figure("keywords exact", pairs, 1.0, lambda g: g in KEYWORDS, lambda g, p: p == g),
    )
    return Evaluation(pairs, figures)


def read_labelled(path: Path) -> list[tuple[str, str]]:
    """(text, label) rows of a CSV with ``text`` and ``label`` columns (fields may span lines)."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"text", "label"} <= set(reader.fieldnames):
            raise ValueError(f"{path}: needs 'text' and 'label' columns")
        return [(row["text"] or "", row["label"] or "") for row in reader]


def format_report(evaluation: Evaluation) -> str:
    """The confusion matrix (gold down, predicted across) and the figures against their targets."""
    labels = list(LABELS)
    extra = sorted({g for g, _ in evaluation.pairs} - set(labels))
    labels += extra
    width = max(len(label) for label in labels) + 2
    confusion = evaluation.confusion
    lines = ["gold \\ predicted".ljust(width + 8) + "".join(label.rjust(width) for label in LABELS)]
    for gold in labels:
        row = [confusion[(gold, predicted)] for predicted in LABELS]
        if sum(row):
            lines.append(gold.ljust(width + 8) + "".join(str(n).rjust(width) for n in row))
    lines.append(f"replies: {len(evaluation.pairs)}")
    lines.append("")
    for figure in evaluation.figures:
        value = "n/a" if figure.value is None else f"{figure.value:.1%}"
        verdict = "ok" if figure.met else "MISSED"
        lines.append(
            f"{figure.name:<20} {value:>7}  ({figure.hits}/{figure.total}, "
            f"target {figure.target:.0%})  {verdict}"
        )
    return "\n".join(lines)
