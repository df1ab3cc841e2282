"""What `--help` says an option takes: TEXT, INTEGER, PATH, or a list of choices; nothing for a
flag. Typer 0.2x writes Python's names in angle brackets (`<str>`, and `<bool>` on every flag,
`--help` included), which reads like a placeholder to type. Older Typer, which has no
`display_type`, is left as it is."""

from __future__ import annotations

import re
from typing import Any

from typer import core

NAMES = {
    "str": "TEXT",
    "int": "INTEGER",
    "float": "FLOAT",
    "Path": "PATH",
    "datetime": "DATETIME",
    "int range": "INTEGER RANGE",
    "float range": "FLOAT RANGE",
}
_BRACKETED = re.compile(r"^<(.*)>$")


def readable(raw: str | None) -> str | None:
    """`<str>` → `TEXT`; `<a|b>` → `[a|b]`; `<list[str]>` → `TEXT...`."""
    if raw is None:
        return None
    inner = _BRACKETED.sub(r"\1", raw)
    if inner.startswith("list[") and inner.endswith("]"):
        return f"{readable(f'<{inner[5:-1]}>')}..."
    if "|" in inner:
        return f"[{inner}]"
    return NAMES.get(inner, inner.upper())


def install() -> None:
    for kind in (core.TyperOption, core.TyperArgument):
        original = getattr(kind, "display_type_rich", None)
        if original is None or getattr(original, "readable", False):
            continue

        def display_type_rich(self: Any, ctx: Any, _original: Any = original) -> str | None:
            if getattr(self, "is_flag", False) or getattr(self, "is_bool_flag", False):
                return None  # a flag takes no value
            if getattr(self, "metavar", None) is not None:
                return str(self.metavar)
            return readable(_original(self, ctx))

        display_type_rich.readable = True  # type: ignore[attr-defined]
        kind.display_type_rich = display_type_rich  # type: ignore[method-assign]
