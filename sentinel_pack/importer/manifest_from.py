"""The manifest that describes an existing solution: the inverse of the templates.

Each value is read from the file that owns it. sentinel-pack's own keys are used where they
give back exactly what the file says (checked by rendering them); everything else is kept in
CCF's own shape, verbatim, under the section it belongs to. A key a file must have and does not
is an error naming the file and the key.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sentinel_pack.errors import Problem, SentinelPackError
from sentinel_pack.importer.discover import ConnectorSet, ci, flows_of, output_of, stream_of
from sentinel_pack.importer.layout import find_child, inside, read_json
from sentinel_pack.manifest import restapi
from sentinel_pack.render import arm

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


def missing(file: Path, path: str, key: str, hint: str | None = None) -> SentinelPackError:
    return SentinelPackError(Problem(f"missing required key '{key}'", file=str(file),
                                     path=f"{path}.{key}" if path else key,
                                     hint=hint or f"add '{key}' to the file, then import again"))


def need(mapping: Any, key: str, file: Path, path: str) -> Any:
    value = ci(mapping, key)
    if value is None:
        raise missing(file, path, key)
    return value


def solution_section(root: Path, data: dict[str, Any], data_file: Path, version: str,
                     package: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    metadata_name = str(data.get("Metadata") or "SolutionMetadata.json")
    metadata_file = find_child(root, metadata_name)
    if metadata_file is None:
        raise SentinelPackError(Problem(f"no {metadata_name}", file=str(root),
                                        hint="the Data file's 'Metadata' names the solution metadata file"))
    meta = read_json(metadata_file, root)
    if not isinstance(meta, dict):
        raise SentinelPackError(Problem("expected a JSON object", file=str(metadata_file)))
    author_text = str(data.get("Author", "")).strip()
    name, _, email = (part.strip() for part in author_text.partition(" - "))
    logo = _IMG_SRC.search(str(data.get("Logo", "")))
    first_publish = meta.get("firstPublishDate") or package.get("firstPublishDate")
    if not meta.get("firstPublishDate"):
        notes.append(f"{metadata_file.name} has no firstPublishDate" + (
            f"; took {first_publish} from the published package" if first_publish else ", nor has the package")
            + " (original omission)")
    support = {k: v for k, v in (meta.get("support") or {}).items() if k in ("name", "email", "tier", "link")}
    if "name" not in support or "tier" not in support:
        raise missing(metadata_file, "support", "name" if "name" not in support else "tier")
    section: dict[str, Any] = {
        "name": need(data, "Name", data_file, ""),
        "version": version,
        "publisher_id": need(meta, "publisherId", metadata_file, ""),
        "offer_id": need(meta, "offerId", metadata_file, ""),
        "author": {"name": name or "Unknown", **({"email": email} if email else {})},
        "support": support,
    }
    if first_publish:
        section["first_publish_date"] = str(first_publish)[:10]
    if meta.get("lastPublishDate"):
        section["last_publish_date"] = str(meta["lastPublishDate"])[:10]
    section["providers"] = list(meta.get("providers") or []) or [section["name"]]
    categories = meta.get("categories") or {}
    section["domains"] = list(categories.get("domains") or [])
    if not section["domains"]:
        raise missing(metadata_file, "categories", "domains")
    if categories.get("verticals"):
        section["verticals"] = list(categories["verticals"])
    section["logo"] = logo.group(1) if logo else ""
    section["description"] = need(data, "Description", data_file, "")
    return section


# ---------------------------------------------------------------- tables and DCR

def table_sections(connector: ConnectorSet, package_tables: dict[str, Any], notes: list[str]) -> list[dict[str, Any]]:
    """One manifest table per output table of the DCR, in the order of its flows."""
    out = []
    for name, resource in connector.tables.items():
        if resource is None and not _is_custom(connector, name):
            out.append({"name": name, "builtin": True})
            continue
        if resource is None:
            body = package_tables.get(name)
            if body is None:
                raise SentinelPackError(Problem(
                    f"no table file defines '{name}', an output table of the DCR", file=str(connector.dcr.file),
                    path="properties.dataFlows",
                    hint="add the table file to 'Data Connectors', or write to a built-in table (Microsoft-<table>)"))
            notes.append(f"no table file defines {name}; took its schema from the published package "
                         "(original omission)")
            out.append(_table({"name": name, "properties": body}, None))
        else:
            out.append(_table(resource.body, resource.file))
    return out


def _is_custom(connector: ConnectorSet, name: str) -> bool:
    return any(output_of(f) == f"Custom-{name}" for f in flows_of(connector.dcr))


def _table(body: dict[str, Any], file: Path | None) -> dict[str, Any]:
    where = file or Path("mainTemplate.json")
    props = need(body, "properties", where, "")
    schema = need(props, "schema", where, "properties")
    section: dict[str, Any] = {"name": str(body.get("name") or need(schema, "name", where, "properties.schema"))}
    if ci(schema, "description"):
        section["description"] = ci(schema, "description")
    retention = ci(props, "retentionInDays")
    section["retention_in_days"] = retention if isinstance(retention, int) else None
    for key, value in props.items():
        if key.lower() not in ("schema", "retentionindays"):
            section[key] = value
    tags = {k: v for k, v in (body.get("tags") or {}).items() if k != "StreamName"}
    if tags:
        section["tags"] = tags
    columns = []
    for i, column in enumerate(need(schema, "columns", where, "properties.schema")):
        entry = {"name": need(column, "name", where, f"properties.schema.columns[{i}]"),
                 "type": need(column, "type", where, f"properties.schema.columns[{i}]")}
        entry.update({k: v for k, v in column.items() if k not in ("name", "type")})
        columns.append(entry)
    if any("description" not in c for c in columns):
        section["describe_columns"] = False
    section["columns"] = columns
    extra = {k: v for k, v in schema.items() if k.lower() not in ("name", "description", "columns")}
    if extra:
        section["schema"] = extra  # tableType, tableSubType, ...: kept as the file writes them
    return section


def dcr_section(connector: ConnectorSet, tables: list[dict[str, Any]]) -> dict[str, Any]:
    """The DCR; the single-flow form where it says everything, else its flows and streams."""
    file = connector.dcr.file
    props = need(connector.dcr.body, "properties", file, "")
    destinations = ci(ci(props, "destinations", {}), "logAnalytics", [])
    if not destinations:
        raise missing(file, "properties.destinations", "logAnalytics")
    section: dict[str, Any] = {"name": need(connector.dcr.body, "name", file, ""),
                               "destination": need(destinations[0], "name", file,
                                                   "properties.destinations.logAnalytics[0]")}
    declared = {name: [dict(c) for c in (ci(d, "columns", []) or [])]
                for name, d in (ci(props, "streamDeclarations", {}) or {}).items()}
    flows = []
    for i, flow in enumerate(flows_of(connector.dcr)):
        streams = ci(flow, "streams", [])
        if not streams:
            raise missing(file, f"properties.dataFlows[{i}]", "streams")
        output = output_of(flow)
        entry: dict[str, Any] = {"stream": streams[0], "table": output.split("-", 1)[-1]}
        if ci(flow, "transformKql") is not None:
            entry["transform"] = ci(flow, "transformKql")
        flows.append(entry)
    by_name = {t["name"]: t for t in tables}
    single = len(flows) == 1 and "transform" in flows[0] and len(declared) <= 1
    if single:
        flow = flows[0]
        table = by_name.get(flow["table"], {})
        if flow["stream"] != f"Custom-{flow['table']}":
            section["input_stream"] = flow["stream"]
        columns = declared.get(flow["stream"], [])
        table_columns = [{"name": c["name"], "type": c["type"]} for c in table.get("columns", [])]
        if table.get("builtin") or columns != table_columns:
            section["input_columns"] = columns
        section["transform"] = flow["transform"]
        return {**section, **_dcr_extras(props)}
    section["flows"] = [{k: v for k, v in f.items() if not (k == "stream" and v == f"Custom-{f['table']}")}
                        for f in flows]
    if declared:
        section["streams"] = declared
    return {**section, **_dcr_extras(props)}


def _dcr_extras(props: dict[str, Any]) -> dict[str, Any]:
    """DCR properties besides those the manifest derives (dataSources, description, ...), as written."""
    derived = ("datacollectionendpointid", "streamdeclarations", "destinations", "dataflows")
    return {k: v for k, v in props.items() if k.lower() not in derived}


# ---------------------------------------------------------------- connector definition

def _sugar_instruction(item: dict[str, Any]) -> dict[str, Any] | None:
    """sentinel-pack's form of an instruction, if it gives back exactly the same instruction."""
    from sentinel_pack.ccf.documents import instruction_to_ccf

    kind, params = item.get("type"), item.get("parameters")
    if not isinstance(params, dict) or set(item) != {"type", "parameters"}:
        return None
    candidate: dict[str, Any] | None = None
    if kind == "Markdown" and isinstance(params.get("content"), str):
        candidate = {"type": kind, "content": params["content"]}
    elif kind == "CopyableLabel" and "label" in params:
        candidate = {"type": kind, "label": params["label"], "value": params.get("value", "")}
        if params.get("rows"):
            candidate["rows"] = params["rows"]
        if params.get("wideLabel") is False:
            candidate["wide_label"] = False
    elif kind == "Textbox" and "name" in params and "label" in params:
        candidate = {"type": kind, "name": params["name"], "label": params["label"]}
        if params.get("placeholder"):
            candidate["placeholder"] = params["placeholder"]
        if params.get("type", "text") != "text":
            candidate["input_type"] = params["type"]
    elif kind == "OAuthForm":
        keys = {"clientIdLabel": "client_id_label", "clientSecretLabel": "client_secret_label",
                "connectButtonLabel": "connect_label", "disconnectButtonLabel": "disconnect_label"}
        candidate = {"type": kind, **{keys[k]: params[k] for k in keys if k in params}}
    elif kind == "ConnectionToggleButton":
        candidate = {"type": kind, "name": params.get("name", "toggle"),
                     "connect_label": params.get("connectLabel", "Connect"),
                     "disconnect_label": params.get("disconnectLabel", "Disconnect")}
    if candidate is None:
        return None
    try:
        return candidate if instruction_to_ccf(candidate) == item else None
    except (KeyError, TypeError):
        return None


