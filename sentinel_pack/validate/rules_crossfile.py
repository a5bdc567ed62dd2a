"""SP4xx: the same facts must agree across the connector files (what humans miss).

A connector may have several pollers, and one DCR may carry several data flows into several
tables (Bitwarden: three of each); every check runs per poller and per data flow, with the
table that flow writes. Names that are labels in CCF (the poller's ``dataType``, a data
type's ``name`` in the connector UI) are not table names and are not compared with one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sentinel_pack.validate.finding import ERROR, WARNING, rule
from sentinel_pack.validate.kql import column_references
from sentinel_pack.validate.rules_kql import kusto_available, unknown_names
from sentinel_pack.validate.target import Target, template_resources

Out = Iterator[tuple[str, str, str, str]]
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*\}\}")
_BRACKET_COLUMN = re.compile(r"\[\s*(?:'([^'\n]+)'|\"([^\"\n]+)\")\s*\]")


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def table_of(stream: str) -> str:
    return stream.removeprefix("Custom-").removeprefix("Microsoft-")


@dataclass
class Flow:
    """One data flow of a DCR: what it reads, the table it writes and how."""

    file: str
    index: int
    dcr: dict
    streams: list[str]
    output: str | None  # the table name
    transform: str
    declared: dict[str, dict[str, str]] = field(default_factory=dict)  # input stream -> column -> type

    @property
    def path(self) -> str:
        return f"properties.dataFlows[{self.index}]"

    def input_stream(self) -> str | None:
        return next((s for s in self.streams if s in self.declared), None)


def flows(target: Target) -> list[Flow]:
    found = []
    for rel, dcr in target.resources("dataCollectionRules"):
        properties = _dict(dcr.get("properties"))
        declared = {name: {c.get("name"): str(c.get("type")) for c in _list(_dict(d).get("columns"))
                           if isinstance(c, dict)}
                    for name, d in _dict(properties.get("streamDeclarations")).items()}
        for index, flow in enumerate(_list(properties.get("dataFlows"))):
            flow = _dict(flow)
            streams = [str(s) for s in _list(flow.get("streams"))]
            output = flow.get("outputStream")
            if not output:  # a Microsoft- stream without outputStream goes to its own built-in table
                output = next((s for s in streams if s.startswith("Microsoft-")), None)
            found.append(Flow(rel, index, dcr, streams, table_of(str(output)) if output else None,
                              str(flow.get("transformKql") or "source"), declared))
    return found


def tables(target: Target) -> dict[str, tuple[str, dict[str, str]]]:
    """Table name -> (file, column -> type) for the connector's own table files."""
    out = {}
    for rel, table in target.resources("/tables"):
        columns = _list(_dict(_dict(table.get("properties")).get("schema")).get("columns"))
        out[str(table.get("name"))] = (rel, {c.get("name"): c.get("type") for c in columns if isinstance(c, dict)})
    return out


def _functions(target: Target) -> set[str]:
    """Functions (parsers) the solution defines: queries may read them as they read tables."""
    names = set()
    _rel, main = target.package("mainTemplate.json")
    for _path, resource in template_resources(main):
        alias = _dict(resource.get("properties")).get("functionAlias")
        if isinstance(alias, str):
            names.add(alias)
    for rel, data in target.files.items():
        if rel.lower().startswith("parsers/") and rel.lower().endswith((".yaml", ".yml")):
            match = re.search(rb"^\s*FunctionAlias\s*:\s*['\"]?([A-Za-z_]\w*)", data, re.MULTILINE | re.IGNORECASE)
            if match:
                names.add(match.group(1).decode())
    return names


def _pollers(target: Target) -> list[tuple[str, dict]]:
    return target.resources("/dataConnectors")


@rule("SP401", ERROR, "Table names agree: every table file, destination and graph-query table is written by the DCR",
      per_connector=True)
