"""Workers compile every template before forking (worker/app.py), so no child compiles one on
its first message."""

from __future__ import annotations

from typing import Any

import jinja2
import pytest

from messages.rendering import Renderer


def templates(renderer: Renderer) -> list[str]:
    return renderer.environment.list_templates(filter_func=lambda name: name.endswith(".j2"))


def test_after_compile_all_no_template_is_read_from_disk_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    renderer = Renderer()
    assert renderer.compile_all() == len(templates(renderer)) > 50
    read: list[str] = []
    loader = renderer.environment.loader
    assert isinstance(loader, jinja2.FileSystemLoader)
    original = loader.get_source

    def reading(environment: jinja2.Environment, name: str) -> Any:
        read.append(name)
        return original(environment, name)

    monkeypatch.setattr(loader, "get_source", reading)
    for name in templates(renderer):
        renderer.environment.get_template(name)
    assert read == []
