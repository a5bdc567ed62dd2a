"""Derived values: everything the templates need that the manifest must not repeat.

The stream name, the output stream, dataType, graphQueriesTableName, the connector's file
names and solutionId are computed here once, and defaults for optional keys are applied here
rather than scattered over the templates.
"""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import quote

from sentinel_pack.ccf import documents
from sentinel_pack.manifest import restapi
from sentinel_pack.manifest.load import Manifest
from sentinel_pack.render import arm, markdown
from sentinel_pack.render.arm import parameter

_DEFAULTS = {
    "pipeline": {"lambda_runtime": "python3.14", "lambda_timeout": 60,
                 "firehose_buffer_mb": 128, "firehose_buffer_seconds": 300},
}

_NOTE = (
    "**Note:** Please refer to the following before installing the solution: \n\n"
    "• Review the solution [Release Notes]({release_notes_url})\n\n"
    " • There may be [known issues](https://aka.ms/sentinelsolutionsknownissues) pertaining to "
    "this Solution, please refer to them before installing."
)
_LEARN_MORE = ("[Learn more about Microsoft Sentinel](https://aka.ms/azuresentinel) | "
               "[Learn more about Solutions](https://aka.ms/azuresentinelsolutionsdoc)")


def build_context(manifest: Manifest) -> dict[str, Any]:
    from sentinel_pack.manifest.load import connector_items

    data = copy.deepcopy(manifest.data)
    solution = data["solution"]
    items = [item for _, item in connector_items(data)]

    solution["solution_id"] = f"{solution['publisher_id']}.{solution['offer_id']}"
    solution["compact_name"] = solution["name"].replace(" ", "")
    author = solution["author"]
    solution["author_object"] = {"name": author["name"], **({"email": author["email"]} if "email" in author else {})}
    solution["author_text"] = f"{author['name']} - {author['email']}" if "email" in author else author["name"]
    solution["logo_img"] = f'<img src="{solution["logo"]}" width="75px" height="75px">'
    solution["release_notes_url"] = (
        "https://github.com/Azure/Azure-Sentinel/tree/master/Solutions/"
        f"{quote(solution['name'])}/ReleaseNotes.md")
    solution["publisher_display_name"] = (
        "Microsoft Sentinel, Microsoft Corporation" if solution["support"]["tier"] == "Microsoft"
        else solution["support"]["name"])
    solution.setdefault("last_publish_date", None)
    solution.setdefault("first_publish_date", None)
    solution.setdefault("verticals", [])
    from sentinel_pack.content import detections

    rules = detections.context(detections.load(manifest, "analytic_rules"), hunting=False)
    hunting = detections.context(detections.load(manifest, "hunting_queries"), hunting=True)
    data["analytic_rules"], data["hunting_queries"] = rules, hunting
    from sentinel_pack.content import solution_content

    solution_content.add_to_context(data, manifest)
    counts = ", ".join(f"**{label}:** {count}" for label, count in solution_content.counts(data, len(items))
                       if count)
    body = [_NOTE.format(release_notes_url=solution["release_notes_url"]), solution["description"], counts, _LEARN_MORE]
    solution["install_markdown"] = "\n\n".join([solution["logo_img"], *body])
    solution["description_html"] = markdown.to_html("\n\n".join(body))

    data["connectors"] = [_connector(item, solution, manifest, n) for n, item in enumerate(items, start=1)]
    # The templates of one connector's files read these names; the package templates loop over all.
    data.update({key: data["connectors"][0][key] for key in ("table", "dcr", "connector", "poller", "aws", "files")})

    notes = []
    for entry in sorted(data["release_notes"], key=lambda e: _version_key(e["version"]), reverse=True):
        year, month, day = entry["date"].split("-")
        notes.append({**entry, "date_dmy": f"{day}-{month}-{year}"})
    data["release_notes"] = notes
    data["release_date"] = next(e["date"] for e in notes if e["version"] == solution["version"])
    return data


