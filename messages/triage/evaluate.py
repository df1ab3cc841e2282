"""Score triage against a labelled set: the confusion matrix and the figures of issue 11.

- red labelled red (red sensitivity), target 98%;
- red or amber reaching a person urgently (red, amber, or `unclear` with review `urgent`), 100%;
- red or amber labelled `none` (no person ever reads them), none allowed;
- red sent to routine review (read whenever someone looks), none allowed;
- `none` labelled `none` (none specificity), 90%;
- `unclear` never labelled `none` (no reply dropped), 95%;
- keywords exact, 100%.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from messages.triage.result import LABELS, TriageResult
from schema.vocabulary import Review

ALERTS = frozenset({"red", "amber"})
KEYWORDS = frozenset({"stop", "start", "help"})

Outcome = tuple[str, str, str | None]  # gold label, predicted label, predicted review


@dataclass(frozen=True)
class Figure:
    name: str
    hits: int
    total: int
    target: float | None  # the least share of hits/total, the most hits for a count; None: shown
    count: bool = False

    @property
    def value(self) -> float | None:
        if self.count:
            return float(self.hits)
        return self.hits / self.total if self.total else None

    @property
    def met(self) -> bool:
        if self.target is None:
            return True
        if self.count:
            return self.hits <= self.target
        return self.value is None or self.value >= self.target


@dataclass(frozen=True)
class Evaluation:
    outcomes: tuple[Outcome, ...]
    figures: tuple[Figure, ...]

    @property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        return tuple((gold, predicted) for gold, predicted, _ in self.outcomes)

    @property
    def confusion(self) -> Counter[tuple[str, str]]:
        return Counter(self.pairs)

    @property
    def passed(self) -> bool:
        return all(f.met for f in self.figures)

    def figure(self, name: str) -> Figure:
        return next(f for f in self.figures if f.name == name)


def _urgent(predicted: str, review: str | None) -> bool:
    return predicted in ALERTS or (predicted == "unclear" and review == Review.URGENT)


def _share(
    name: str,
    outcomes: Sequence[Outcome],
    target: float | None,
    gold: Callable[[str], bool],
    right: Callable[[str, str, str | None], bool],
    *,
    count: bool = False,
) -> Figure:
    chosen = [o for o in outcomes if gold(o[0])]
    return Figure(name, sum(1 for o in chosen if right(*o)), len(chosen), target, count)


def figures_of(outcomes: Sequence[Outcome]) -> tuple[Figure, ...]:
    def red(g: str) -> bool:
        return g == "red"

    def alert(g: str) -> bool:
        return g in ALERTS

    return (
        _share("red sensitivity", outcomes, 0.98, red, lambda g, p, r: p == "red"),
        _share("alert sensitivity", outcomes, None, alert, lambda g, p, r: p in ALERTS),
        _share(
            "alert reaches a person urgently", outcomes, 1.0, alert, lambda g, p, r: _urgent(p, r)
        ),
        _share("alert labelled none", outcomes, 0, alert, lambda g, p, r: p == "none", count=True),
        _share(
            "red to routine review",
            outcomes,
            0,
            red,
            lambda g, p, r: p == "unclear" and r == Review.ROUTINE,
            count=True,
        ),
        _share(
            "none specificity", outcomes, 0.90, lambda g: g == "none", lambda g, p, r: p == "none"
        ),
        _share(
            "no reply dropped",
            outcomes,
            0.95,
            lambda g: g == "unclear",
            lambda g, p, r: p != "none",
        ),
        _share("keywords exact", outcomes, 1.0, lambda g: g in KEYWORDS, lambda g, p, r: p == g),
    )


def evaluate(
    rows: Iterable[tuple[str, str]], classify: Callable[[str], TriageResult]
) -> Evaluation:
    """``rows`` are (text, gold label); ``classify`` is usually ``triage``."""
    outcomes: list[Outcome] = []
    for text, gold in rows:
        result = classify(text)
        review = result.review.value if result.review is not None else None
        outcomes.append((gold.strip().lower(), str(result.label), review))
    return Evaluation(tuple(outcomes), figures_of(outcomes))


def read_labelled(path: Path) -> list[tuple[str, str]]:
    """(text, label) rows of a CSV with ``text`` and ``label`` columns (fields may span lines)."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"text", "label"} <= set(reader.fieldnames):
            raise ValueError(f"{path}: needs 'text' and 'label' columns")
        return [(row["text"] or "", row["label"] or "") for row in reader]


_DESCRIBED = {
    "red sensitivity": "red labelled red",
    "alert sensitivity": "red or amber labelled red or amber",
    "alert reaches a person urgently": "red or amber: red, amber or urgent review",
    "alert labelled none": "red or amber labelled none",
    "red to routine review": "red sent to routine review",
    "none specificity": "none labelled none",
    "no reply dropped": "unclear not labelled none",
    "keywords exact": "keywords exact",
}


def format_report(evaluation: Evaluation) -> str:
    """The confusion matrix (gold down, predicted across, unclear split by review) and the
    figures against their targets."""
    columns = [label for label in LABELS if label != "unclear"]
    columns[3:3] = ["unclear:urgent", "unclear:routine"]
    labels = list(LABELS) + sorted({g for g, _, _ in evaluation.outcomes} - set(LABELS))
    width = max(len(c) for c in columns) + 1
    confusion = Counter((g, f"{p}:{r}" if p == "unclear" else p) for g, p, r in evaluation.outcomes)
    lines = ["gold \\ predicted".ljust(18) + "".join(c.rjust(width) for c in columns)]
    for gold in labels:
        row = [confusion[(gold, column)] for column in columns]
        if sum(row):
            lines.append(gold.ljust(18) + "".join(str(n).rjust(width) for n in row))
    lines.append(f"replies: {len(evaluation.outcomes)}")
    lines.append("")
    for figure in evaluation.figures:
        verdict = "ok" if figure.met else "MISSED"
        name = f"{_DESCRIBED[figure.name]:<44} [{figure.name}]"
        if figure.target is None:
            target, verdict = "shown only", ""
        elif figure.count:
            target = f"at most {figure.target:.0f}"
        else:
            target = f"target {figure.target:.0%}"
        if figure.count:
            value, detail = str(figure.hits), f"of {figure.total}"
        else:
            value = "n/a" if figure.value is None else f"{figure.value:.1%}"
            detail = f"{figure.hits}/{figure.total}"
        lines.append(f"{name:<80} {value:>7}  ({detail}, {target})  {verdict}".rstrip())
    return "\n".join(lines)
