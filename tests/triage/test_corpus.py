"""Issue 11's figures on every labelled file in the repository, with both readers.

One evaluation per file per session (a few thousand replies in a few seconds), then one test
per figure and file, so a miss names the file and the figure.

- The dev set, and the tuning part of each ``corpus/train`` file, are in-sample (the lexicon
  was written on them): held to the in-sample targets.
- Our own held quarter of ``corpus/train`` (``split.py``) and the files under ``corpus/heldout/``
  (written by other people, never tuned on) are held to the floors the hidden sets are held to.
"""

from __future__ import annotations

import csv
import json
from functools import cache
from pathlib import Path

import pytest

from messages.triage import triage
from messages.triage.evaluate import Evaluation, evaluate, read_labelled
from messages.triage.second_reader import MODEL_FILE
from messages.triage.split import read_part, train_files
from tests.triage.conftest import CORPUS, corpus_files

FILES = {path.relative_to(path.parents[1]).as_posix(): path for path in corpus_files()}
HELDOUT = {name: path for name, path in FILES.items() if name.startswith("heldout/")}
HELD_QUARTER = "train/* held quarter"
# in-sample: the dev set whole, and each training file's tuning part (its held quarter apart)
IN_SAMPLE = [name for name in FILES if name not in HELDOUT]
NEVER_TUNED = [*HELDOUT, HELD_QUARTER]
EVERY_PART = [*IN_SAMPLE, *NEVER_TUNED]


def _rows(name: str) -> list[tuple[str, str]]:
    if name == HELD_QUARTER:
        return read_part(train_files(), held=True)
    if name.startswith("train/"):
        return read_part([FILES[name]], held=False)
    return read_labelled(FILES[name])


@cache
def _evaluation(name: str) -> Evaluation:
    return evaluate(_rows(name), triage)


def _share(name: str, figure: str) -> float:
    found = _evaluation(name).figure(figure)
    assert found.total, f"{name} has no rows for {figure}"
    value = found.value
    assert value is not None
    return value


@pytest.mark.parametrize("name", IN_SAMPLE)
def test_at_least_98_percent_of_red_replies_are_red(name: str) -> None:
    assert _share(name, "red sensitivity") >= 0.98


@pytest.mark.parametrize("name", EVERY_PART)
def test_every_red_or_amber_reply_reaches_a_person_urgently(name: str) -> None:
    assert _share(name, "alert reaches a person urgently") == 1.0


@pytest.mark.parametrize("name", EVERY_PART)
def test_no_red_or_amber_reply_is_labelled_none(name: str) -> None:
    assert _evaluation(name).figure("alert labelled none").hits == 0


@pytest.mark.parametrize("name", EVERY_PART)
def test_no_red_reply_goes_to_routine_review(name: str) -> None:
    assert _evaluation(name).figure("red to routine review").hits == 0


@pytest.mark.parametrize("name", IN_SAMPLE)
def test_at_least_90_percent_of_all_well_replies_are_none(name: str) -> None:
    assert _share(name, "none specificity") >= 0.90


@pytest.mark.parametrize("name", EVERY_PART)
def test_keywords_are_exact_every_time(name: str) -> None:
    figure = _evaluation(name).figure("keywords exact")
    assert figure.hits == figure.total


@pytest.mark.parametrize("name", NEVER_TUNED)
def test_on_held_out_replies_at_least_90_percent_of_red_replies_are_red(name: str) -> None:
    assert _share(name, "red sensitivity") >= 0.90


def test_the_held_out_split_is_in_the_repository_and_at_least_a_quarter_of_the_rows() -> None:
    def rows(paths: dict[str, Path]) -> int:
        total = 0
        for path in paths.values():
            with path.open(newline="", encoding="utf-8") as handle:
                total += sum(1 for _ in csv.DictReader(handle))
        return total

    assert len(HELDOUT) == 3
    others = {name: path for name, path in FILES.items() if name not in HELDOUT}
    assert rows(HELDOUT) >= (rows(HELDOUT) + rows(others)) / 4


def test_the_repository_holds_at_least_2500_labelled_replies() -> None:
    rows = 0
    for path in FILES.values():
        with path.open(newline="", encoding="utf-8") as handle:
            rows += sum(1 for _ in csv.DictReader(handle))
    assert rows >= 2500


def test_cross_validated_figures_recorded_with_the_second_reader_meet_the_targets() -> None:
    # the model file records the 5-fold cross-validated figures it was chosen by (training.py);
    # test_second_reader.py checks that the file is what the repository's rows train
    model = json.loads((CORPUS.parent / "model" / MODEL_FILE).read_text("utf-8"))
    both = model["trained_on"]["cross_validated"]["both_readers"]
    assert both["red_to_red"] >= 0.98
    assert both["alert_urgent"] >= 0.99
    assert both["none_to_none"] >= 0.85


def test_no_corpus_file_is_read_from_outside_the_repository() -> None:
    assert all(Path(p).is_relative_to(CORPUS) or "replies-dev" in p.name for p in FILES.values())
