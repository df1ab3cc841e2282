"""One `reset()` for everything a process keeps from its settings: the settings themselves, the
database engines, the providers and the Celery app's connections. Tests, benchmarks and the demo
change the environment and call it, instead of remembering each cache."""

from __future__ import annotations

from schema.db import dispose_engines
from schema.settings import Settings, get_settings, reset_settings_cache
from worker import app
from worker.pacing import reset_pacers
from worker.pds_checks import reset_pds_client
from worker.providers.registry import reset_providers


def reset() -> Settings:
    """Read the settings again and drop what was made from the old ones. Returns the new ones."""
    reset_settings_cache()
    dispose_engines()
    reset_providers()
    reset_pds_client()
    reset_pacers()
    settings = get_settings()
    if app.is_made():
        app.reconfigure(settings)
    return settings
