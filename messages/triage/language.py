"""Which language a reply is in, when the lexicon cannot read all of it.

lingua-language-detector (maintained, Rust inside) is built once per process from a relevant
subset of languages: those the lexicon has, and the languages common in UK cancer services and
their neighbours (so that a Romanian reply is not forced to be Polish). Low-accuracy mode (letter
trigrams only) keeps it at about 30 MB and 20 µs a reply; it is asked only when a reply holds
words no vocabulary knows, so all-English replies never pay for it. Short texts are hard for any
detector: below ``MIN_CONFIDENCE`` the language is reported as not identified, and the reply still
goes to urgent review (it holds words nobody could read).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

MIN_CONFIDENCE = 0.5
# ISO 639-1 codes: the lexicon's languages, UK community languages, and look-alikes
CANDIDATES = (
    "en", "cy", "pl", "ro", "pt", "tr", "lt", "so", "ar", "ur", "pa", "bn", "gu", "hi", "fa",
    "fr", "es", "it", "de", "ru", "uk", "bg", "cs", "lv", "sq", "el", "zh", "ta",
)  # fmt: skip
# letters Urdu (and Punjabi in Shahmukhi) use and Arabic and Persian do not
_URDU_LETTERS = frozenset("ٹڈڑںےۓ")


@dataclass(frozen=True)
class LanguageGuess:
    code: str | None  # ISO 639-1, None when not identified
    name: str  # for the reviewer: "Romanian", or "a language it could not identify"
    confidence: float

    def to_evidence(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "confidence": round(self.confidence, 2)}


@lru_cache(maxsize=1)
def _detector() -> Any:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    languages = []
    for code in CANDIDATES:
        try:
            languages.append(Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())))
        except (AttributeError, ValueError):
            continue
    builder = LanguageDetectorBuilder.from_languages(*languages)
    return builder.with_preloaded_language_models().with_low_accuracy_mode().build()


def preload_detector() -> None:
    _detector()


def identify(text: str) -> LanguageGuess:
    """The most likely language of ``text`` among ``CANDIDATES``."""
    if _URDU_LETTERS.intersection(text):
        return LanguageGuess("ur", "Urdu (or Punjabi in Shahmukhi)", 1.0)
    values = _detector().compute_language_confidence_values(text)
    if not values or values[0].value < MIN_CONFIDENCE:
        return LanguageGuess(
            None, "a language it could not identify", values[0].value if values else 0.0
        )
    top = values[0]
    return LanguageGuess(
        top.language.iso_code_639_1.name.lower(), top.language.name.title(), top.value
    )


def has_other_script(text: str) -> bool:
    """Letters outside the Latin script (Arabic, Bengali, Gurmukhi, Gujarati, Cyrillic...)."""
    for char in text:
        if char.isalpha() and ord(char) > 0x024F:
            name = unicodedata.name(char, "")
            if not name.startswith("LATIN"):
                return True
    return False
