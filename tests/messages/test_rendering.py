"""Rendering every template for the example trust: content, safety wording, budgets, errors."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from messages.catalogue import CATALOGUE, TEMPLATE_DIR, sample_context
from messages.rendering import Renderer, RenderError, TemplateNotFound, render
from schema.trust_config import TrustConfig
from tests.messages.conftest import COORDINATOR_LINE

EVERY_MESSAGE = [(key, channel) for key, spec in CATALOGUE.items() for channel in spec.channels]
EVERY_SMS = [key for key, spec in CATALOGUE.items() if "sms" in spec.channels]
PATIENT_MESSAGES = [
    (key, channel)
    for key, channel in EVERY_MESSAGE
    if CATALOGUE[key].audience == "patient" and key != "unknown_sender"
]
PATIENT_SMS = [key for key in EVERY_SMS if CATALOGUE[key].audience == "patient"]
STAFF_ALERTS = ["coordinator_alert", "escalation_alert"]


def body(key: str, channel: str, context: dict[str, Any]) -> str:
    rendered = render(key, channel, context)
    return "\n".join(part for part in (rendered.subject, rendered.text, rendered.html) if part)


@pytest.mark.parametrize(("key", "channel"), EVERY_MESSAGE)
def test_every_template_renders_for_the_example_trust(
    key: str, channel: str, ordinary: dict[str, Any]
) -> None:
    rendered = render(key, channel, ordinary)
    assert rendered.text.strip()
    if channel == "sms":
        assert rendered.sms is not None and rendered.subject is None and rendered.html is None
    elif channel == "voice":  # words to speak, on one line
        assert rendered.subject is None and rendered.html is None and rendered.sms is None
        assert "\n" not in rendered.text and "{" not in rendered.text
    else:
        assert rendered.subject and rendered.html and rendered.sms is None
        assert "\n" not in rendered.subject


@pytest.mark.parametrize(("key", "channel"), PATIENT_MESSAGES)
def test_every_patient_message_gives_the_24_hour_line_and_999(
    key: str, channel: str, ordinary: dict[str, Any]
) -> None:
    text = render(key, channel, ordinary).text
    assert COORDINATOR_LINE in text
    assert "24 hours" in text
    assert "999" in text


@pytest.mark.parametrize(
    "key", [key for key, spec in CATALOGUE.items() if spec.invites_reply and "sms" in spec.channels]
)
def test_every_sms_that_invites_a_reply_says_phone_now_and_do_not_wait_for_a_reply(
    key: str, ordinary: dict[str, Any]
) -> None:
    text = render(key, "sms", ordinary).text
    assert f"If it is urgent, phone {COORDINATOR_LINE} now" in text
    assert "Do not wait for a reply to this text" in text


def test_the_unknown_sender_reply_gives_999_and_no_trust_numbers(
    ordinary: dict[str, Any],
) -> None:
    text = render("unknown_sender", "sms", ordinary).text
    assert "999" in text
    assert not re.search(r"\d{4} \d{3} \d{4}", text)


@pytest.mark.parametrize("key", PATIENT_SMS)
def test_no_patient_sms_names_cancer_or_mscc_and_its_first_line_is_discreet(
    key: str, ordinary: dict[str, Any]
) -> None:
    text = render(key, "sms", ordinary).text.lower()
    for word in ("cancer", "mscc", "metasta", "tumour", "spinal cord"):
        assert word not in text
    first_line = text.split("\n")[0]
    for word in ("oncology", "spine", "spinal", "alert"):
        assert word not in first_line


def test_the_welcome_gives_the_nice_symptoms_of_spinal_metastases_and_mscc(
    ordinary: dict[str, Any],
) -> None:
    for channel in ("sms", "email"):
        text = render("welcome", channel, ordinary).text.lower()
        for words in (
            "band of pain",
            "numbness, weakness",
            "bladder or bowel",
            "middle back or neck" if channel == "sms" else "middle or top of your back or neck",
            "getting worse",
            "cough, sneeze or go to the toilet",
            "stops you",
            "a&e",
            "night",
            "weekend",
        ):
            assert words in text, (channel, words)


@pytest.mark.parametrize("key", EVERY_SMS)
def test_every_english_sms_is_gsm_7(key: str, worst_case: dict[str, Any]) -> None:
    sms = render(key, "sms", worst_case).sms
    assert sms is not None and sms.encoding == "GSM-7"


@pytest.mark.parametrize("key", EVERY_SMS)
def test_every_sms_is_within_its_segment_budget_in_the_worst_case(
    key: str, worst_case: dict[str, Any]
) -> None:
    sms = render(key, "sms", worst_case).sms
    assert sms is not None
    assert sms.segments <= CATALOGUE[key].sms_budget, sms.text


def test_the_budgets_are_those_agreed() -> None:
    budgets = {key: spec.sms_budget for key, spec in CATALOGUE.items()}
    assert budgets.pop("welcome") == 4
    assert budgets.pop("unknown_sender") == 1
    assert set(budgets.values()) == {2}


@pytest.mark.parametrize("key", STAFF_ALERTS)
def test_a_long_reply_excerpt_is_shortened_with_an_ellipsis_to_fit_the_budget(
    key: str, worst_case: dict[str, Any]
) -> None:
    excerpt = worst_case["alert"]["reply_excerpt"]
    assert len(excerpt) == 160
    sms = render(key, "sms", worst_case).sms
    assert sms is not None and sms.segments <= 2
    quoted = re.search(r'wrote: "(.*)"', sms.text)
    assert quoted is not None
    assert quoted.group(1).endswith("...")
    assert excerpt.startswith(quoted.group(1).removesuffix("..."))


@pytest.mark.parametrize("key", STAFF_ALERTS)
def test_a_short_reply_excerpt_is_sent_whole(key: str, ordinary: dict[str, Any]) -> None:
    text = render(key, "sms", ordinary).text
    assert f'"{ordinary["alert"]["reply_excerpt"]}"' in text


@pytest.mark.parametrize("key", STAFF_ALERTS)
def test_the_alert_email_keeps_the_whole_excerpt(key: str, worst_case: dict[str, Any]) -> None:
    excerpt = worst_case["alert"]["reply_excerpt"]
    assert excerpt in render(key, "email", worst_case).text


def test_shortening_does_not_change_the_callers_context(worst_case: dict[str, Any]) -> None:
    before = worst_case["alert"]["reply_excerpt"]
    render("coordinator_alert", "sms", worst_case)
    assert worst_case["alert"]["reply_excerpt"] == before


@pytest.mark.parametrize("key", STAFF_ALERTS)
def test_a_staff_alert_says_everything_needed_to_act(key: str, ordinary: dict[str, Any]) -> None:
    for channel in ("sms", "email"):
        text = render(key, channel, ordinary).text
        for fact in ("RED", "K7P2Q", "Ann Example", "943 476 5919", "07700 900299"):
            assert fact in text, (channel, fact)
        assert "bladder problem" in text
        assert "ACK K7P2Q" in text
        assert ordinary["dashboard_url"] in text


def test_an_escalation_says_which_step_was_missed_and_which_this_is(
    ordinary: dict[str, Any],
) -> None:
    for channel in ("sms", "email"):
        text = render("escalation_alert", channel, ordinary).text
        assert "step 1" in text and "step 2 of 3" in text


def test_an_escalation_after_the_last_step_says_it_is_a_repeat(ordinary: dict[str, Any]) -> None:
    ordinary["alert"] = {**ordinary["alert"], "round": 2, "step": 3}
    assert "repeat 2" in render("escalation_alert", "sms", ordinary).text


def test_alert_taken_says_who_took_it_and_when_in_local_time(ordinary: dict[str, Any]) -> None:
    text = render("alert_taken", "sms", ordinary).text
    assert "K7P2Q" in text
    assert ordinary["alert"]["acknowledged_by"] in text
    assert "00:58 on Mon 31 Mar" in text  # 23:58 UTC, after the clock went forward
    assert "No action needed" in text


def test_html_is_autoescaped_but_sms_and_plain_text_are_not(ordinary: dict[str, Any]) -> None:
    ordinary["alert"] = {**ordinary["alert"], "reply_excerpt": "<b>legs</b> & back"}
    email = render("coordinator_alert", "email", ordinary)
    assert email.html is not None
    assert "&lt;b&gt;legs&lt;/b&gt; &amp; back" in email.html
    assert "<b>legs</b> & back" in email.text
    assert "<b>legs</b> & back" in render("coordinator_alert", "sms", ordinary).text


def test_patient_emails_ask_for_replies_by_text_not_by_email(ordinary: dict[str, Any]) -> None:
    text = render("checkin", "email", ordinary).text
    assert "07700 900000" in text
    assert "do not reply to this email" in text


def test_email_html_is_a_whole_accessible_page(ordinary: dict[str, Any]) -> None:
    html = render("welcome", "email", ordinary).html
    assert html is not None
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in html
    assert "<title>" in html and "<h1" in html
    assert 'href="tel:01134960001"' in html


def test_a_missing_variable_is_an_error_not_a_blank(ordinary: dict[str, Any]) -> None:
    without = {k: v for k, v in ordinary.items() if k != "patient"}
    with pytest.raises(RenderError, match="patient"):
        render("checkin", "sms", without)
    with pytest.raises(RenderError, match="given_name"):
        render("checkin", "sms", {**ordinary, "patient": None})
    with pytest.raises(RenderError, match="failed_messages"):
        render(
            "unreachable_patient",
            "email",
            {k: v for k, v in ordinary.items() if k != "failed_messages"},
        )


def test_an_unknown_template_key_is_a_clear_error(ordinary: dict[str, Any]) -> None:
    with pytest.raises(TemplateNotFound, match="no_such_message"):
        render("no_such_message", "sms", ordinary)
    with pytest.raises(TemplateNotFound, match="not a template key"):
        render("../welcome", "sms", ordinary)


def test_an_unknown_channel_or_one_the_template_lacks_is_a_clear_error(
    ordinary: dict[str, Any],
) -> None:
    with pytest.raises(TemplateNotFound, match="channel 'fax'"):
        render("welcome", "fax", ordinary)
    with pytest.raises(TemplateNotFound, match="stop_confirmation/email"):
        render("stop_confirmation", "email", ordinary)


def test_a_language_without_its_own_template_falls_back_to_english(
    ordinary: dict[str, Any],
) -> None:
    assert render("checkin", "sms", ordinary, "pl").text == render("checkin", "sms", ordinary).text
    html = render("checkin", "email", ordinary, "pl").html
    assert html is not None and '<html lang="pl">' in html


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    copy = tmp_path / "templates"
    shutil.copytree(TEMPLATE_DIR, copy)
    return copy


def test_a_language_variant_is_used_when_present(templates: Path, ordinary: dict[str, Any]) -> None:
    (templates / "thank_you" / "sms.cy.txt.j2").write_text("Diolch {{ patient.given_name }}.")
    rendered = Renderer(templates).render("thank_you", "sms", ordinary, "cy")
    assert rendered.text == "Diolch Ann."
    assert Renderer(templates).source("thank_you", "sms.txt.j2", "cy") == "thank_you/sms.cy.txt.j2"


def test_look_alike_unicode_in_a_template_is_sent_as_gsm_7(
    templates: Path, ordinary: dict[str, Any]
) -> None:
    (templates / "thank_you" / "sms.txt.j2").write_text(
        "Thank you \u2013 it\u2019s \u201cnoted\u201d\u2026\u00a0{{ contacts.mscc_coordinator }}"
    )
    sms = Renderer(templates).render("thank_you", "sms", ordinary).sms
    assert sms is not None
    assert sms.text == 'Thank you - it\'s "noted"... 0113 496 0001'
    assert sms.encoding == "GSM-7"


def test_an_alert_that_cannot_fit_even_without_its_excerpt_is_still_rendered(
    templates: Path, ordinary: dict[str, Any]
) -> None:
    (templates / "coordinator_alert" / "sms.txt.j2").write_text(
        "x" * 400 + ' "{{ alert.reply_excerpt }}"'
    )
    sms = Renderer(templates).render("coordinator_alert", "sms", ordinary).sms
    assert sms is not None and sms.segments == 3
    assert sms.text.endswith('"..."')


def test_every_staff_alert_message_links_to_the_alerts_own_page(config: TrustConfig) -> None:
    context = sample_context(config, worst_case=False)
    link = "https://safetynet.example/alerts/7"
    alert_keys = (
        "coordinator_alert",
        "escalation_alert",
        "ack_confirmation",
        "unresolved_reminder",
        "alert_taken",
    )
    for key in alert_keys:
        for channel in CATALOGUE[key].channels:
            rendered = render(key, channel, context)
            assert link in rendered.text, f"{key} {channel}"
            if rendered.html is not None:
                assert f'href="{link}"' in rendered.html, f"{key} {channel} html"
    old = {**context, "alert": {k: v for k, v in context["alert"].items() if k != "id"}}
    assert "https://safetynet.example\n" in render("coordinator_alert", "email", old).text
