"""SP4xx: the same facts must agree across the connector files (what humans miss)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sentinel_pack.validate.finding import ERROR, WARNING, rule
from sentinel_pack.validate.kql import column_references
from sentinel_pack.validate.target import Target

Out = Iterator[tuple[str, str, str, str]]
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*\}\}")


def _dcr_flow(dcr: dict) -> dict:
    flows = dcr.get("properties", {}).get("dataFlows") or [{}]
    return flows[0]


def _table_columns(target: Target) -> tuple[str | None, dict[str, str]]:
    _rel, table = target.first("/tables")
    if table is None:
        return None, {}
    cols = table.get("properties", {}).get("schema", {}).get("columns", [])
    return table.get("name"), {c.get("name"): c.get("type") for c in cols if isinstance(c, dict)}


@rule("SP401", ERROR, "The table name is the same in every connector file", per_connector=True)
def table_name_agrees(target: Target) -> Out:
    table_rel, table = target.first("/tables")
    _dcr_rel, dcr = target.first("dataCollectionRules")
    def_rel, definition = target.first("dataConnectorDefinitions")
    poller_rel, poller = target.first("/dataConnectors")
    if dcr is None:
        return
    output = str(_dcr_flow(dcr).get("outputStream", ""))
    name = output.removeprefix("Custom-").removeprefix("Microsoft-")
    fix = f"use '{name}' everywhere (the DCR output stream is '{output}')"
    if table is not None and table.get("name") != name:
        yield table_rel, "name", f"table '{table.get('name')}' is not the DCR output table '{name}'", fix
    if poller is not None:
        props = poller.get("properties", {})
        for key in ("destinationTable", "dataType"):
            if key in props and props[key] != name:
                yield poller_rel, f"properties.{key}", f"'{props[key]}' is not the DCR output table '{name}'", fix
    if definition is not None:
        ui = definition.get("properties", {}).get("connectorUiConfig", {})
        if ui.get("graphQueriesTableName") not in (None, name):
            yield (
                def_rel,
                "properties.connectorUiConfig.graphQueriesTableName",
                f"'{ui['graphQueriesTableName']}' is not the DCR output table '{name}'",
                fix,
            )
        for i, data_type in enumerate(ui.get("dataTypes", [])):
            if data_type.get("name") != name:
                yield (
                    def_rel,
                    f"properties.connectorUiConfig.dataTypes[{i}].name",
                    f"'{data_type.get('name')}' is not the DCR output table '{name}'",
                    fix,
                )


@rule("SP402", ERROR, "The poller sends to a stream the DCR declares and routes", per_connector=True)
def stream_declared(target: Target) -> Out:
    dcr_rel, dcr = target.first("dataCollectionRules")
    poller_rel, poller = target.first("/dataConnectors")
    if dcr is None or poller is None:
        return
    stream = poller.get("properties", {}).get("dcrConfig", {}).get("streamName")
    declared = dcr.get("properties", {}).get("streamDeclarations", {})
    if stream not in declared:
        yield (
            poller_rel,
            "properties.dcrConfig.streamName",
            f"stream '{stream}' is not declared in the DCR (declared: {', '.join(declared) or 'none'})",
            "use the DCR's streamDeclarations name, 'Custom-<table>'",
        )
    elif stream not in _dcr_flow(dcr).get("streams", []):
        yield (
            dcr_rel,
            "properties.dataFlows[0].streams",
            f"no data flow reads stream '{stream}'",
            f"add '{stream}' to the data flow's streams",
        )


def _input_stream(dcr: dict) -> tuple[str | None, dict[str, str]]:
    flow = _dcr_flow(dcr)
    declared = dcr.get("properties", {}).get("streamDeclarations", {})
    stream = next((s for s in flow.get("streams", []) if s in declared), None)
    if stream is None:
        return None, {}
    return stream, {
        c.get("name"): str(c.get("type")) for c in declared[stream].get("columns", []) if isinstance(c, dict)
    }


def _transform(dcr: dict) -> tuple[str, set[str], set[str]]:
    """The transform, the input columns it reads and the names it assigns."""
    kql = str(_dcr_flow(dcr).get("transformKql", "source") or "source")
    assigned = set(re.findall(r"([A-Za-z_]\w*)\s*=(?!=)", kql))
    return kql, column_references(kql), assigned


@rule("SP403", ERROR, "Every stream column reaches the table or the transform, with the table's type",
      per_connector=True)
def columns_agree(target: Target) -> Out:
    dcr_rel, dcr = target.first("dataCollectionRules")
    table_name, columns = _table_columns(target)
    if dcr is None or table_name is None:
        return
    stream, declared = _input_stream(dcr)
    if stream is None:
        return
    _, reads, assigned = _transform(dcr)
    path = f"properties.streamDeclarations['{stream}'].columns"
    for name in sorted(declared.keys() - columns.keys() - reads):
        yield (
            dcr_rel,
            path,
            f"column '{name}' is neither in table {table_name} nor used by the transform: its data is dropped",
            "rename it to the table's column, or use it in the transform",
        )
    for name in sorted((declared.keys() & columns.keys()) - assigned):
        if declared[name].lower() != str(columns[name]).lower():
            yield (
                dcr_rel,
                path,
                f"column '{name}' is {declared[name]} here but {columns[name]} in table {table_name}",
                "use the same type in both, or convert it in the transform",
            )


@rule("SP404", ERROR, "The transform reads declared columns and projects only table columns", per_connector=True)
def transform_columns(target: Target) -> Out:
    dcr_rel, dcr = target.first("dataCollectionRules")
    table_name, columns = _table_columns(target)
    if dcr is None or table_name is None:
        return
    stream, declared = _input_stream(dcr)
    kql, reads, _ = _transform(dcr)
    path = "properties.dataFlows[0].transformKql"
    if stream is not None:
        for name in sorted(reads - declared.keys()):
            yield (
                dcr_rel,
                path,
                f"the transform reads '{name}', which stream {stream} does not declare",
                "declare the column in the stream or fix its name in the transform",
            )
    projects = re.findall(r"\|\s*project\s+([^|]+)", kql)
    if projects:
        for name in (n.split("=")[0].strip() for n in projects[-1].split(",")):
            if name and name not in columns:
                yield (
                    dcr_rel,
                    path,
                    f"the transform projects '{name}', which table {table_name} does not have",
                    "project only table columns",
                )
    if columns.get("TimeGenerated", "datetime").lower() != "datetime":
        yield dcr_rel, path, "TimeGenerated must be a datetime column", "declare TimeGenerated as datetime"


@rule("SP405", ERROR, "The poller names the connector definition it belongs to", per_connector=True)
def definition_name(target: Target) -> Out:
    _def_rel, definition = target.first("dataConnectorDefinitions")
    poller_rel, poller = target.first("/dataConnectors")
    if definition is None or poller is None:
        return
    wanted = definition.get("properties", {}).get("connectorUiConfig", {}).get("id") or definition.get("name")
    name = poller.get("properties", {}).get("connectorDefinitionName")
    if name != wanted:
        yield (
            poller_rel,
            "properties.connectorDefinitionName",
            f"'{name}' is not the connector definition id '{wanted}'",
            f"set it to '{wanted}'",
        )


def _walk_strings(value, path: str = ""):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk_strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk_strings(item, f"{path}[{i}]")


@rule("SP406", ERROR, "No {{placeholder}} is left unresolved in the package", per_connector=True)
def unresolved_placeholders(target: Target) -> Out:
    rel, main = target.package("mainTemplate.json")
    if main is None:
        return
    for path, text in _walk_strings(main):
        for name in _PLACEHOLDER.findall(text):
            if name != "graphQueriesTableName":
                yield (
                    rel,
                    path,
                    f"placeholder {{{{{name}}}}} reaches Azure as literal text",
                    "replace it with an ARM expression (see docs/arm-escaping.md)",
                )


@rule("SP407", ERROR, "Connector queries use only the table's columns", per_connector=True)
def query_columns(target: Target) -> Out:
    def_rel, definition = target.first("dataConnectorDefinitions")
    table_name, columns = _table_columns(target)
    if definition is None or table_name is None:
        return
    ui = definition.get("properties", {}).get("connectorUiConfig", {})
    queries = [
        (f"properties.connectorUiConfig.sampleQueries[{i}].query", q.get("query", ""))
        for i, q in enumerate(ui.get("sampleQueries", []))
    ]
    queries += [
        (f"properties.connectorUiConfig.graphQueries[{i}].baseQuery", q.get("baseQuery", ""))
        for i, q in enumerate(ui.get("graphQueries", []))
    ]
    queries += [
        (f"properties.connectorUiConfig.dataTypes[{i}].lastDataReceivedQuery", d.get("lastDataReceivedQuery", ""))
        for i, d in enumerate(ui.get("dataTypes", []))
    ]
    for path, query in queries:
        query = str(query).replace("{{graphQueriesTableName}}", table_name)
        for name in sorted(column_references(query, table_name) - columns.keys()):
            yield (
                def_rel,
                path,
                f"the query uses '{name}', which table {table_name} does not have",
                f"use one of its columns: {', '.join(sorted(columns))}",
            )


@rule("SP408", WARNING, "The transform keeps the event time", per_connector=True)
def keeps_event_time(target: Target) -> Out:
    dcr_rel, dcr = target.first("dataCollectionRules")
    if dcr is None:
        return
    kql = str(_dcr_flow(dcr).get("transformKql", ""))
    if re.search(r"extend\s+TimeGenerated\s*=\s*now\(\)", kql):
        yield (
            dcr_rel,
            "properties.dataFlows[0].transformKql",
            "the transform replaces every event's TimeGenerated with the ingestion time",
            "keep the event time: TimeGenerated = iif(isnull(TimeGenerated), now(), TimeGenerated)",
        )
