"""Where the labelled development set lives: shared/ beside the repository (as in CI)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_CANDIDATES = (
    os.environ.get("TRIAGE_DEV_SET", ""),
    str(ROOT.parent / "shared" / "triage" / "replies-dev.csv"),
    "/work/shared/triage/replies-dev.csv",
)


def dev_set_path() -> Path:
    """The dev set; a missing file is a failure, never a skip."""
    for candidate in _CANDIDATES:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise FileNotFoundError(
        "replies-dev.csv not found: set TRIAGE_DEV_SET or put shared/ beside the repository"
    )


@pytest.fixture(scope="session")
def dev_set() -> Path:
    return dev_set_path()
