"""Opt-out keywords count only as the whole message, ignoring case, spaces and punctuation."""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Mapping

from messages.triage.normalise import fold

_ASCII_NOISE = str.maketrans("", "", string.punctuation + string.whitespace)


def keyword_of(text: str, keywords: Mapping[str, str]) -> str | None:
    """The keyword's label ("stop", "start", "help") if the whole message is one keyword."""
    if len(text) > 200:
        return None
    if text.isascii():
        bare = text.translate(_ASCII_NOISE)
    else:
        bare = "".join(c for c in text if unicodedata.category(c)[0] not in "PZC")
    return keywords.get(fold(bare))