def _instruction(item: Any, file: Path, path: str) -> dict[str, Any]:
    if not isinstance(item, dict) or not isinstance(item.get("type"), str):
        raise missing(file, path, "type")
    sugar = _sugar_instruction(item)
    if sugar is not None:
        return sugar
    return {"type": item["type"], "parameters": item.get("parameters") if isinstance(item.get("parameters"), dict)
            else {}}


_DEFAULT_CRITERIA = [{"type": "HasDataConnectors"}]


def connector_section(connector: ConnectorSet, tables: list[dict[str, Any]], notes: list[str]) -> dict[str, Any]:
    from sentinel_pack.ccf.check import _names
    from sentinel_pack.ccf.schema import UI_CONFIG

    file = connector.definition.file
    props = need(connector.definition.body, "properties", file, "")
    ui = need(props, "connectorUiConfig", file, "properties")
    where = "properties.connectorUiConfig"
    prefix = _file_prefix(file.name) or re.sub(r"[^A-Za-z0-9_-]", "", connector.id)
    section: dict[str, Any] = {
        "id": connector.id,
        "file_prefix": prefix,
        "title": need(ui, "title", file, where),
        "publisher": need(ui, "publisher", file, where),
        "description": need(ui, "descriptionMarkdown", file, where),
    }
    graph = ci(ui, "graphQueries", [])
    if all(isinstance(q, dict) and set(q) == {"metricName", "legend", "baseQuery"} for q in graph) and graph:
        section["graph_queries"] = [{"metric_name": q["metricName"], "legend": q["legend"],
                                     "base_query": q["baseQuery"]} for q in graph]
    else:
        section["graphQueries"] = graph
    samples = ci(ui, "sampleQueries")
    if samples and all(isinstance(q, dict) and set(q) == {"description", "query"} for q in samples):
        section["sample_queries"] = [{"description": q["description"], "query": q["query"]} for q in samples]
    elif samples:
        section["sampleQueries"] = samples
    default_types = [{"name": t["name"], "lastDataReceivedQuery": f"{t['name']}\n| where TimeGenerated > ago(12h)\n"
                      "| summarize Time = max(TimeGenerated)\n| where isnotempty(Time)"} for t in tables]
    availability = ci(ui, "availability")
    if isinstance(availability, dict) and set(availability) == {"isPreview", "status"} and availability["status"] == 1 \
            and isinstance(availability["isPreview"], bool):
        section["preview"] = availability["isPreview"]
    elif availability is not None:
        section["availability"] = availability
    ui_names = _names(UI_CONFIG)
    handled = {"id", "title", "publisher", "descriptionmarkdown", "graphqueries", "samplequeries", "availability",
               "instructionsteps", "permissions", "graphqueriestablename"}
    for key, value in ui.items():
        low = key.lower()
        if low in handled:
            continue
        if low == "datatypes" and value == default_types:
            continue
        if low == "connectivitycriteria" and value == _DEFAULT_CRITERIA:
            continue
        if low in ui_names:
            section[ui_names[low]] = value
        elif "_" in key or low in {k.lower() for k in section}:
            notes.append(f"{file.name}: {where}.{key} cannot be told from a misspelt manifest key; left out")
        else:
            section[key] = value  # a field real connectors use that the vendored schema lacks
    if "dataTypes" not in section and ci(ui, "dataTypes") is None:
        section["dataTypes"] = []
    if ci(ui, "connectivityCriteria") is None:
        section["connectivityCriteria"] = []
    table_name = ci(ui, "graphQueriesTableName")
    if table_name and tables and table_name != tables[0]["name"]:
        section["graphQueriesTableName"] = table_name  # not the first table (a parser's name, say): kept
    permissions = ci(ui, "permissions")
    section["permissions"] = dict(permissions) if isinstance(permissions, dict) else {}
    steps = []
    for s, step in enumerate(ci(ui, "instructionSteps", []) or []):
        out: dict[str, Any] = {"title": ci(step, "title")} if ci(step, "title") is not None else {}
        if ci(step, "description"):
            out["description"] = ci(step, "description")
        if ci(step, "instructions") is not None:
            out["instructions"] = [_instruction(i, file, f"{where}.instructionSteps[{s}].instructions[{n}]")
                                   for n, i in enumerate(ci(step, "instructions", []) or [])]
        out.update({k: v for k, v in step.items() if k.lower() not in ("title", "description", "instructions")})
        steps.append(out)
    section["instruction_steps"] = steps
    for key, value in props.items():  # the definition's own properties besides its UI (connectionsConfig)
        if key.lower() not in ("connectoruiconfig", "createdtimeutc", "lastmodifiedutc"):
            section[key] = value
    return section


