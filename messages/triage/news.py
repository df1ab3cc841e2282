"""Does a reply that says all is well also carry news a person should read?

"ok" or "thanks" alone only acknowledge; with other words ("ok, I've changed my number") the
reply goes to a person. A real all-well ("fine", "all good", "I'm OK") stands, unless a contrast
brings unexplained news after it ("fine, but I've run out of my tablets").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from messages.triage.context import Finding
from messages.triage.loader import Lexicon

_MIN_WORDS = 2
# an acknowledgement ("thanks", "ok") with this many other words that no reason for a person
# explains is news; fewer is a fuller thank-you ("thanks, I've saved the number in my phone")
_ACK_NEWS_WORDS = 6


def _content(
    norms: Sequence[str], positions: Iterable[int], covered: set[int], lexicon: Lexicon
) -> list[str]:
    quiet = lexicon.filler | lexicon.acknowledgements
    return [
        norms[i]
        for i in positions
        if i not in covered
        and len(norms[i]) >= 3
        and norms[i][:1].isalpha()
        and norms[i] not in quiet
    ]


def unread_news(
    norms: Sequence[str],
    findings: Sequence[Finding],
    well: Sequence[Finding],
    sender_well: bool,
    explained: set[int],
    lexicon: Lexicon,
) -> str | None:
    """Why an all-well reply still needs a person, or None. ``explained`` are the positions of
    words that cues already account for ("but that was sorted")."""
    found = {i for f in findings for i in range(f.hit.start, f.hit.end)}
    covered = explained | found
    strong = sender_well or any(
        f.kind != "all_well"
        or any(norms[i] not in lexicon.acknowledgements for i in range(f.hit.start, f.hit.end))
        for f in well
    )
    if not strong:
        words = _content(norms, range(len(norms)), covered, lexicon)
        if len(words) >= _ACK_NEWS_WORDS:
            return "an acknowledgement with other news: " + " ".join(words[:6])
        return None
    for i, token in enumerate(norms):
        if token not in lexicon.contrast_before:
            continue
        end = next((j for j in range(i + 1, len(norms)) if norms[j] in lexicon.boundaries), i)
        if any(j in found for j in range(i + 1, end)):
            continue  # a symptom, reason or someone else's news explains it
        # (a cue alone explains nothing: "fine, though the stairs are beyond me now")
        words = _content(norms, range(i + 1, end), covered, lexicon)
        if len(words) >= _MIN_WORDS:
            return f"all well, but '{token}' brings other news: " + " ".join(words[:6])
    return None
