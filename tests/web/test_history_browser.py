"""In Debian's Chromium against the service on a real port: alert history, an alert's story and
audit trail, the monthly report and the trust page, each with axe-core (0 violations) and no
horizontal overflow at 390 px; an alert resolved from its own page with an outcome and an MRI
time. Screenshots at 1280 px go to SAFETYNET_SCREENSHOTS when set (docs/screenshots)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from pathway import audit
from pathway.trust_loading import load_trust
from schema.config_file import config_from_text, read_config_file
from schema.db import session_scope
from schema.models import Alert, Trust
from schema.types import utcnow
from tests.conftest import EXAMPLE_TRUST
from tests.pathway.month_scenario import Scenario, build_june
from tests.web.conftest import PASSWORD, give_passwords
from tests.web.test_browser import LiveService, live_service, screenshots  # noqa: F401 - fixtures

pytestmark = pytest.mark.timeout(120)

AXE = (Path(__file__).parent / "axe" / "axe.min.js").read_text(encoding="utf-8")
ADMIN = "priya.shah@riverside.example.nhs.uk"


def seed() -> Scenario:
    """The example trust in two versions, its staff able to sign in, and June 2026's alerts."""
    with session_scope() as session:
        trust = load_trust(
            session, read_config_file(EXAMPLE_TRUST), actor=audit.CLI, now=utcnow()
        ).trust
        text = EXAMPLE_TRUST.read_text().replace("minutes: 60", "minutes: 45")
        load_trust(
            session,
            config_from_text(text),
            actor=audit.CLI,
            now=utcnow(),
        )
        give_passwords(session, trust)
        return build_june(session, session.get(Trust, trust.id))  # type: ignore[arg-type]


def sign_in(page: Page, base_url: str) -> None:
    page.goto(base_url + "/sign-in")
    page.get_by_label("Email address").fill(ADMIN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Alerts", exact=True)).to_be_visible()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    page.evaluate(AXE)  # evaluated by the browser's own tools: the page's CSP stays in force
    result = page.evaluate("async () => JSON.stringify((await axe.run(document)).violations)")
    return list(json.loads(result))


WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .filter(e => !e.closest('.table-scroll, pre'))
  .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id)"""


def check_page(page: Page, url: str, width: int = 1280) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(url)
    for details in page.locator("details").all()[:12]:
        details.evaluate("d => d.open = true")  # check what is folded away too
    violations = axe_violations(page)
    assert violations == [], f"{url} at {width}px: " + "; ".join(
        f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in violations
    )
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    wide = page.evaluate(WIDEST)
    assert overflow <= 0, f"{url} at {width}px is {overflow}px wider than the viewport: {wide}"


def test_history_story_audit_report_and_trust_pages_pass_axe_at_1280_and_390_px(
    live_service: LiveService,  # noqa: F811
    page: Page,
    screenshots: Path,  # noqa: F811
) -> None:
    june = seed()
    base = live_service.base_url
    sign_in(page, base)
    a2, a5 = june.alert_ids["A2"], june.alert_ids["A5"]
    pages = [
        f"{base}/alerts",
        f"{base}/alerts?level=red&outcome=mscc_confirmed",
        f"{base}/alerts?from=2026-06-31",  # a bad date: the page says which filter it left out
        f"{base}/alerts/{a2}",
        f"{base}/alerts/{a5}",
        f"{base}/alerts/{a2}/audit",
        f"{base}/patients/{june.patient_ids[2]}/audit",
        f"{base}/reports/monthly?month=2026-06",
        f"{base}/trust?from=1&to=2",
    ]
    for url in pages:
        for width in (1280, 390):
            check_page(page, url, width)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base}/alerts")
    expect(page.locator("#history-title")).to_have_text("7 alerts")  # June's six, July's one
    page.goto(f"{base}/alerts?level=red&outcome=mscc_confirmed")
    history = page.locator("#history")
    expect(history).to_contain_text("MSCC confirmed")
    expect(history.locator("tbody tr")).to_have_count(1)
    page.goto(f"{base}/alerts")
    page.screenshot(path=str(screenshots / "alert-history.png"), full_page=True)

    page.goto(f"{base}/reports/monthly?month=2026-06")
    expect(page.locator("#incidence")).to_contain_text("Alerts raised: 6")
    expect(page.locator("svg#chart-levels title")).to_have_text(
        "Alerts raised in 2026-06, by level"
    )
    expect(page.locator("#timeliness")).to_contain_text("7 min")  # red median: 420 s
    page.screenshot(path=str(screenshots / "monthly-report.png"), full_page=True)

    page.goto(f"{base}/alerts/{a2}")
    story = page.locator("#story")
    for told in (
        "Escalated to step 2 of 3",
        "Acknowledged by Ben Carter",
        "Outcome: MSCC confirmed",
    ):
        expect(story).to_contain_text(told)


def test_an_open_alert_is_resolved_from_its_page_with_an_outcome_and_an_mri_time(
    live_service: LiveService,  # noqa: F811
    page: Page,
) -> None:
    june = seed()
    base = live_service.base_url
    sign_in(page, base)
    a5 = june.alert_ids["A5"]
    page.goto(f"{base}/alerts/{a5}")
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator(".field__error")).to_contain_text("Choose what happened from the list")
    page.get_by_label("Outcome").select_option("mri_arranged")
    page.get_by_label("MRI time").fill("2026-06-26T09:30")
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator(".notice--done")).to_contain_text("is resolved")
    expect(page.locator("#story")).to_contain_text("Resolved by Priya Shah")
    with session_scope() as session:
        alert = session.scalars(select(Alert).where(Alert.id == a5)).one()
        assert alert.state == "resolved" and alert.outcome == "mri_arranged"
        assert alert.acknowledged_by_id == alert.resolved_by_id  # acknowledged first, by her
        assert alert.mri_at is not None and alert.mri_at.isoformat() == "2026-06-26T08:30:00+00:00"
    assert re.search(r"MRI", page.locator("#story").inner_text())
