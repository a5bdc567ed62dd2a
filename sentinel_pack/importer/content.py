"""``import`` of workbooks, parsers, playbooks, watchlists and summary rules.

The Data file lists the files (``Workbooks``, ``Parsers``, ``Playbooks``, ``Watchlists``,
``SummaryRules`` or ``Summary Rules``; keys in any case, as the packager reads them). The files
are copied as they are. A workbook's gallery metadata lives upstream in a repository-wide
``WorkbooksMetadata.json`` that a solution folder does not hold, so it is read back from the
solution's published package (title, description, version, data type and connector
dependencies, preview images) and written into the manifest.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from sentinel_pack.content.workbooks import file_key
from sentinel_pack.importer.layout import copy_listed
from sentinel_pack.importer.manifest_from import Imported

#: Data file key (lower case, no spaces) -> manifest key.
DATA_KEYS = {"workbooks": "workbooks", "parsers": "parsers", "playbooks": "playbooks",
             "watchlists": "watchlists", "summaryrules": "summary_rules"}
#: Data file keys the manifest does not carry, and what the packager does with them.
IGNORED = {
    "workbookdescription": "the packager adds it beside each workbook's metadata resource, outside its properties",
    "playbookdescription": "the packager computes it but no longer shows it in the wizard",
    "watchlistdescription": "sentinel-pack shows each watchlist's own description in the wizard instead",
}
BLADES = {"workbookbladedescription": "workbooks", "playbooksbladedescription": "playbooks"}


def import_content(source: Path, data: dict[str, Any], imported: Imported,
                   package: dict[str, Any] | None = None) -> None:
    """Copy the listed files and list them in the manifest; ``package``: the published mainTemplate."""
    lowered = {key.replace(" ", "").lower(): (key, value) for key, value in data.items()}
    for data_key, manifest_key in DATA_KEYS.items():
        if data_key not in lowered:
            continue
        original_key, listed = lowered[data_key]
        paths = copy_listed(source, original_key, [str(r) for r in listed] if isinstance(listed, list) else [],
                            imported.files, imported.notes)
        if not paths:
            continue
        if manifest_key == "workbooks":
            imported.manifest["workbooks"] = [workbook_entry(rel, package, imported) for rel in paths]
        else:
            imported.manifest[manifest_key] = paths
    blades = {BLADES[key]: value for key, (_, value) in lowered.items() if key in BLADES and isinstance(value, str)}
    if blades:
        imported.manifest["blade_descriptions"] = blades
    for key, (original_key, value) in lowered.items():
        if key in IGNORED and value:
            imported.notes.append(f"{original_key}: left out of the manifest ({IGNORED[key]})")


def workbook_entry(rel: str, package: dict[str, Any] | None, imported: Imported) -> dict[str, Any]:
    """The manifest entry of one workbook, its metadata read from the published package."""
    key = file_key(rel)
    entry: dict[str, Any] = {"file": rel}
    found = _published_workbook(key, package) if package else None
    if found is None:
        entry["description"] = key
        imported.notes.append(f"Workbooks: no gallery metadata for '{rel}' in the published package; its "
                              "description is set to its name (edit workbooks[].description)")
        return entry
    content_id, title, version, description, metadata = found
    if content_id != key:
        entry["key"] = content_id
    if title != (content_id or key):
        entry["title"] = title
    entry["description"] = description or key
    entry["version"] = version
    criteria = ((metadata.get("dependencies") or {}).get("criteria") or [])
    for kind, name in (("DataType", "data_types"), ("DataConnector", "data_connectors")):
        values = [str(c.get("contentId")) for c in criteria if isinstance(c, dict) and c.get("kind") == kind]
        if values:
            entry[name] = values
    for field, name in (("previewImages", "preview_images"), ("previewImagesDark", "preview_images_dark")):
        if isinstance(metadata.get(field), list):
            entry[name] = metadata[field]
    return entry


_NUMBER = re.compile(r"workbookVersion(\d+)")


def _published_workbook(key: str, main: dict[str, Any]) -> tuple[str, str, str, str, dict[str, Any]] | None:
    """(content id, title, version, description, metadata properties) of the workbook built from ``key``."""
    variables = main.get("variables") if isinstance(main.get("variables"), dict) else {}
    parameters = main.get("parameters") if isinstance(main.get("parameters"), dict) else {}
    for resource in main.get("resources") or []:
        properties = resource.get("properties") if isinstance(resource, dict) else None
        if not isinstance(properties, dict) or properties.get("contentKind") != "Workbook":
            continue
        if not str(properties.get("description", "")).startswith(f"{key} Workbook"):
            continue
        match = _NUMBER.search(json.dumps(properties.get("version")))
        if match is None:
            continue
        n = match.group(1)
        inner = (properties.get("mainTemplate") or {}).get("resources") or []
        workbook = next((r for r in inner if isinstance(r, dict) and str(r.get("type", "")).endswith("/workbooks")),
                        {})
        metadata = next((r.get("properties") or {} for r in inner
                         if isinstance(r, dict) and str(r.get("type", "")).endswith("/metadata")), {})
        description = (workbook.get("metadata") or {}).get("description") or ""
        title = (parameters.get(f"workbook{n}-name") or {}).get("defaultValue") or key
        return (str(variables.get(f"workbookContentId{n}", key)), str(title),
                str(variables.get(f"workbookVersion{n}", "1.0.0")), str(description), metadata)
    return None
