"""The manifest that describes an existing solution: the inverse of the templates.

Each value is read from the file that owns it. Where a file says something the manifest
cannot express, the import stops with a message naming it rather than dropping it silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sentinel_pack.errors import Problem, SentinelPackError
from sentinel_pack.importer.discover import ConnectorSet
from sentinel_pack.importer.layout import find_child, read_json

_PARAMETER = re.compile(r"^\[\[?parameters\('([A-Za-z0-9_]+)'\)\]$|^\{\{\s*([A-Za-z0-9_]+)\s*\}\}$")
_IMG_SRC = re.compile(r'src="([^"]+)"')
_TENANT = re.compile(r"sts\.windows\.net/([0-9a-f-]{36})/")


@dataclass
class Imported:
    manifest: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)  # extra files, relative to the solution folder
    notes: list[str] = field(default_factory=list)


def _unsupported(file: Path, path: str, what: str) -> SentinelPackError:
    return SentinelPackError(Problem(f"{what} cannot be expressed in a sentinel-pack manifest yet",
                                     file=str(file), path=path))


def solution_section(root: Path, data: dict[str, Any], version: str) -> dict[str, Any]:
    metadata_file = find_child(root, str(data.get("Metadata", "SolutionMetadata.json")))
    if metadata_file is None:
        raise SentinelPackError(Problem("no SolutionMetadata.json", file=str(root)))
    meta = read_json(metadata_file)
    author_text = str(data.get("Author", "")).strip()
    name, _, email = (part.strip() for part in author_text.partition(" - "))
    logo = _IMG_SRC.search(str(data.get("Logo", "")))
    section: dict[str, Any] = {
        "name": data["Name"],
        "version": version,
        "publisher_id": meta["publisherId"],
        "offer_id": meta["offerId"],
        "author": {"name": name or "Unknown", **({"email": email} if email else {})},
        "support": {k: v for k, v in meta.get("support", {}).items() if k in ("name", "email", "tier", "link")},
        "first_publish_date": meta["firstPublishDate"],
    }
    if meta.get("lastPublishDate"):
        section["last_publish_date"] = meta["lastPublishDate"]
    section["providers"] = list(meta.get("providers", []))
    section["domains"] = list(meta.get("categories", {}).get("domains", []))
    if meta.get("categories", {}).get("verticals"):
        section["verticals"] = list(meta["categories"]["verticals"])
    section["logo"] = logo.group(1) if logo else ""
    section["description"] = data.get("Description", "")
    return section


def table_section(connector: ConnectorSet) -> dict[str, Any]:
    if connector.table is None:
        raise _unsupported(connector.dcr.file, "dataFlows[0].outputStream", "writing to a built-in table")
    body = connector.table.body
    schema = body["properties"]["schema"]
    section: dict[str, Any] = {"name": body["name"], "description": schema.get("description", "")}
    if "retentionInDays" in body["properties"]:
        section["retention_in_days"] = body["properties"]["retentionInDays"]
    tags = {k: v for k, v in body.get("tags", {}).items() if k != "StreamName"}
    if tags:
        section["tags"] = tags
    section["columns"] = [{"name": c["name"], "type": c["type"], **({"description": c["description"]}
                           if "description" in c else {})} for c in schema["columns"]]
    return section


def dcr_section(connector: ConnectorSet) -> dict[str, Any]:
    props = connector.dcr.body["properties"]
    destination = props["destinations"]["logAnalytics"][0]["name"]
    return {"name": connector.dcr.body["name"], "destination": destination,
            "transform": props["dataFlows"][0].get("transformKql", "source")}


def _instruction(item: dict[str, Any], file: Path, path: str) -> dict[str, Any]:
    kind, params = item.get("type"), item.get("parameters", {})
    if kind == "Markdown":
        return {"type": kind, "content": params["content"]}
    if kind == "CopyableLabel":
        if params.get("fillWith"):
            raise _unsupported(file, f"{path}.parameters.fillWith", "a CopyableLabel filled by Sentinel")
        out: dict[str, Any] = {"type": kind, "label": params["label"], "value": params.get("value", "")}
        if params.get("rows"):
            out["rows"] = params["rows"]
        if params.get("wideLabel") is False:
            out["wide_label"] = False
        return out
    if kind == "Textbox":
        out = {"type": kind, "name": params["name"], "label": params["label"]}
        if params.get("placeholder"):
            out["placeholder"] = params["placeholder"]
        if params.get("type", "text") != "text":
            out["input_type"] = params["type"]
        return out
    if kind == "ConnectionToggleButton":
        return {"type": kind, "name": params.get("name", "toggle"),
                "connect_label": params.get("connectLabel", "Connect"),
                "disconnect_label": params.get("disconnectLabel", "Disconnect")}
    raise _unsupported(file, path, f"instruction type '{kind}'")


def connector_section(connector: ConnectorSet) -> dict[str, Any]:
    file = connector.definition.file
    ui = connector.definition.body["properties"]["connectorUiConfig"]
    prefix = file.name[: -len("_ConnectorDefinition.json")] if file.name.endswith("_ConnectorDefinition.json") \
        else re.sub(r"[^A-Za-z0-9_-]", "", connector.id)
    permissions: dict[str, Any] = {"resource_providers": []}
    for p in ui.get("permissions", {}).get("resourceProvider", []):
        required = [k for k in ("read", "write", "delete", "action") if p.get("requiredPermissions", {}).get(k)]
        permissions["resource_providers"].append({
            "provider": p["provider"], "display_text": p["permissionsDisplayText"],
            "provider_display_name": p["providerDisplayName"], "scope": p["scope"], "required": required})
    if ui.get("permissions", {}).get("customs"):
        permissions["customs"] = [{"name": c["name"], "description": c["description"]}
                                  for c in ui["permissions"]["customs"]]
    steps = []
    for s, step in enumerate(ui.get("instructionSteps", [])):
        out: dict[str, Any] = {"title": step.get("title", "")}
        if step.get("description"):
            out["description"] = step["description"]
        out["instructions"] = [_instruction(i, file, f"connectorUiConfig.instructionSteps[{s}].instructions[{n}]")
                               for n, i in enumerate(step.get("instructions", []))]
        steps.append(out)
    return {
        "id": connector.id,
        "file_prefix": prefix,
        "title": ui["title"],
        "publisher": ui["publisher"],
        "preview": bool(ui.get("availability", {}).get("isPreview", False)),
        "description": ui["descriptionMarkdown"],
        "graph_queries": [{"metric_name": q["metricName"], "legend": q["legend"], "base_query": q["baseQuery"]}
                          for q in ui.get("graphQueries", [])],
        "sample_queries": [{"description": q["description"], "query": q["query"]} for q in ui.get("sampleQueries", [])],
        "permissions": permissions,
        "instruction_steps": steps,
    }


def _textbox(value: Any, file: Path, path: str) -> str:
    match = _PARAMETER.match(str(value))
    if not match:
        raise SentinelPackError(Problem(f"expected a text box parameter like [[parameters('roleArn')], got {value!r}",
                                        file=str(file), path=path))
    return match.group(1) or match.group(2)


def poller_section(connector: ConnectorSet) -> dict[str, Any]:
    body, file = connector.poller.body, connector.poller.file
    kind = body.get("kind")
    if kind != "AmazonWebServicesS3":
        raise _unsupported(file, "kind", f"poller kind '{kind}'")
    props = body["properties"]
    sqs = props.get("sqsConfig", {})
    data_format = props.get("dataFormat", {})
    return {
        "kind": kind,
        "name": body["name"],
        "role_arn_from": _textbox(props["roleArn"], file, "properties.roleArn"),
        "queue_url_from": _textbox(props["sqsUrls"][0], file, "properties.sqsUrls[0]"),
        "sqs": {"max_number_of_messages": sqs.get("maxNumberOfMessages", 10),
                "visibility_timeout": sqs.get("visibilityTimeout", 30),
                "wait_time_seconds": sqs.get("waitTimeSeconds", 20),
                "delete_message_after_receive": sqs.get("deleteMessageAfterReceive", True)},
        "events_json_paths": props.get("response", {}).get("eventsJsonPaths", ["$[*]"]),
        "data_format": {"format": data_format.get("Format", "Json"),
                        "compression": data_format.get("compressType", "Gzip") if data_format.get("IsCompressed")
                        else "None"},
    }


def release_notes_section(root: Path, version: str, fallback_date: str, notes: list[str]) -> list[dict[str, Any]]:
    path = find_child(root, "ReleaseNotes.md")
    entries: list[dict[str, Any]] = []
    if path is not None:
        for line in path.read_text(encoding="utf-8-sig").splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) < 3 or not re.fullmatch(r"\d+\.\d+\.\d+", cells[0].strip("* ")):
                continue
            day, month, year = [*cells[1].split("-"), "", "", ""][:3]
            changes = [c.strip() for c in " | ".join(cells[2:]).split("<br/>") if c.strip()]
            entries.append({"version": cells[0].strip("* "), "date": f"{year}-{month}-{day}",
                            "changes": changes or ["(no description)"]})
    if not any(e["version"] == version for e in entries):
        notes.append(f"ReleaseNotes.md has no row for {version}; added one dated {fallback_date} (original omission)")
        entries.insert(0, {"version": version, "date": fallback_date, "changes": [f"Release {version}."]})
    return entries
