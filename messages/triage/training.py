"""Train the second reader from the labelled files in the repository, reproducibly.

    python -m messages.triage.training            # cross-validate, choose, write the model
    python -m messages.triage.training --report   # the cross-validated figures only

The rows: ``corpus/dev/*.csv`` and the tuning part of ``corpus/train/*.csv`` (columns text,
label; keyword rows are left out: keywords are exact and never learned). Never the held quarter
of ``corpus/train`` (``split.py``) nor ``corpus/heldout``: those are kept for measuring, and no
model choice is tuned on them.

The choices, made by 5-fold cross-validation over those rows (folds stratified by label, seeded):
the regularisation C of both regressions, and the two thresholds at which the second reader
raises a reply (``Thresholds``). Out-of-fold probabilities are combined with the rule reader's
label for the same row, exactly as ``triage()`` combines them, and the thresholds kept are those
that raise the most red replies to red, and the most red or amber replies to a person, while
costing at most ``NONE_BUDGET`` of the all-well replies the rules read as `none`.

scikit-learn is needed here only (``pip install -e ".[train]"``); run time reads the exported
weights. Weights below ``PRUNE`` in both regressions are dropped, so the file stays small.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from messages.triage.second_reader import MODEL_FILE, SecondReader, features, scores
from messages.triage.split import HELD_PERCENT, SALT, is_held

ROOT = Path(__file__).resolve().parent
CORPUS = ROOT / "corpus"
MODEL_PATH = ROOT / "model" / MODEL_FILE
LABELS = ("red", "amber", "none", "unclear")
C_GRID = (2.0, 5.0, 10.0, 20.0)
FOLDS = 5
SEED = 11
PRUNE = 0.02
MIN_COUNT = 2  # a feature seen in fewer rows than this is not learned from
NONE_BUDGET = 0.02  # the share of all-well replies the second reader may make red
SHOWN_NONE_BUDGET = 0.005  # the share of shown `none` all-well replies it may send to a person
RED_PRECISION = 0.85  # of the replies it would make red, at least this share are red or amber
URGENT_PRECISION = 0.5  # of the replies it would send to urgent review, this share are alerts
URGENT_NONE_BUDGET = 0.05  # and at most this share of all-well replies
RED_GRID = tuple(round(0.40 + 0.025 * i, 3) for i in range(24))
URGENT_GRID = tuple(round(0.20 + 0.025 * i, 3) for i in range(32))
NONE_URGENT_GRID = (*tuple(round(0.80 + 0.02 * i, 3) for i in range(10)), 1.01)


@dataclass(frozen=True)
class Row:
    text: str
    label: str
    source: str


def training_files(corpus: Path = CORPUS) -> list[Path]:
    files = sorted((corpus / "dev").glob("*.csv")) + sorted((corpus / "train").glob("*.csv"))
    return [f for f in files if "heldout" not in f.parts]


def read_rows(files: Sequence[Path]) -> list[Row]:
    rows: list[Row] = []
    for path in files:
        with path.open(newline="", encoding="utf-8") as handle:
            for record in csv.DictReader(handle):
                label = (record.get("label") or "").strip().lower()
                text = record.get("text") or ""
                if path.parent.name == "train" and is_held(text):
                    continue  # our own held-out split: measured, never trained on
                if label in LABELS:
                    rows.append(Row(text, label, path.name))
    return rows


def _emoji() -> dict[str, str]:
    from messages.triage.loader import load_lexicon

    return dict(load_lexicon(("en",)).emoji)


class _Features:
    """Rows as a sparse matrix whose values match inference: 1/sqrt(all features of the row)."""

    def __init__(self, texts: Sequence[str], emoji: dict[str, str]) -> None:
        self.rows = [features(text, emoji) for text in texts]

    def vocabulary(self, indices: Sequence[int]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for i in indices:
            for f in self.rows[i]:
                counts[f] = counts.get(f, 0) + 1
        kept = sorted(f for f, n in counts.items() if n >= MIN_COUNT)
        return {f: j for j, f in enumerate(kept)}

    def matrix(self, indices: Sequence[int], vocabulary: dict[str, int]) -> Any:
        from scipy.sparse import csr_matrix

        data: list[float] = []
        cols: list[int] = []
        pointers = [0]
        for i in indices:
            present = self.rows[i]
            value = 1.0 / math.sqrt(len(present)) if present else 0.0
            for f in present:
                j = vocabulary.get(f)
                if j is not None:
                    cols.append(j)
                    data.append(value)
            pointers.append(len(cols))
        return csr_matrix((data, cols, pointers), shape=(len(indices), len(vocabulary)))


def _fit(
    table: _Features, labels: Sequence[str], indices: Sequence[int], c: float
) -> dict[str, Any]:
    from sklearn.linear_model import LogisticRegression

    vocabulary = table.vocabulary(indices)
    x = table.matrix(indices, vocabulary)
    targets = {
        "red": [labels[i] == "red" for i in indices],
        "alert": [labels[i] in ("red", "amber") for i in indices],
    }
    coefficients: list[list[float]] = []
    intercepts: list[float] = []
    for name in ("red", "alert"):
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000, tol=1e-6)
        model.fit(x, targets[name])
        coefficients.append([float(w) for w in model.coef_[0]])
        intercepts.append(float(model.intercept_[0]))
    weights = {
        feature: [round(coefficients[0][j], 4), round(coefficients[1][j], 4)]
        for feature, j in vocabulary.items()
        if max(abs(coefficients[0][j]), abs(coefficients[1][j])) >= PRUNE
    }
    return {
        "version": "1",
        "intercepts": [round(intercepts[0], 4), round(intercepts[1], 4)],
        "weights": dict(sorted(weights.items())),
        "thresholds": {"red": 1.01, "urgent": 1.01, "none_urgent": 1.01},
    }


def _folds(labels: Sequence[str]) -> list[list[int]]:
    from sklearn.model_selection import StratifiedKFold

    split = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    return [list(test) for _, test in split.split(list(range(len(labels))), list(labels))]


def out_of_fold(rows: Sequence[Row], c: float) -> list[tuple[float, float]]:
    """P(red), P(alert) of every row from a model that never saw it."""
    table = _Features([r.text for r in rows], _emoji())
    labels = [r.label for r in rows]
    found: list[tuple[float, float]] = [(0.0, 0.0)] * len(rows)
    for test in _folds(labels):
        held = set(test)
        train = [i for i in range(len(rows)) if i not in held]
        reader = SecondReader(_fit(table, labels, train, c))
        for i in test:
            found[i] = scores(table.rows[i], reader)
    return found


def combine(
    label: str,
    review: str | None,
    p_red: float,
    p_alert: float,
    chosen: tuple[float, float, float],
    *,
    served: bool = True,
) -> tuple[str, str | None]:
    """The label and review once the second reader has read, as ``engine.second_reading`` does
    (never lower than the rules')."""
    red, urgent, none_urgent = chosen
    if label in ("red", "stop", "start", "help"):
        return label, review
    if label == "none":
        return ("unclear", "urgent") if p_alert >= none_urgent else (label, review)
    if p_red >= red and served:
        return "red", None
    if label == "unclear" and review == "routine" and p_alert >= urgent:
        return "unclear", "urgent"
    return label, review


def figures(outcomes: Sequence[tuple[str, str, str | None]]) -> dict[str, float]:
    def share(gold: Callable[[str], bool], right: Callable[[str, str | None], bool]) -> float:
        chosen = [(p, r) for g, p, r in outcomes if gold(g)]
        return sum(1 for p, r in chosen if right(p, r)) / len(chosen) if chosen else 1.0

    def urgent(p: str, r: str | None) -> bool:
        return p in ("red", "amber") or (p == "unclear" and r == "urgent")

    return {
        "red_to_red": share(lambda g: g == "red", lambda p, r: p == "red"),
        "alert_urgent": share(lambda g: g in ("red", "amber"), urgent),
        "alert_to_none": sum(1 for g, p, _ in outcomes if g in ("red", "amber") and p == "none"),
        "red_to_routine": sum(
            1 for g, p, r in outcomes if g == "red" and p == "unclear" and r == "routine"
        ),
        "none_to_none": share(lambda g: g == "none", lambda p, r: p == "none"),
    }


def rule_outcomes(rows: Sequence[Row]) -> list[tuple[str, str | None]]:
    from messages.triage.engine import rules_only

    found = []
    for row in rows:
        result = rules_only(row.text)
        found.append((str(result.label), result.review.value if result.review else None))
    return found


def choose_thresholds(
    rows: Sequence[Row],
    rules: Sequence[tuple[str, str | None]],
    probabilities: Sequence[tuple[float, float]],
) -> tuple[tuple[float, float, float], dict[str, float]]:
    """Thresholds from the second reader's out-of-fold probabilities alone, by the precision a
    raise must have and the all-well replies it may cost. They are not chosen by how well they
    complement the rules on these rows: the lexicon was written on these same rows, so the rules
    look better here than on replies nobody has seen, and thresholds tuned to them would be too
    shy. The combined figures are reported for information."""
    labelled = list(zip(rows, probabilities, strict=True))
    gold_none = sum(1 for row in rows if row.label == "none") or 1

    def lowest(
        grid: Sequence[float], which: int, precision: float, none_share: float, hit: set[str]
    ) -> float:
        for threshold in sorted(grid):
            raised = [row.label for row, p in labelled if p[which] >= threshold]
            if not raised:
                return threshold
            right = sum(1 for g in raised if g in hit) / len(raised)
            nones = sum(1 for g in raised if g == "none") / gold_none
            if right >= precision and nones <= none_share:
                return threshold
        return 1.01

    alerts = {"red", "amber"}
    red = lowest(RED_GRID, 0, RED_PRECISION, NONE_BUDGET, alerts)
    urgent = lowest(URGENT_GRID, 1, URGENT_PRECISION, URGENT_NONE_BUDGET, alerts)
    none_urgent = lowest(NONE_URGENT_GRID, 1, 0.0, SHOWN_NONE_BUDGET, alerts)
    chosen = (red, urgent, none_urgent)
    outcomes = [
        (row.label, *combine(lab, rev, pr, pa, chosen))
        for row, (lab, rev), (pr, pa) in zip(rows, rules, probabilities, strict=True)
    ]
    return chosen, figures(outcomes)


def digest(files: Sequence[Path]) -> str:
    sha = hashlib.sha256()
    sha.update(f"held {HELD_PERCENT}% by {SALT}\n".encode())  # the split is part of the input
    for path in files:
        sha.update(path.name.encode())
        sha.update(path.read_bytes())
    return sha.hexdigest()


def train(files: Sequence[Path], *, report: bool = False) -> dict[str, Any]:
    rows = read_rows(files)
    rules = rule_outcomes(rows)
    chosen: tuple[float, tuple[float, float, float], dict[str, float]] | None = None
    for c in C_GRID:
        probabilities = out_of_fold(rows, c)
        thresholds, found = choose_thresholds(rows, rules, probabilities)
        print(f"C={c}: thresholds (red, urgent, none urgent) {thresholds}: " + _format(found))
        if chosen is None or found["red_to_red"] + found["alert_urgent"] > (
            chosen[2]["red_to_red"] + chosen[2]["alert_urgent"]
        ):
            chosen = (c, thresholds, found)
    assert chosen is not None
    c, (red, urgent, none_urgent), found = chosen
    alone = figures([(row.label, *rule) for row, rule in zip(rows, rules, strict=True)])
    print("rules alone:      " + _format(alone))
    print(f"chosen C={c}: " + _format(found))
    model = fit_final(rows, c)
    model["thresholds"] = {"red": red, "urgent": urgent, "none_urgent": none_urgent}
    model["trained_on"] = {
        "files": [str(p.relative_to(ROOT)) for p in files],
        "rows": len(rows),
        "sha256": digest(files),
        "C": c,
        "cross_validated": {"rules_alone": alone, "both_readers": found, "folds": FOLDS},
    }
    return model


def fit_final(rows: Sequence[Row], c: float) -> dict[str, Any]:
    """The regressions on every row, for the file (the reproducibility test calls this)."""
    table = _Features([r.text for r in rows], _emoji())
    return _fit(table, [r.label for r in rows], list(range(len(rows))), c)


def _format(found: dict[str, float]) -> str:
    return (
        f"red->red {found['red_to_red']:.1%}, alert urgent {found['alert_urgent']:.1%}, "
        f"alert->none {found['alert_to_none']:.0f}, red->routine {found['red_to_routine']:.0f}, "
        f"none->none {found['none_to_none']:.1%}"
    )


def write(model: dict[str, Any], path: Path = MODEL_PATH) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(model, ensure_ascii=False, indent=0, sort_keys=True) + "\n", "utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", action="store_true", help="print the figures, write nothing")
    args = parser.parse_args(argv)
    files = training_files()
    model = train(files, report=args.report)
    if not args.report:
        write(model)
        print(f"wrote {MODEL_PATH} ({len(model['weights'])} features)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
