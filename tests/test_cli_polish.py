"""CLI polish (issue 18, item 11): option types as words (TEXT, INTEGER, PATH; nothing for a flag),
tables that are not cut at 80 columns, and --trust the same in every command."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import typer
from typer.testing import CliRunner

from cli.help_types import readable
from cli.main import app

runner = CliRunner()


def commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command's path; Typer's groups are duck-typed (it carries a click of its own)."""
    if hasattr(group, "commands"):
        for name, command in group.commands.items():
            yield from commands(command, (*path, name))
    else:
        yield path


def test_help_names_option_types_in_words_and_gives_flags_none() -> None:
    for args in (("patients", "enrol"), ("staff", "add"), ("rota", "check"), ("sms", "receive")):
        result = runner.invoke(app, [*args, "--help"], env={"COLUMNS": "120"})
        assert result.exit_code == 0, result.output
        assert "<bool>" not in result.output and "<str>" not in result.output, args
        assert "TEXT" in result.output or "INTEGER" in result.output, args
    flags = runner.invoke(app, ["staff", "add", "--help"], env={"COLUMNS": "120"}).output
    (line,) = [line for line in flags.splitlines() if "--password-stdin" in line]
    assert "TEXT" not in line and "BOOL" not in line.upper().replace("--PASSWORD-STDIN", "")


def test_readable_types_follow_clicks_words() -> None:
    assert readable("<str>") == "TEXT"
    assert readable("<int>") == "INTEGER"
    assert readable("<Path>") == "PATH"
    assert readable("<en|cy>") == "[en|cy]"
    assert readable("<list[str]>") == "TEXT..."
    assert readable("<int range>") == "INTEGER RANGE"


def test_every_command_takes_trust_alike() -> None:
    root = typer.main.get_command(app)
    seen = 0
    for path in commands(root):
        command: Any = root
        for name in path:
            command = command.commands[name]
        for param in command.params:
            if "--trust" in getattr(param, "opts", ()):
                assert param.metavar == "CODE", path
                assert not param.required, f"{' '.join(path)}: --trust is required"
                seen += 1
    assert seen >= 12


def test_a_piped_table_is_not_cut_at_80_columns() -> None:
    result = runner.invoke(app, ["messages", "check"])
    assert result.exit_code == 0, result.output
    assert "unreachable_patient" in result.output and "…" not in result.output
