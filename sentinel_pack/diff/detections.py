"""Analytic rules and hunting queries across two releases: ids must stay, versions must move.

Sentinel matches installed content by id. A published rule whose id changes is a new rule to
Sentinel, and the old one stays installed beside it; a query that changes under the same
version is not offered as an update. Both are errors a reviewer should not have to spot.
Read from the package ``mainTemplate.json``, so zips, folders and git revisions all work.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sentinel_pack.diff import versions as semver
from sentinel_pack.diff.artefacts import resolve_variable

KINDS = {"AnalyticsRule": "analytic rule", "HuntingQuery": "hunting query"}


@dataclass(frozen=True)
class Detection:
    kind: str
    name: str
    id: str
    version: str
    query: str


def detections_of(files: dict[str, bytes]) -> list[Detection]:
    """Every analytic rule and hunting query the side's package carries."""
    rel = next((r for r in sorted(files, key=len) if r.lower().endswith("maintemplate.json")), None)
    if rel is None:
        return []
    try:
        main = json.loads(files[rel].decode("utf-8-sig"))
    except (ValueError, RecursionError):  # reported by artefacts_of
        return []
    if not isinstance(main, dict):
        return []
    variables = main.get("variables") if isinstance(main.get("variables"), dict) else {}
    found = []
    for resource in main.get("resources") if isinstance(main.get("resources"), list) else []:
        properties = resource.get("properties") if isinstance(resource, dict) else None
        if not isinstance(properties, dict) or properties.get("contentKind") not in KINDS:
            continue
        template = properties.get("mainTemplate")
        inner = (template.get("resources") if isinstance(template, dict) else None) or [{}]
        first = inner[0] if isinstance(inner, list) and isinstance(inner[0], dict) else {}
        query = first.get("properties", {}).get("query", "") if isinstance(first.get("properties"), dict) else ""
        found.append(Detection(
            kind=properties["contentKind"],
            name=str(properties.get("displayName", "")),
            id=str(resolve_variable(properties.get("contentId"), variables)),
            version=str(resolve_variable(properties.get("version"), variables)),
            query=str(query),
        ))
    return found


def problems(old: list[Detection], new: list[Detection]) -> list[str]:
    """What NEW does to the rules OLD published that Sentinel cannot follow."""
    return semver.release_problems(
        old, new, lambda d: f"{KINDS[d.kind]} '{d.name}'", lambda d: d.id.lower(), lambda d: d.query,
        "as a new rule beside the old one", "the query changed but version stayed {version}; bump the rule's "
        "version so Sentinel offers the update.")
