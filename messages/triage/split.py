"""Our own held-out split of the training corpus, by a stable hash of each reply's text.

    python -m messages.triage.split            # figures for dev, the tuning part, the held part
    python -m messages.triage.split --misses   # also the tuning part's misses (never the held)
    python -m messages.triage.split --misses --file hard-multilingual   # one file's only

A row of ``corpus/train/*.csv`` is *held* when the SHA-256 of its folded text (lower case, no
accents, spaces collapsed), read as a number, falls in the lowest ``HELD_PERCENT`` of 100. The
test is per row, never a rank among rows, so adding rows never moves a held row into the tuning
part, and two rows that differ only by case or spacing fall on the same side. Because the hash
does not look at the label, each label is held in about the same share (the split's counts per
label are printed and checked, ``tests/triage/test_split.py``).

The second reader is trained on the tuning part and the dev set only (``training.py``), and no
lexicon line is written from a held row: only the held part's totals are ever printed.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from messages.triage.normalise import fold

ROOT = Path(__file__).resolve().parent
CORPUS = ROOT / "corpus"
HELD_PERCENT = 25
SALT = "mscc-triage-own-split-1"  # fixed: changing it would move rows between the parts
_SPACES = re.compile(r"\s+")


def is_held(text: str) -> bool:
    """Whether a training row is in our own held-out split (never tuned on)."""
    folded = _SPACES.sub(" ", fold(text)).strip()
    digest = hashlib.sha256(f"{SALT}\n{folded}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100 < HELD_PERCENT


def train_files(corpus: Path = CORPUS) -> list[Path]:
    return sorted((corpus / "train").glob("*.csv"))


def read_part(files: Sequence[Path], *, held: bool) -> list[tuple[str, str]]:
    """(text, label) rows of one part of the training files."""
    rows: list[tuple[str, str]] = []
    for path in files:
        with path.open(newline="", encoding="utf-8") as handle:
            for record in csv.DictReader(handle):
                text = record.get("text") or ""
                if is_held(text) == held:
                    rows.append((text, record.get("label") or ""))
    return rows


def expected_reviews(files: Sequence[Path]) -> dict[str, str]:
    """The writers' review urgency of each `unclear` tuning row that has one."""
    found: dict[str, str] = {}
    for path in files:
        with path.open(newline="", encoding="utf-8") as handle:
            for record in csv.DictReader(handle):
                text, review = record.get("text") or "", (record.get("review") or "").strip()
                if review and not is_held(text):
                    found[text] = review
    return found


def main(argv: list[str] | None = None) -> int:
    from messages.triage import triage
    from messages.triage.evaluate import evaluate, format_report, read_labelled

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list the tuning part's misses")
    parser.add_argument(
        "--file", default="", help="only training files whose name holds this (e.g. multilingual)"
    )
    args = parser.parse_args(argv)
    files = [f for f in train_files() if args.file in f.name]
    parts = {
        "dev": read_labelled(CORPUS / "dev" / "replies-dev.csv"),
        "tuning (75% of train)": read_part(files, held=False),
        "held (25% of train, totals only)": read_part(files, held=True),
    }
    expected_review = expected_reviews(files)
    failed = False
    for name, rows in parts.items():
        evaluation = evaluate(rows, triage)
        counts = Counter(label.strip().lower() for _, label in rows)
        print(f"== {name}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        print(format_report(evaluation))
        failed |= not evaluation.passed
        if args.misses and name.startswith("tuning"):
            for (text, _), (gold, predicted, review) in zip(rows, evaluation.outcomes, strict=True):
                if gold != predicted:
                    print(f"  {gold} -> {predicted}:{review or ''}  {text!r}")
                elif gold == "unclear" and review != expected_review.get(text, review):
                    print(f"  unclear:{expected_review[text]} -> unclear:{review}  {text!r}")
        print()
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
