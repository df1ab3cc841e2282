"""`safetynet triage`: label replies from stdin or a CSV as JSON lines, or score a labelled CSV."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from messages.triage import triage
from messages.triage.evaluate import evaluate, format_report, read_labelled
from messages.triage.loader import lexicon_languages


def triage_command(
    csv_path: Annotated[
        Path | None,
        typer.Option("--csv", help="Read replies from this CSV's 'text' column instead of stdin."),
    ] = None,
    eval_path: Annotated[
        Path | None,
        typer.Option(
            "--eval",
            help="Score a CSV with 'text' and 'label' columns; exit 1 if a target is missed.",
        ),
    ] = None,
    language: Annotated[
        list[str] | None,
        typer.Option(
            "--language",
            "-l",
            help="Languages the trust serves (repeat); default every language the lexicon has.",
        ),
    ] = None,
) -> None:
    """Triage replies: one JSON object per reply, in order (label, review, symptoms, evidence)."""
    languages = tuple(language or lexicon_languages())
    if eval_path is not None:
        try:
            rows = read_labelled(eval_path)
        except (OSError, ValueError) as exc:
            typer.echo(f"cannot read {eval_path}: {exc}", err=True)
            raise typer.Exit(2) from exc
        evaluation = evaluate(rows, lambda text: triage(text, languages))
        typer.echo(format_report(evaluation))
        raise typer.Exit(0 if evaluation.passed else 1)

    if csv_path is not None:
        try:
            with csv_path.open(newline="", encoding="utf-8") as handle:
                reader = csv.DictReader(handle)
                if not reader.fieldnames or "text" not in reader.fieldnames:
                    typer.echo(f"{csv_path} has no 'text' column", err=True)
                    raise typer.Exit(2)
                texts: list[str] = [row["text"] or "" for row in reader]
        except OSError as exc:
            typer.echo(f"cannot read {csv_path}: {exc}", err=True)
            raise typer.Exit(2) from exc
    else:
        texts = [line.rstrip("\r\n") for line in sys.stdin]

    for text in texts:
        typer.echo(json.dumps(triage(text, languages).to_dict(), ensure_ascii=False))
