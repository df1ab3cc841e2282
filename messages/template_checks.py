"""Every template checked as a trust would send it: rendered with a worst-case context in each
language, its SMS encoding, length and segments against the catalogue's budget."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from messages.catalogue import (
    CATALOGUE,
    CHANNEL_FILES,
    TEMPLATE_DIR,
    Audience,
    Channel,
    TemplateSpec,
    sample_context,
    variant,
)
from messages.languages import GSM_ONLY, parts, patient_languages
from messages.rendering import Renderer, RenderError, renderer
from messages.sms import non_gsm_characters
from schema.trust_config import TrustConfig

# Spoken at about 150 words a minute, 600 characters is most of a minute: said twice, longer
# would keep someone on a call for an alert they could have taken by pressing 1.
VOICE_MAX_CHARS = 600


@dataclass(frozen=True)
class TemplateCheck:
    key: str
    audience: Audience
    channel: Channel
    language: str
    source: str  # the file used, so a fallback to English is visible
    encoding: str | None
    length: int
    segments: int | None
    budget: int | None
    ok: bool
    problem: str | None = None


def check_templates(config: TrustConfig, directory: Path = TEMPLATE_DIR) -> list[TemplateCheck]:
    """Render every template in every language the trust uses with a worst-case context.

    Patients' templates are checked in each language and, where the trust serves Welsh, in the
    bilingual form (`cy+en`) a patient with no recorded choice gets. Not ok: a render error, an
    SMS over its segment budget (`TemplateSpec.budget`), or an English, Welsh or bilingual SMS
    in UCS-2 (one stray character would double the cost of every message).
    """
    engine = renderer(directory)
    context = sample_context(config)
    languages = patient_languages(config.languages)
    return [
        _check(engine, spec, channel, language, context)
        for spec in CATALOGUE.values()
        for channel in spec.channels
        # Staff read English: only patients get a message in their own language.
        for language in (languages if spec.audience == "patient" else ["en"])
    ]


def _source(engine: Renderer, key: str, name: str, language: str) -> str:
    """The file used in one language, marked when it falls back to English."""
    source = engine.source(key, name, language)
    if language != "en" and not source.endswith(variant(name, language)):
        source += " (English)"
    return source


def _check(
    engine: Renderer, spec: TemplateSpec, channel: Channel, language: str, context: dict[str, Any]
) -> TemplateCheck:
    name = CHANNEL_FILES[channel][-1]
    source = " + ".join(_source(engine, spec.key, name, one) for one in parts(language))
    budget = spec.budget(language) if channel == "sms" else None
    head = (spec.key, spec.audience, channel, language, source)
    try:
        rendered = engine.render(spec.key, channel, context, language)
    except RenderError as error:
        return TemplateCheck(*head, None, 0, None, budget, ok=False, problem=str(error))
    sms = rendered.sms
    if channel == "voice" and len(rendered.text) > VOICE_MAX_CHARS:
        spoken = f"{len(rendered.text)} characters spoken, at most {VOICE_MAX_CHARS}"
        return TemplateCheck(*head, None, len(rendered.text), None, None, False, spoken)
    if sms is None:
        return TemplateCheck(*head, None, len(rendered.text), None, None, ok=True)
    problems = []
    if budget is not None and sms.segments > budget:
        problems.append(f"{sms.segments} segments, budget {budget}")
    if sms.encoding != "GSM-7" and language in GSM_ONLY:
        problems.append(f"UCS-2 because of {''.join(non_gsm_characters(sms.text))!r}")
    problem = "; ".join(problems) or None
    return TemplateCheck(
        *head, sms.encoding, sms.length, sms.segments, budget, not problems, problem
    )
