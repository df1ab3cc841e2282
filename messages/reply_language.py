"""The language a patient wrote a reply in, where it chooses the language of our answer.

Welsh is read with English in every reply (messages/triage), so triage never has to name it;
the Welsh Language Standards (standard 1) ask that Welsh is answered in Welsh. A reply counts as
Welsh when it holds words only the Welsh lexicon knows, no fewer than its English words and more
than the words neither knows (a Polish "od" or "na" is not Welsh); a mixed reply leaning English,
or one in another language, is answered in the patient's own language, as any other.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from messages.languages import WELSH
from messages.triage.known_words import english_words
from messages.triage.loader import own_words

_WORD = re.compile(r"[^\W\d_]+")


def _words(text: str) -> list[str]:
    """Lower-case words with accents dropped, as the lexicon writes them (ffôn as ffon)."""
    bare = "".join(
        c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c)
    )
    return _WORD.findall(bare)


def reply_language(text: str, served: Sequence[str]) -> str | None:
    """`cy` for a Welsh reply to a trust that serves Welsh; None: answer in the patient's own."""
    if WELSH not in served:
        return None
    welsh_words = own_words(WELSH)
    words = _words(text)
    welsh = sum(word in welsh_words for word in words)
    english = sum(word in english_words() and word not in welsh_words for word in words)
    unread = len(words) - welsh - english  # another language's words, names, misspellings
    return WELSH if welsh and welsh >= english and welsh > unread else None