_DEFINITION_SUFFIX = re.compile(r"_(data)?connector_?definition(s)?\.json$|_definition\.json$", re.IGNORECASE)


def _file_prefix(name: str) -> str | None:
    match = _DEFINITION_SUFFIX.search(name)
    prefix = name[:match.start()] if match else None
    return prefix if prefix and re.fullmatch(r"[A-Za-z0-9_-]+", prefix) else None


# ---------------------------------------------------------------- pollers

def _textbox(value: Any, file: Path, path: str) -> str:
    match = _PARAMETER.match(str(value))
    if not match:
        raise SentinelPackError(Problem(f"expected a text box parameter like [[parameters('roleArn')], got {value!r}",
                                        file=str(file), path=path))
    return match.group(1) or match.group(2)


def _packaged(properties: dict[str, Any], parameters: list[str]) -> Any:
    """Poller properties as the package holds them, to compare two spellings of one poller."""
    mapping = arm.connect_time([{"name": n} for n in parameters])
    try:
        resolved = arm.resolve(copy.deepcopy(properties), mapping, "")
    except SentinelPackError:
        return properties
    return _lower_keys({k: v for k, v in resolved.items() if k.lower() not in ("dcrconfig", "connectordefinitionname")})


def _lower_keys(value: Any) -> Any:
    """Property names compared as the service reads them: without regard to case."""
    if isinstance(value, dict):
        return {str(k).lower(): _lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lower_keys(v) for v in value]
    return value


