"""Alert history, an alert's story, the monthly report (page, CSV, API), the audit trails and
the trust page over HTTP, on June 2026 (tests/pathway/month_scenario.py)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from pathway import audit
from pathway.trust_loading import load_trust
from schema.config_file import config_from_text
from schema.db import session_scope
from schema.models import Alert, Trust
from schema.types import utcnow
from schema.vocabulary import Label
from tests.conftest import EXAMPLE_TRUST
from tests.pathway.month_scenario import Scenario, build_june
from tests.web.conftest import Staff, World, bearer, signed_in
from tests.web.test_pages import raise_for


@pytest.fixture
def june(world: World) -> Scenario:
    with session_scope() as session:
        trust = session.get(Trust, world.a.trust_id)
        assert trust is not None
        return build_june(session, trust)


def rows_of(html: str) -> list[str]:
    body = html[html.index('<table class="table history">') : html.index("</table>")]
    return re.findall(r'<a href="/alerts/\d+">alert (\w+)</a>', body)


def code(alert_id: int) -> str:
    with session_scope() as session:
        return session.scalars(select(Alert.code).where(Alert.id == alert_id)).one()


def test_history_lists_every_alert_newest_first_and_filters_by_date_level_outcome_and_person(
    world: World, june: Scenario, app: FastAPI
) -> None:
    staff = signed_in(app, world.a.coordinator)
    ids = june.alert_ids
    everything = rows_of(staff.get("/alerts").text)
    # the world's own alert (raised today) first, then July's A6 and June's A5
    assert everything[:3] == [code(world.a.alert_id), code(ids["A6"]), code(ids["A5"])]
    assert len(everything) == 8
    june_only = rows_of(staff.get("/alerts?from=2026-06-01&to=2026-06-30").text)
    assert code(ids["A7"]) in june_only and code(ids["A6"]) not in june_only  # local days
    assert len(june_only) == 6
    amber = rows_of(staff.get("/alerts?level=amber").text)
    assert sorted(amber) == sorted([code(ids["A4"]), code(ids["A5"])])
    assert rows_of(staff.get("/alerts?outcome=admitted").text) == [code(ids["A3"])]
    with session_scope() as session:
        ben = session.scalars(select(Alert.acknowledged_by_id).where(Alert.id == ids["A2"])).one()
    assert rows_of(staff.get(f"/alerts?coordinator={ben}").text) == [code(ids["A2"])]
    assert "4 min" in staff.get("/alerts?outcome=mri_arranged").text  # time to acknowledge


def test_a_bad_filter_is_named_and_left_out_and_nothing_else_changes(
    world: World, june: Scenario, app: FastAPI
) -> None:
    staff = signed_in(app, world.a.coordinator)
    response = staff.get("/alerts?from=2026-02-30&level=purple&outcome=cured&page=x")
    assert response.status_code == 422
    for named in ("From: a date such as 2026-12-01", "Level: red or amber", "Outcome: one of"):
        assert named in response.text
    assert len(rows_of(response.text)) == 8


def resolve(alert_id: int) -> None:
    with session_scope() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None
        alert.state, alert.resolved_at, alert.next_escalation_at = "resolved", utcnow(), None


def test_history_pages_25_at_a_time_and_keeps_the_filters_on_the_links(
    world: World, app: FastAPI
) -> None:
    # One open alert per patient: each is resolved before the next is raised.
    resolve(world.a.alert_id)
    for minutes in range(30):
        resolve(raise_for(world.a.trust_id, world.a.patient_id, Label.AMBER, minutes))
    staff = signed_in(app, world.a.coordinator)
    first = staff.get("/alerts?level=amber").text
    assert len(rows_of(first)) == 25 and "page 1 of 2" in first
    assert 'href="/alerts?level=amber&amp;page=2"' in first
    second = staff.get("/alerts?level=amber&page=2").text
    assert len(rows_of(second)) == 5 and 'rel="prev"' in second


def test_an_alerts_story_tells_every_step_in_order_in_the_trusts_time(
    world: World, june: Scenario, app: FastAPI
) -> None:
    html = signed_in(app, world.a.coordinator).get(f"/alerts/{june.alert_ids['A2']}").text
    story = html[
        html.index('<ol class="story">') : html.index("</ol>", html.index('class="story"'))
    ]
    titles = re.findall(r'<p class="story__title"><strong>([^<]+)</strong>', story)
    assert titles == [
        "Reply from the patient",
        "RED alert " + code(june.alert_ids["A2"]) + " raised",
        "Step 1 of 3: notified",
        "Escalated to step 2 of 3",
        "Acknowledged by Ben Carter on the dashboard",
        "Told who took the alert",
        "Resolved by Ben Carter",
        "MRI (done or booked)",
    ]
    # 02:00 UTC on 10 June is 03:00 in London (summer time)
    assert "03:00:00 Wed 10 Jun 2026" in story and "12 min after the alert was raised" in story
    assert "Outcome: MSCC confirmed." in story and "30 h after the reply arrived" in story


def test_the_monthly_report_page_shows_the_figures_with_charts_and_their_text(
    world: World, june: Scenario, app: FastAPI
) -> None:
    html = signed_in(app, world.a.coordinator).get("/reports/monthly?month=2026-06").text
    assert "Alerts raised: 6" in html
    assert re.findall(r'<svg class="chart" id="(chart-[a-z]+)" role="img"', html) == [
        "chart-levels",
        "chart-acknowledge",
        "chart-outcomes",
    ]
    assert '<title id="chart-levels-title">Alerts raised in 2026-06, by level</title>' in html
    assert '<desc id="chart-levels-desc">Red: 4, Amber: 2.</desc>' in html
    assert "<script" not in html.replace('<script src="/static/refresh.js"', "")
    red = re.search(
        r'<tr><th scope="row">Red</th>(.*?)</tr>', html[html.index('id="timeliness"') :]
    )
    assert red and [c for c in re.findall(r"<td>([^<]*)</td>", red.group(1))] == [
        "4", "7 min", "12 min", "2", "25 h", "30 h", "1 of 2 (24 hours)"
    ]  # fmt: skip


def test_the_monthly_report_as_csv_carries_the_same_figures(
    world: World, june: Scenario, app: FastAPI
) -> None:
    response = signed_in(app, world.a.coordinator).get("/reports/monthly.csv?month=2026-06")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert 'filename="safetynet-RXX-2026-06.csv"' in response.headers["content-disposition"]
    rows = {
        (r["section"], r["level"], r["measure"]): r["value"]
        for r in csv.DictReader(io.StringIO(response.text))
    }
    assert rows[("alerts", "all", "raised")] == "6"
    assert rows[("acknowledge", "red", "median")] == "420"
    assert rows[("acknowledge", "all", "90th percentile")] == "1800"
    assert rows[("mri", "red", "median from reply")] == "90000"
    assert rows[("outcome", "all", "MSCC confirmed")] == "1"
    assert rows[("review", "all", "deadline not recorded")] == "2"


def test_the_report_api_answers_json_for_the_tokens_trust_only(
    world: World, june: Scenario, app: FastAPI
) -> None:
    client = Staff(app).client
    answer = client.get("/api/v1/reports/monthly?month=2026-06", headers=bearer(world.a.token))
    assert answer.status_code == 200
    data = answer.json()
    assert data["trust_code"] == "RXX" and data["alerts"] == 6
    red = next(f for f in data["levels"] if f["level"] == "red")
    assert red["acknowledged"] == {"count": 4, "median_seconds": 420.0, "p90_seconds": 720.0}
    assert red["escalated_beyond_first_step"] == 1
    other = client.get("/api/v1/reports/monthly?month=2026-06", headers=bearer(world.b.token))
    assert other.json()["trust_code"] == "RYY" and other.json()["alerts"] == 0
    bad = client.get("/api/v1/reports/monthly?month=June", headers=bearer(world.a.token))
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "month"]
    assert client.get("/api/v1/reports/monthly?month=2026-06").status_code == 401


def test_a_bad_month_on_the_page_and_the_csv_is_named(world: World, app: FastAPI) -> None:
    staff = signed_in(app, world.a.coordinator)
    page = staff.get("/reports/monthly?month=2026-13")
    assert page.status_code == 422 and "Month: a month such as 2026-12" in page.text
    assert staff.get("/reports/monthly.csv?month=x").status_code == 422


def test_the_api_resolves_with_an_outcome_and_names_a_bad_field(world: World, app: FastAPI) -> None:
    client = Staff(app).client
    path = f"/api/v1/alerts/{world.a.alert_id}/resolve"
    body = {"staff_email": world.a.coordinator, "outcome": "cured"}
    refused = client.post(path, json=body, headers=bearer(world.a.token))
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "outcome"]
    body = {**body, "outcome": "mri_arranged", "mri_at": "2000-01-01T00:00:00+00:00"}
    refused = client.post(path, json=body, headers=bearer(world.a.token))
    assert refused.json()["detail"][0]["loc"] == ["body", "mri_at"]
    with session_scope() as session:
        assert session.get(Alert, world.a.alert_id).state == "open"  # type: ignore[union-attr]
    body["mri_at"] = utcnow().isoformat()
    done = client.post(path, json=body, headers=bearer(world.a.token)).json()
    assert done["resolved"] is True and done["alert"]["outcome_name"] == "MRI arranged"
    assert done["alert"]["acknowledged_by"] == done["alert"]["resolved_by"] == "Asha Okafor"
    again = client.post(path, json=body, headers=bearer(world.a.token)).json()
    assert again["resolved"] is False


def test_audit_trails_read_as_who_did_what_and_show_no_identifier(
    world: World, june: Scenario, app: FastAPI
) -> None:
    staff = signed_in(app, world.a.coordinator)
    trail = staff.get(f"/alerts/{june.alert_ids['A2']}/audit").text
    table = trail[trail.index("<tbody>") : trail.index("</tbody>")]
    alert_code = code(june.alert_ids["A2"])
    for said in (
        f"raised RED alert {alert_code} for limb weakness",
        f"escalated alert {alert_code} to step 2",
        f"acknowledged alert {alert_code} on the dashboard",
        f"resolved alert {alert_code}: mscc confirmed; MRI time recorded",
    ):
        assert said in table, said
    assert "<td>Ben Carter</td>" in table and "<td>The safety net</td>" in table
    patient_trail = staff.get(f"/patients/{june.patient_ids[2]}/audit").text
    body = patient_trail[patient_trail.index("<tbody>") : patient_trail.index("</tbody>")]
    assert "enrolled the patient" in body and alert_code in body
    for identifier in ("+4477", "07700", "999 ", "limb_weakness", "staff:"):
        assert identifier not in body and identifier not in table, identifier


def test_the_trust_page_previews_every_template_and_diffs_two_versions(
    world: World, app: FastAPI
) -> None:
    text = EXAMPLE_TRUST.read_text().replace("minutes: 60", "minutes: 45")
    with session_scope() as session:
        load_trust(session, config_from_text(text), actor=audit.CLI, now=utcnow())
    staff = signed_in(app, world.a.admin)
    html = staff.get("/trust").text
    assert "24-hour MSCC coordinator line</dt><dd>0113 496 0001" in html
    assert "between <strong>09:00</strong> and <strong>20:00</strong>, every day" in html
    assert 'id="timeline-spinal_mets"' in html and "checkin</code>: after 3 days" in html
    assert "(52 in all)" in html  # 3 days, then weekly to week 52
    previews = html[html.index('id="previews"') :]
    assert 'id="preview-welcome"' in previews and "SMS Welsh" in previews
    assert "Ann Example" in previews and "{{" not in previews
    assert re.search(r"SMS in English: \d SMS segments? \(GSM-7\)", previews)
    assert "<ins>+      - notify: [asha]</ins>" not in html  # unchanged lines are context
    assert "<del>-        minutes: 60</del>" in html and "<ins>+        minutes: 45</ins>" in html
    assert "Changes from version 1 to version 2" in html
    bad = staff.get("/trust?from=1&to=9")
    assert bad.status_code == 422 and "Choose two versions" in bad.text
