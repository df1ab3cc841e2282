"""What a worker does before its pool forks, according to the queues it consumes."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from messages.rendering import Renderer
from messages.reply_language import reply_language
from messages.triage import engine, triage
from messages.triage.loader import load_lexicon, own_words
from schema.models import Trust
from schema.settings import reset_settings_cache
from schema.trusts import trust_config
from worker import app as worker_app


def start_worker_consuming(*queues: str) -> None:
    amqp = SimpleNamespace(queues=SimpleNamespace(consume_from={q: object() for q in queues}))
    worker_app._before_the_pool_forks(sender=SimpleNamespace(app=SimpleNamespace(amqp=amqp)))


@pytest.fixture
def niceness_asked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    asked: list[int] = []
    monkeypatch.setattr(worker_app.os, "nice", asked.append)
    return asked


def test_a_worker_sending_only_bulk_messages_yields_the_cpu_to_the_alerts_worker(
    niceness_asked: list[int],
) -> None:
    start_worker_consuming("messages")
    assert niceness_asked == [worker_app.BULK_WORKER_NICENESS]


@pytest.mark.parametrize("queues", [("alerts",), ("alerts", "messages")])
def test_a_worker_that_handles_alerts_keeps_its_full_priority(
    niceness_asked: list[int], queues: tuple[str, ...]
) -> None:
    start_worker_consuming(*queues)
    assert niceness_asked == []


def test_an_alerts_worker_loads_each_trusts_triage_lexicon_before_it_forks(
    trust: Trust, niceness_asked: list[int]
) -> None:
    engine._prepared.cache_clear()
    load_lexicon.cache_clear()
    start_worker_consuming("alerts")
    assert engine._prepared.cache_info().currsize == 1  # the example trust's English and Welsh
    triage("my legs are weak", languages=trust_config(trust).languages)
    assert engine._prepared.cache_info().hits >= 1
    assert engine._prepared.cache_info().currsize == 1


def test_an_alerts_worker_knows_the_welsh_words_before_it_forks(
    trust: Trust, niceness_asked: list[int]
) -> None:
    own_words.cache_clear()
    start_worker_consuming("alerts")
    assert own_words.cache_info().currsize >= 1  # Welsh, which a Welsh reply is answered in
    reply_language("mae fy nghoesau yn wan", trust_config(trust).languages)
    assert own_words.cache_info().misses == 1


def test_every_worker_compiles_the_templates_and_imports_twilios_api_before_it_forks(
    niceness_asked: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled: list[int] = []
    original = Renderer.compile_all

    def counting(self: Renderer) -> int:
        compiled.append(original(self))
        return compiled[-1]

    imported: list[str] = []
    real_import = worker_app.importlib.import_module

    def recording(name: str) -> Any:
        imported.append(name)
        return real_import(name)

    monkeypatch.setattr(Renderer, "compile_all", counting)
    monkeypatch.setattr(worker_app.importlib, "import_module", recording)
    start_worker_consuming("messages")
    assert compiled and compiled[0] > 50
    assert "twilio.rest.api.v2010.account" in imported


def test_a_worker_starts_even_when_the_database_cannot_be_read(
    monkeypatch: pytest.MonkeyPatch, niceness_asked: list[int]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    reset_settings_cache()
    start_worker_consuming("alerts")
