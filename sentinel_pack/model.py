"""Derived values: everything the templates need that the manifest must not repeat.

The stream name, the output stream, dataType, graphQueriesTableName, the connector's file
names and solutionId are computed here once, and defaults for optional keys are applied here
rather than scattered over the templates.
"""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import quote

from sentinel_pack import markdown, restapi
from sentinel_pack.arm import parameter
from sentinel_pack.manifest import Manifest

_DEFAULTS = {
    "sqs": {"max_number_of_messages": 10, "visibility_timeout": 30, "wait_time_seconds": 20,
            "delete_message_after_receive": True},
    "data_format": {"format": "Json", "compression": "Gzip"},
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
    from sentinel_pack.manifest import connector_items

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
    solution.setdefault("verticals", [])
    from sentinel_pack.content import detections

    rules = detections.context(detections.load(manifest, "analytic_rules"), hunting=False)
    hunting = detections.context(detections.load(manifest, "hunting_queries"), hunting=True)
    data["analytic_rules"], data["hunting_queries"] = rules, hunting
    counts = ", ".join(f"**{label}:** {count}" for label, count in (
        ("Data Connectors", len(items)), ("Analytic Rules", len(rules)), ("Hunting Queries", len(hunting))) if count)
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
    """One connector's table, DCR, definition, poller and AWS stack, with derived values; ``n`` numbers it."""
    table, connector = item["table"], item["connector"]
    _table_and_streams(table, item["dcr"])

    connector.setdefault("preview", False)
    connector["version"] = solution["version"]
    connector["connections_id"] = f"{connector['id']}Connections"
    connector["permissions"].setdefault("resource_providers", [])
    connector["permissions"].setdefault("customs", [])
    connector["textboxes"] = []
    # One securestring parameter of the Connections template per value the user types.
    connector["connection_parameters"] = []
    for step in connector["instruction_steps"]:
        step.setdefault("description", None)
        for instruction in step["instructions"]:
            kind = instruction["type"]
            if kind == "CopyableLabel":
                instruction.setdefault("cloudformation", None)
                instruction.setdefault("value", None)
                instruction.setdefault("rows", None)
                instruction.setdefault("wide_label", True)
            elif kind == "Textbox":
                instruction.setdefault("placeholder", "")
                instruction.setdefault("input_type", "text")
                connector["textboxes"].append(instruction["name"])
                connector["connection_parameters"].append({"name": instruction["name"], "default": instruction["name"]})
            elif kind == "OAuthForm":
                instruction.setdefault("client_id_label", "Client ID")
                instruction.setdefault("client_secret_label", "Client Secret")
                instruction.setdefault("connect_label", "Connect")
                instruction.setdefault("disconnect_label", "Disconnect")
                # The official packager declares all three for an OAuthForm, with "-NA-" defaults.
                connector["connection_parameters"].extend(
                    {"name": name, "default": "-NA-"} for name in restapi.OAUTH_FORM_PARAMETERS)
            elif kind == "ConnectionToggleButton":
                instruction.setdefault("name", "toggle")
                instruction.setdefault("connect_label", "Connect")
                instruction.setdefault("disconnect_label", "Disconnect")

    prefix = connector["file_prefix"]
    files = {
        "definition": f"{prefix}_ConnectorDefinition.json",
        "dcr": f"{prefix}_DCR.json",
        "poller": f"{prefix}_PollingConfig.json",
        "table": f"{prefix}_Table.json",
        "data": f"Solution_{solution['compact_name']}.json",
    }

    poller = item["poller"]
    if poller["kind"] == "AmazonWebServicesS3":
        poller["sqs"] = {**_DEFAULTS["sqs"], **poller.get("sqs", {})}
        poller["data_format"] = {**_DEFAULTS["data_format"], **poller.get("data_format", {})}
        poller.setdefault("events_json_paths", ["$[*]"])
        poller["role_arn_expr"] = parameter(poller["role_arn_from"])
        poller["queue_url_expr"] = parameter(poller["queue_url_from"])
    else:
        poller["api"] = _restapi(poller)

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
            from sentinel_pack.yamlsource import read_text  # size-capped; not UTF-8: a message with the line

            aws["eks_audit_pipeline"]["lambda_code"] = read_text(code_path, pipeline["lambda_code"])
        else:
            aws["eks_audit_pipeline"] = None

    return {"n": n, "table": table, "dcr": item["dcr"], "connector": connector, "poller": poller,
            "aws": aws, "files": files}


def _table_and_streams(table: dict[str, Any], dcr: dict[str, Any]) -> None:
    """Streams of the DCR: input ``Custom-...``; output ``Custom-<table>`` or ``Microsoft-<table>``.

    A built-in table has no schema of its own in the solution, so the DCR's input columns are
    declared under ``dcr.input_columns``; for a custom table they default to its columns.
    """
    table.setdefault("builtin", False)
    table["stream"] = dcr.get("input_stream", f"Custom-{table['name']}")
    table["output_stream"] = f"{'Microsoft' if table['builtin'] else 'Custom'}-{table['name']}"
    if not table["builtin"]:
        table.setdefault("retention_in_days", 90)
        table["all_tags"] = {"StreamName": table["stream"], **table.get("tags", {})}
        for column in table["columns"]:
            column.setdefault("description", _humanize(column["name"]))
    if "input_columns" not in dcr:
        dcr["input_columns"] = [{"name": c["name"], "type": c["type"]} for c in table.get("columns", [])]
    dcr.setdefault("destination", "clv2ws2")


def _restapi(poller: dict[str, Any]) -> dict[str, Any]:
    """The RestApiPoller's auth, request, paging and response as the poller file spells them."""
    response = {"format": "json", **poller["response"]}
    return {
        "auth": restapi.auth_to_api(poller["auth"]),
        "request": restapi.to_api(poller["request"], restapi.REQUEST),
        "paging": restapi.to_api(poller.get("paging"), restapi.PAGING) or None,
        "response": restapi.to_api(response, restapi.RESPONSE),
    }


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
