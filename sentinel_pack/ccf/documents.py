"""The CCF documents of one connector, assembled from its manifest sections.

sentinel-pack's own keys are turned into CCF's spelling here, CCF-shaped sections are taken as
written, and the facts the manifest derives (connectorDefinitionName, dataType, dcrConfig,
streams) are filled in: the connector definition's ``connectorUiConfig``, each poller's
``properties`` and the DCR's ``properties``. Import renders candidate sections with the same
functions, so both directions agree.
"""

from __future__ import annotations

from typing import Any

from sentinel_pack.manifest import restapi
from sentinel_pack.render import arm
from sentinel_pack.render.arm import parameter

#: Defaults of the S3 poller's short keys.
S3_DEFAULTS = {
    "sqs": {"max_number_of_messages": 10, "visibility_timeout": 30, "wait_time_seconds": 20,
            "delete_message_after_receive": True},
    "data_format": {"format": "Json", "compression": "Gzip"},
}


#: Defaults of the optional keys of sentinel-pack's instruction forms.
INSTRUCTION_DEFAULTS = {
    "CopyableLabel": {"cloudformation": None, "value": None, "rows": None, "wide_label": True},
    "Textbox": {"placeholder": "", "input_type": "text"},
    "OAuthForm": {"client_id_label": "Client ID", "client_secret_label": "Client Secret",
                  "connect_label": "Connect", "disconnect_label": "Disconnect"},
    "ConnectionToggleButton": {"name": "toggle", "connect_label": "Connect", "disconnect_label": "Disconnect"},
}


def instruction_defaults(instruction: dict[str, Any]) -> dict[str, Any]:
    for key, value in INSTRUCTION_DEFAULTS.get(instruction["type"], {}).items():
        instruction.setdefault(key, value)
    return instruction


def instruction_to_ccf(instruction: dict[str, Any]) -> dict[str, Any]:
    """An instruction as the connector definition holds it (import compares with this)."""
    return _instruction(instruction_defaults(dict(instruction)))


def dcr_properties(dcr: dict[str, Any]) -> dict[str, Any]:
    """The DCR's properties, in the order upstream writes them."""
    properties: dict[str, Any] = {"dataCollectionEndpointId": "{{dataCollectionEndpointId}}"}
    if dcr["declarations"]:
        properties["streamDeclarations"] = {name: {"columns": columns} for name, columns in dcr["declarations"].items()}
    properties["destinations"] = {"logAnalytics": [{"workspaceResourceId": "{{workspaceResourceId}}",
                                                    "name": dcr["destination"]}]}
    data_flows = []
    for flow in dcr["flows"]:
        entry: dict[str, Any] = {"streams": [flow["stream"]], "destinations": [dcr["destination"]]}
        if flow["transform"] is not None or flow["stream"] != flow["output_stream"]:
            entry["outputStream"] = flow["output_stream"]
        if flow["transform"] is not None:
            entry["transformKql"] = flow["transform"]
        data_flows.append(entry)
    properties["dataFlows"] = data_flows
    from sentinel_pack.ccf.check import DCR_KEYS

    properties.update({k: v for k, v in dcr.items() if k not in DCR_KEYS and k[0].islower()
                       and k not in ("declarations", "flows", "properties", "input_columns")})
    return properties


