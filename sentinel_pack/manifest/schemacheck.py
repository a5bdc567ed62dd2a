"""The manifest's JSON Schema checked with ECMA-262 semantics for ``$`` and real calendar dates.

JSON Schema patterns are ECMA-262 regular expressions, where ``$`` (without the multiline flag)
matches only at the very end. jsonschema runs them with Python's ``re.search``, where ``$`` also
matches before a final newline, so ``"3.1.0\\n"`` passed ``^...$`` and became ``Package/3.1.0\\n.zip``.
Here every ``$`` outside a character class is read as ``\\Z`` (the schema stays portable for
editors), and ``format: date`` is asserted: a date that matches the pattern must also exist.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from typing import Any


@cache
def anchored(pattern: str) -> re.Pattern[str]:
    """``pattern`` with ECMA's end-of-input ``$``: each unescaped ``$`` outside ``[...]`` becomes ``\\Z``."""
    out: list[str] = []
    in_class = escaped = False
    for char in pattern:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            out.append(char)
            escaped = True
        elif in_class:
            out.append(char)
            in_class = char != "]"
        elif char == "[":
            out.append(char)
            in_class = True
        elif char == "$":
            out.append(r"\Z")
        else:
            out.append(char)
    return re.compile("".join(out))


def is_calendar_date(value: object) -> bool:
    """YYYY-MM-DD naming a day that exists (2026-02-30 and 0000-01-01 do not)."""
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return True  # the pattern reports the shape
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _pattern(validator: Any, pattern: str, instance: Any, schema: dict[str, Any]) -> Any:
    from jsonschema.exceptions import ValidationError

    if validator.is_type(instance, "string") and not anchored(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@cache
def _validator_class() -> Any:
    from jsonschema import Draft202012Validator, validators

    return validators.extend(Draft202012Validator, {"pattern": _pattern})


def validator(schema: dict[str, Any]) -> Any:
    """A Draft 2020-12 validator with anchored patterns and the ``date`` format asserted."""
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    checker.checks("date")(is_calendar_date)
    return _validator_class()(schema, format_checker=checker)
