"""The manifest that describes an existing solution: the inverse of the templates.

Each value is read from the file that owns it. Where a file says something the manifest
cannot express, the import stops with a message naming it rather than dropping it silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sentinel_pack import restapi
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


def _stream(connector: ConnectorSet) -> str:
    return str(connector.poller.body.get("properties", {}).get("dcrConfig", {}).get("streamName", ""))


def _output_stream(connector: ConnectorSet) -> tuple[int, str]:
    flows = connector.dcr.body["properties"].get("dataFlows", [])
    for index, flow in enumerate(flows):
        if _stream(connector) in flow.get("streams", []):
            return index, str(flow.get("outputStream", ""))
    raise SentinelPackError(Problem(f"no data flow of the DCR reads the poller's stream '{_stream(connector)}'",
                                    file=str(connector.dcr.file), path="properties.dataFlows"))


def table_section(connector: ConnectorSet) -> dict[str, Any]:
    index, output = _output_stream(connector)
    if output.startswith("Microsoft-"):
        return {"name": output.removeprefix("Microsoft-"), "builtin": True}
    if connector.table is None:
        raise SentinelPackError(Problem(
            f"no table file defines '{output.removeprefix('Custom-')}', the DCR's output table",
            file=str(connector.dcr.file), path=f"properties.dataFlows[{index}].outputStream",
            hint="add the table file to 'Data Connectors', or write to a built-in table (Microsoft-<table>)"))
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


def dcr_section(connector: ConnectorSet, table: dict[str, Any]) -> dict[str, Any]:
    """The DCR; its input stream and columns only where they differ from the table's defaults."""
    props = connector.dcr.body["properties"]
    destination = props["destinations"]["logAnalytics"][0]["name"]
    index, _ = _output_stream(connector)
    stream = _stream(connector)
    section: dict[str, Any] = {"name": connector.dcr.body["name"], "destination": destination}
    if stream != f"Custom-{table['name']}":
        section["input_stream"] = stream
    columns = [{"name": c["name"], "type": c["type"]} for c in props["streamDeclarations"][stream].get("columns", [])]
    table_columns = [{"name": c["name"], "type": c["type"]} for c in table.get("columns", [])]
    if table.get("builtin") or columns != table_columns:
        section["input_columns"] = columns
    section["transform"] = props["dataFlows"][index].get("transformKql", "source")
    return section


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
    if kind == "OAuthForm":
        defaults = {"clientIdLabel": "Client ID", "clientSecretLabel": "Client Secret",
                    "connectButtonLabel": "Connect", "disconnectButtonLabel": "Disconnect"}
        keys = {"clientIdLabel": "client_id_label", "clientSecretLabel": "client_secret_label",
                "connectButtonLabel": "connect_label", "disconnectButtonLabel": "disconnect_label"}
        return {"type": kind, **{keys[k]: params[k] for k in keys if params.get(k, defaults[k]) != defaults[k]}}
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
    if kind == "RestApiPoller":
        steps = connector.definition.body.get("properties", {}).get("connectorUiConfig", {}).get("instructionSteps", [])
        oauth_form = any(i.get("type") == "OAuthForm" for step in steps for i in step.get("instructions", []))
        return restapi_poller_section(body, file, oauth_form)
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


def _mapped(body: Any, mapping: dict[str, str], file: Path, path: str,
            aliases: dict[str, str] | None = None) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise SentinelPackError(Problem(f"expected an object, got {body!r}", file=str(file), path=path))
    known, unknown = restapi.from_api(body, mapping, aliases)
    if unknown:
        raise _unsupported(file, f"{path}.{unknown[0]}", f"the field '{unknown[0]}'")
    return known


def _auth_section(auth: Any, file: Path, oauth_form: bool) -> dict[str, Any]:
    path = "properties.auth"
    if not isinstance(auth, dict):
        raise SentinelPackError(Problem("expected the auth object", file=str(file), path=path))
    lowered = {k.lower(): k for k in auth}
    kind = next((t for t in restapi.AUTH if t.lower() == str(auth.get(lowered.get("type", "type"), "")).lower()), None)
    if kind is None:
        raise _unsupported(file, f"{path}.type", f"auth type '{auth.get(lowered.get('type', 'type'))}'")
    plain = {k: v for k, v in auth.items() if k.lower() != "type"
             and k.lower() not in {api.lower() for api in restapi.SECRETS[kind]}}
    section: dict[str, Any] = {"type": kind, **_mapped(plain, restapi.AUTH[kind], file, path)}
    for api, key in restapi.SECRETS[kind].items():
        original = lowered.get(api.lower())
        if original is None:
            continue
        name = _textbox(auth[original], file, f"{path}.{original}")
        if key is not None and not (kind == "OAuth2" and oauth_form):  # else the OAuthForm fills it in
            section[key] = name
    if kind == "OAuth2":
        grant = section.get("grant_type")
        if grant not in ("client_credentials", "authorization_code"):
            raise _unsupported(file, f"{path}.grantType", f"OAuth2 grant type {grant!r}")
        if section.get("redirect_uri") == restapi.PORTAL_REDIRECT_URI:
            del section["redirect_uri"]  # the default for the authorization code grant
    ordered = {"type": kind}
    for key in ("api_key_from", "username_from", "password_from", "grant_type", "client_id_from", "client_secret_from"):
        if key in section:
            ordered[key] = section[key]
    return {**ordered, **section}


def restapi_poller_section(body: dict[str, Any], file: Path, oauth_form: bool) -> dict[str, Any]:
    """A RestApiPoller file as manifest keys; a field the manifest cannot hold stops the import."""
    props = body.get("properties", {})
    known = {"connectordefinitionname", "datatype", "dcrconfig", "auth", "request", "paging", "response"}
    for key in props:
        if key.lower() not in known:
            raise _unsupported(file, f"properties.{key}", f"the poller field '{key}'")
    lowered = {k.lower(): k for k in props}

    def part(name: str) -> Any:
        return props.get(lowered.get(name.lower(), name))

    request = _mapped(part("request") or {}, restapi.REQUEST, file, "properties.request")
    if isinstance(request.get("http_method"), str):
        request["http_method"] = request["http_method"].upper()
    section: dict[str, Any] = {"kind": "RestApiPoller", "name": body.get("name", ""),
                               "auth": _auth_section(part("auth"), file, oauth_form), "request": request}
    if part("paging"):
        section["paging"] = _mapped(part("paging"), restapi.PAGING, file, "properties.paging", restapi.PAGING_ALIASES)
    section["response"] = _mapped(part("response") or {}, restapi.RESPONSE, file, "properties.response")
    return section
