"""Workbooks, parsers, playbooks and summary rules across two releases: ids stay, versions move.

As for analytic rules (diff/detections.py): Sentinel matches installed content by content id
and offers an update only for a higher version. Read from the package ``mainTemplate.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sentinel_pack.diff import versions as semver
from sentinel_pack.diff.artefacts import resolve_variable

KINDS = {"Workbook": "workbook", "Parser": "parser", "Playbook": "playbook",
         "LogicAppsCustomConnector": "custom connector", "AzureFunction": "function app",
         "SummaryRule": "summary rule"}


@dataclass(frozen=True)
class Content:
    kind: str
    name: str
    id: str
    version: str
    body: str  # what a change of needs a new version: the content template's inner resources


def content_of(files: dict[str, bytes]) -> list[Content]:
    rel = next((r for r in sorted(files, key=len) if r.lower().endswith("maintemplate.json")), None)
    if rel is None:
        return []
    try:
        main = json.loads(files[rel].decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return []
    variables = main.get("variables") if isinstance(main.get("variables"), dict) else {}
    parameters = main.get("parameters") if isinstance(main.get("parameters"), dict) else {}
    found = []
    for resource in main.get("resources") if isinstance(main.get("resources"), list) else []:
        properties = resource.get("properties") if isinstance(resource, dict) else None
        if not isinstance(properties, dict) or properties.get("contentKind") not in KINDS:
            continue
        name = str(properties.get("displayName", ""))
        if name.startswith("[parameters('"):  # a workbook's name is a parameter's default
            name = str((parameters.get(name[len("[parameters('"):-3]) or {}).get("defaultValue", name))
        inner = (properties.get("mainTemplate") or {}).get("resources") or []
        body = [_meaning(r) for r in inner if isinstance(r, dict) and not str(r.get("type", "")).endswith("/metadata")]
        found.append(Content(
            kind=properties["contentKind"],
            name=name,
            id=str(_resolve(properties.get("contentId"), variables)),
            version=str(_resolve(properties.get("version"), variables)),
            body=json.dumps(body, sort_keys=True),
        ))
    return found


def _resolve(value: object, variables: dict) -> object:
    """Follow ``[variables('_x')]`` -> ``[variables('x')]`` -> the literal, as far as it goes."""
    for _ in range(5):
        resolved = resolve_variable(value, variables)
        if resolved == value:
            break
        value = resolved
    if isinstance(value, str) and value.startswith("[variables('") and value.endswith("')]"):
        inner = variables.get(value[len("[variables('"):-3])
        if isinstance(inner, str) and inner.startswith("[variables("):
            return _resolve(inner, variables)
    return value


def _meaning(resource: dict) -> object:
    """The part of an inner resource whose change is a change of the content (not its numbering)."""
    properties = resource.get("properties") if isinstance(resource.get("properties"), dict) else {}
    kind = str(resource.get("type", "")).lower()
    if kind.endswith("/workbooks"):
        return properties.get("serializedData")
    if kind.endswith("/savedsearches"):
        return [properties.get("query"), properties.get("functionParameters")]
    if kind.endswith("/summarylogs"):
        return properties.get("ruleDefinition")
    return resource


def problems(old: list[Content], new: list[Content]) -> list[str]:
    return semver.release_problems(
        old, new, lambda c: f"{KINDS[c.kind]} '{c.name}'", lambda c: (c.kind, c.id.lower()), lambda c: c.body,
        "beside the old one", "it changed but its version stayed {version}; raise the version so Sentinel "
        "offers the update.")
