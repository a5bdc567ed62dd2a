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
    out = []
    old_by_id = {d.id.lower(): d for d in old}
    new_ids = {d.id.lower() for d in new}
    old_by_name = {(d.kind, d.name): d for d in old}
    for item in new:
        label = f"{KINDS[item.kind]} '{item.name}'"
        before = old_by_id.get(item.id.lower())
        if before is None:
            renamed = old_by_name.get((item.kind, item.name))
            if renamed is not None and renamed.id.lower() not in new_ids:
                out.append(f"{label}: id changed {renamed.id} → {item.id}; Sentinel would install it as a new "
                           f"rule beside the old one. Keep id {renamed.id}.")
            continue
        order = semver.compare(item.version, before.version)
        if order is None:
            continue
        if order < 0:
            out.append(f"{label}: version went back {before.version} → {item.version}.")
        elif item.query != before.query and order == 0:
            out.append(f"{label}: the query changed but version stayed {item.version}; bump the rule's "
                       "version so Sentinel offers the update.")
    return out
