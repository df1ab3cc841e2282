"""Turn a reply into plain tokens: lower case, no accents, emoji named, punctuation reduced.

Every token keeps the patient's own spelling beside it (``surface``) so evidence can quote them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

MAX_CHARS = 5_000  # three times the longest SMS (1,600); beyond it the rest is not read
BOUNDARY = "."
QUESTION = "?"
COMMA = ","

# Letters that NFKD does not split into a base letter and an accent.
_FOLD = str.maketrans(
    {"ł": "l", "đ": "d", "ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "\u0131": "i"}
)
_APOSTROPHES = str.maketrans({c: "'" for c in "\u2019\u2018\u02bc\u2032`\u00b4"})
_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"})
# the Arabic-script comma, semicolon, question mark and full stop, and the Indic danda, which
# would otherwise be dropped or glued to the word before them ("আছে।"): a comma ends a denial's
# reach and a full stop a sentence in every script
_SCRIPT_PUNCTUATION = str.maketrans(
    {"\u060c": ",", "\u061b": ";", "\u061f": "?", "\u06d4": ".", "\u0964": ".", "\u0965": "."}
)
# letters, and the vowel signs and marks of the Indic scripts (Devanagari to Malayalam), which
# are not "word" characters to the re module: without them "ਠੀਕ" would split at its vowel sign
_LETTER = r"(?:[^\W_]|[\u0900-\u0DFF\u200c\u200d])"
_TOKEN = re.compile(
    rf"{_LETTER}+(?:'{_LETTER}+)*"  # words, with inner apostrophes (can't, nghoesau'n)
    r"|[.!?;:\u2026]+"  # sentence ends
    r"|\n"
    r"|\s-+\s|^-+\s"  # a spaced dash separates clauses
    r"|[,&+/]"
)
# it's -> it 's ; Welsh nghoesau'n -> nghoesau 'n, teimlo'r -> teimlo 'r, wedi'i -> wedi 'i
CLITICS = ("'s", "'n", "'r", "'i")
_REPEATS = re.compile(r"(\w)\1{2,}")


def script_punctuation(text: str) -> str:
    """The other scripts' punctuation as the rule reader reads it (the second reader was trained
    on the replies as sent, so it is given them unchanged)."""
    return text if text.isascii() else text.translate(_SCRIPT_PUNCTUATION)


def wordlike(token: str) -> bool:
    """A word, in any script (Indic words hold vowel signs, which are not letters to str)."""
    return token[:1].isalpha()


def fold(text: str) -> str:
    """Lower case without accents; the same folding is applied to the lexicon."""
    if text.isascii():
        return text.lower().replace("`", "'")
    text = text.lower().translate(_FOLD).translate(_APOSTROPHES).translate(_DASHES)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _replace_symbols(text: str, emoji: Mapping[str, str]) -> str:
    if text.isascii() and text.isprintable():
        return text
    out: list[str] = []
    for char in text:
        name = emoji.get(char)
        if name is not None:
            out.append(f" {name} ")
        elif unicodedata.category(char)[0] in "SC" and char not in "\n+&/":
            # other emoji, symbols, controls: a space, so words either side stay apart
            out.append(" ")
        else:
            out.append(char)
    return "".join(out)


_Memo = tuple[str, Mapping[str, str], tuple[str, ...], tuple[str, ...]]
_memo: _Memo | None = None  # the last reply tokenised: the rules and the second reader read it


def tokenise(text: str, emoji: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """Split into tokens and their surfaces. Sentence ends become ".", question marks "?",
    spaced dashes ","; letters repeated three times or more are read twice ("sooo" -> "soo")."""
    global _memo
    memo = _memo  # one read of one immutable tuple: safe when threads share the module
    if memo is not None and memo[0] == text and memo[1] is emoji:
        return list(memo[2]), list(memo[3])
    norms, surfaces = _tokenise(text, emoji)
    _memo = (text, emoji, tuple(norms), tuple(surfaces))
    return norms, surfaces


def _tokenise(text: str, emoji: Mapping[str, str]) -> tuple[list[str], list[str]]:
    text = text[:MAX_CHARS]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _REPEATS.sub(r"\1\1", fold(_replace_symbols(text, emoji)))
    norms: list[str] = []
    surfaces: list[str] = []
    for piece in _TOKEN.findall(text):
        if piece[0].isalnum():
            if "'" in piece:  # every clitic starts with one
                for clitic in CLITICS:
                    if piece.endswith(clitic) and len(piece) > len(clitic):
                        norms += (piece[: -len(clitic)], clitic)
                        surfaces += (piece, piece)
                        break
                else:
                    norms.append(piece)
                    surfaces.append(piece)
            else:
                norms.append(piece)
                surfaces.append(piece)
            continue
        if piece in ",&+/":
            norm = "and" if piece in "&+" else piece
        elif "?" in piece:
            norm = QUESTION
        elif piece.strip().startswith("-"):
            norm = COMMA
        else:
            norm = BOUNDARY
        if norm in (BOUNDARY, QUESTION, COMMA) and norms and norms[-1] == norm:
            continue
        norms.append(norm)
        surfaces.append(piece.strip())
    return norms, surfaces
