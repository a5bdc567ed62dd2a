"""Every KQL query of a solution, each with the schema it runs against.

Connector UI queries (graph, sample, last-data-received, connectivity criteria) run in the
workspace, with ``{{graphQueriesTableName}}`` filled in as CCF fills it; analytic rules,
hunting queries and parsers run there too; a DCR transformation runs at ingestion against
its input stream, called ``source``, and writes its output to the destination table.
The workspace is the solution's tables and parsers plus the vendored built-in tables.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from sentinel_pack.kusto.schema import Database, Function, builtin_tables, columns_of, kusto_type
from sentinel_pack.validate.target import Target

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*\}\}")
#: Columns every Log Analytics table has besides its own (Azure Monitor "standard columns").
STANDARD_COLUMNS = {"TenantId": "string", "Type": "string", "_ResourceId": "string", "_SubscriptionId": "string",
                    "_TimeReceived": "datetime", "_ItemId": "string", "_IsBillable": "string", "_BilledSize": "real"}


@dataclass(frozen=True)
class Query:
    file: str  # relative to the target
    path: str  # JSON path, or the YAML key
    text: str  # the KQL as it runs (placeholders resolved)
    kind: str  # connector, detection, parser, transform
    line: int | None = None  # line of ``file`` holding the query's first line, when known
    #: transform only: the input stream, its columns, and the destination table with its columns
    stream: str | None = None
    source: dict[str, str] = field(default_factory=dict)
    table: str | None = None
    table_columns: dict[str, str] | None = None
    defines: tuple[str, ...] = ()  # parser: the function names it declares for the other queries


def workspace(target: Target, found: list[Query] | None = None) -> Database:
    """Built-in tables, then the solution's own tables (they win), then its parsers as functions.

    With ``found`` (the queries to analyse), only the built-in tables they or the parsers name:
    declaring all of them costs the engine about 0.15 s per database, and a table no query
    names cannot change an answer. Without it, all (the names SP812 suggests from).
    """
    functions = {}
    for _rel, _line, data in [*_parsers(target), *_package_parsers(target)]:
        function = _parser_function(data)
        if function is not None:
            for name in {function.name, str(data.get("FunctionName") or function.name)}:
                functions[name] = Function(name, function.parameters, function.body)
    builtin = builtin_tables()
    if found is not None:
        builtin = {name: builtin[name] for name in
                   _named(builtin, [q.text for q in found] + [f.body for f in functions.values()])}
    tables = {name: {**columns, **{k: v for k, v in STANDARD_COLUMNS.items() if k not in columns}}
              for name, columns in builtin.items()}
    for name, columns in solution_tables(target).items():
        tables[name] = {**columns, **{k: v for k, v in STANDARD_COLUMNS.items() if k not in columns}}
    return Database(tables, functions)


#: Sources that reach tables without naming them: ``search``, ``find``, ``union *`` / ``union Signin*``.
_WILDCARD_SOURCE = re.compile(r"\b(?:search|find)\b|\bunion\b[^|;]*\*")


def _named(tables: dict[str, dict[str, str]], texts: list[str]) -> list[str]:
    """The tables the texts name as a word (in a string too: ``table('SigninLogs')``); all of them after
    a wildcard source."""
    if any(_WILDCARD_SOURCE.search(text) for text in texts):
        return sorted(tables)
    words = {word for text in texts for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text)}
    return sorted(words & tables.keys())


def solution_tables(target: Target) -> dict[str, dict[str, str]]:
    tables = {}
    for _rel, _path, table in _resources(target, "/tables"):
        properties = table.get("properties")
        # the official packager writes a file of several tables as one resource of arrays (Bitwarden)
        for item in properties if isinstance(properties, list) else [properties]:
            schema = (item or {}).get("schema") or {} if isinstance(item, dict) else {}
            name = schema.get("name") or table.get("name")
            if isinstance(name, str) and name:
                tables[name.rsplit("/", 1)[-1].removesuffix("')]")] = columns_of(schema.get("columns"))
    return tables


def queries(target: Target) -> Iterator[Query]:
    yield from _connector_queries(target)
    if package_only(target):
        yield from _package_content(target)
    yield from _detection_queries(target)
    for rel, line, data in _parsers(target):
        function = _parser_function(data)
        if function is not None:
            # the body sees its parameters; declared on the same line so line numbers stay the file's
            params = f"declare query_parameters{function.parameters}; " if function.parameters != "()" else ""
            names = tuple(sorted({function.name, str(data.get("FunctionName") or function.name)}))
            yield Query(rel, "FunctionQuery", params + data["FunctionQuery"], "parser", line, defines=names)
    yield from _transforms(target)
    yield from _workbook_queries(target)


#: A workbook parameter reference, ``{TopUsersBy}`` or ``{TimeRange:start}``, filled in by the workbook.
_WORKBOOK_PARAMETER = re.compile(r"\{[A-Za-z_][\w]*(:[\w]+)?\}")


def _workbook_queries(target: Target) -> Iterator[Query]:
    """Log Analytics queries of workbooks (``content.query`` with ``queryType`` 0).

    A query that uses workbook parameters is left out: its text is only KQL once the workbook
    has substituted them.
    """
    import json

    sources: list[tuple[str, str, object]] = []
    if package_only(target):
        for rel, prefix, item in _resources(target, "workbooks"):
            data = (item.get("properties") or {}).get("serializedData")
            with contextlib.suppress(ValueError, TypeError):
                sources.append((rel, f"{prefix}properties.serializedData: ", json.loads(data)))
    else:
        for rel in sorted(target.files):
            if rel.lower().startswith("workbooks/") and rel.lower().endswith(".json"):
                sources.append((rel, "", target.json(rel)))
    for rel, prefix, workbook in sources:
        for path, content in _workbook_contents(workbook, ""):
            query = content.get("query")
            if (content.get("queryType") in (0, "0") and isinstance(query, str) and query.strip()
                    and not _WORKBOOK_PARAMETER.search(query)
                    and "workspaces" in str(content.get("resourceType", "microsoft.operationalinsights/workspaces"))):
                yield Query(rel, f"{prefix}{path}.query", query, "workbook")


def _workbook_contents(node: object, path: str) -> Iterator[tuple[str, dict]]:
    if isinstance(node, dict):
        if isinstance(node.get("content"), dict):
            yield f"{path}.content".lstrip("."), node["content"]
        for key, value in node.items():
            yield from _workbook_contents(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _workbook_contents(value, f"{path}[{index}]")


def package_only(target: Target) -> bool:
    """A package zip (or a folder holding only ``Package/``): its queries are in mainTemplate.json."""
    return bool(target.files) and all(rel.lower().startswith("package/") for rel in target.files)


def _resources(target: Target, type_suffix: str) -> list[tuple[str, str, dict]]:
    """(file, JSON path prefix, resource): the connector files', or the package template's."""
    if not package_only(target):
        return [(rel, "", item) for rel, item in target.resources(type_suffix)]
    from sentinel_pack.validate.target import template_resources

    rel, main = target.package("mainTemplate.json")
    found, seen = [], []
    for path, item in template_resources(main):
        kind = item.get("type")
        kind = kind[0] if isinstance(kind, list) and kind else kind  # the packager's array-valued resource
        if str(kind or "").lower().endswith(type_suffix.lower()) and item not in seen:
            seen.append(item)  # the package repeats a connector definition outside its content template
            found.append((rel, f"{path}.", item))
    return found


def _package_content(target: Target) -> Iterator[Query]:
    """Analytic rules (alert rule templates) and hunting queries (saved searches) of a package."""
    for rel, prefix, item in [*_resources(target, "AlertRuleTemplates"), *_resources(target, "/alertRules"),
                              *_resources(target, "savedSearches")]:
        properties = item.get("properties") or {}
        if isinstance(properties.get("query"), str) and not properties.get("functionAlias"):
            yield Query(rel, f"{prefix}properties.query", _unescape(properties["query"]), "detection")
    for rel, prefix, data in _package_parsers(target, with_path=True):
        function = _parser_function(data)
        if function is not None:
            params = f"declare query_parameters{function.parameters}; " if function.parameters != "()" else ""
            yield Query(rel, f"{prefix}properties.query", params + data["FunctionQuery"], "parser",
                        defines=(function.name,))


def _package_parsers(target: Target, with_path: bool = False) -> list:
    """Parsers of a package (saved searches with a functionAlias), in the shape of a parser YAML."""
    if not package_only(target):
        return []
    found = []
    for rel, prefix, item in _resources(target, "savedSearches"):
        properties = item.get("properties") or {}
        if not (properties.get("functionAlias") and isinstance(properties.get("query"), str)):
            continue
        params = [dict(zip(("Name", "Type"), p.split("=", 1)[0].split(":", 1), strict=False),
                       **({"Default": p.split("=", 1)[1]} if "=" in p else {}))
                  for p in _split_parameters(str(properties.get("functionParameters") or ""))]
        data = {"FunctionAlias": properties["functionAlias"], "FunctionQuery": _unescape(properties["query"]),
                "FunctionParams": [p for p in params if "Type" in p]}
        found.append((rel, prefix, data) if with_path else (rel, None, data))
    return found


def _split_parameters(text: str) -> list[str]:
    """``a:string='x,y', b:int=1`` -> its parameters (commas inside quotes or brackets kept)."""
    parts, depth, quote, current = [], 0, "", ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        current += char
    return [p for p in [*parts, current.strip()] if p]


def _unescape(text: str) -> str:
    """A package string ARM-escaped as ``[[...`` is the literal ``[...``."""
    return text[1:] if text.startswith("[[") else text


def unresolved(text: str) -> list[str]:
    return _PLACEHOLDER.findall(text)


def _connector_queries(target: Target) -> Iterator[Query]:
    for rel, prefix, definition in _resources(target, "dataConnectorDefinitions"):
        ui = (definition.get("properties") or {}).get("connectorUiConfig") or {}
        if not isinstance(ui, dict):
            continue
        table = ui.get("graphQueriesTableName")
        base = f"{prefix}properties.connectorUiConfig"
        found: list[tuple[str, object]] = []
        for i, item in enumerate(_list(ui.get("graphQueries"))):
            found.append((f"{base}.graphQueries[{i}].baseQuery", item.get("baseQuery")))
        for i, item in enumerate(_list(ui.get("sampleQueries"))):
            found.append((f"{base}.sampleQueries[{i}].query", item.get("query")))
        for i, item in enumerate(_list(ui.get("dataTypes"))):
            found.append((f"{base}.dataTypes[{i}].lastDataReceivedQuery", item.get("lastDataReceivedQuery")))
        for i, item in enumerate(_list(ui.get("connectivityCriteria"))):
            values = item.get("value")
            for j, value in enumerate(values if isinstance(values, list) else []):
                found.append((f"{base}.connectivityCriteria[{i}].value[{j}]", value))
        for path, text in found:
            if isinstance(text, str) and text.strip():
                if isinstance(table, str) and table:
                    text = re.sub(r"\{\{\s*graphQueriesTableName\s*\}\}", table, text)
                yield Query(rel, path, _unescape(text), "connector")


def _detection_queries(target: Target) -> Iterator[Query]:
    for rel, data, text in yaml_files(target, ("analyticrules", "huntingqueries")):
        if isinstance(data.get("query"), str):
            yield Query(rel, "query", data["query"], "detection", _block_line(text, "query"))


def _parsers(target: Target) -> Iterator[tuple[str, int | None, dict]]:
    for rel, data, text in yaml_files(target, ("parsers",)):
        if "FunctionQuery" in data:
            yield rel, _block_line(text, "FunctionQuery"), data


def _parser_function(data: dict) -> Function | None:
    body = data.get("FunctionQuery")
    name = data.get("FunctionAlias") or data.get("FunctionName")
    if not (isinstance(body, str) and isinstance(name, str) and name):
        return None
    params = []
    for param in _list(data.get("FunctionParams")):
        pname, ptype = param.get("Name"), param.get("Type")
        if not isinstance(pname, str):
            continue
        text = f"{pname}:{kusto_type(ptype)}"
        if "Default" in param:
            text += f"={_default(param['Default'], kusto_type(ptype))}"
        params.append(text)
    return Function(name, "(" + ", ".join(params) + ")", "{\n" + body + "\n}")


def _default(value: object, kind: str) -> str:
    """A parser parameter's default as a KQL literal (YAML gives ``'*'`` as the string ``*``)."""
    if isinstance(value, bool):
        return str(value).lower()
    text = "" if value is None else str(value)
    if kind == "string" and not re.match(r"""^\s*(@?['"]|h['"])""", text):
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return text or f"{kind}(null)"


def _transforms(target: Target) -> Iterator[Query]:
    tables = {**{k: v for k, v in builtin_tables().items()}, **solution_tables(target)}
    for rel, prefix, dcr in _resources(target, "dataCollectionRules"):
        properties = dcr.get("properties") or {}
        declared = properties.get("streamDeclarations") or {}
        for i, flow in enumerate(_list(properties.get("dataFlows"))):
            kql = flow.get("transformKql")
            streams = [s for s in _list_of_str(flow.get("streams"))]
            if not isinstance(kql, str) or not kql.strip() or not streams:
                continue
            stream = streams[0]
            if isinstance(declared, dict) and isinstance(declared.get(stream), dict):
                source = columns_of(declared[stream].get("columns"))
            elif stream.startswith("Microsoft-") and stream[len("Microsoft-"):] in tables:
                source = dict(tables[stream[len("Microsoft-"):]])
            else:
                continue  # SP402 reports a stream nobody declares
            output = str(flow.get("outputStream") or stream)
            table = output.split("-", 1)[1] if output.startswith(("Custom-", "Microsoft-")) else output
            yield Query(rel, f"{prefix}properties.dataFlows[{i}].transformKql", _unescape(kql), "transform",
                        stream=stream,
                        source=source, table=table, table_columns=tables.get(table))


def yaml_files(target: Target, folders: tuple[str, ...]) -> Iterator[tuple[str, dict, str]]:
    """(file, data, text) of each YAML mapping under these top folders (names without spaces, lower case)."""
    import yaml

    from sentinel_pack.manifest.yamlsource import plain_data

    for rel in sorted(target.files):
        folder = rel.split("/", 1)[0].replace(" ", "").lower()
        if folder not in folders or not rel.lower().endswith((".yaml", ".yml")):
            continue
        text = target.files[rel].decode("utf-8-sig", errors="replace")
        try:
            data = plain_data(text)  # shared: read, never changed
        except yaml.YAMLError:
            continue  # SP801 reports it
        if isinstance(data, dict):
            yield rel, data, text


def _block_line(text: str, key: str) -> int | None:
    """The line of the query's first line: the line after ``key: |``, or the key's own line."""
    match = re.search(rf"^{re.escape(key)}:[ \t]*([|>][-+0-9]*)?[ \t]*$|^{re.escape(key)}:", text, flags=re.MULTILINE)
    if not match:
        return None
    line = text[: match.start()].count("\n") + 1
    return line + 1 if match.group(1) else line


def _list(value: object) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _list_of_str(value: object) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []
