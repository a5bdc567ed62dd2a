"""Analytic rules and hunting queries listed in the manifest, loaded and shaped for the package.

The shapes follow the official packager (Tools/Create-Azure-Sentinel-Solution/V3): a scheduled
rule becomes an ``AlertRuleTemplates`` resource with ISO-8601 durations and spelled-out trigger
operators; a hunting query becomes a ``savedSearches`` resource whose description, tactics and
techniques travel as tags.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from sentinel_pack.content.analytic_rules import check_rule, duration_minutes
from sentinel_pack.errors import Problem, SentinelPackError
from sentinel_pack.manifest.load import Manifest
from sentinel_pack.manifest.yamlsource import load_yaml
from sentinel_pack.render.arm import literals

OPERATORS = {"gt": "GreaterThan", "lt": "LessThan", "eq": "Equal", "ne": "NotEqual"}
#: Optional scheduled-rule keys carried into the template as they are written.
PASSTHROUGH = ("entityMappings", "customDetails", "alertDetailsOverride", "eventGroupingSettings",
               "incidentConfiguration", "sentinelEntitiesMappings")


@dataclass(frozen=True)
class Detection:
    """One rule or hunting query: where it came from, its YAML, and its bytes for the output tree."""

    path: str  # relative to the solution folder, with forward slashes
    data: dict[str, Any]
    raw: bytes


def iso_duration(value: object) -> str:
    """``1h`` -> ``PT1H``, ``1d`` -> ``P1D``; ISO-8601 input is kept."""
    text = str(value)
    if text.startswith("P"):
        return text
    minutes = duration_minutes(text)
    if minutes is None:
        raise ValueError(f"not a duration: {text!r}")
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    time = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    return f"P{days}D" + (f"T{time}" if time else "") if days else f"PT{time}"


def _techniques(data: dict[str, Any]) -> tuple[list[str], list[str]]:
    techniques, subtechniques = [], []
    for technique in data.get("relevantTechniques") or []:
        main = str(technique).split(".", 1)[0]
        if main not in techniques:
            techniques.append(main)
        if "." in str(technique):
            subtechniques.append(str(technique))
    return techniques, subtechniques


def load(manifest: Manifest, key: str) -> list[Detection]:
    """The files the manifest lists under ``key``, checked; all problems are raised at once."""
    hunting = key == "hunting_queries"
    detections, problems = [], []
    for relative in manifest.data.get(key) or []:
        path = manifest.resolve_path(relative)
        doc = load_yaml(path, relative)
        found = check_rule(doc, hunting=hunting)
        problems.extend(found)
        if not found:
            # as the output tree and the Data file name it: forward slashes, no "./"
            detections.append(Detection(PurePosixPath(relative.replace("\\", "/")).as_posix(), doc.data,
                                        path.read_bytes()))
    ids = {}
    for detection in detections:
        rule_id = str(detection.data["id"]).lower()
        if rule_id in ids:
            problems.append(Problem(f"id {detection.data['id']} is also the id of {ids[rule_id]}",
                                    file=detection.path, hint="every rule needs an id of its own"))
        ids[rule_id] = detection.path
    if problems:
        raise SentinelPackError(problems)
    return detections


def alert_rule_properties(data: dict[str, Any]) -> dict[str, Any]:
    """``properties`` of the AlertRuleTemplates resource for a scheduled rule."""
    techniques, subtechniques = _techniques(data)
    properties: dict[str, Any] = {
        "description": data["description"],
        "displayName": data["name"],
        "enabled": False,
        "query": data["query"],
        "queryFrequency": iso_duration(data["queryFrequency"]),
        "queryPeriod": iso_duration(data["queryPeriod"]),
        "severity": data["severity"],
        "suppressionDuration": "PT1H",
        "suppressionEnabled": False,
        "triggerOperator": OPERATORS[data["triggerOperator"]],
        "triggerThreshold": data["triggerThreshold"],
        "status": "Available",
        "requiredDataConnectors": data["requiredDataConnectors"],
        "tactics": data["tactics"],
        "techniques": techniques,
    }
    if subtechniques:
        properties["subTechniques"] = subtechniques
    properties.update({key: data[key] for key in PASSTHROUGH if data.get(key)})
    return properties


def saved_search_properties(data: dict[str, Any]) -> dict[str, Any]:
    """``properties`` of the savedSearches resource for a hunting query."""
    techniques, _ = _techniques(data)
    tags = [{"name": "description", "value": data["description"].strip()}]
    if data.get("tactics"):
        tags.append({"name": "tactics", "value": ",".join(data["tactics"])})
    if techniques:
        tags.append({"name": "techniques", "value": ",".join(techniques)})
    return {"eTag": "*", "displayName": data["name"], "category": "Hunting Queries", "query": data["query"],
            "version": 2, "tags": tags}


def context(detections: list[Detection], hunting: bool) -> list[dict[str, Any]]:
    """What the package templates need for each item, numbered from 1 as the packager does."""
    out = []
    for number, detection in enumerate(detections, start=1):
        data = detection.data
        item = {
            "number": number,
            "id": str(data["id"]),
            "name": data["name"],
            "description": data["description"].strip(),
            "version": str(data.get("version", "1.0.0")),
            "path": detection.path,
            "raw": detection.raw,
        }
        properties = saved_search_properties(data) if hunting else alert_rule_properties(data)
        item["properties"] = literals(properties)
        out.append(item)
    return out
