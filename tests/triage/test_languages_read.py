"""Languages: which are read, which go to a person (named), and how each is read."""

from __future__ import annotations

import pytest

from messages.triage import preload, triage
from messages.triage.language import identify
from messages.triage.loader import lexicon_languages
from schema.vocabulary import Label, Review


def test_the_lexicon_reads_the_commonest_uk_community_languages() -> None:
    assert {"en", "cy", "pl", "ro", "pt", "tr", "lt", "so", "ar", "ur", "pa", "bn", "gu"} <= set(
        lexicon_languages()
    )


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Sunt bine, mulțumesc", Label.NONE),
        ("Picioarele îmi sunt amorțite de ieri", Label.RED),
        ("Estou bem, obrigado", Label.NONE),
        ("Não consigo fazer xixi desde hoje de manhã", Label.RED),
        ("İyiyim, teşekkürler", Label.NONE),
        ("Bacaklarım dünden beri uyuşuk", Label.RED),  # noqa: RUF001 (Turkish dotless i)
        ("Viskas gerai, ačiū", Label.NONE),
        ("Kojos nutirpusios nuo vakar", Label.RED),
        ("Waan fiicanahay, mahadsanid", Label.NONE),
        ("Lugahaygu way kabuubyoobeen", Label.RED),
        ("الحمد لله بخير", Label.NONE),
        ("رجليّ مخدّرين من امبارح", Label.RED),
        ("main bilkul theek hoon, koi nayi takleef nahi", Label.NONE),
        ("pairon mein jhunjhunahat ho rahi hai", Label.RED),
        ("ਮੈਂ ਠੀਕ ਹਾਂ ਜੀ", Label.NONE),
        ("ਮੇਰੀਆਂ ਲੱਤਾਂ ਸੁੰਨ ਹੋ ਗਈਆਂ ਨੇ", Label.RED),
        ("সব ঠিক আছে, ধন্যবাদ", Label.NONE),
        ("আমার পা দুটো অবশ হয়ে গেছে", Label.RED),
        ("બધું સારું છે, આભાર", Label.NONE),
        ("મારા પગ સુન્ન થઈ ગયા છે", Label.RED),
    ],
)
def test_each_language_reads_an_all_well_reply_and_a_red_one(text: str, label: Label) -> None:
    assert triage(text).label == label


def test_a_reply_in_a_language_the_trust_does_not_serve_goes_to_urgent_review_named() -> None:
    result = triage("Estou com as pernas dormentes desde ontem", languages=("en", "cy"))
    assert result.label == Label.UNCLEAR
    assert result.review == Review.URGENT
    assert result.evidence["language"]["name"] == "Portuguese"
    assert "Portuguese" in result.evidence["reason"]


def test_a_language_the_lexicon_has_no_file_for_is_named_for_the_reviewer() -> None:
    result = triage("Je me sens bizarre, mes jambes ne tiennent plus")
    assert result.review == Review.URGENT
    assert result.evidence["language"]["code"] == "fr"


def test_english_symptom_words_in_a_reply_otherwise_unread_still_raise_the_alert() -> None:
    assert triage("Dzień dobry, my legs are numb", languages=("en",)).label == Label.RED


def test_a_plain_english_reply_never_asks_the_language_detector() -> None:
    assert "language" not in triage("fine thanks, off to bingo later").evidence


def test_short_romanised_text_the_detector_cannot_place_is_not_given_a_wrong_name() -> None:
    assert identify("ok ji").code is None


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Boli mnie między łopatkami od tygodnia", Label.AMBER),  # shoulder blades
        ("Nie mam drętwienia ani osłabienia nóg", Label.NONE),  # nie mam ... ani ...
        ("Wszystko dobrze, nie mam ani drętwień, ani osłabienia", Label.NONE),
        ("Mae'r boen yn fy nghefn yn waeth", Label.AMBER),  # clitic 'r split
        ("Dw i'n methu teimlo'r llawr o dan fy nhraed", Label.RED),
    ],
)
def test_the_welsh_and_polish_gaps_of_issue_11(text: str, label: Label) -> None:
    assert triage(text).label == label


def test_preload_loads_every_reader_and_the_detector() -> None:
    preload()
    assert triage("Sunt bine, mulțumesc").label == Label.NONE