def table_name_agrees(target: Target) -> Out:
    all_flows = flows(target)
    if not all_flows:
        return
    outputs = sorted({f.output for f in all_flows if f.output})
    listed = ", ".join(outputs) or "none"
    for name, (rel, _columns) in tables(target).items():
        if name not in outputs:
            yield rel, "name", f"table '{name}' is written by no data flow of the DCR (it writes: {listed})", \
                "name the table after the DCR's outputStream, or remove the table file"
    for rel, poller in _pollers(target):
        destination = _dict(poller.get("properties")).get("destinationTable")
        if isinstance(destination, str) and destination not in outputs:
            yield rel, "properties.destinationTable", \
                f"'{destination}' is not a table the DCR writes ({listed})", f"use one of: {listed}"
    for rel, definition in target.resources("dataConnectorDefinitions"):
        graph = _dict(_dict(definition.get("properties")).get("connectorUiConfig")).get("graphQueriesTableName")
        if isinstance(graph, str) and graph not in outputs and graph not in _functions(target):
            yield rel, "properties.connectorUiConfig.graphQueriesTableName", \
                f"'{graph}' is neither a table the DCR writes ({listed}) nor a function of the solution", \
                "queries read {{graphQueriesTableName}}: name the connector's table"


@rule("SP402", ERROR, "Every poller sends to a stream the DCR declares and routes", per_connector=True)
def stream_declared(target: Target) -> Out:
    all_flows = flows(target)
    if not all_flows:
        return
    declared = sorted({name for f in all_flows for name in f.declared})
    read = {s for f in all_flows for s in f.streams}
    built_in = not declared and all(s.startswith("Microsoft-") for s in read)
    for rel, poller in _pollers(target):
        stream = _dict(_dict(poller.get("properties")).get("dcrConfig")).get("streamName")
        if stream is None or built_in:
            continue  # a built-in table's DCR routes a stream the service names (AWS S3 server access logs)
        if stream not in declared:
            yield rel, "properties.dcrConfig.streamName", \
                f"stream '{stream}' is not declared in the DCR (declared: {', '.join(declared) or 'none'})", \
                "use the DCR's streamDeclarations name, 'Custom-<table>'"
        elif stream not in read:
            dcr = next(f for f in all_flows if stream in f.declared)
            yield dcr.file, "properties.dataFlows", f"no data flow reads stream '{stream}'", \
                f"add '{stream}' to a data flow's streams"


def _transform(kql: str) -> tuple[set[str], set[str]]:
    """The input columns a transform reads (``["date"]`` included) and the names it assigns."""
    assigned = set(re.findall(r"([A-Za-z_]\w*)\s*=(?!=)", kql))
    reads = column_references(kql)
    for match in _BRACKET_COLUMN.finditer(kql):
        before = kql[: match.start()].rstrip()[-1:]
        if not (before.isalnum() or before in "_])."):  # x["a"] reads a property of x, ["a"] a column
            reads.add(match.group(1) or match.group(2))
    return reads, assigned


def _flows_with_tables(target: Target) -> Iterator[tuple[Flow, str, dict[str, str]]]:
    known = tables(target)
    for flow in flows(target):
        if flow.output in known:
            yield flow, flow.output, known[flow.output][1]


@rule("SP403", ERROR, "Every stream column reaches the table or the transform, with the table's type",
      per_connector=True)
def columns_agree(target: Target) -> Out:
    for flow, table_name, columns in _flows_with_tables(target):
        stream = flow.input_stream()
        if stream is None:
            continue
        declared = flow.declared[stream]
        reads, assigned = _transform(flow.transform)
        path = f"properties.streamDeclarations['{stream}'].columns"
        for name in sorted(declared.keys() - columns.keys() - reads):
            yield flow.file, path, \
                f"column '{name}' is neither in table {table_name} nor used by the transform: its data is dropped", \
                "rename it to the table's column, or use it in the transform"
        for name in sorted((declared.keys() & columns.keys()) - assigned):
            if declared[name].lower() != str(columns[name]).lower():
                yield flow.file, path, \
                    f"column '{name}' is {declared[name]} here but {columns[name]} in table {table_name}", \
                    "use the same type in both, or convert it in the transform"


@rule("SP404", ERROR, "The transform reads declared columns and projects only table columns", per_connector=True,
      waits=True)
