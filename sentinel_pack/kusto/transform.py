"""The KQL subset of ingestion-time transformations (DCR ``transformKql``).

Azure Monitor rejects a data collection rule whose transformation uses an operator or a
function outside a documented list (``coalesce``, ``summarize``, ``mv-expand`` ...). The list
is vendored in ``transform_kql.json`` with its source.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from sentinel_pack.kusto.engine import Analysis
from sentinel_pack.kusto.schema import Database, Function

SUBSET = Path(__file__).resolve().parent / "transform_kql.json"


@cache
def subset() -> dict[str, Any]:
    return json.loads(SUBSET.read_text(encoding="utf-8"))


def database(source: dict[str, str]) -> Database:
    """What a transformation can read: the input stream as ``source``, and the transform-only functions."""
    functions = {name: Function(name, spec["parameters"], spec["body"])
                 for name, spec in subset()["transform_only_functions"].items()}
    return Database({"source": dict(source)}, functions)


def unsupported(analysis: Analysis) -> list[tuple[int, str, str]]:
    """(offset, message, fix) for every operator and built-in function ingestion does not accept."""
    spec = subset()
    allowed = set(spec["functions"]) | set(spec["aliases"])
    found: list[tuple[int, str, str]] = []
    for kind, start in analysis.operators:
        if kind not in spec["tabular_operators"]:
            name = _operator_name(kind)
            found.append((start, f"'{name}' is not supported in ingestion-time transformations",
                          "transformations work on one row at a time; use only "
                          + ", ".join(spec["tabular_operators"].values())))
    for call in analysis.functions:
        if call.name in allowed or not (call.builtin or call.name in spec["transform_only_functions"]):
            continue  # functions the transform defines itself (let f = ...) are its own business
        instead = spec["use_instead"].get(call.name)
        found.append((call.start, f"function '{call.name}' is not supported in ingestion-time transformations",
                      f"use {instead}()" if instead else
                      "rewrite it with the supported functions (for coalesce: iif(isnotempty(a), a, b))"))
    return sorted(found)


def _operator_name(kind: str) -> str:
    """``MvExpandOperator`` -> ``mv-expand``, ``SummarizeOperator`` -> ``summarize``."""
    import re

    words = re.findall(r"[A-Z][a-z]*", kind.removesuffix("Operator"))
    names = {"Filter": "where", "Take": "take", "Top": "top"}
    if len(words) == 1:
        return names.get(words[0], words[0].lower())
    return "-".join(w.lower() for w in words)
