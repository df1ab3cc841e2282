"""`safetynet messages ...`: check every template's SMS cost for a trust, and preview one."""

from __future__ import annotations

from pathlib import Path

import typer

from cli.common import TRUST_OPTION, console, database, fail, trust_of, wide_table
from messages.catalogue import CATALOGUE, sample_context
from messages.rendering import RenderError, render
from messages.signoff import awaiting_sign_off
from messages.template_checks import check_templates
from schema.config_file import ConfigError, read_config_file
from schema.trust_config import TrustConfig
from schema.trusts import trust_config

EXAMPLE_TRUST = Path(__file__).resolve().parent.parent / "examples" / "trust.yaml"
OVER_BUDGET = 1

app = typer.Typer(help="Message templates: SMS cost and previews.", no_args_is_help=True)

CONFIG_OPTION = typer.Option(None, "--config", help="A trust's YAML file.")


def _config(path: Path | None, code: str | None) -> TrustConfig:
    if path is not None and code is not None:
        fail("give --config or --trust, not both")
    if code is not None:
        with database() as session:
            return trust_config(trust_of(session, code))
    path = path or EXAMPLE_TRUST
    try:
        return read_config_file(path).config
    except ConfigError as error:
        fail(f"{path} is not a valid trust configuration\n{error.report()}")


@app.command("check")
def check_command(
    config_path: Path | None = CONFIG_OPTION, trust_code: str | None = TRUST_OPTION
) -> None:
    """Every template's encoding, length and segments against its budget (exit 1 if any fails).

    Rendered with the trust's contacts and a worst-case sample: long names, a long reply.
    """
    config = _config(config_path, trust_code)
    checks = check_templates(config)
    table = wide_table(
        "template",
        "for",
        "channel",
        "lang",
        "file",
        "encoding",
        "chars",
        "segments",
        "budget",
        "",
        title=f"{config.code}: {config.name}",
    )
    for check in checks:
        table.add_row(
            check.key,
            check.audience,
            check.channel,
            check.language,
            check.source,
            check.encoding or "-",
            str(check.length),
            "-" if check.segments is None else str(check.segments),
            "-" if check.budget is None else str(check.budget),
            "[green]OK[/green]" if check.ok else "[red]OVER[/red]",
        )
    console.print(table)
    failed = [check for check in checks if not check.ok]
    for check in failed:
        console.print(f"[red]{check.key} {check.channel} {check.language}:[/red] {check.problem}")
    awaiting = awaiting_sign_off(config)
    for status in awaiting:
        console.print(
            f"[yellow]{status.key} {status.language}[/yellow] (wording {status.digest}): "
            f"{status.note}"
        )
    if failed:
        raise typer.Exit(OVER_BUDGET)
    console.print(f"{len(checks)} templates within budget")


@app.command("preview")
def preview_command(
    key: str = typer.Argument(..., help="Template key, such as checkin."),
    channel: str = typer.Option("sms", "--channel", help="sms or email."),
    language: str = typer.Option(
        "en", "--language", help="Language code, such as cy, or cy+en for the bilingual form."
    ),
    html: bool = typer.Option(False, "--html", help="Print the HTML part of an email too."),
    worst_case: bool = typer.Option(False, "--worst-case", help="Long names, a long reply."),
    config_path: Path | None = CONFIG_OPTION,
    trust_code: str | None = TRUST_OPTION,
) -> None:
    """Print one template rendered with the trust's contacts and a sample patient and alert."""
    if key not in CATALOGUE:
        fail(f"no template {key!r}; known: {', '.join(CATALOGUE)}")
    config = _config(config_path, trust_code)
    try:
        rendered = render(key, channel, sample_context(config, worst_case=worst_case), language)
    except RenderError as error:
        fail(str(error))
    if rendered.sms is not None:
        sms = rendered.sms
        budget = CATALOGUE[key].budget(language)
        console.print(
            f"[bold]{sms.encoding}, {sms.length} characters, {sms.segments} segments "
            f"(budget {budget})[/bold]"
        )
    if rendered.subject is not None:
        console.print(f"[bold]Subject:[/bold] {rendered.subject}")
    console.print(rendered.text, markup=False, soft_wrap=True)
    if html and rendered.html is not None:
        console.print(rendered.html, markup=False, soft_wrap=True)
