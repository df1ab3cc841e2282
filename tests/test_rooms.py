"""The rooms of the code and what each may import (docs/architecture.md), checked on the source.

- `pathway/` decides: it imports neither Celery, kombu, the settings, `worker` nor `web`.
- `messages/` is pure: it imports neither `worker`, `web` nor `pathway`.
- `schema/` is storage and configuration: it imports neither `pathway`, `worker` nor `web`.
- `worker/` is Celery and the outside world: it never imports `web`.
- Only worker/tasks.py names a task; everything else calls the task objects.
- No import cycle among the service's modules, counting imports inside functions too.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVICE = ("schema", "messages", "pathway", "worker", "web", "cli", "testing")
EVERYWHERE = (*SERVICE, "bench", "tests")
FORBIDDEN = {
    "pathway": ("celery", "kombu", "schema.settings", "worker", "web"),
    "messages": ("worker", "web", "pathway"),
    "schema": ("pathway", "worker", "web"),
    "worker": ("web",),
}
TASK_NAME = re.compile(r"\bworker\.tasks\.[a-z_]+\b")
TASKS_MODULE = Path("worker/tasks.py")


def sources(*packages: str) -> Iterator[Path]:
    for package in packages:
        yield from sorted((ROOT / package).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> Iterator[str]:
    """Every module the file imports, wherever the import statement is (functions included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module_name(path).rpartition(".")[0] if path.name != "__init__.py" else None
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = (package or module_name(path)).split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


@pytest.mark.parametrize("room", sorted(FORBIDDEN))
def test_each_room_imports_only_what_it_may(room: str) -> None:
    trespasses = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sources(room)
        for name in imported(path)
        if any(within(name, banned) for banned in FORBIDDEN[room])
    ]
    assert trespasses == []


def test_no_module_but_worker_tasks_names_a_task() -> None:
    named = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}"
        for path in sources(*EVERYWHERE)
        if path.relative_to(ROOT) != TASKS_MODULE
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and TASK_NAME.search(node.value)
    ]
    assert named == []


def import_graph() -> dict[str, set[str]]:
    modules = {module_name(path): path for path in sources(*SERVICE)}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = {target for target in imported(path) if target in modules and target != name}
        # `from package import module` names the package too: only the module is a real edge.
        graph[name] = {t for t in targets if not any(o.startswith(t + ".") for o in targets)}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_runs_in_a_circle() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_check_would_see_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]
