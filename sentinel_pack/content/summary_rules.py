"""Summary rules: ``Summary Rules/*.yaml`` as ``summaryLogs`` content templates.

The shape is the official packager's (``common/summaryRules.ps1``): a ``summaryLogs`` resource
with ``ruleDefinition {query, binSize, destinationTable}``, its metadata and a content template
that depends on the rule itself. One deliberate difference: the metadata's name and parent id
use the rule's resource id; the packager's escaped ``parameters('workspaceName')`` and
``variables('resourceId')`` are declared nowhere in the content template (SP610).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from sentinel_pack.content.sources import Source, strip_quotes
from sentinel_pack.errors import Problem

REQUIRED = ("id", "displayName", "description", "requiredDataConnectors", "destinationTable", "query", "binSize",
            "version")
#: Minutes; the documented values of ``ruleDefinition.binSize`` (Azure Monitor summary rules, RuleDefinition).
BIN_SIZES = (20, 30, 60, 120, 180, 360, 720, 1440)
_TABLE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,60}_CL$")


def check(source: Source) -> list[Problem]:
    data = source.data
    if not isinstance(data, dict):
        return [source.problem((), "a summary rule must be a YAML mapping")]
    problems = [source.problem((), f"missing required field '{field}'") for field in REQUIRED if field not in data]
    if "id" in data:
        try:
            uuid.UUID(str(data["id"]))
        except ValueError:
            problems.append(source.problem(("id",), f"id {data['id']!r} is not a GUID", "generate one with uuidgen"))
    if "binSize" in data and (isinstance(data["binSize"], bool) or data["binSize"] not in BIN_SIZES):
        problems.append(source.problem(("binSize",), f"binSize {data['binSize']!r} is not allowed",
                                       f"use one of (minutes): {', '.join(map(str, BIN_SIZES))}"))
    table = data.get("destinationTable")
    if "destinationTable" in data and (not isinstance(table, str) or not _TABLE.match(table)):
        problems.append(source.problem(("destinationTable",), f"destinationTable {table!r} is not a custom table "
                                       "name", "summary rules write to a custom table ending in _CL"))
    name = data.get("displayName")
    if "displayName" in data and (not isinstance(name, str) or not name.strip() or "'" in name):
        problems.append(source.problem(("displayName",), "displayName must be text without single quotes "
                                       "(it names the summaryLogs resource)"))
    for field in ("query", "description"):
        if field in data and (not isinstance(data[field], str) or not data[field].strip()):
            problems.append(source.problem((field,), f"{field} must be text"))
    connectors = data.get("requiredDataConnectors")
    if "requiredDataConnectors" in data and not isinstance(connectors, list):
        problems.append(source.problem(("requiredDataConnectors",), "requiredDataConnectors must be a list of "
                                       "{connectorId, dataTypes}"))
    for index, item in enumerate(connectors if isinstance(connectors, list) else []):
        if not isinstance(item, dict) or not isinstance(item.get("connectorId"), str) \
                or not isinstance(item.get("dataTypes"), list):
            problems.append(source.problem(("requiredDataConnectors", index), "needs connectorId and dataTypes"))
    if "version" in data and not re.match(r"^\d+\.\d+\.\d+$", str(data["version"])):
        problems.append(source.problem(("version",), f"version {data['version']!r} is not like 1.0.0"))
    return problems


def context(sources: list[Source]) -> list[dict[str, Any]]:
    out = []
    for number, source in enumerate(sources, start=1):
        data = source.data
        connectors = data.get("requiredDataConnectors") or []
        out.append({
            "number": number,
            "id": str(data["id"]),
            "name": data["displayName"],
            "description": strip_quotes(data["description"]),
            "version": str(data.get("version", "1.0.0")),
            "query": data["query"],
            "bin_size": data["binSize"],
            "destination_table": data["destinationTable"],
            "required_data_connectors": connectors,
            "data_types": [t for c in connectors for t in c.get("dataTypes") or []],
            "path": source.name,
            "raw": source.raw,
        })
    return out
