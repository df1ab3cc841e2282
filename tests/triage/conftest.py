"""Where the labelled sets live: in the repository, under messages/triage/corpus/ (the dev set
is also in shared/ beside the repository, as CI lays it out)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from messages.triage.result import TriageResult
from schema.vocabulary import Label, Review

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "messages" / "triage" / "corpus"
_CANDIDATES = (
    os.environ.get("TRIAGE_DEV_SET", ""),
    str(CORPUS / "dev" / "replies-dev.csv"),
    str(ROOT.parent / "shared" / "triage" / "replies-dev.csv"),
)


def dev_set_path() -> Path:
    """The dev set; a missing file is a failure, never a skip."""
    for candidate in _CANDIDATES:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise FileNotFoundError("replies-dev.csv not found: set TRIAGE_DEV_SET")


def corpus_files() -> list[Path]:
    """Every labelled file in the repository: the dev set, the training split and, once the
    lead has added it, the held-out split."""
    files = [dev_set_path()]
    for split in ("train", "heldout"):
        files += sorted((CORPUS / split).glob("*.csv"))
    return files


@pytest.fixture(scope="session")
def dev_set() -> Path:
    return dev_set_path()


def reaches_a_person_urgently(result: TriageResult) -> bool:
    """Red, amber, or `unclear` with urgent review: a coordinator is told at once."""
    return result.label in (Label.RED, Label.AMBER) or result.review == Review.URGENT