def poller_section(connector: ConnectorSet, index: int, tables: list[dict[str, Any]], default_stream: str,
                   oauth_form: bool, textboxes: list[str]) -> dict[str, Any]:
    """One poller: sentinel-pack's keys when they give back the same poller, else CCF's own shape."""
    from sentinel_pack.ccf import check
    from sentinel_pack.ccf.documents import poller_properties

    resource = connector.pollers[index]
    body, file = resource.body, resource.file
    kind = need(body, "kind", file, "")
    name = need(body, "name", file, "")
    props = need(body, "properties", file, "")
    stream = stream_of(resource)
    data_type = ci(props, "dataType")
    flows = [{"stream": stream, "table": {"name": next((f["table"] for f in _flows(connector) if f["stream"] == stream),
                                                        tables[0]["name"])}}]
    derived_type = flows[0]["table"]["name"]
    section: dict[str, Any] = {"kind": kind, "name": name}
    if stream != default_stream:
        section["stream"] = stream
    verbatim = {k: v for k, v in props.items() if k.lower() not in ("connectordefinitionname", "dcrconfig", "datatype")}
    if data_type is not None and data_type != derived_type:
        verbatim = {"dataType": data_type, **verbatim}
    candidate = None
    try:
        if kind == "AmazonWebServicesS3":
            candidate = _s3_sugar(props, file)
        elif kind == "RestApiPoller":
            candidate = restapi_poller_section(body, file, oauth_form)
    except (SentinelPackError, KeyError, IndexError, TypeError, AttributeError):
        candidate = None  # only an attempt: the poller is then kept in CCF's shape
    if candidate is not None:
        candidate = {"kind": kind, "name": name, **{k: v for k, v in candidate.items() if k not in ("kind", "name")}}
        if "stream" in section:
            candidate["stream"] = section["stream"]
        trial = copy.deepcopy(candidate)
        try:
            poller_properties(trial, {"id": connector.id}, flows)
            parameters = [*textboxes, *restapi.OAUTH_FORM_PARAMETERS]
            same = _packaged(trial["properties"], parameters) == _packaged(dict(props), parameters)
        except (KeyError, TypeError, ValueError):
            same = False
        if same and (data_type is None or data_type == derived_type):
            return candidate
    if kind == "RestApiPoller":
        # a section with only sentinel-pack's names would be read as such: keep CCF's spelling visible
        for key in list(verbatim):
            if key in check.RESTAPI_SECTIONS and check.is_sugar(key, verbatim[key]):
                raise _unsupported(file, f"properties.{key}", f"the {key} section {verbatim[key]!r}")
    return {**section, **verbatim}


