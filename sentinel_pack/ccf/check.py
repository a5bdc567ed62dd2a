"""The manifest's verbatim CCF sections: which keys are CCF's, and whether their values fit.

The JSON Schema of the manifest describes sentinel-pack's own keys; everything written in CCF's
spelling is checked here against the vendored provider schema (``ccf.schema``), so the manifest
accepts whatever CCF accepts without a second hand-kept list of CCF's names.
"""

from __future__ import annotations

import difflib
from typing import Any

from sentinel_pack.ccf import schema
from sentinel_pack.errors import Problem

#: sentinel-pack's own keys of the connector definition (docs/manifest.md, ``connector``).
CONNECTOR_KEYS = ("id", "file_prefix", "title", "publisher", "preview", "description", "graph_queries",
                  "sample_queries", "permissions", "instruction_steps")
#: CCF names whose value the manifest writes under its own key, or derives.
CONNECTOR_SPELLED = {"descriptionmarkdown": "description", "instructionsteps": "instruction_steps"}
#: connectorUiConfig fields real connectors use that the vendored schema lacks (accepted as written).
UI_EXTRA = {"samplequeries": "sampleQueries"}
STEP_KEYS = ("title", "description", "instructions")
POLLER_KEYS = ("kind", "name", "stream")
#: Poller properties that the manifest derives from the connector and its DCR.
DERIVED = {"connectordefinitionname": "the connector id", "dcrconfig": "the DCR and the poller's 'stream'"}
S3_SUGAR = ("role_arn_from", "queue_url_from", "sqs", "events_json_paths", "data_format")
RESTAPI_SECTIONS = ("auth", "request", "paging", "response")
SUGAR_AUTH_TYPES = ("APIKey", "Basic", "OAuth2")


def _names(pointer: str, name: str = schema.SI) -> dict[str, str]:
    """Lower-cased property name -> spelling, of one definition of the provider schema."""
    definition = schema.schemastore.document(name)["definitions"][pointer.rsplit("/", 1)[-1]]
    return {name.lower(): name for name in definition.get("properties", {})}


def sugar_vocabulary(section: str) -> tuple[str, ...]:
    from sentinel_pack.resources import schema as manifest_schema

    defs = manifest_schema("manifest.schema.json")["$defs"]
    names = defs[f"sugar_{section}_keys"]["propertyNames"]
    return tuple(defs["sugar_request_names"]["enum"] if "$ref" in names else names["enum"])


def is_sugar(section: str, value: Any) -> bool:
    """A RestApiPoller section written with sentinel-pack's keys (else it is CCF's own)."""
    if not isinstance(value, dict):
        return False
    if section == "auth" and value.get("type") not in SUGAR_AUTH_TYPES:
        return False
    return all(key in sugar_vocabulary(section) for key in value)


def is_s3_sugar(poller: dict[str, Any]) -> bool:
    return poller.get("kind") == "AmazonWebServicesS3" and "role_arn_from" in poller


def _unknown(doc: Any, path: tuple, key: str, known: list[str], what: str) -> Problem:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if not close:
        close = [k for k in known if k.lower() == key.replace("_", "").lower()]
    hint = f"did you mean '{close[0]}'?" if close else f"{what} takes: {', '.join(sorted(set(known), key=str.lower))}"
    return doc.problem((*path, key), f"unknown key '{key}'", hint=hint)


def _verbatim(doc: Any, path: tuple, value: Any, name: str, pointer: str,
              satisfied: frozenset[str] | None = None) -> list[Problem]:
    return [doc.problem((*path, *sub), f"{message} (CCF provider schema)")
            for sub, message in schema.check(value, name, pointer, satisfied=satisfied)]


def definition_extras(connector: dict[str, Any]) -> dict[str, Any]:
    """Keys of the definition's own properties (connectionsConfig, ...), not of its connectorUiConfig."""
    names = _names(schema.DEFINITION)
    return {k: v for k, v in connector.items() if k.lower() in names and k.lower() != "connectoruiconfig"
            and k not in CONNECTOR_KEYS}


