"""Which words are known English, so that a word no vocabulary knows is never read as chatter.

The list is pyspellchecker's English word frequencies (MIT licence, built from subtitles and
checked against SCOWL), cut to the words seen at least ``MIN_COUNT`` times: rarer entries are
mostly names and oddities, and a misspelled symptom or a word of another language must stay
unknown. The lexicon adds its own words and SMS chatter (``CHATTER`` in en.yaml) on top.
"""

from __future__ import annotations

import gzip
import json
from functools import lru_cache
from importlib import resources

MIN_COUNT = 100


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """About 47,000 lower-case English words (loaded once per process, about 5 MB)."""
    source = resources.files("spellchecker").joinpath("resources/en.json.gz")
    with source.open("rb") as raw, gzip.open(raw) as handle:
        counts: dict[str, int] = json.load(handle)
    return frozenset(word for word, count in counts.items() if count >= MIN_COUNT)