def _flows(connector: ConnectorSet) -> list[dict[str, Any]]:
    out = []
    for flow in flows_of(connector.dcr):
        streams = ci(flow, "streams", []) or [""]
        out.append({"stream": streams[0], "table": output_of(flow).split("-", 1)[-1]})
    return out


def _s3_sugar(props: dict[str, Any], file: Path) -> dict[str, Any]:
    sqs = ci(props, "sqsConfig", {}) or {}
    data_format = ci(props, "dataFormat", {}) or {}
    urls = need(props, "sqsUrls", file, "properties")
    return {
        "role_arn_from": _textbox(need(props, "roleArn", file, "properties"), file, "properties.roleArn"),
        "queue_url_from": _textbox(urls[0], file, "properties.sqsUrls[0]"),
        "sqs": {"max_number_of_messages": sqs.get("maxNumberOfMessages", 10),
                "visibility_timeout": sqs.get("visibilityTimeout", 30),
                "wait_time_seconds": sqs.get("waitTimeSeconds", 20),
                "delete_message_after_receive": sqs.get("deleteMessageAfterReceive", True)},
        "events_json_paths": (ci(props, "response", {}) or {}).get("eventsJsonPaths", ["$[*]"]),
        "data_format": {"format": data_format.get("Format", "Json"),
                        "compression": data_format.get("compressType", "Gzip") if data_format.get("IsCompressed")
                        else "None"},
    }


def release_notes_section(root: Path, version: str, fallback_date: str | None, notes: list[str]
                          ) -> list[dict[str, Any]]:
    path = find_child(root, "ReleaseNotes.md")
    entries: list[dict[str, Any]] = []
    if path is not None:
        for line in inside(root, path).read_text(encoding="utf-8-sig").splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) < 3 or not re.fullmatch(r"\d+\.\d+\.\d+", cells[0].strip("* ")):
                continue
            day, month, year = [*cells[1].split("-"), "", "", ""][:3]
            if day.isdigit() and month.isdigit() and int(month) > 12 >= int(day):
                notes.append(f"ReleaseNotes.md dates {cells[0].strip('* ')} {cells[1]}, month first; read as "
                             f"{year}-{day}-{month} (original inconsistency)")
                day, month = month, day
            changes = [c.strip() for c in " | ".join(cells[2:]).split("<br/>") if c.strip()]
            entries.append({"version": cells[0].strip("* "), "date": f"{year}-{month}-{day}",
                            "changes": changes or ["(no description)"]})
    if not any(e["version"] == version for e in entries):
        fallback_date = fallback_date or (entries[0]["date"] if entries else None)
        if fallback_date is None:
            raise SentinelPackError(Problem(f"ReleaseNotes.md has no row for version {version}, and no date is known",
                                            file=str(path or root / "ReleaseNotes.md"),
                                            hint=f"add a row for {version} (version, DD-MM-YYYY, changes)"))
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
