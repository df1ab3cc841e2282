"""SMS encoding and cost: GSM-7 or UCS-2, length, segments, and normalising accidental Unicode.

Lengths are in the units the network counts: septets for GSM-7 (an extension-table character is
an escape plus the character, so 2) and UTF-16 code units for UCS-2 (an emoji outside the Basic
Multilingual Plane is a surrogate pair, so 2).

Segments follow 3GPP TS 23.038/23.040: one SMS holds 160 septets or 70 code units; a longer
message is split into parts of 153 septets or 67 code units (the rest of each part is the
concatenation header). An escape pair or a surrogate pair is never split across two parts, so
a part may carry one unit less; we pack the same way, as Twilio does, rather than dividing.

An empty text counts as 1 segment: whatever is sent is at least one message.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)  # the default alphabet less ESC (0x1B), which is how extension characters are written
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")
GSM = GSM_BASIC | GSM_EXTENSION

GSM_SINGLE, GSM_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67

_REPLACEMENTS = {
    # quotes and primes
    "\u2018": "'",  # left single quotation mark
    "\u2019": "'",  # right single quotation mark (the apostrophe word processors type)
    "\u201a": "'",  # single low-9 quotation mark
    "\u201b": "'",  # single high-reversed-9 quotation mark
    "\u2032": "'",  # prime
    "\u2039": "'",  # single left-pointing angle quotation mark
    "\u203a": "'",  # single right-pointing angle quotation mark
    "`": "'",  # grave accent: ASCII, but not in GSM-7
    "\u00b4": "'",  # acute accent
    "\u201c": '"',  # left double quotation mark
    "\u201d": '"',  # right double quotation mark
    "\u201e": '"',  # double low-9 quotation mark
    "\u201f": '"',  # double high-reversed-9 quotation mark
    "\u2033": '"',  # double prime
    "\u00ab": '"',  # left-pointing double angle quotation mark
    "\u00bb": '"',  # right-pointing double angle quotation mark
    # dashes and minus
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u2012": "-",  # figure dash
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2015": "-",  # horizontal bar
    "\u2212": "-",  # minus sign
    # bullets
    "\u2022": "-",  # bullet
    "\u2023": "-",  # triangular bullet
    "\u2043": "-",  # hyphen bullet
    "\u25e6": "-",  # white bullet
    "\u25aa": "-",  # black small square
    "\u25cf": "-",  # black circle
    # other punctuation
    "\u2026": "...",  # horizontal ellipsis
    # spaces that look like a space
    "\t": " ",
    "\u00a0": " ",  # no-break space
    "\u1680": " ",  # ogham space mark
    "\u202f": " ",  # narrow no-break space
    "\u205f": " ",  # medium mathematical space
    "\u3000": " ",  # ideographic space
    **{chr(code): " " for code in range(0x2000, 0x200B)},  # en quad ... hair space
    # invisible characters that only cost (ZWJ and ZWNJ are kept: emoji and scripts use them)
    "\u00ad": "",  # soft hyphen
    "\u180e": "",  # Mongolian vowel separator
    "\u200b": "",  # zero width space
    "\u2060": "",  # word joiner
    "\ufeff": "",  # zero width no-break space (byte order mark)
    # line and paragraph separators
    "\u2028": "\n",
    "\u2029": "\n",
}
_TABLE = str.maketrans(_REPLACEMENTS)


@dataclass(frozen=True)
class SmsInfo:
    text: str
    encoding: Encoding
    length: int
    segments: int


def normalise(text: str) -> str:
    """Replace look-alike Unicode with its GSM-7 equivalent; keep genuinely non-GSM text.

    Composes first (NFC), so a letter typed as base plus combining accent (e + U+0301) becomes
    the single letter (é, which GSM-7 has; ŵ, which it has not, stays ŵ but counts once).
    """
    composed = unicodedata.normalize("NFC", text)
    return one_kind_of_line_break(composed).translate(_TABLE)


def one_kind_of_line_break(text: str) -> str:
    """Windows (CR LF) and old Mac (CR) line breaks as LF: a lone CR would reach the phone, and
    CR CR LF is two breaks (a blank line), not one."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


# Letters Unicode does not decompose into a base letter and an accent.
_UNDECOMPOSABLE = str.maketrans({"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "\u0131": "i", "ß": "ss"})


def fold_to_gsm(text: str) -> str:
    """Text written by people (names, replies) made GSM-7: accents dropped where GSM-7 lacks
    the letter (Siân -> Sian), emoji and other symbols left out, anything else as "?".

    Only values put into a template are folded, never the template's own wording: one letter
    in a patient's name must not turn a 4-part welcome into a 9-part UCS-2 message.
    """
    folded = []
    for char in normalise(text).translate(_UNDECOMPOSABLE):
        if char in GSM:
            folded.append(char)
            continue
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        if base and set(base) <= GSM:
            folded.append(base)
        elif not unicodedata.category(char).startswith(("S", "M", "C")):
            folded.append("?")
    return "".join(folded)


def is_gsm(text: str) -> bool:
    return set(text) <= GSM


def non_gsm_characters(text: str) -> list[str]:
    """The characters that force UCS-2, each once, in order of appearance."""
    return list(dict.fromkeys(char for char in text if char not in GSM))


def _pack(widths: list[int], single: int, part: int) -> int:
    """Parts needed when no 2-unit character may straddle two parts."""
    if sum(widths) <= single:
        return 1
    parts, used = 1, 0
    for width in widths:
        if used + width > part:
            parts, used = parts + 1, 0
        used += width
    return parts


def _gsm_segments(text: str) -> tuple[int, int]:
    extended = sum(1 for char in text if char in GSM_EXTENSION)
    length = len(text) + extended
    if length <= GSM_SINGLE:
        return length, 1
    if not extended:
        return length, -(-length // GSM_PART)
    return length, _pack([2 if char in GSM_EXTENSION else 1 for char in text], GSM_SINGLE, GSM_PART)


def _ucs2_segments(text: str) -> tuple[int, int]:
    widths = [2 if ord(char) > 0xFFFF else 1 for char in text]
    length = sum(widths)
    if length <= UCS2_SINGLE:
        return length, 1
    if length == len(text):
        return length, -(-length // UCS2_PART)
    return length, _pack(widths, UCS2_SINGLE, UCS2_PART)


def measure(text: str) -> SmsInfo:
    """Encoding, length and segments of exactly this text (no normalising)."""
    if is_gsm(text):
        length, segments = _gsm_segments(text)
        return SmsInfo(text, "GSM-7", length, segments)
    length, segments = _ucs2_segments(text)
    return SmsInfo(text, "UCS-2", length, segments)


def sms_info(text: str) -> SmsInfo:
    """The text as it will be sent (normalised), with its encoding, length and segments."""
    return measure(normalise(text))
