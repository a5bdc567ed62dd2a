"""Where the package's own data lives, installed or in a source checkout."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent


def templates_dir() -> Path:
    """Built-in Jinja templates: inside the wheel, or the repository's top-level ``templates/``."""
    for candidate in (_HERE / "templates", _HERE.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("sentinel-pack templates are missing from this installation")


@cache
def schema(name: str) -> dict[str, Any]:
    """A JSON Schema vendored in ``sentinel_pack/schemas``."""
    return json.loads((_HERE / "schemas" / name).read_text(encoding="utf-8"))


def docs_dir() -> Path:
    """The documentation shipped in the wheel (``sentinel_pack/docs``), or the checkout's ``docs/``."""
    for candidate in (_HERE / "docs", _HERE.parent / "docs"):
        if (candidate / "rules.md").is_file():
            return candidate
    raise FileNotFoundError("sentinel-pack documentation is missing from this installation")
