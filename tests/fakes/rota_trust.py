"""A trust whose escalation chains name roles: the example trust (its window open all day, its
welcome-only cohort) with rotas, a number to call from, a red chain whose second step phones,
and an admin with a phone (for the warning that a rota gap has opened).

    on_duty_coordinator: Asha 08:00-20:00, Ben 20:00-08:00, every day (a handover at each end)
    on_call_consultant:  the duty consultant, 24 hours from 09:00 every day
"""

from __future__ import annotations

import re

from pathway import audit
from pathway.trust_loading import load_trust
from schema.config_file import config_from_text, parse_config_text
from schema.db import session_scope
from schema.trust_config import TrustConfig
from schema.types import utcnow
from testing.trusts import always_open_trust_yaml

VOICE = """voice:
  from_number: "07700 900009"

"""

ROTAS = """rotas:
  on_duty_coordinator:
    name: On-duty MSCC coordinator
    shifts:
      - "daily 08:00-20:00: asha"
      - "daily 20:00-08:00: ben"
  on_call_consultant:
    name: On-call clinical oncologist
    shifts:
      - "daily 09:00-09:00: duty_consultant"

"""

ESCALATION = """escalation:
  red:
    steps:
      - notify: [role:on_duty_coordinator]
        minutes: 5
      - notify: [role:on_call_consultant]
        minutes: 10
        call: true
    repeat_every_minutes: 10
  amber:
    steps:
      - notify: [role:on_duty_coordinator]
        minutes: 60
    repeat_every_minutes: 240
  remind_unresolved_after_hours: 4

"""

VOICE_NUMBER = "+447700900009"
ADMIN_PHONE = "+447700900104"


def rota_trust_yaml(rotas: str = ROTAS, escalation: str = ESCALATION) -> str:
    """The always-open example trust with `escalation` for its chains and `rotas` added."""
    text = always_open_trust_yaml().replace(
        "    role: admin\n", '    role: admin\n    phone: "07700 900104"\n'
    )
    text = re.sub(r"(?ms)^voice:.*?(?=^\w)", "", text)
    text = re.sub(r"(?ms)^rotas:.*?(?=^\w)", "", text)
    text = re.sub(r"(?ms)^escalation:.*?(?=^cohorts:)", escalation + VOICE + rotas, text)
    return text


def rota_config(rotas: str = ROTAS, escalation: str = ESCALATION) -> TrustConfig:
    return parse_config_text(rota_trust_yaml(rotas, escalation), "rota-trust.yaml")


def load_rota_trust(rotas: str = ROTAS, escalation: str = ESCALATION) -> int:
    """Load it into the database the settings point at; returns the trust's id."""
    text = rota_trust_yaml(rotas, escalation)
    with session_scope() as session:
        result = load_trust(
            session,
            config_from_text(text),
            actor=audit.CLI,
            now=utcnow(),
        )
        return int(result.trust.id)
