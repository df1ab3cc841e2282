"""SMS encoding, length, segments and normalisation."""

from __future__ import annotations

import pytest

from messages.sms import measure, non_gsm_characters, normalise, sms_info


def test_plain_english_is_gsm_7() -> None:
    info = sms_info("Hello Ann, how are you? Phone 0113 496 0001 (24 hours).")
    assert info.encoding == "GSM-7"


def test_gsm_accents_and_symbols_stay_gsm_7() -> None:
    assert measure("£5 @ café Ñoño ¿Qué? §1 ΔΩ").encoding == "GSM-7"


@pytest.mark.parametrize("text", ["Bore da, ŵyr", "Łódź", "Zoë", "I'm fine 👍", "ç"])
def test_one_non_gsm_character_makes_the_whole_message_ucs_2(text: str) -> None:
    assert sms_info(text).encoding == "UCS-2"


@pytest.mark.parametrize("char", list("^{}\\[~]|€\f"))
def test_extension_characters_count_as_two_septets(char: str) -> None:
    info = measure(f"ab{char}")
    assert (info.encoding, info.length) == ("GSM-7", 4)


def test_the_escape_character_itself_is_not_sendable_as_gsm_7() -> None:
    assert measure("a\x1bb").encoding == "UCS-2"


@pytest.mark.parametrize(
    ("length", "segments"),
    [(0, 1), (1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4), (612, 4)],
)
def test_gsm_7_segments_are_160_then_153_each(length: int, segments: int) -> None:
    info = measure("a" * length)
    assert (info.encoding, info.length, info.segments) == ("GSM-7", length, segments)


@pytest.mark.parametrize(
    ("length", "segments"), [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)]
)
def test_ucs_2_segments_are_70_then_67_each(length: int, segments: int) -> None:
    info = measure("ŵ" * length)
    assert (info.encoding, info.length, info.segments) == ("UCS-2", length, segments)


def test_an_empty_message_is_one_segment() -> None:
    assert measure("").segments == 1


def test_extension_characters_push_a_message_over_the_boundary() -> None:
    assert measure("a" * 158 + "€").segments == 1
    assert measure("a" * 159 + "€").segments == 2


def test_an_escape_pair_is_never_split_across_two_parts() -> None:
    # 152 septets then a 2-septet character: it starts the second part instead of straddling.
    assert measure("a" * 152 + "€" + "a" * 152).length == 306
    assert measure("a" * 152 + "€" + "a" * 152).segments == 3
    assert measure("a" * 151 + "€" + "a" * 153).segments == 2


def test_an_emoji_is_two_utf_16_code_units() -> None:
    info = sms_info("👍")
    assert (info.encoding, info.length) == ("UCS-2", 2)
    assert sms_info("👍" * 35).segments == 1
    assert sms_info("👍" * 35 + "a").segments == 2


def test_a_surrogate_pair_is_never_split_across_two_parts() -> None:
    assert measure("ŵ" * 66 + "👍" + "ŵ" * 66).segments == 3
    assert measure("ŵ" * 65 + "👍" + "ŵ" * 67).segments == 2


def test_smart_quotes_dashes_and_ellipsis_are_normalised_to_gsm_7() -> None:
    text = "\u201cDon\u2019t wait\u201d \u2013 phone now \u2014 even at night\u2026"
    info = sms_info(text)
    assert info.text == '"Don\'t wait" - phone now - even at night...'
    assert info.encoding == "GSM-7"


@pytest.mark.parametrize(
    ("odd", "plain"),
    [
        ("a\u00a0b", "a b"),
        ("a\u202fb", "a b"),
        ("a\u2009b", "a b"),
        ("a\tb", "a b"),
        ("a\u200bb", "ab"),
        ("a\u00adb", "ab"),
        ("\ufeffab", "ab"),
        ("\u2022 item", "- item"),
        ("5\u22123", "5-3"),
        ("\u2018x\u2019 \u00abx\u00bb", "'x' \"x\""),
        ("a\r\nb", "a\nb"),
        ("cafe\u0301", "café"),
    ],
)
def test_look_alike_unicode_becomes_its_gsm_equivalent(odd: str, plain: str) -> None:
    assert normalise(odd) == plain
    assert measure(normalise(odd)).encoding == "GSM-7"


@pytest.mark.parametrize("genuine", ["ŵ ŷ â", "ł Ł", "👍🏽", "👨\u200d👩\u200d👧", "日本"])
def test_genuinely_non_gsm_text_is_left_alone(genuine: str) -> None:
    assert normalise(genuine) == genuine


def test_non_gsm_characters_names_each_culprit_once() -> None:
    assert non_gsm_characters("ŵ a ŵ ł") == ["ŵ", "ł"]


def test_sms_info_reports_the_normalised_text() -> None:
    assert sms_info("it\u2019s").text == "it's"
