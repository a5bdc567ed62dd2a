"""A connector's streams and data flows, derived once from its tables, DCR and pollers.

The single-table form (``dcr.input_stream``, ``input_columns``, ``transform``) is one flow
``Custom-<table> -> table``; ``dcr.flows`` lists several (one stream into two tables, as BigID's
DCR does, or three streams into three tables, as Bitwarden's). A ``Custom-`` input stream is
declared with the columns of ``dcr.streams``, of ``dcr.input_columns``, or of its table; a
``Microsoft-<table>`` stream is Log Analytics' own and needs no declaration.
"""

from __future__ import annotations

from typing import Any

from sentinel_pack.errors import Problem


def output_stream(table: dict[str, Any]) -> str:
    return f"{'Microsoft' if table.get('builtin') else 'Custom'}-{table['name']}"


def flows(item: dict[str, Any], tables: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``{stream, table, output_stream, transform}`` per data flow (``table`` is the table mapping)."""
    dcr = item["dcr"]
    by_name = {t["name"]: t for t in tables}
    if "flows" not in dcr:
        table = tables[0]
        return [{"stream": dcr.get("input_stream", f"Custom-{table['name']}"), "table": table,
                 "output_stream": output_stream(table), "transform": dcr.get("transform")}]
    out = []
    for flow in dcr["flows"]:
        table = by_name.get(flow["table"], {"name": flow["table"]})
        out.append({"stream": flow.get("stream", f"Custom-{flow['table']}"), "table": table,
                    "output_stream": output_stream(table), "transform": flow.get("transform")})
    return out


def declarations(item: dict[str, Any], flow_list: list[dict[str, Any]]) -> dict[str, list[dict[str, str]]]:
    """Input stream -> its columns ``{name, type}``, in the order the flows first read them."""
    dcr = item["dcr"]
    if "streams" in dcr:
        return {name: [dict(c) for c in columns] for name, columns in dcr["streams"].items()}
    out: dict[str, list[dict[str, str]]] = {}
    for flow in flow_list:
        stream = flow["stream"]
        if not stream.startswith("Custom-") or stream in out:
            continue
        columns = dcr["input_columns"] if "input_columns" in dcr else flow["table"].get("columns", [])
        out[stream] = [{"name": c["name"], "type": c["type"]} if columns is not dcr.get("input_columns") else dict(c)
                       for c in columns]
    return out


def poller_stream(poller: dict[str, Any], flow_list: list[dict[str, Any]]) -> str:
    return poller.get("stream") or flow_list[0]["stream"]


def data_type(poller: dict[str, Any], flow_list: list[dict[str, Any]]) -> str:
    """The table the poller's stream flows into (the poller's ``dataType``)."""
    stream = poller_stream(poller, flow_list)
    return next((f["table"]["name"] for f in flow_list if f["stream"] == stream), flow_list[0]["table"]["name"])


def problems(doc: Any, item: dict[str, Any], tables: list[tuple[tuple, dict[str, Any]]],
             pollers: list[tuple[tuple, dict[str, Any]]]) -> list[Problem]:
    """Flows name the connector's tables; every stream a poller sends to reaches the DCR."""
    dcr = item["dcr"]
    out: list[Problem] = []
    names = [t["name"] for _, t in tables]
    if "flows" in dcr:
        for key in ("input_stream", "input_columns", "transform"):
            if key in dcr:
                out.append(doc.problem(("dcr", key), f"'{key}' beside 'flows'",
                                       hint="write the stream and transform of each flow under 'flows'"))
        for i, flow in enumerate(dcr["flows"]):
            if flow["table"] not in names:
                out.append(doc.problem(("dcr", "flows", i, "table"), f"'{flow['table']}' is not a table of this "
                                       "connector", hint=f"use one of: {', '.join(names)}"))
    elif len(tables) > 1:
        out.append(doc.problem(("dcr",), "a connector with several tables needs 'dcr.flows'",
                               hint="list {stream, table, transform} for each table"))
    if out:
        return out
    flow_list = flows(item, [t for _, t in tables])
    declared = declarations(item, flow_list)
    if "streams" in dcr:
        for i, flow in enumerate(flow_list):
            if flow["stream"].startswith("Custom-") and flow["stream"] not in declared:
                out.append(doc.problem(("dcr", "flows", i, "stream"), f"stream '{flow['stream']}' is not declared "
                                       "under dcr.streams", hint="declare it with its columns"))
    read = {f["stream"] for f in flow_list}
    for path, poller in pollers:
        stream = poller.get("stream")
        if stream is None:
            if len(pollers) > 1 and len(read) > 1:
                out.append(doc.problem(path, "with several pollers and streams, each poller names its 'stream'",
                                       hint=f"add stream: one of {', '.join(sorted(read))}"))
            continue
        # A stream named by the service itself (SENTINEL_AWSS3SERVERACCESS) is not the DCR's to declare.
        if stream.startswith(("Custom-", "Microsoft-")) and stream not in declared and stream not in read:
            out.append(doc.problem((*path, "stream"), f"no data flow of the DCR reads stream '{stream}'",
                                   hint=f"use one of: {', '.join(sorted(read | set(declared)))}"))
    return out
