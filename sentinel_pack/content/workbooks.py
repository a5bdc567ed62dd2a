"""Workbooks: the gallery JSON of a workbook, shaped as the official packager ships it.

The packager (Tools/Create-Azure-Sentinel-Solution, ``GetWorkbookDataMetadata``) stores the
workbook as ``serializedData``: the file's JSON with null, empty-list and empty-object
properties removed, compact, plus the newline PowerShell's ``Out-String`` appends. Its title,
description, version and dependencies come from a repository-wide ``WorkbooksMetadata.json``;
here they are written beside the file in the manifest.
"""

from __future__ import annotations

import json
import re
from pathlib import PurePosixPath
from typing import Any

from sentinel_pack.content.sources import Source
from sentinel_pack.errors import Problem

#: Characters the packager removes from a workbook's file name (``Replace-SpecialChars``).
_SPECIAL = re.compile(r"[#?{\[()\]}]")
#: Workbook item types that hold a Log Analytics query (KqlItem, and parameters of query type).
QUERY_ITEM = "KqlItem/1.0"


def file_key(path: str) -> str:
    """The packager's key of a workbook file: its name without extension and special characters."""
    stem = PurePosixPath(path).stem
    return _SPECIAL.sub("", stem) if stem.find("(") <= 0 else stem


def prune(node: Any) -> Any:
    """``removePropertiesRecursively`` for workbooks: drop null, ``[]`` and ``{}`` properties."""
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if value is None or value == [] or value == {}:
            continue
        if isinstance(value, list):
            out[key] = [prune(item) for item in value]
        elif isinstance(value, dict):
            pruned = prune(value)
            if pruned:
                out[key] = pruned
        elif key == "query" and isinstance(value, str):
            out[key] = _json_query(value)
        else:
            out[key] = value
    return out


def _json_query(query: str) -> str:
    """A query that is itself a JSON object (ARM and Resource Graph items) is re-serialised."""
    try:
        parsed = json.loads(query)
    except json.JSONDecodeError:
        return query
    if not isinstance(parsed, dict):
        return query
    kept = {k: v for k, v in parsed.items() if v is not None and v != "[]"}
    return compact(kept) + "\n"


def compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def serialized_data(workbook: Any) -> str:
    """The ``serializedData`` string of the package."""
    return compact(prune(workbook)) + "\n"


def queries(workbook: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """(JSON path, query) of every Log Analytics query in the workbook, nested groups included."""
    found: list[tuple[tuple[str | int, ...], str]] = []

    def walk(node: Any, path: tuple[str | int, ...]) -> None:
        if isinstance(node, dict):
            content = node.get("content")
            if isinstance(content, dict) and content.get("version") == QUERY_ITEM \
                    and isinstance(content.get("query"), str) and content.get("queryType", 0) == 0:
                found.append(((*path, "content", "query"), content["query"]))
            for key, value in node.items():
                walk(value, (*path, key))
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, (*path, index))

    walk(workbook, ())
    return found


def check(source: Source) -> list[Problem]:
    """A workbook file is a gallery template: ``version: Notebook/1.0`` and a list of items."""
    data = source.data
    if not isinstance(data, dict):
        return [source.problem((), "a workbook must be a JSON object", "export it from the workbook's "
                                                                       "Advanced editor (Gallery Template)")]
    problems = []
    if data.get("version") != "Notebook/1.0":
        problems.append(source.problem(("version",), f"workbook version must be 'Notebook/1.0', got "
                                       f"{data.get('version')!r}", "export the Gallery Template, not the ARM "
                                                                   "template"))
    if not isinstance(data.get("items"), list) or not data.get("items"):
        problems.append(source.problem(("items",), "the workbook has no items"))
    return problems


def context(entries: list[dict[str, Any]], sources: list[Source]) -> list[dict[str, Any]]:
    """What the package templates need for each workbook, numbered from 1 as the packager does."""
    out = []
    for number, (entry, source) in enumerate(zip(entries, sources, strict=True), start=1):
        key = entry.get("key") or file_key(entry["file"])
        out.append({
            "number": number,
            "file_key": file_key(entry["file"]),
            "key": key,
            "title": entry.get("title", key),
            "description": entry["description"],
            "version": entry.get("version", "1.0.0"),
            "data_types": list(entry.get("data_types", [])),
            "data_connectors": list(entry.get("data_connectors", [])),
            "preview_images": entry.get("preview_images"),
            "preview_images_dark": entry.get("preview_images_dark"),
            "serialized_data": serialized_data(source.data),
            "path": source.name,
            "raw": source.raw,
        })
    return out
