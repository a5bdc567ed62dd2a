"""The one JSON formatting every generated file uses (the upstream repository's style)."""

from __future__ import annotations

import json
from typing import Any


def dumps(obj: Any, *, trailing_newline: bool = True) -> str:
    text = json.dumps(obj, indent=2, ensure_ascii=False)
    return text + "\n" if trailing_newline else text


def compact(obj: Any) -> str:
    """Single-line JSON as CloudFormation policy strings are written upstream."""
    return json.dumps(obj, separators=(",", ": "), ensure_ascii=False)
