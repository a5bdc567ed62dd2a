"""Semantic versions as the solution manifest writes them (``MAJOR.MINOR.PATCH``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sentinel_pack.errors import Problem, SentinelPackError

BUMPS = ("none", "patch", "minor", "major")
_VERSION = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")


def parse(version: str, where: str | None = None) -> tuple[int, int, int]:
    match = _VERSION.match(str(version))
    if not match:
        raise SentinelPackError(Problem(f"{version!r} is not a version like 3.0.1", file=where))
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def bump(version: str, part: str) -> str:
    """``bump('3.0.4', 'minor') == '3.1.0'``."""
    major, minor, patch = parse(version)
    if part == "major":
        return f"{major + 1}.0.0"
    if part == "minor":
        return f"{major}.{minor + 1}.0"
    if part == "patch":
        return f"{major}.{minor}.{patch + 1}"
    raise ValueError(f"unknown bump {part!r}")


def bump_between(old: str, new: str) -> str | None:
    """The bump that leads from ``old`` to ``new``: none, patch, minor, major; None for a downgrade."""
    a, b = parse(old), parse(new)
    if b < a:
        return None
    if b == a:
        return "none"
    if b[0] != a[0]:
        return "major"
    if b[1] != a[1]:
        return "minor"
    return "patch"


def at_least(actual: str | None, required: str) -> bool:
    return actual is not None and BUMPS.index(actual) >= BUMPS.index(required)


def compare(a: str, b: str) -> int | None:
    """-1, 0 or 1 for dotted numeric versions of any length (``1`` == ``1.0.0``); None if not numeric."""
    if not all(re.fullmatch(r"\d+(\.\d+)*", v) for v in (a, b)):
        return None
    left, right = ([int(p) for p in v.split(".")] for v in (a, b))
    width = max(len(left), len(right))
    left, right = left + [0] * (width - len(left)), right + [0] * (width - len(right))
    return (left > right) - (left < right)


def release_problems(old: list, new: list, label: Callable[[Any], str], key: Callable[[Any], Any],
                     body: Callable[[Any], Any], beside: str, unchanged_version: str) -> list[str]:
    """What NEW does to the items OLD published that Sentinel cannot follow (SP803, SP909, diff).

    Sentinel matches published content by id and offers an update only for a higher version,
    so an id that changed installs a second copy, and a change under the same version is
    never offered. ``beside`` ends the id message; ``unchanged_version`` (with ``{version}``)
    is the message for a change under the same version.
    """
    out = []
    old_by_key = {key(item): item for item in old}
    new_keys = {key(item) for item in new}
    old_by_name = {(item.kind, item.name): item for item in old}
    for item in new:
        before = old_by_key.get(key(item))
        if before is None:
            renamed = old_by_name.get((item.kind, item.name))
            if renamed is not None and key(renamed) not in new_keys:
                out.append(f"{label(item)}: id changed {renamed.id} → {item.id}; Sentinel would install it "
                           f"{beside}. Keep id {renamed.id}.")
            continue
        order = compare(item.version, before.version)
        if order is None:
            continue
        if order < 0:
            out.append(f"{label(item)}: version went back {before.version} → {item.version}.")
        elif order == 0 and body(item) != body(before):
            out.append(f"{label(item)}: {unchanged_version.format(version=item.version)}")
    return out