def connector_ui(connector: dict[str, Any], tables: list[dict[str, Any]]) -> dict[str, Any]:
    """The connectorUiConfig: sentinel-pack's keys in CCF's spelling, and CCF's own keys as written."""
    from sentinel_pack.ccf.check import CONNECTOR_KEYS

    verbatim = {k: v for k, v in connector.items() if k not in CONNECTOR_KEYS and k[0].islower()
                and k not in _CONNECTOR_DERIVED and k not in connector["definition_extras"]}
    lowered = {k.lower(): k for k in verbatim}

    def take(name: str, default: Any) -> Any:
        return verbatim.pop(lowered[name.lower()]) if name.lower() in lowered else default

    first = tables[0]["name"]
    ui: dict[str, Any] = {
        "id": connector["id"],
        "title": connector["title"],
        "publisher": connector["publisher"],
        "descriptionMarkdown": connector["description"],
    }
    if "logo" in lowered:
        ui[lowered["logo"]] = take("logo", None)
    ui["graphQueriesTableName"] = first
    ui["graphQueries"] = take("graphQueries", [
        {"metricName": q["metric_name"], "legend": q["legend"], "baseQuery": q["base_query"]}
        for q in connector.get("graph_queries", [])])
    if "sample_queries" in connector:
        ui["sampleQueries"] = [{"description": q["description"], "query": q["query"]}
                               for q in connector["sample_queries"]]
    elif "sampleQueries" in verbatim:
        ui["sampleQueries"] = verbatim.pop("sampleQueries")
    ui["dataTypes"] = take("dataTypes", [
        {"name": t["name"], "lastDataReceivedQuery": f"{t['name']}\n| where TimeGenerated > ago(12h)\n"
                                                     "| summarize Time = max(TimeGenerated)\n| where isnotempty(Time)"}
        for t in tables])
    ui["connectivityCriteria"] = take("connectivityCriteria", [{"type": "HasDataConnectors"}])
    ui["availability"] = take("availability", {"isPreview": connector["preview"], "status": 1})
    ui["permissions"] = _permissions(connector["permissions"])
    ui.update(verbatim)  # the remaining CCF keys (isConnectivityCriteriasMatchSome, ...), as written
    ui["instructionSteps"] = [_step(step) for step in connector["instruction_steps"]]
    return ui


#: Keys the model adds to the connector section; they are not connectorUiConfig fields.
_CONNECTOR_DERIVED = ("version", "connections_id", "textboxes", "connection_parameters", "connect_time", "ui",
                      "definition_extras")


