"""Which language a patient is written to in, and the bilingual form.

The Welsh Language Standards (No. 7) Regulations 2018: correspond in the language the patient
chose (standard 2) and, where their choice is not known, bilingually (standard 5), Welsh first.
A bilingual message is written `cy+en`: each part rendered from its own template and joined.
"""

from __future__ import annotations

from collections.abc import Sequence

WELSH = "cy"
ENGLISH = "en"
BILINGUAL = f"{WELSH}+{ENGLISH}"  # Welsh first, then English

# SMS in these languages must stay GSM-7: their letters are all in it once Welsh circumflexes are
# written without (see docs/welsh.md); other languages (Polish ł) may need UCS-2.
GSM_ONLY = frozenset({ENGLISH, WELSH, BILINGUAL})

NAMES = {ENGLISH: "English", WELSH: "Cymraeg (Welsh)", BILINGUAL: "Cymraeg and English"}


def parts(language: str) -> tuple[str, ...]:
    """The single languages of a (possibly bilingual) language: `cy+en` is ("cy", "en")."""
    return tuple(language.split("+"))


def correspondence_language(preference: str | None, served: Sequence[str]) -> str:
    """What to write to a patient in: their recorded choice; with none, bilingually where the
    trust serves Welsh, else English (or the trust's only language)."""
    if preference:
        return preference
    if WELSH in served:
        return BILINGUAL
    return ENGLISH if ENGLISH in served or not served else served[0]


def patient_languages(served: Sequence[str]) -> list[str]:
    """Every form a trust's patients can be written to in: English, each other language it
    serves and, where it serves Welsh, the bilingual form for patients with no recorded choice."""
    languages = [ENGLISH, *(code for code in served if code != ENGLISH)]
    if WELSH in served:
        languages.append(BILINGUAL)
    return languages