def _connector(item: dict[str, Any], solution: dict[str, Any], manifest: Manifest, n: int) -> dict[str, Any]:
    """One connector's tables, DCR, definition, pollers and AWS stack, with derived values; ``n`` numbers it."""
    from sentinel_pack.ccf import streams
    from sentinel_pack.manifest.load import pollers_of, tables_of

    tables = [table for _, table in tables_of(item)]
    flows = streams.flows(item, tables)
    for table in tables:
        _table(table, flows)
    dcr = item["dcr"]
    dcr.setdefault("destination", "clv2ws2")
    dcr["declarations"] = streams.declarations(item, flows)
    dcr["flows"] = flows
    if "input_columns" not in dcr:  # the first stream's columns, for templates that read them
        dcr["input_columns"] = next(iter(dcr["declarations"].values()), [])
    dcr["properties"] = documents.dcr_properties(dcr)
    connector = item["connector"]
    table = tables[0]

    connector.setdefault("preview", False)
    connector["version"] = solution.get("data_connector_version", solution["version"])
    connector["connections_id"] = f"{connector['id']}Connections"
    connector["permissions"].setdefault("resource_providers", [])
    connector["permissions"].setdefault("customs", [])
    connector["textboxes"] = []
    # One securestring parameter of the Connections template per value the user types.
    connector["connection_parameters"] = []
    for step in connector["instruction_steps"]:
        step.setdefault("description", None)
        for instruction in step.get("instructions", []):
            kind = instruction["type"]
            if "parameters" in instruction:  # CCF's own shape
                name = instruction["parameters"].get("name")
                if kind == "Textbox" and isinstance(name, str):
                    connector["textboxes"].append(name)
                    connector["connection_parameters"].append({"name": name, "default": name})
                elif kind == "OAuthForm":
                    _oauth_form_parameters(connector)
                continue
            documents.instruction_defaults(instruction)
            if kind == "Textbox":
                connector["textboxes"].append(instruction["name"])
                connector["connection_parameters"].append({"name": instruction["name"],
                                                           "default": instruction["name"]})
            elif kind == "OAuthForm":
                _oauth_form_parameters(connector)

    prefix = connector["file_prefix"]
    custom = [t for t in tables if not t["builtin"]]
    table_files = [(t, f"{prefix}_Table.json" if len(custom) == 1 else f"{t['name']}_Table.json") for t in custom]
    files = {
        "definition": f"{prefix}_ConnectorDefinition.json",
        "dcr": f"{prefix}_DCR.json",
        "poller": f"{prefix}_PollingConfig.json",
        "table": table_files[0][1] if table_files else f"{prefix}_Table.json",
        "tables": [name for _, name in table_files],
        "data": f"Solution_{solution['compact_name']}.json",
    }

    pollers = [poller for _, poller in pollers_of(item)]
    for poller in pollers:
        documents.poller_properties(poller, connector, flows)
    for poller in pollers:
        # ARM parameter names are case-insensitive: {{clientId}} is the OAuthForm's ClientId
        declared = {p["name"].lower() for p in connector["connection_parameters"]}
        for name in sorted(n for n in poller["placeholders"] if n.lower() not in declared):
            declared.add(name.lower())
            # A value of the poller that no text box collects: a parameter the user fills in, as the
            # official packager declares it.
            connector["connection_parameters"].append({"name": name, "default": f"Enter {name} value"})
        for name, members in sorted(_object_parameters(poller["properties"]).items()):
            if name.lower() not in {p["name"].lower() for p in connector["connection_parameters"]} | {
                    t.lower() for t in _TEMPLATE_PARAMETERS}:
                # [[parameters('auth').appId] (a Push poller): an object the portal passes in. The
                # official packager's defaults end in "]]", which ARM cannot parse (SP608).
                connector["connection_parameters"].append({"name": name, "type": "object", "default": {
                    m: f"[[parameters('{name}').{m}]" for m in sorted(members)}})

    aws = item.get("aws")
    if aws is not None:
        aws["oidc"].setdefault("description", "This Stack creates an Open ID Connect (OIDC) web identity provider.")
        aws.setdefault("stack_description", f"Microsoft Sentinel {solution['name']} data collection: "
                                            "S3 bucket, SQS queue and the role Sentinel assumes.")
        aws.setdefault("role_description", "Role to provide Microsoft Sentinel access to S3 bucket and SQS queue.")
        pipeline = aws.get("eks_audit_pipeline")
        if pipeline:
            aws["eks_audit_pipeline"] = {**_DEFAULTS["pipeline"], **pipeline}
            code_path = manifest.resolve_path(pipeline["lambda_code"])
            from sentinel_pack.manifest.yamlsource import read_text  # size-capped; not UTF-8: a message with the line

            aws["eks_audit_pipeline"]["lambda_code"] = read_text(code_path, pipeline["lambda_code"])
        else:
            aws["eks_audit_pipeline"] = None

    by_lower = {p["name"].lower(): p["name"] for p in connector["connection_parameters"]}
    names = {n for poller in pollers for n in poller["placeholders"]}
    names |= {p["name"] for p in connector["connection_parameters"]}
    connector["connect_time"] = {**{n: parameter(by_lower[n.lower()]) for n in names if n.lower() in by_lower},
                                 **arm.CONNECT_TIME}
    from sentinel_pack.ccf.check import definition_extras

    connector["definition_extras"] = definition_extras(connector)
    connector["ui"] = documents.connector_ui(connector, tables)
    return {"n": n, "table": table, "tables": tables, "table_files": table_files, "dcr": dcr,
            "connector": connector, "poller": pollers[0], "pollers": pollers, "aws": aws, "files": files}


