"""Lambda runtime deadlines from cfn-lint's own lifecycle data (the data behind W2531/E2531/E2533).

cfn-lint warns only once a runtime is deprecated and errs only once creation is blocked; a
package in review today is deployed by customers for months, so sentinel-pack needs the dates
themselves. They are read from the installed cfn-lint, never from a list kept here, so a
cfn-lint upgrade brings AWS's new dates. "Today" comes from ``SENTINEL_PACK_TODAY``
(``YYYY-MM-DD``) when set, so CI and tests can ask how a package fares on a given day.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

TODAY_ENV = "SENTINEL_PACK_TODAY"
#: A runtime whose creation block is this close counts as blocked: the package is still being
#: installed, and the stacks deployed, long after the review.
CREATE_BLOCK_MARGIN = timedelta(days=90)
FUNCTION_TYPES = ("AWS::Lambda::Function", "AWS::Serverless::Function")
RUNTIMES_URL = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html"


@dataclass(frozen=True)
class Lifecycle:
    runtime: str
    deprecated: date | None
    create_block: date
    update_block: date | None
    successor: str | None


@dataclass(frozen=True)
class RuntimeUse:
    """A runtime a template sets: the JSON path of the value and the value."""

    path: str
    runtime: str


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _lifecycle_table() -> dict[str, Any]:
    """Read from cfn-lint's data folder without importing cfn-lint (a second, cfn-lint process may
    be warming it up: importing it here would cost the main process a second)."""
    import importlib.util
    import json

    spec = importlib.util.find_spec("cfnlint")
    if spec is not None and spec.origin:
        path = Path(spec.origin).parent / "data" / "AdditionalSpecs" / "LmbdRuntimeLifecycle.json"
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))
    from cfnlint.data import AdditionalSpecs
    from cfnlint.helpers import load_resource

    return load_resource(AdditionalSpecs, "LmbdRuntimeLifecycle.json")


@cache
def lifecycles() -> dict[str, Lifecycle]:
    """cfn-lint's runtime lifecycle table (``LmbdRuntimeLifecycle.json``), imported on first use."""
    table = _lifecycle_table()
    found = {}
    for runtime, entry in table.items():
        create_block = _day(entry.get("create-block")) if isinstance(entry, dict) else None
        if create_block is None:
            continue
        successor = entry.get("successor")
        found[runtime] = Lifecycle(runtime, _day(entry.get("deprecated")), create_block,
                                   _day(entry.get("update-block")),
                                   successor if isinstance(successor, str) and successor else None)
    return found


def today() -> date:
    """The date the rules judge by: ``SENTINEL_PACK_TODAY`` or the system date.

    Raises ValueError for a value that is not ``YYYY-MM-DD``.
    """
    value = os.environ.get(TODAY_ENV, "").strip()
    if not value:
        return date.today()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) or _day(value) is None:
        raise ValueError(f"{TODAY_ENV}={value!r} is not a date (YYYY-MM-DD)")
    return date.fromisoformat(value)


def blocked_by(runtime: str, on: date) -> Lifecycle | None:
    """The lifecycle of ``runtime`` if creating a function with it is blocked on, or within the margin of, ``on``."""
    entry = lifecycles().get(runtime)
    return entry if entry is not None and entry.create_block <= on + CREATE_BLOCK_MARGIN else None


def move_to(runtime: str, on: date) -> str | None:
    """The runtime to move to: the successor AWS names, followed on while that one is blocked too."""
    seen = {runtime}
    entry = lifecycles().get(runtime)
    while entry is not None and entry.successor and entry.successor not in seen:
        candidate = entry.successor
        if blocked_by(candidate, on) is None:
            return candidate
        seen.add(candidate)
        entry = lifecycles().get(candidate)
    return None


def runtime_uses(template: dict[str, Any]) -> Iterator[RuntimeUse]:
    """Every runtime a template sets: functions, SAM ``Globals``, and parameters they ``Ref``."""
    parameters = template.get("Parameters") if isinstance(template.get("Parameters"), dict) else {}
    places: list[tuple[str, Any]] = []
    resources = template.get("Resources")
    for name, resource in (resources.items() if isinstance(resources, dict) else []):
        if isinstance(resource, dict) and resource.get("Type") in FUNCTION_TYPES:
            props = resource.get("Properties")
            if isinstance(props, dict) and "Runtime" in props:
                places.append((f"Resources.{name}.Properties.Runtime", props["Runtime"]))
    globals_ = template.get("Globals")
    function = globals_.get("Function") if isinstance(globals_, dict) else None
    if isinstance(function, dict) and "Runtime" in function:
        places.append(("Globals.Function.Runtime", function["Runtime"]))
    for path, value in places:
        if isinstance(value, str):
            yield RuntimeUse(path, value)
        elif isinstance(value, dict) and isinstance(value.get("Ref"), str):
            param = parameters.get(value["Ref"])
            if not isinstance(param, dict):
                continue
            where = f"Parameters.{value['Ref']}"
            if isinstance(param.get("Default"), str):
                yield RuntimeUse(f"{where}.Default", param["Default"])
            allowed = param.get("AllowedValues")
            for i, option in enumerate(allowed if isinstance(allowed, list) else []):
                if isinstance(option, str):
                    yield RuntimeUse(f"{where}.AllowedValues[{i}]", option)


def describe(use: RuntimeUse, entry: Lifecycle, on: date) -> tuple[str, str]:
    """(message, fix) for a runtime that cannot, or soon cannot, create functions."""
    days = (entry.create_block - on).days
    when = (f"AWS Lambda blocked creating functions with it on {entry.create_block.isoformat()}" if days <= 0 else
            f"AWS Lambda blocks creating functions with it from {entry.create_block.isoformat()}, in {days} days")
    extra = [f"deprecated {entry.deprecated.isoformat()}"] if entry.deprecated else []
    if entry.update_block:
        extra.append(f"updates blocked from {entry.update_block.isoformat()}")
    message = f"Lambda runtime '{use.runtime}': {when}" + (f" ({'; '.join(extra)})" if extra else "")
    successor = move_to(use.runtime, on)
    fix = f"move to '{successor}'" if successor else f"move to a supported runtime ({RUNTIMES_URL})"
    if use.path.endswith(".Properties.Runtime"):
        fix += " (in a sentinel-pack manifest: aws.eks_audit_pipeline.lambda_runtime)"
    return message, fix


def findings(template: dict[str, Any], on: date) -> Iterator[tuple[str, str, str]]:
    """(JSON path, message, fix) for each runtime of ``template`` blocked on or within the margin of ``on``."""
    for use in runtime_uses(template):
        entry = blocked_by(use.runtime, on)
        if entry is not None:
            yield (use.path, *describe(use, entry, on))
