"""Render a template key on a channel, in a language, to the text that will be sent.

SMS text is normalised to GSM-7 where it only looked like Unicode, and a template that names a
shrinkable field in the catalogue (a staff alert's reply excerpt) is fitted to its segment budget
by shortening that field, never by cutting the message.

A bilingual language (`cy+en`) renders each language's own template and joins them, Welsh
first: the SMS texts one after the other, the email subjects with " / ", the HTML bodies in one
document (`_layout/bilingual.html.j2`), each part marked with its `lang`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from messages.catalogue import CATALOGUE, CHANNEL_FILES, TEMPLATE_DIR, TemplateSpec, variant
from messages.languages import parts
from messages.sms import SmsInfo, fold_to_gsm, measure, normalise, one_kind_of_line_break

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
ELLIPSIS = "..."
BILINGUAL_LAYOUT = "_layout/bilingual.html.j2"
PATIENT_LAYOUT = "patient.html.j2"  # in _layout/: its footer closes each part of a bilingual email
# Between the parts of a bilingual SMS or plain-text email: a blank line, as between paragraphs.
PART_BREAK = "\n\n"


class RenderError(Exception):
    """A template that cannot be rendered: a missing variable, a syntax error."""


class TemplateNotFound(RenderError, LookupError):
    """No template for this key on this channel."""


@dataclass(frozen=True)
class RenderedMessage:
    subject: str | None
    text: str
    html: str | None
    sms: SmsInfo | None


def _tel(number: str) -> str:
    """A displayed number as a tel: link target (digits and a leading +)."""
    return re.sub(r"[^\d+]", "", number)


def _spell(code: str) -> str:
    """An alert code as a voice reads it out, one character at a time: K7Q2 -> K, 7, Q, 2."""
    return ", ".join(code)


def _tidy(text: str) -> str:
    """No trailing spaces, no run of blank lines, nothing before or after (templates nest)."""
    lines = [line.rstrip() for line in one_kind_of_line_break(text).strip().split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def _sms_text(raw: str) -> str:
    return _tidy(normalise(raw))


def _shortened(value: str, keep: int) -> str:
    """The first `keep` characters and an ellipsis, cut at a word boundary when there is one."""
    if keep >= len(value):
        return value
    cut = value[:keep]
    if not value[keep].isspace() and " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip() + ELLIPSIS


def _replaced(context: Mapping[str, Any], path: list[str], value: str) -> dict[str, Any]:
    """A copy of the context with one nested value replaced (the original is not touched)."""
    head, *rest = path
    copy = dict(context)
    copy[head] = _replaced(context[head], rest, value) if rest else value
    return copy


def _lookup(context: Mapping[str, Any], path: list[str]) -> Any:
    value: Any = context
    for part in path:
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _folded(value: Any) -> Any:
    """Every string in the context folded to GSM-7 (names, replies), for an SMS."""
    if isinstance(value, str):
        return fold_to_gsm(value)
    if isinstance(value, Mapping):
        return {key: _folded(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_folded(item) for item in value]
    return value


def alert_link(dashboard_url: str, alert: Mapping[str, Any] | None) -> str:
    """The alert's own page (`/alerts/{id}`), so a tap on a phone lands on the alert itself;
    the dashboard when the alert is not known (a notification made before ids were kept)."""
    alert_id = alert.get("id") if alert else None
    return f"{dashboard_url}/alerts/{alert_id}" if alert_id else dashboard_url


class Renderer:
    """Templates from one directory, loaded once."""

    def __init__(self, directory: Path = TEMPLATE_DIR) -> None:
        self.directory = directory
        self.environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(directory),
            autoescape=lambda name: name is not None and name.endswith(".html.j2"),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        self.environment.filters["tel"] = _tel
        self.environment.filters["spell"] = _spell
        self.environment.filters["alert_link"] = alert_link

    def _template(self, key: str, name: str, language: str) -> jinja2.Template:
        names = [variant(name, language), name] if language != "en" else [name]
        try:
            return self.environment.select_template([f"{key}/{n}" for n in names])
        except jinja2.TemplatesNotFound:
            raise TemplateNotFound(f"no template {key}/{name} in {self.directory}") from None

    def compile_all(self) -> int:
        """Compile every template now (a worker does it before forking, so that its children
        share them instead of each compiling on its first message, a red flag's among them)."""
        names = self.environment.list_templates(filter_func=lambda name: name.endswith(".j2"))
        for name in names:
            self.environment.get_template(name)
        return len(names)

    def source(self, key: str, name: str, language: str = "en") -> str:
        """The file that renders this key and file name in this language (or the fallback)."""
        try:
            return str(self._template(key, name, language).name)
        except TemplateNotFound:
            return f"{key}/{name} (missing)"

    def _render(self, template: jinja2.Template, context: Mapping[str, Any]) -> str:
        try:
            return template.render(context)
        except jinja2.UndefinedError as error:
            raise RenderError(f"{template.name}: {error.message}") from None
        except jinja2.TemplateError as error:
            raise RenderError(f"{template.name}: {error}") from None

    def render(
        self, template_key: str, channel: str, context: Mapping[str, Any], language: str = "en"
    ) -> RenderedMessage:
        if not _KEY.match(template_key):
            raise TemplateNotFound(f"not a template key: {template_key!r}")
        if channel not in CHANNEL_FILES:
            raise TemplateNotFound(f"unknown channel {channel!r}: expected sms, email or voice")
        languages = parts(language)
        if len(languages) > 1 and channel != "voice":
            return self._render_bilingual(template_key, channel, context, languages)
        language = languages[0]
        full = {**context, "language": language}
        if channel == "sms":
            return self._render_sms(template_key, full, language)
        if channel == "voice":
            spoken = self._render(self._template(template_key, "voice.txt.j2", language), full)
            return RenderedMessage(None, " ".join(spoken.split()), None, None)
        subject = self._render(self._template(template_key, "email_subject.txt.j2", language), full)
        text = self._render(self._template(template_key, "email.txt.j2", language), full)
        html = self._render(self._template(template_key, "email.html.j2", language), full)
        return RenderedMessage(" ".join(subject.split()), _tidy(text) + "\n", html, None)

    def _render_bilingual(
        self, key: str, channel: str, context: Mapping[str, Any], languages: tuple[str, ...]
    ) -> RenderedMessage:
        """Each language's message in turn; an email's HTML is one document holding them all."""
        rendered = [self.render(key, channel, context, one) for one in languages]
        text = PART_BREAK.join(r.text.strip() for r in rendered)
        if channel == "sms":
            info = measure(text)
            return RenderedMessage(None, info.text, None, info)
        subject = " / ".join(dict.fromkeys(r.subject or "" for r in rendered))
        html = self._bilingual_html(key, context, languages)
        return RenderedMessage(subject, text + "\n", html, None)

    def _bilingual_html(
        self, key: str, context: Mapping[str, Any], languages: tuple[str, ...]
    ) -> str:
        sections = []
        for one in languages:
            full = {**context, "language": one}
            body = self._template(key, "email.html.j2", one)
            footer = self._template("_layout", PATIENT_LAYOUT, one)
            sections.append(
                {
                    "language": one,
                    "title": self._block(body, "title", full),
                    "content": Markup(self._block(body, "content", full)),
                    "footer": Markup(self._block(footer, "footer", full)),
                }
            )
        layout = self.environment.get_template(BILINGUAL_LAYOUT)
        return self._render(layout, {**context, "language": languages[0], "parts": sections})

    def _block(self, template: jinja2.Template, name: str, context: Mapping[str, Any]) -> str:
        """One block of a template on its own (a bilingual email puts two bodies in one page)."""
        block = template.blocks.get(name)
        if block is None:
            return ""
        try:
            return "".join(block(template.new_context(dict(context)))).strip()
        except jinja2.UndefinedError as error:
            raise RenderError(f"{template.name}: {error.message}") from None

    def _render_sms(self, key: str, context: dict[str, Any], language: str) -> RenderedMessage:
        template = self._template(key, "sms.txt.j2", language)
        context = _folded(context)
        info = measure(_sms_text(self._render(template, context)))
        spec = CATALOGUE.get(key)
        if spec is not None and spec.shrink and info.segments > spec.sms_budget:
            info = self._fit(template, context, spec, info)
        return RenderedMessage(None, info.text, None, info)

    def _fit(
        self, template: jinja2.Template, context: dict[str, Any], spec: TemplateSpec, info: SmsInfo
    ) -> SmsInfo:
        """The longest prefix of the shrinkable field that keeps the SMS within its budget.

        Binary search: more of the field never means fewer segments. If even an empty field does
        not fit, the message goes as short as it can be: an alert is never held back for length.
        """
        assert spec.shrink is not None
        path = spec.shrink.split(".")
        value = _lookup(context, path)
        if not isinstance(value, str) or not value:
            return info

        def attempt(keep: int) -> SmsInfo:
            shorter = _replaced(context, path, _shortened(value, keep))
            return measure(_sms_text(self._render(template, shorter)))

        best = attempt(0)
        low, high = 0, len(value) - 1
        while low < high and best.segments <= spec.sms_budget:
            middle = (low + high + 1) // 2
            candidate = attempt(middle)
            if candidate.segments <= spec.sms_budget:
                low, best = middle, candidate
            else:
                high = middle - 1
        return best


@lru_cache(maxsize=8)
def renderer(directory: Path = TEMPLATE_DIR) -> Renderer:
    return Renderer(directory)


def render(
    template_key: str, channel: str, context: Mapping[str, Any], language: str = "en"
) -> RenderedMessage:
    """Render one message with the packaged templates."""
    return renderer().render(template_key, channel, context, language)
