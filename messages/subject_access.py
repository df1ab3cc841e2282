"""A subject-access export made readable: the JSON document (pathway/subject_access.py) as one
HTML page, every section a table, every value escaped."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import jinja2

from messages.catalogue import TEMPLATE_DIR

TEMPLATE = "_export/subject_access.html.j2"
SECTIONS = (
    ("Other numbers (their own, carers')", "contacts"),
    ("Messages sent", "messages_sent"),
    ("Messages received", "messages_received"),
    ("Alerts", "alerts"),
    ("Notices to coordinators", "notices"),
    ("Messages from the trust's systems", "integration_messages"),
    ("Write-backs to the trust's record", "write_backs"),
    ("Audit events", "audit_events"),
)


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
    return environment


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    """Every key any row has, in first-seen order (a staff message has no address)."""
    return list(dict.fromkeys(key for row in rows for key in row if key != "notifications"))


def to_html(document: dict[str, Any]) -> str:
    tables = [(title, document[key], _columns(document[key])) for title, key in SECTIONS]
    notified = [n for alert in document["alerts"] for n in alert["notifications"]]
    tables.append(("Notifications of alerts", notified, _columns(notified)))
    return _environment().get_template(TEMPLATE).render(doc=document, tables=tables)


def to_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