def _permissions(permissions: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    sugar = permissions.get("resource_providers", [])
    if sugar or not any(k.lower() == "resourceprovider" for k in permissions):
        out["resourceProvider"] = [{
            "provider": p["provider"], "permissionsDisplayText": p["display_text"],
            "providerDisplayName": p["provider_display_name"], "scope": p["scope"],
            "requiredPermissions": {k: k in p["required"] for k in ("write", "read", "delete", "action")},
        } for p in sugar]
    for key, value in permissions.items():
        if key == "resource_providers" or (key == "customs" and not value):
            continue
        out[key] = value
    return out


def _step(step: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"title": step["title"]} if "title" in step else {}
    if step.get("description"):
        out["description"] = step["description"]
    if "instructions" in step:
        out["instructions"] = [_instruction(i) for i in step["instructions"]]
    out.update({k: v for k, v in step.items() if k not in ("title", "description", "instructions")})
    return out


def _instruction(i: dict[str, Any]) -> dict[str, Any]:
    """One instruction in CCF's shape; the CloudFormation value is filled in at render time."""
    if "parameters" in i:
        return {"type": i["type"], "parameters": i["parameters"]}
    kind = i["type"]
    if kind == "Markdown":
        return {"type": kind, "parameters": {"content": i["content"]}}
    if kind == "CopyableLabel":
        value = {"$cloudformation": i["cloudformation"]} if i["cloudformation"] else i["value"]
        params: dict[str, Any] = {"fillWith": [], "label": i["label"], "value": value}
        if i["rows"]:
            params["rows"] = i["rows"]
        params["wideLabel"] = i["wide_label"]
        if i["rows"]:
            params["isMultiLine"] = True
        return {"type": kind, "parameters": params}
    if kind == "Textbox":
        return {"type": kind, "parameters": {"label": i["label"], "placeholder": i["placeholder"],
                                             "type": i["input_type"], "name": i["name"]}}
    if kind == "OAuthForm":
        return {"type": kind, "parameters": {"clientIdLabel": i["client_id_label"],
                                             "clientSecretLabel": i["client_secret_label"],
                                             "connectButtonLabel": i["connect_label"],
                                             "disconnectButtonLabel": i["disconnect_label"]}}
    return {"type": kind, "parameters": {"connectLabel": i["connect_label"], "disconnectLabel": i["disconnect_label"],
                                         "name": i["name"]}}


def poller_properties(poller: dict[str, Any], connector: dict[str, Any], flows: list[dict[str, Any]]) -> None:
    """The poller's ``properties`` as its file spells them: derived facts, then its own sections."""
    from sentinel_pack.ccf import check, streams

    stream = streams.poller_stream(poller, flows)
    verbatim = {k: v for k, v in poller.items() if k not in check.POLLER_KEYS}
    data_type_key = next((k for k in verbatim if k.lower() == "datatype"), None)
    data_type = verbatim.pop(data_type_key) if data_type_key else streams.data_type(poller, flows)
    dcr_config = {"streamName": stream, "dataCollectionEndpoint": "{{dataCollectionEndpoint}}",
                  "dataCollectionRuleImmutableId": "{{dataCollectionRuleImmutableId}}"}
    if check.is_s3_sugar(poller):
        poller["sqs"] = {**S3_DEFAULTS["sqs"], **poller.get("sqs", {})}
        poller["data_format"] = {**S3_DEFAULTS["data_format"], **poller.get("data_format", {})}
        poller.setdefault("events_json_paths", ["$[*]"])
        queue_url = parameter(poller["queue_url_from"])
        data_format: dict[str, Any] = {"Format": poller["data_format"]["format"],
                                       "IsCompressed": poller["data_format"]["compression"] != "None"}
        if poller["data_format"]["compression"] != "None":
            data_format["compressType"] = poller["data_format"]["compression"]
        sqs = poller["sqs"]
        poller["properties"] = {
            "sqsConfig": {"queueUrl": queue_url, "maxNumberOfMessages": sqs["max_number_of_messages"],
                          "visibilityTimeout": sqs["visibility_timeout"], "waitTimeSeconds": sqs["wait_time_seconds"],
                          "deleteMessageAfterReceive": sqs["delete_message_after_receive"],
                          "messageAttributeNames": ["All"], "attributeNames": ["All"]},
            "response": {"format": "json", "eventsJsonPaths": poller["events_json_paths"]},
            "roleArn": parameter(poller["role_arn_from"]),
            "sqsUrls": [queue_url],
            "dataTypes": {"logs": {"state": "enabled"}},
            "destinationTable": data_type,
            "dataFormat": data_format,
            "connectorDefinitionName": connector["id"],
            "dataType": data_type,
            "dcrConfig": dcr_config,
        }
        poller["template"] = "s3"
    else:
        properties: dict[str, Any] = {"connectorDefinitionName": connector["id"]}
        if data_type_key or _has_data_type(poller["kind"]):
            properties["dataType"] = data_type
        properties["dcrConfig"] = dcr_config
        sections = check.RESTAPI_SECTIONS
        if poller["kind"] == "RestApiPoller" and any(check.is_sugar(k, verbatim.get(k)) for k in sections):
            # sentinel-pack's keys: the sections in the order of the provider's documentation
            for section in check.RESTAPI_SECTIONS:
                value = verbatim.pop(section, None)
                if value is not None:
                    value = _SUGAR[section](value) if check.is_sugar(section, value) else value
                    if value:
                        properties[section] = value
        properties.update(verbatim)
        poller["properties"] = properties
        poller["template"] = "s3" if poller["kind"] == "AmazonWebServicesS3" else "generic"
    poller["placeholders"] = {name for name in arm.placeholders(poller["properties"]) if name not in arm.CONNECT_TIME}


def _has_data_type(kind: str) -> bool:
    """Push and S3 pollers carry no dataType: the DCR (Push) or destinationTable (S3) names their table."""
    return kind not in ("Push", "AmazonWebServicesS3")


def _sugar_response(response: dict[str, Any]) -> dict[str, Any]:
    return restapi.to_api({"format": "json", **response}, restapi.RESPONSE)


_SUGAR = {
    "auth": restapi.auth_to_api,
    "request": lambda section: restapi.to_api(section, restapi.REQUEST),
    "paging": lambda section: restapi.to_api(section, restapi.PAGING),
    "response": _sugar_response,
}


def with_cloudformation(ui: dict[str, Any], cloudformation: dict[str, str]) -> dict[str, Any]:
    """The connectorUiConfig with each ``{"$cloudformation": key}`` value replaced by that template's text."""
    def fill(node: Any) -> Any:
        if isinstance(node, dict):
            if set(node) == {"$cloudformation"}:
                return cloudformation[node["$cloudformation"]]
            return {k: fill(v) for k, v in node.items()}
        if isinstance(node, list):
            return [fill(v) for v in node]
        return node

    return fill(ui)
