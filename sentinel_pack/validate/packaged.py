"""The connector files and their copies inside ``mainTemplate.json``, paired by identity.

A built folder carries each connector twice: the files in ``Data Connectors/`` and the copies
the packager put into the package template. They are paired by what names them (definition
id, poller definition and stream, DCR and table name), never by position or file name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sentinel_pack.validate.target import Target, template_resources

#: Resource kinds of a CCF connector, by type suffix.
KINDS = {
    "dataconnectordefinitions": "connector definition",
    "dataconnectors": "poller",
    "datacollectionrules": "data collection rule",
    "tables": "table",
}
#: Poller kinds of the Codeless Connector Framework (legacy kinds are not connector files).
CCF_POLLERS = {"restapipoller", "amazonwebservicess3", "gcp", "push"}


@dataclass(frozen=True)
class Copy:
    file: str  # file of the resource
    path: str  # JSON path of the resource inside the file ("" for a whole file)
    kind: str  # a KINDS value
    key: str  # what names it
    resource: dict[str, Any]


def kind_of(resource: dict[str, Any]) -> str | None:
    rtype = str(resource.get("type", "")).rsplit("/", 1)[-1].lower()
    kind = KINDS.get(rtype)
    if kind == "poller" and str(resource.get("kind", "")).lower() not in CCF_POLLERS:
        return None
    return kind


def _last_name(name: Any) -> str:
    """``[concat(parameters('workspace'),'/X_CL')]`` -> ``X_CL``; a literal name as is."""
    text = str(name or "")
    literal = re.findall(r"'([^']*)'", text) if text.startswith("[") else [text]
    return (literal[-1] if literal else text).rsplit("/", 1)[-1]


def key_of(kind: str, resource: dict[str, Any]) -> str:
    properties = resource.get("properties") if isinstance(resource.get("properties"), dict) else {}
    if kind == "connector definition":
        ui = properties.get("connectorUiConfig") if isinstance(properties.get("connectorUiConfig"), dict) else {}
        return str(ui.get("id") or _last_name(resource.get("name")))
    if kind == "poller":
        dcr = properties.get("dcrConfig") if isinstance(properties.get("dcrConfig"), dict) else {}
        return f"{properties.get('connectorDefinitionName')} -> {dcr.get('streamName')}"
    return _last_name(resource.get("name"))


def _split_arrays(resource: dict[str, Any]) -> list[dict[str, Any]]:
    """A resource whose name, type and properties are parallel arrays (an upstream packager bug,
    reported by SP203) as the resources it stands for."""
    names = resource.get("name")
    if not isinstance(names, list) or not isinstance(resource.get("properties"), list):
        return [resource]
    count = len(names)
    if any(isinstance(v, list) and len(v) != count for v in resource.values()):
        return [resource]
    return [{key: value[i] if isinstance(value, list) else value for key, value in resource.items()}
            for i in range(count)]


def connector_files(target: Target) -> list[Copy]:
    found = []
    for rel in target.json_files():
        if not rel.lower().startswith("data connectors/"):
            continue
        doc = target.json(rel)
        for index, item in enumerate(doc if isinstance(doc, list) else [doc]):
            if isinstance(item, dict) and (kind := kind_of(item)):
                found.append(Copy(rel, f"[{index}]" if isinstance(doc, list) else "", kind, key_of(kind, item), item))
    return found


def package_copies(target: Target) -> list[Copy]:
    """Connector resources in the package; the same resource packaged twice appears twice."""
    rel, main = target.package("mainTemplate.json")
    found = []
    for path, resource in template_resources(main):
        for item in _split_arrays(resource):
            if kind := kind_of(item):
                found.append(Copy(rel, path, kind, key_of(kind, item), item))
    return found