def transform_columns(target: Target) -> Out:
    kusto = kusto_available(target)
    if kusto:  # the Kusto parser checks the names of every data flow, SP815 the output
        yield from unknown_names(target, "transform")
    for flow, table_name, columns in _flows_with_tables(target):
        stream = flow.input_stream()
        reads, _ = _transform(flow.transform)
        path = f"{flow.path}.transformKql"
        if kusto:
            reads = set()
        if stream is not None:
            for name in sorted(reads - flow.declared[stream].keys()):
                yield flow.file, path, f"the transform reads '{name}', which stream {stream} does not declare", \
                    "declare the column in the stream or fix its name in the transform"
        projects = [] if kusto else re.findall(r"\|\s*project\s+([^|]+)", flow.transform)
        if projects:
            for name in (n.split("=")[0].strip() for n in projects[-1].split(",")):
                if name and re.fullmatch(r"[A-Za-z_]\w*", name) and name not in columns:
                    yield flow.file, path, f"the transform projects '{name}', which table {table_name} does not have", \
                        "project only table columns"
        if str(columns.get("TimeGenerated", "datetime")).lower() != "datetime":
            yield flow.file, path, "TimeGenerated must be a datetime column", "declare TimeGenerated as datetime"


@rule("SP405", ERROR, "Every poller names the connector definition it belongs to", per_connector=True)
def definition_name(target: Target) -> Out:
    definitions = target.resources("dataConnectorDefinitions")
    if not definitions:
        return
    ids = [str(_dict(_dict(d.get("properties")).get("connectorUiConfig")).get("id") or d.get("name"))
           for _, d in definitions]
    for rel, poller in _pollers(target):
        name = _dict(poller.get("properties")).get("connectorDefinitionName")
        if name not in ids:
            yield rel, "properties.connectorDefinitionName", \
                f"'{name}' is not the connector definition id{'s' if len(ids) > 1 else ''} '{', '.join(ids)}'", \
                f"set it to '{ids[0]}'"


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
                    "replace it with an ARM expression (see 'sentinel-pack docs arm-escaping')",
                )


@rule("SP407", ERROR, "Connector queries use only the columns of the table they read", per_connector=True, waits=True)
def query_columns(target: Target) -> Out:
    from sentinel_pack.validate.rules_detections import source_tables

    if kusto_available(target):
        yield from unknown_names(target, "connector")  # the Kusto parser, when it runs here
        return

    known = {name: columns for name, (_rel, columns) in tables(target).items()}
    if not known:
        return
    for def_rel, definition in target.resources("dataConnectorDefinitions"):
        ui = _dict(_dict(definition.get("properties")).get("connectorUiConfig"))
        graph = ui.get("graphQueriesTableName")
        queries = [(f"properties.connectorUiConfig.sampleQueries[{i}].query", _dict(q).get("query", ""))
                   for i, q in enumerate(_list(ui.get("sampleQueries")))]
        queries += [(f"properties.connectorUiConfig.graphQueries[{i}].baseQuery", _dict(q).get("baseQuery", ""))
                    for i, q in enumerate(_list(ui.get("graphQueries")))]
        queries += [(f"properties.connectorUiConfig.dataTypes[{i}].lastDataReceivedQuery",
                     _dict(d).get("lastDataReceivedQuery", "")) for i, d in enumerate(_list(ui.get("dataTypes")))]
        for path, query in queries:
            query = str(query or "")
            if isinstance(graph, str):
                query = query.replace("{{graphQueriesTableName}}", graph)
            sources = source_tables(query)
            if len(sources) != 1 or sources[0] not in known:
                continue  # a function (parser), a join, or a table the connector does not own
            table_name, columns = sources[0], known[sources[0]]
            for name in sorted(column_references(query, table_name) - columns.keys()):
                yield def_rel, path, f"the query uses '{name}', which table {table_name} does not have", \
                    f"use one of its columns: {', '.join(sorted(columns))}"


@rule("SP408", WARNING, "The transform keeps the event time", per_connector=True)
def keeps_event_time(target: Target) -> Out:
    for flow in flows(target):
        stream = flow.input_stream()
        if stream is None or "TimeGenerated" not in flow.declared[stream]:
            continue  # the events bring no time of their own: ingestion time is all there is
        if re.search(r"\b(?:extend|project)\b[^|]*\bTimeGenerated\s*=\s*now\(\)", flow.transform):
            yield flow.file, f"{flow.path}.transformKql", \
                "the transform replaces every event's TimeGenerated with the ingestion time", \
                "keep the event time: TimeGenerated = iif(isnull(TimeGenerated), now(), TimeGenerated)"
