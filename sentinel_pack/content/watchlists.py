"""Watchlists: the watchlist resource of ``Watchlists/*.json``, packaged as it is.

The packager (``GenerateWatchList``) takes the template's first resource, renames it after a
``watchlist<N>-id`` parameter whose default is the file name, and lists it in the package's
dependencies under its display name, at the solution's version.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from sentinel_pack.content.sources import Source
from sentinel_pack.errors import Problem

TYPE = "microsoft.operationalinsights/workspaces/providers/watchlists"
REQUIRED = ("displayName", "source", "provider", "itemsSearchKey", "watchlistAlias", "contentType")
CONTENT_TYPES = {"text/csv"}


def resource(data: Any) -> dict[str, Any] | None:
    resources = data.get("resources") if isinstance(data, dict) else None
    first = resources[0] if isinstance(resources, list) and resources else None
    return first if isinstance(first, dict) else None


def check(source: Source) -> list[Problem]:
    item = resource(source.data)
    if item is None:
        return [source.problem(("resources",), "a watchlist file is an ARM template whose first resource is the "
                                              "watchlist", "put the Watchlists resource first under 'resources'")]
    where: tuple[str | int, ...] = ("resources", 0)
    problems = []
    if str(item.get("type", "")).lower() != TYPE:
        problems.append(source.problem((*where, "type"), f"the first resource is {item.get('type')!r}, not a "
                                       "watchlist", "type: Microsoft.OperationalInsights/workspaces/providers/"
                                                    "Watchlists"))
    properties = item.get("properties")
    if not isinstance(properties, dict):
        return [*problems, source.problem((*where, "properties"), "the watchlist has no properties")]
    for field in REQUIRED:
        if not isinstance(properties.get(field), str) or not properties[field].strip():
            problems.append(source.problem((*where, "properties", field), f"missing watchlist property '{field}'"))
    if isinstance(properties.get("displayName"), str) and "'" in properties["displayName"]:
        problems.append(source.problem((*where, "properties", "displayName"), "the display name names an ARM "
                                       "variable of the package and cannot hold a single quote"))
    kind = properties.get("contentType")
    if isinstance(kind, str) and kind.lower() not in CONTENT_TYPES:
        problems.append(source.problem((*where, "properties", "contentType"), f"content type {kind!r} is not "
                                       "supported", "use text/csv"))
    raw = properties.get("rawContent")
    key = properties.get("itemsSearchKey")
    if isinstance(raw, str) and isinstance(key, str):
        skip = properties.get("numberOfLinesToSkip", 0)
        lines = raw.splitlines()
        header = lines[skip] if isinstance(skip, int) and 0 <= skip < len(lines) else ""
        columns = [c.strip().strip('"') for c in header.split(",")]
        if key not in columns:
            problems.append(source.problem((*where, "properties", "itemsSearchKey"), f"itemsSearchKey '{key}' is not "
                                           f"a column of rawContent (columns: {', '.join(columns)})"))
    return problems


def context(sources: list[Source]) -> list[dict[str, Any]]:
    out = []
    for number, source in enumerate(sources, start=1):
        item = dict(resource(source.data) or {})
        item["name"] = ("[concat(parameters('workspace'),'/Microsoft.SecurityInsights/',"
                        f"parameters('watchlist{number}-id'))]")
        properties = item.get("properties", {})
        out.append({
            "number": number,
            "id": PurePosixPath(source.name).stem,
            "display_name": properties.get("displayName", ""),
            "description": properties.get("description", ""),
            "resource": item,
            "path": source.name,
            "raw": source.raw,
        })
    return out
