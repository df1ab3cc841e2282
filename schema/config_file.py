"""Read a trust's YAML file into a TrustConfig, or say exactly what is wrong and where."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from schema.trust_config import TrustConfig, reference_problems


@dataclass(frozen=True)
class Problem:
    field: str
    message: str
    line: int | None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        field = f"{self.field}: " if self.field else ""
        return f"{where}{field}{self.message}"


class ConfigError(Exception):
    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(self.report())

    def report(self) -> str:
        return "\n".join(f"{self.source}: {problem}" for problem in self.problems)


@dataclass(frozen=True)
class LoadedConfig:
    config: TrustConfig
    source_text: str
    sha256: str


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice (PyYAML would silently keep the last)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} is written twice", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def format_location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _line_of(root: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """The line of the deepest YAML node along the error's path (1-based)."""
    node = root
    best = root.start_mark.line + 1 if root is not None else None
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key_node, value_node in node.value:
                if getattr(key_node, "value", None) == part:
                    child = value_node
                    best = key_node.start_mark.line + 1
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(node.value)
        ):
            child = node.value[part]
            best = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return best


def parse_config_text(text: str, source: str = "<config>") -> TrustConfig:
    try:
        data = yaml.load(text, Loader=_StrictLoader)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        raise ConfigError(source, [Problem("", f"not valid YAML: {error.problem}", line)]) from None
    except yaml.YAMLError as error:
        raise ConfigError(source, [Problem("", f"not valid YAML: {error}", None)]) from None
    if not isinstance(data, dict):
        raise ConfigError(source, [Problem("", "the file must be a mapping of settings", 1)])
    try:
        config = TrustConfig.model_validate(data)
    except ValidationError as error:
        problems = [
            _problem(root, tuple(e["loc"]), e["msg"].removeprefix("Value error, "))
            for e in error.errors()
        ]
        raise ConfigError(source, problems) from None
    references = reference_problems(config)
    if references:
        raise ConfigError(source, [_problem(root, loc, msg) for loc, msg in references])
    return config


def _problem(root: yaml.Node | None, loc: tuple[int | str, ...], message: str) -> Problem:
    return Problem(format_location(loc), message, _line_of(root, loc))


def read_config_file(path: Path) -> LoadedConfig:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ConfigError(
            str(path), [Problem("", f"cannot read: {error.strerror}", None)]
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(str(path), [Problem("", "not UTF-8 text", None)]) from None
    return config_from_text(text, str(path))


def config_from_text(text: str, source: str = "<config>") -> LoadedConfig:
    """A configuration given as text (the admin page, tests), with the digest of that text."""
    config = parse_config_text(text, source)
    return LoadedConfig(config, text, hashlib.sha256(text.encode("utf-8")).hexdigest())