def connector_problems(doc: Any, connector: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    ui_names = _names(schema.UI_CONFIG)
    verbatim: dict[str, Any] = {}
    outside = definition_extras(connector)  # connectionsConfig, ...: beside connectorUiConfig
    problems.extend(_verbatim(doc, ("connector",), outside, schema.SI, schema.DEFINITION))
    for key, value in connector.items():
        low = key.lower()
        if key in CONNECTOR_KEYS or key in outside:
            continue
        if low in CONNECTOR_SPELLED:
            problems.append(doc.problem(("connector", key), f"'{key}' is written as '{CONNECTOR_SPELLED[low]}'",
                                        hint=f"rename it to '{CONNECTOR_SPELLED[low]}'"))
        elif low in UI_EXTRA:
            if "sample_queries" in connector:
                problems.append(doc.problem(("connector", key), f"'{key}' beside 'sample_queries'",
                                            hint="write one of them"))
            elif not isinstance(value, list) or not all(isinstance(q, dict) and "query" in q for q in value):
                problems.append(doc.problem(("connector", key), "expected a list of {query, ...} objects"))
        elif low in ui_names and low not in ("id", "title", "publisher", "permissions"):
            verbatim[key] = value
        else:
            # Real definitions carry fields the vendored schema lacks (providerDisplayName): a
            # camelCase key is taken as written; a snake_case one or a near-miss of a known key is a typo.
            known = [*CONNECTOR_KEYS, *(v for k, v in ui_names.items() if k not in CONNECTOR_SPELLED)]
            if "_" in key or difflib.get_close_matches(key, known, n=1, cutoff=0.8):
                problems.append(_unknown(doc, ("connector",), key, known, "connector"))
    lowered = {k.lower(): k for k in verbatim}
    for sugar, ccf in (("graph_queries", "graphqueries"), ("preview", "availability")):
        if sugar in connector and ccf in lowered:
            problems.append(doc.problem(("connector", lowered[ccf]), f"'{lowered[ccf]}' beside '{sugar}'",
                                        hint="write one of them"))
    if "graph_queries" not in connector and "graphqueries" not in lowered:
        problems.append(doc.problem(("connector",), "missing required key 'graph_queries'",
                                    hint="add graph_queries (or CCF's graphQueries)"))
    problems.extend(_verbatim(doc, ("connector",), verbatim, schema.SI, schema.UI_CONFIG))

    permissions = connector.get("permissions", {})
    perm_names = _names(schema.PERMISSIONS)
    perm_verbatim = {}
    for key, value in permissions.items():
        if key == "resource_providers":
            if any(k.lower() == "resourceprovider" for k in permissions):
                problems.append(doc.problem(("connector", "permissions", key), "'resource_providers' beside "
                                            "'resourceProvider'", hint="write one of them"))
        elif key.lower() in perm_names:
            perm_verbatim[key] = value
        else:
            problems.append(_unknown(doc, ("connector", "permissions"), key,
                                     ["resource_providers", *perm_names.values()], "permissions"))
    problems.extend(_verbatim(doc, ("connector", "permissions"), perm_verbatim, schema.SI, schema.PERMISSIONS))

    step_names = _names(schema.INSTRUCTION_STEP)
    for s, step in enumerate(connector.get("instruction_steps", [])):
        where = ("connector", "instruction_steps", s)
        extra = {}
        for key, value in step.items():
            if key in STEP_KEYS:
                continue
            if key.lower() in step_names:
                extra[key] = value
            else:
                problems.append(_unknown(doc, where, key, [*STEP_KEYS, *step_names.values()], "an instruction step"))
        problems.extend(_verbatim(doc, where, extra, schema.SI, schema.INSTRUCTION_STEP))
        for i, instruction in enumerate(step.get("instructions", [])):
            if "parameters" in instruction:
                problems.extend(_verbatim(doc, (*where, "instructions", i), instruction, schema.SI, schema.INSTRUCTION))
    return problems


def poller_problems(doc: Any, path: tuple, poller: dict[str, Any]) -> list[Problem]:
    kind = str(poller.get("kind"))
    target = schema.poller_properties(kind)
    if target is None:
        kinds = list(schema.poller_kinds())
        close = difflib.get_close_matches(kind, kinds, n=1)
        return [doc.problem((*path, "kind"), f"'{kind}' is not allowed: no data connector kind of the provider "
                            "schema has that name",
                            hint=f"did you mean '{close[0]}'?" if close else f"use one of: {', '.join(kinds)}")]
    if is_s3_sugar(poller):
        return []
    problems: list[Problem] = []
    properties: dict[str, Any] = {}
    sugar_sections = []
    ccf_names = _names(target[1]) if target[0] == schema.SI else {}
    for key, value in poller.items():
        low = key.lower()
        if key in POLLER_KEYS:
            continue
        if low in DERIVED:
            problems.append(doc.problem((*path, key), f"'{key}' is derived from {DERIVED[low]}",
                                        hint="remove it; sentinel-pack writes it"))
        elif kind == "RestApiPoller" and key in RESTAPI_SECTIONS and is_sugar(key, value):
            sugar_sections.append(key)
        elif "_" in key and low not in ccf_names:
            # CCF spells its fields in camelCase: a snake_case key is a misspelt sentinel-pack key
            known = [*POLLER_KEYS, *(S3_SUGAR if kind == "AmazonWebServicesS3" else ()), *ccf_names.values()]
            problems.append(_unknown(doc, path, key, known, f"a {kind} poller"))
        else:
            properties[key] = value
    satisfied = frozenset({*DERIVED, "datatype", *sugar_sections})
    problems.extend(_verbatim(doc, path, properties, *target, satisfied=satisfied))
    auth = next((k for k in properties if k.lower() == "auth"), None)
    if auth is not None and kind == "RestApiPoller":  # the kind whose auth is CCF's CcpAuthConfig
        problems.extend(doc.problem((*path, auth, *sub), f"{message} (CCF provider schema)")
                        for sub, message in schema.check_auth(properties[auth]))
    return problems


TABLE_KEYS = ("name", "builtin", "description", "retention_in_days", "tags", "describe_columns", "columns", "schema")
TABLE_SPELLED = {"retentionindays": "retention_in_days"}
SCHEMA_OWN = {"name": "name", "description": "description", "columns": "columns"}
COLUMN_KEYS = ("name", "type", "description")


def table_problems(doc: Any, path: tuple, table: dict[str, Any]) -> list[Problem]:
    """A table's own keys, and its other properties (plan, ...) against the provider schema."""
    problems: list[Problem] = []
    names = _names(schema.TABLE, schema.OI)
    verbatim = {}
    for key, value in table.items():
        low = key.lower()
        if key in TABLE_KEYS:
            continue
        if low in TABLE_SPELLED:
            problems.append(doc.problem((*path, key), f"'{key}' is written as '{TABLE_SPELLED[low]}'"))
        elif low in names:
            verbatim[key] = value
        else:
            problems.append(_unknown(doc, path, key, [*TABLE_KEYS, *(v for k, v in names.items()
                                                                     if k not in TABLE_SPELLED)], "a table"))
    problems.extend(_verbatim(doc, path, verbatim, schema.OI, schema.TABLE))
    extra = table.get("schema")
    if extra is not None:
        if not isinstance(extra, dict):
            problems.append(doc.problem((*path, "schema"), "expected a mapping of the schema's other fields"))
        else:
            for key in extra:
                if key.lower() in SCHEMA_OWN:
                    own = SCHEMA_OWN[key.lower()]
                    problems.append(doc.problem((*path, "schema", key), f"the schema's '{key}' is the table's '{own}'",
                                                hint=f"write it as table.{own}"))
            # other schema fields (tableType, tableSubType, ...) are set by Log Analytics and kept as written
            problems.extend(_verbatim(doc, (*path, "schema"), extra, schema.OI, "#/definitions/Schema"))
    column_names = _names(schema.COLUMN, schema.OI)
    for i, column in enumerate(table.get("columns", [])):
        for key in column:
            # Columns carry fields the vendored schema lacks (isDefaultDisplay): only a near-miss
            # of a known name is taken for a typo.
            known = [*COLUMN_KEYS, *column_names.values()]
            if key not in known and difflib.get_close_matches(key, known, n=1, cutoff=0.8):
                problems.append(_unknown(doc, (*path, "columns", i), key, known, "a column"))
        extra = {k: v for k, v in column.items() if k not in COLUMN_KEYS}
        problems.extend(_verbatim(doc, (*path, "columns", i), extra, schema.OI, schema.COLUMN))
    return problems


DCR_KEYS = ("name", "destination", "input_stream", "input_columns", "transform", "streams", "flows")
DCR_DERIVED = {"datacollectionendpointid": "the workspace", "streamdeclarations": "'streams' or the tables",
               "destinations": "'destination'", "dataflows": "'flows' or 'transform'"}


def dcr_problems(doc: Any, dcr: dict[str, Any]) -> list[Problem]:
    """The DCR's own keys, and its other properties (dataSources, ...) against the provider schema."""
    problems: list[Problem] = []
    names = _names(schema.DCR, schema.INSIGHTS)
    verbatim = {}
    for key, value in dcr.items():
        low = key.lower()
        if key in DCR_KEYS:
            continue
        if low in DCR_DERIVED:
            problems.append(doc.problem(("dcr", key), f"'{key}' is derived from {DCR_DERIVED[low]}",
                                        hint="remove it; sentinel-pack writes it"))
        elif low in names:
            verbatim[key] = value
        else:
            problems.append(_unknown(doc, ("dcr",), key, [*DCR_KEYS, *(v for k, v in names.items()
                                                                     if k not in DCR_DERIVED)], "dcr"))
    problems.extend(_verbatim(doc, ("dcr",), verbatim, schema.INSIGHTS, schema.DCR))
    return problems
