"""docker-compose.yml, Dockerfile and .env.example checked against the code (no Docker here)."""

from __future__ import annotations

import importlib
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from celery import Task
from fastapi import FastAPI
from typer.main import get_command

from schema.models import Queue
from schema.settings import Settings
from worker import tasks
from worker.app import get_app

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
APP_SERVICES = ["migrate", "web", "worker-alerts", "worker-messages", "beat", "hl7-listener"]
LONG_RUNNING = [
    "postgres",
    "redis",
    "proxy",
    "web",
    "worker-alerts",
    "worker-messages",
    "beat",
    "hl7-listener",
]
SECRET_WORDS = ("PASSWORD", "TOKEN", "SECRET", "SID", "KEY")


def setting_names() -> set[str]:
    names = set()
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        names.add(alias if isinstance(alias, str) else name.upper())
    return names


def env_example() -> dict[str, str]:
    pairs = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def option(command: list[str], flag: str) -> str:
    return command[command.index(flag) + 1]


def test_compose_has_every_part_of_a_production_deployment() -> None:
    assert set(SERVICES) == {"postgres", "redis", "proxy", *APP_SERVICES}


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_every_long_running_service_has_a_health_check(name: str) -> None:
    assert SERVICES[name]["healthcheck"]["test"]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_app_command_names_a_real_entry_point(name: str) -> None:
    command = SERVICES[name]["command"]
    program = command[0]
    if program == "safetynet":
        scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
        module, _, attribute = scripts["safetynet"].partition(":")

        cli = get_command(getattr(importlib.import_module(module), attribute))
        group = cli.commands[command[1]]  # type: ignore[attr-defined]
        assert command[2] in group.commands
    elif program == "celery":
        module, _, attribute = option(command, "-A").partition(":")
        assert getattr(importlib.import_module(module), attribute) is get_app()
        assert command[3] in ("worker", "beat")
    elif program == "uvicorn":
        module, _, attribute = command[1].partition(":")

        assert isinstance(getattr(importlib.import_module(module), attribute), FastAPI)
    else:
        pytest.fail(f"unknown program {program}")


def consumed_queues() -> dict[str, set[str]]:
    return {
        name: set(option(service["command"], "-Q").split(","))
        for name, service in SERVICES.items()
        if "command" in service
        and service["command"][:1] == ["celery"]
        and "-Q" in service["command"]
    }


def test_the_hl7_listener_runs_only_when_asked_for_and_listens_on_the_port_it_publishes() -> None:
    listener = SERVICES["hl7-listener"]
    assert listener["profiles"] == ["hl7"]
    port = option(listener["command"], "--port")
    assert option(listener["command"], "--host") == "0.0.0.0"
    (published,) = listener["ports"]
    assert published == "${HL7_BIND:-127.0.0.1}:" + f"{port}:{port}"
    assert port in str(listener["healthcheck"]["test"])


def test_every_queue_the_code_routes_to_has_a_worker_consuming_it() -> None:
    declared = [task for task in vars(tasks).values() if isinstance(task, Task)]
    # the 8 before, then check_pds, deliver_callbacks, purge_integration_raw, remind_reviews,
    # ping_deadman, purge_retention, dispatch_bulk
    assert len(declared) == 15
    routed = {task.queue for task in declared} | {q.value for q in Queue}
    consumed = set().union(*consumed_queues().values())
    assert routed <= consumed


def test_the_alerts_worker_consumes_only_alerts_so_it_never_waits_behind_bulk_work() -> None:
    assert consumed_queues()["worker-alerts"] == {"alerts"}
    assert "alerts" not in consumed_queues()["worker-messages"]


def test_two_beats_run_each_with_a_schedule_file_of_its_own() -> None:
    beats = [
        n
        for n, s in SERVICES.items()
        if s.get("command", [])[:1] == ["celery"] and s["command"][3] == "beat"
    ]
    assert beats == ["beat"]
    assert SERVICES["beat"]["deploy"]["replicas"] == 2
    schedule = option(SERVICES["beat"]["command"], "-s")
    mounted = [volume.partition(":")[2] for volume in SERVICES["beat"].get("volumes", [])]
    assert not any(schedule.startswith(folder) for folder in mounted), "two beats share a file"


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_every_long_running_service_restarts_after_a_crash(name: str) -> None:
    assert SERVICES[name].get("restart") in ("unless-stopped", "always")


def test_the_migration_runs_again_only_if_it_failed() -> None:
    assert SERVICES["migrate"]["restart"] == "on-failure"


def test_app_services_wait_for_the_migration_and_healthy_databases() -> None:
    for name in ["web", "worker-alerts", "worker-messages", "beat"]:
        depends = SERVICES[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["postgres"]["condition"] == "service_healthy"


def test_every_setting_in_compose_is_a_real_setting() -> None:
    known = setting_names()
    for name in APP_SERVICES:
        assert set(SERVICES[name]["environment"]) <= known


def test_env_example_names_every_setting_and_fills_in_no_secret() -> None:
    example = env_example()
    assert setting_names() <= set(example)
    for key, value in example.items():
        if any(word in key for word in SECRET_WORDS):
            assert value == "", f"{key} must be empty in .env.example"


def test_no_secret_is_hard_coded_in_compose() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    for match in re.finditer(r"^\s*([A-Z_]+):\s*(.+)$", text, flags=re.MULTILINE):
        key, value = match.groups()
        if any(word in key for word in SECRET_WORDS):
            assert value.startswith("${"), f"{key} is hard-coded"
    for url in re.findall(r"\w+://[^\s\"']+", text):
        credentials = re.match(r"\w+://([^@/]+)@", url)
        if credentials and ":" in credentials.group(1):
            assert "${" in credentials.group(1), f"a password is written into {url}"


def test_the_dockerfile_copies_only_what_exists_and_runs_unprivileged() -> None:
    text = (ROOT / "Dockerfile").read_text()
    for source in re.findall(r"^COPY (\S+)", text, flags=re.MULTILINE):
        for part in source.split():
            assert (ROOT / part).exists(), part
    assert re.search(r"^USER (?!root)", text, flags=re.MULTILINE)
    for package in ["cli", "messages", "pathway", "schema", "web", "worker"]:
        assert f"COPY {package} " in text


def test_the_web_apps_spool_is_on_a_named_volume_so_spooled_replies_survive_a_restart() -> None:
    web = SERVICES["web"]
    data_dir = web["environment"]["SAFETYNET_DATA_DIR"]
    spool = web["environment"].get("SPOOL_DIR", f"{data_dir}/spool")
    mounts = [volume.split(":")[1] for volume in web["volumes"]]
    assert any(spool == mount or spool.startswith(f"{mount}/") for mount in mounts)
    named = {volume.split(":")[0] for volume in web["volumes"]}
    assert named <= set(COMPOSE["volumes"])  # named volumes, not the container's own layer


def test_web_believes_x_forwarded_for_from_the_named_proxy_only_and_publishes_no_port() -> None:
    web, proxy = SERVICES["web"], SERVICES["proxy"]
    address = proxy["networks"]["edge"]["ipv4_address"]
    assert web["environment"]["FORWARDED_ALLOW_IPS"] == address
    assert "ports" not in web
    assert "--no-proxy-headers" in web["command"]
    assert "*" not in " ".join(web["command"])
    assert (ROOT / "deploy" / "Caddyfile").exists()
    assert "--no-proxy-headers" in (ROOT / "Dockerfile").read_text()
