"""Our own words quoted back are not the patient's: strip them before reading.

A reply often quotes the text it answers ("> Please reply in your own words, including any new
pain, numbness..."). Read as the patient's, our symptom list would raise an alert on every quote.
Two sources of our words:

- ``sent``: the texts the service sent this patient recently (the worker passes them). Any run of
  at least ``MIN_RUN`` words that also appears, in order, in one of them is removed.
- when nothing is passed, the sentences of our own SMS and email templates, removed only when
  quoted at length (``MIN_GENERIC_RUN`` words), so that a patient who uses a few of our words for
  their own symptom ("numbness or tingling in my legs") is still read.

What was removed is named in the evidence; a quote is replaced by a sentence break, so the words
either side never join into one phrase.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from importlib import resources

from messages.triage.normalise import fold

MIN_RUN = 6
MIN_GENERIC_RUN = 8
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_TEMPLATE_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|<[^>]+>", re.S)


@dataclass(frozen=True)
class Stripped:
    text: str
    removed: tuple[str, ...]  # the quoted stretches, as the patient's message had them


def _words(text: str) -> list[tuple[str, int, int]]:
    return [(fold(m.group()), m.start(), m.end()) for m in _WORD.finditer(text)]


def _runs(reply: list[str], ours: list[str], least: int) -> list[tuple[int, int]]:
    matcher = SequenceMatcher(None, reply, ours, autojunk=False)
    return [(a, a + size) for a, _, size in matcher.get_matching_blocks() if size >= least]


_QUOTED_LINE = re.compile(r"^[ \t]*>[^\n]*(?:\n|$)", re.M)


def _quoted_lines(text: str) -> Stripped:
    """Lines that start with ">" quote the message being answered (e-mail and SMS apps do it)."""
    removed: list[str] = []

    def cut(match: re.Match[str]) -> str:
        line = match.group()
        # "> Any new pain? No, nothing like that": the quote ends at its question mark
        ask = line.find("?")
        if 0 <= ask < len(line.rstrip()) - 1 and _WORD.search(line[ask + 1 :]):
            removed.append(line[: ask + 1].strip().lstrip(">").strip())
            return " . " + line[ask + 1 :]
        removed.append(line.strip().lstrip(">").strip())
        return " . "

    rest = _QUOTED_LINE.sub(cut, text)
    if not removed:
        return Stripped(text, ())
    if not _WORD.search(rest):
        return Stripped(text, ())  # nothing but a quote: read it, a person will see it anyway
    return Stripped(rest, tuple(r for r in removed if r))


def strip_quotes(text: str, sent: Sequence[str] = (), *, generic: bool = True) -> Stripped:
    """The reply without quoted lines and any long quotation of ``sent`` (or, if none, of our
    templates)."""
    lines = _quoted_lines(text)
    if lines.removed:
        rest = strip_quotes(lines.text, sent, generic=generic)
        return Stripped(rest.text, lines.removed + rest.removed)
    if not sent and not generic:
        return Stripped(text, ())
    # most replies share no run of words with our texts: check that first, on one folding
    quick = _WORD.findall(fold(text))
    if len(quick) < MIN_RUN:
        return Stripped(text, ())
    sources: Iterable[list[str]]
    if sent:
        sources, least = ([w for w, _, _ in _words(s)] for s in sent if s), MIN_RUN
    else:
        grams = template_grams()
        if not any(tuple(quick[i : i + _GRAM]) in grams for i in range(len(quick) - _GRAM + 1)):
            return Stripped(text, ())
        sources, least = template_sentences(), MIN_GENERIC_RUN
    words = _words(text)
    tokens = [w for w, _, _ in words]
    spans: list[tuple[int, int]] = []
    vocabulary = set(tokens)
    for source in sources:
        if len(source) < least or len(vocabulary.intersection(source)) < least // 2:
            continue
        spans += _runs(tokens, list(source), least)
    if not spans:
        return Stripped(text, ())
    spans.sort()
    pieces: list[str] = []
    removed: list[str] = []
    last = 0
    for first, end in _merged(spans):
        start_char, end_char = words[first][1], words[end - 1][2]
        if start_char < last:
            continue
        pieces.append(text[last:start_char])
        pieces.append(" . ")
        removed.append(text[start_char:end_char])
        last = end_char
    pieces.append(text[last:])
    return Stripped("".join(pieces), tuple(removed))


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in spans:
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


_GRAM = 4


@lru_cache(maxsize=1)
def template_grams() -> frozenset[tuple[str, ...]]:
    """Every run of four words in our templates: a long quotation holds one."""
    return frozenset(
        tuple(words[i : i + _GRAM])
        for words in template_sentences()
        for i in range(len(words) - _GRAM + 1)
    )


@lru_cache(maxsize=1)
def template_sentences() -> tuple[list[str], ...]:
    """The plain words of every patient template we send, one list per line or sentence."""
    root = resources.files("messages").joinpath("templates")
    lines: list[list[str]] = []
    for folder in sorted(root.iterdir(), key=lambda p: p.name):
        if not folder.is_dir():
            continue
        for name in ("sms.txt.j2", "email.txt.j2"):
            source = folder.joinpath(name)
            if not source.is_file():
                continue
            plain = _TEMPLATE_TAG.sub(" ", source.read_text("utf-8"))
            for line in re.split(r"[\n.!?]+", plain):
                words = [w for w, _, _ in _words(line)]
                if len(words) >= MIN_RUN:
                    lines.append(words)
    return tuple(lines)
