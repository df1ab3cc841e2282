"""In Debian's Chromium against the service on a real port: the rota page passes axe-core with
no horizontal overflow at 1280 and 390 px, and an admin adds cover through its form. A
screenshot at 1280 px goes to SAFETYNET_SCREENSHOTS when set (docs/screenshots)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from pathway import audit
from pathway.rota_gaps import warn_about_gaps
from pathway.trust_loading import load_trust
from schema.config_file import read_config_file
from schema.db import session_scope
from schema.models import RotaOverride, StaffMember
from schema.types import utcnow
from tests.conftest import EXAMPLE_TRUST
from tests.web.conftest import give_passwords
from tests.web.test_browser import LiveService, live_service, screenshots  # noqa: F401 - fixtures
from tests.web.test_history_browser import check_page, sign_in

pytestmark = pytest.mark.timeout(120)


def seed() -> None:
    """The example trust, its staff able to sign in, and its consultant away: a gap now."""
    with session_scope() as session:
        trust = load_trust(
            session, read_config_file(EXAMPLE_TRUST), actor=audit.CLI, now=utcnow()
        ).trust
        give_passwords(session, trust)
        duty = session.scalars(select(StaffMember).where(StaffMember.key == "duty_consultant"))
        duty.one().active = False
    with session_scope() as session:
        warn_about_gaps(session, now=utcnow(), days=14)


def test_the_rota_page_passes_axe_and_an_admin_closes_a_gap_with_an_override(
    live_service: LiveService,  # noqa: F811
    page: Page,
    screenshots: Path,  # noqa: F811
) -> None:
    seed()
    base = live_service.base_url
    sign_in(page, base)
    for width in (1280, 390):
        check_page(page, f"{base}/rota", width)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base}/rota")
    expect(page.locator(".rota__nobody")).to_have_text("Nobody who can be reached is on now.")
    local = (utcnow() - timedelta(minutes=5)).astimezone(ZoneInfo("Europe/London"))
    page.get_by_label("Role", exact=True).select_option("on_call_consultant")
    page.get_by_label("From", exact=True).fill(local.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("To", exact=True).fill((local + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Who covers").select_option(label="Ben Carter")
    page.get_by_label("Reason").fill("Consultant on leave")
    page.get_by_role("button", name="Add cover").click()
    expect(page.get_by_role("status")).to_contain_text("The override is on the rota")
    expect(page.locator("#role-on_call_consultant")).to_contain_text("On now: Ben Carter.")
    page.screenshot(path=str(screenshots / "rota.png"), full_page=True)
    with session_scope() as session:
        (cover,) = session.scalars(select(RotaOverride)).all()
        assert cover.reason == "Consultant on leave" and cover.created_by.startswith("staff:")
