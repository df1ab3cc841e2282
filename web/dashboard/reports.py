"""The monthly audit report of the signed-in person's trust: a page with charts drawn on the
server, and the same figures as CSV. The figures come from `pathway.report`."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from pathway.report import Month, MonthlyReport, month_of, monthly_report, parse_month
from schema.db import session_scope
from schema.types import utcnow
from web.auth.identity import Viewer, current_staff
from web.dashboard.charts import Bar, bar_chart
from web.templating import render, span

router = APIRouter(include_in_schema=False)

TONES = {"red": "red", "amber": "amber"}


def chosen_month(request: Request, zone: ZoneInfo) -> Month:
    text = request.query_params.get("month", "")[:20]
    return parse_month(text) if text else month_of(utcnow(), zone)


def charts(report: MonthlyReport) -> dict[str, object]:
    levels = [
        Bar(f.level.capitalize(), f.alerts, str(f.alerts), TONES[f.level]) for f in report.levels
    ]
    acknowledge = []
    for f in report.levels:
        for what, value in (
            ("median", f.acknowledged.median_seconds),
            ("90th percentile", f.acknowledged.p90_seconds),
        ):
            if value is not None:
                acknowledge.append(
                    Bar(f"{f.level.capitalize()}, {what}", value, span(value), TONES[f.level])
                )
    outcomes = [Bar(o.name, o.count, str(o.count), "blue") for o in report.outcomes]
    if report.not_yet_resolved:
        outcomes.append(
            Bar("Not yet resolved", report.not_yet_resolved, str(report.not_yet_resolved), "grey")
        )
    return {
        "levels": bar_chart(
            "chart-levels",
            f"Alerts raised in {report.month}, by level",
            ", ".join(f"{b.label}: {b.shown}" for b in levels) + ".",
            levels,
        ),
        "acknowledge": bar_chart(
            "chart-acknowledge",
            "Time from alert to acknowledgement",
            "; ".join(f"{b.label}: {b.shown}" for b in acknowledge) + "."
            if acknowledge
            else "No alert was acknowledged this month.",
            acknowledge,
        ),
        "outcomes": bar_chart(
            "chart-outcomes",
            f"Outcomes of the alerts raised in {report.month}",
            "; ".join(f"{b.label}: {b.shown}" for b in outcomes) + ".",
            outcomes,
        ),
    }


@router.get("/reports/monthly", response_class=HTMLResponse)
def monthly_page(request: Request, viewer: Viewer = Depends(current_staff)) -> HTMLResponse:
    zone = ZoneInfo(viewer.timezone)
    try:
        month = chosen_month(request, zone)
    except ValueError as error:
        month, problem = month_of(utcnow(), zone), f"Month: {error}."
    else:
        problem = ""
    with session_scope() as session:
        report = monthly_report(session, viewer.trust_id, month, now=utcnow())
    return render(
        request,
        "report.html",
        {
            "viewer": viewer,
            "active": "reports",
            "report": report,
            "month": month,
            "previous": month.previous(),
            "following": month.following(),
            "charts": charts(report),
            "problem": problem,
        },
        status_code=422 if problem else 200,
    )


def report_rows(report: MonthlyReport) -> list[list[str]]:
    """The report as rows of (section, level, measure, value, unit): one figure a row."""

    def cell(value: float | int | None) -> str:
        if value is None:
            return ""
        return str(int(value)) if float(value).is_integer() else f"{value:.1f}"

    rows = [["alerts", "all", "raised", cell(report.alerts), "alerts"]]
    for f in report.levels:
        rows += [
            ["alerts", f.level, "raised", cell(f.alerts), "alerts"],
            ["acknowledge", f.level, "acknowledged", cell(f.acknowledged.count), "alerts"],
            ["acknowledge", f.level, "median", cell(f.acknowledged.median_seconds), "seconds"],
            [
                "acknowledge",
                f.level,
                "90th percentile",
                cell(f.acknowledged.p90_seconds),
                "seconds",
            ],
            ["acknowledge", f.level, "not acknowledged", cell(f.not_acknowledged), "alerts"],
            ["escalation", f.level, "beyond step 1", cell(f.escalated_beyond_first_step), "alerts"],
            ["escalation", f.level, "nobody reachable", cell(f.nobody_reachable), "alerts"],
            ["mri", f.level, "recorded", cell(f.mri.count), "alerts"],
            ["mri", f.level, "median from reply", cell(f.mri.median_seconds), "seconds"],
            ["mri", f.level, "90th percentile from reply", cell(f.mri.p90_seconds), "seconds"],
            ["mri", f.level, "within NICE target", cell(f.mri_within_target), "alerts"],
        ]
    overall = report.overall_acknowledged
    rows += [
        ["acknowledge", "all", "median", cell(overall.median_seconds), "seconds"],
        ["acknowledge", "all", "90th percentile", cell(overall.p90_seconds), "seconds"],
    ]
    rows += [["outcome", "all", o.name, cell(o.count), "alerts"] for o in report.outcomes]
    rows.append(["outcome", "all", "not yet resolved", cell(report.not_yet_resolved), "alerts"])
    r = report.reviews
    for measure, value in (
        ("items", r.items),
        ("deadline met", r.met),
        ("deadline missed", r.missed),
        ("pending", r.pending),
        ("deadline not recorded", r.not_recorded),
    ):
        rows.append(["review", "all", measure, cell(value), "replies"])
    return rows


@router.get("/reports/monthly.csv")
def monthly_csv(request: Request, viewer: Viewer = Depends(current_staff)) -> Response:
    try:
        month = chosen_month(request, ZoneInfo(viewer.timezone))
    except ValueError as error:
        return PlainTextResponse(f"month: {error}\n", status_code=422)
    with session_scope() as session:
        report = monthly_report(session, viewer.trust_id, month, now=utcnow())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["trust", "month", "section", "level", "measure", "value", "unit"])
    for row in report_rows(report):
        writer.writerow([report.trust_code, report.month, *row])
    filename = f"safetynet-{report.trust_code}-{report.month}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
