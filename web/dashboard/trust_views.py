"""What makes the trust page readable: each cohort's schedule as a timeline, every template's
wording previewed with sample data in each language with its segment count, and a diff between
configuration versions. Plain functions over the configuration; the page is `trust.py`."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import timedelta

from messages.catalogue import CATALOGUE, sample_context
from messages.languages import patient_languages
from messages.rendering import RenderError, renderer
from schema.trust_config import Cohort, ScheduleStep, TrustConfig
from web.dashboard.views import LANGUAGE_NAMES

DAY_NAMES = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}
SHOWN_SENDS = 6  # sends listed one by one per step before "and so on"


@dataclass(frozen=True)
class Send:
    day: float  # days after enrolment
    template: str
    channels: tuple[str, ...]


@dataclass(frozen=True)
class StepSummary:
    template: str
    channels: tuple[str, ...]
    first: timedelta
    every: timedelta | None
    until: timedelta | None
    count: int  # how many times it is sent


@dataclass(frozen=True)
class CohortTimeline:
    cohort: Cohort
    steps: list[StepSummary]
    sends: list[Send]
    span_days: float


def _times(step: ScheduleStep) -> list[timedelta]:
    if step.every is None:
        return [step.offset]
    until = step.until if step.until is not None else step.offset + step.every * 52
    found: list[timedelta] = []
    at = step.offset
    while at <= until and len(found) < 1000:
        found.append(at)
        at += step.every
    return found


def cohort_timeline(cohort: Cohort) -> CohortTimeline:
    steps, sends = [], []
    for step in cohort.schedule:
        times = _times(step)
        channels = tuple(step.channels)
        steps.append(
            StepSummary(step.template, channels, step.offset, step.every, step.until, len(times))
        )
        sends += [Send(t.total_seconds() / 86400, step.template, channels) for t in times]
    sends.sort(key=lambda s: s.day)
    span = max((s.day for s in sends), default=0.0)
    return CohortTimeline(cohort, steps, sends, span)


def window_words(days: list[str]) -> str:
    if len(days) == 7:
        return "every day"
    if days == ["mon", "tue", "wed", "thu", "fri"]:
        return "Monday to Friday"
    return ", ".join(DAY_NAMES[d] for d in days)


@dataclass(frozen=True)
class Preview:
    key: str
    audience: str
    channel: str
    language: str
    language_name: str
    subject: str | None
    text: str
    segments: int | None
    encoding: str | None
    problem: str | None = None


def previews(config: TrustConfig) -> list[Preview]:
    """Every template, in each language its audience reads, rendered with ordinary sample data.
    Staff read English; patients get each of the trust's languages (English where a template
    has no translation, as the service would send it) and, where the trust serves Welsh, the
    bilingual form a patient with no recorded choice gets."""
    engine = renderer()
    context = sample_context(config, worst_case=False)
    languages = patient_languages(config.languages)
    found = []
    for spec in CATALOGUE.values():
        for channel in spec.channels:
            for language in languages if spec.audience == "patient" else ["en"]:
                name = LANGUAGE_NAMES.get(language, language)
                try:
                    shown = engine.render(spec.key, channel, context, language)
                except RenderError as error:
                    found.append(
                        Preview(
                            spec.key,
                            spec.audience,
                            channel,
                            language,
                            name,
                            None,
                            "",
                            None,
                            None,
                            str(error),
                        )
                    )
                    continue
                found.append(
                    Preview(
                        spec.key,
                        spec.audience,
                        channel,
                        language,
                        name,
                        shown.subject,
                        shown.text,
                        shown.sms.segments if shown.sms else None,
                        shown.sms.encoding if shown.sms else None,
                    )
                )
    return found


@dataclass(frozen=True)
class DiffLine:
    kind: str  # added | removed | context | header
    text: str


def version_diff(old: str, new: str, old_name: str, new_name: str) -> list[DiffLine]:
    lines = []
    for line in difflib.unified_diff(
        old.splitlines(), new.splitlines(), old_name, new_name, n=2, lineterm=""
    ):
        if line.startswith(("---", "+++", "@@")):
            kind = "header"
        elif line.startswith("+"):
            kind = "added"
        elif line.startswith("-"):
            kind = "removed"
        else:
            kind = "context"
        lines.append(DiffLine(kind, line))
    return lines