#: Parameters every Connections template declares (mainTemplate.json.j2).
_TEMPLATE_PARAMETERS = frozenset({"guidValue", "innerWorkspace", "connectorDefinitionName", "workspace", "dcrConfig"})


def _object_parameters(value: Any) -> dict[str, set[str]]:
    """``parameters('x').member`` references in escaped expressions: parameter -> members."""
    import re

    found: dict[str, set[str]] = {}
    if isinstance(value, dict):
        for item in value.values():
            for name, members in _object_parameters(item).items():
                found.setdefault(name, set()).update(members)
    elif isinstance(value, list):
        for item in value:
            for name, members in _object_parameters(item).items():
                found.setdefault(name, set()).update(members)
    elif isinstance(value, str) and value.startswith("[["):
        for name, member in re.findall(r"parameters\('([A-Za-z0-9_]+)'\)\.([A-Za-z0-9_]+)", value):
            found.setdefault(name, set()).add(member)
    return found


def _oauth_form_parameters(connector: dict[str, Any]) -> None:
    # The official packager declares all three for an OAuthForm, with "-NA-" defaults.
    known = {p["name"] for p in connector["connection_parameters"]}
    connector["connection_parameters"].extend(
        {"name": name, "default": "-NA-"} for name in restapi.OAUTH_FORM_PARAMETERS if name not in known)


def _table(table: dict[str, Any], flows: list[dict[str, Any]]) -> None:
    """Derived values of one table: its stream, output stream and tags."""
    table.setdefault("builtin", False)
    from sentinel_pack.ccf import streams

    table["output_stream"] = streams.output_stream(table)
    table["stream"] = next((f["stream"] for f in flows if f["table"] is table), f"Custom-{table['name']}")
    if not table["builtin"]:
        from sentinel_pack.ccf.check import COLUMN_KEYS, TABLE_KEYS

        table.setdefault("retention_in_days", 90)
        table["all_tags"] = {"StreamName": table["stream"], **table.get("tags", {})}
        columns = []
        for column in table["columns"]:
            if table.get("describe_columns", True):
                column.setdefault("description", _humanize(column["name"]))
            columns.append({"name": column["name"], "type": column["type"],
                            **({"description": column["description"]} if "description" in column else {}),
                            **{k: v for k, v in column.items() if k not in COLUMN_KEYS}})
        properties: dict[str, Any] = {}
        if table["retention_in_days"] is not None:
            properties["retentionInDays"] = table["retention_in_days"]
        properties.update({k: v for k, v in table.items() if k not in TABLE_KEYS and k[0].islower()
                           and k not in ("stream", "output_stream", "all_tags", "properties")})
        schema: dict[str, Any] = {"name": table["name"]}
        if "description" in table:
            schema["description"] = table["description"]
        schema["columns"] = columns
        schema.update(table.get("schema") or {})  # the schema's other fields, as written
        properties["schema"] = schema
        table["properties"] = properties


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _humanize(name: str) -> str:
    """``SourceIPs`` -> ``Source IPs``: acronyms stay whole (upstream wrote "Source i ps")."""
    import re

    words = re.findall(r"[A-Z]{2,}s(?=[A-Z]|$)|[A-Z]+(?=[A-Z][a-z]|$)|[A-Z]?[a-z0-9]+|[A-Z]+", name)
    if not words:
        return name
    first, rest = words[0], words[1:]
    return " ".join([first] + [w if len(w) > 1 and w.rstrip("s").isupper() else w.lower() for w in rest])
