"""The manifest speaks all of CCF: every field of the vendored provider schema is accepted and emitted.

The test walks the connector-definition, instruction, permission, poller (every CCF kind and
every auth model), table and DCR definitions of the vendored schemas, writes a sample value of
the right type for each field into a manifest, and checks that the manifest loads and that the
value reaches the rendered file where CCF expects it.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from sentinel_pack.ccf import schema as ccf
from sentinel_pack.errors import SentinelPackError
from sentinel_pack.manifest.load import load_manifest
from sentinel_pack.package.build import render_solution
from sentinel_pack.validate import schemastore

FIXTURE = Path(__file__).parent / "fixtures" / "manifests" / "restapi_apikey.yaml"


def _definition(name: str, pointer: str) -> dict[str, Any]:
    doc = schemastore.document(name)
    return doc["definitions"][pointer.rsplit("/", 1)[-1]] if pointer != "#" else doc


def sample(node: Any, name: str, depth: int = 0) -> Any:
    """A value of the type the schema node asks for (the first branch of a oneOf that is not an expression)."""
    if depth > 30 or not isinstance(node, dict):
        return "x"
    if "$ref" in node:
        ref = node["$ref"]
        if "common/definitions.json" in ref:
            return "x"
        target = ref.split("#", 1)[1]
        file = name if ref.startswith("#") else schemastore.SECURITY_INSIGHTS
        return sample(_definition(file, "#" + target), file, depth + 1)
    for key in ("oneOf", "anyOf"):
        if key in node:
            branches = [b for b in node[key] if "common/definitions.json" not in str(b.get("$ref", ""))]
            return sample(branches[0] if branches else {}, name, depth + 1)
    if "allOf" in node:
        out: dict[str, Any] = {}
        for branch in node["allOf"]:
            value = sample(branch, name, depth + 1)
            if isinstance(value, dict):
                out.update(value)
        return out
    if "enum" in node:
        return node["enum"][0]
    if "const" in node:
        return node["const"]
    kind = node.get("type")
    if kind is None and not node.get("properties") and set(node) <= {"description"}:
        return {"key": "value"}  # any value: an object, as CCF writes them
    if kind == "string" or (kind is None and not node.get("properties")):
        return "sample"[: node.get("maxLength", 6)]
    if kind == "integer":
        return max(1, node.get("minimum", 1))
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "array":
        return [sample(node.get("items", {}), name, depth + 1)]
    properties = node.get("properties", {})
    if properties:
        return {key: sample(value, name, depth + 1) for key, value in properties.items()}
    return {"key": "value"}


def fields(name: str, pointer: str) -> dict[str, Any]:
    return {key: sample(value, name) for key, value in _definition(name, pointer).get("properties", {}).items()}


def _build(tmp_path: Path, change) -> Any:
    data = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    change(data)
    (tmp_path / "solution.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    try:
        return render_solution(load_manifest(tmp_path))
    except SentinelPackError as error:
        pytest.fail("\n".join(p.render() for p in error.problems))


def _definition_ui(rendered) -> dict[str, Any]:
    return rendered.documents["Data Connectors/NorthwindAlerts_ConnectorDefinition.json"]["properties"][
        "connectorUiConfig"]


def _poller(rendered) -> dict[str, Any]:
    return rendered.documents["Data Connectors/NorthwindAlerts_PollingConfig.json"]["properties"]


#: connectorUiConfig fields the manifest writes under its own key (each test below uses them).
UI_OWN = {"id": "id", "title": "title", "publisher": "publisher", "descriptionMarkdown": "description",
          "instructionSteps": "instruction_steps", "permissions": "permissions"}


def test_every_connector_ui_field(tmp_path: Path) -> None:
    values = fields(ccf.SI, ccf.UI_CONFIG)
    verbatim = {k: v for k, v in values.items() if k not in UI_OWN}
    assert {"availability", "connectivityCriteria", "dataTypes", "graphQueries", "logo",
            "isConnectivityCriteriasMatchSome"} <= set(verbatim)

    extras = {k: v for k, v in fields(ccf.SI, ccf.DEFINITION).items() if k != "connectorUiConfig"}
    assert "connectionsConfig" in extras

    def change(data: dict[str, Any]) -> None:
        connector = data["connector"]
        del connector["graph_queries"]
        connector.update(copy.deepcopy(verbatim))
        connector.update(copy.deepcopy(extras))
        connector["permissions"] = fields(ccf.SI, ccf.PERMISSIONS)
        step = connector["instruction_steps"][0]
        step.update({k: v for k, v in fields(ccf.SI, ccf.INSTRUCTION_STEP).items()
                     if k not in ("title", "description", "instructions")})
        step["instructions"].append(fields(ccf.SI, ccf.INSTRUCTION))

    rendered = _build(tmp_path, change)
    ui = _definition_ui(rendered)
    definition = rendered.documents["Data Connectors/NorthwindAlerts_ConnectorDefinition.json"]["properties"]
    assert {k: v for k, v in definition.items() if k != "connectorUiConfig"} == extras
    for key, value in verbatim.items():
        assert ui[key] == value, key
    assert ui["permissions"] == fields(ccf.SI, ccf.PERMISSIONS)
    step = ui["instructionSteps"][0]
    assert step["innerSteps"] == fields(ccf.SI, ccf.INSTRUCTION_STEP)["innerSteps"]
    assert step["instructions"][-1] == fields(ccf.SI, ccf.INSTRUCTION)


@pytest.mark.parametrize("auth_type", sorted(ccf.auth_models()))
def test_every_restapi_poller_field_and_auth_model(tmp_path: Path, auth_type: str) -> None:
    properties = fields(ccf.SI, "#/definitions/RestApiPollerDataConnectorProperties")
    derived = {"connectorDefinitionName", "dcrConfig", "dataType"}
    auth_model = ccf.auth_models()[auth_type]
    spelled = next(t for t in ccf.schemastore.document(ccf.SI)["definitions"]["CcpAuthConfig"]["allOf"][0][
        "properties"]["type"]["enum"] if t.lower() == auth_type)
    auth = {**fields(ccf.SI, auth_model), "type": spelled}
    verbatim = {**{k: v for k, v in properties.items() if k not in derived},
                "auth": auth,
                "request": fields(ccf.SI, "#/definitions/RestApiPollerRequestConfig"),
                "paging": fields(ccf.SI, "#/definitions/RestApiPollerRequestPagingConfig"),
                "response": fields(ccf.SI, "#/definitions/CcpResponseConfig")}

    def change(data: dict[str, Any]) -> None:
        data["poller"] = {"kind": "RestApiPoller", "name": "NorthwindAlertsPoller", **copy.deepcopy(verbatim)}

    poller = _poller(_build(tmp_path, change))
    for key, value in verbatim.items():
        assert poller[key] == value, key
    assert poller["connectorDefinitionName"] == "NorthwindAlertsCCP"
    assert poller["dcrConfig"]["streamName"] == "Custom-NorthwindAlerts_CL"


@pytest.mark.parametrize("kind", ["GCP", "AmazonWebServicesS3", "Push"])
def test_every_field_of_the_other_ccf_poller_kinds(tmp_path: Path, kind: str) -> None:
    name, pointer = ccf.poller_properties(kind)
    verbatim = {k: v for k, v in fields(name, pointer).items() if k not in ("connectorDefinitionName", "dcrConfig")}
    assert verbatim

    def change(data: dict[str, Any]) -> None:
        data["poller"] = {"kind": kind, "name": "NorthwindAlertsPoller", **copy.deepcopy(verbatim)}

    rendered = _build(tmp_path, change)
    poller = _poller(rendered)
    for key, value in verbatim.items():
        assert poller[key] == value, key
    assert rendered.documents["Data Connectors/NorthwindAlerts_PollingConfig.json"]["kind"] == kind


def test_every_table_column_and_dcr_field(tmp_path: Path) -> None:
    table = {k: v for k, v in fields(ccf.OI, ccf.TABLE).items() if k not in ("schema", "retentionInDays")}
    column = {k: v for k, v in fields(ccf.OI, ccf.COLUMN).items() if k not in ("name", "type", "description")}
    schema = {k: v for k, v in fields(ccf.OI, "#/definitions/Schema").items()
              if k not in ("name", "description", "columns")}
    derived = {"dataCollectionEndpointId", "streamDeclarations", "destinations", "dataFlows"}
    dcr = {k: v for k, v in fields(ccf.INSIGHTS, ccf.DCR).items() if k not in derived}
    assert table and column and dcr

    def change(data: dict[str, Any]) -> None:
        data["table"].update(copy.deepcopy(table))
        data["table"]["schema"] = copy.deepcopy(schema)
        data["table"]["columns"][1].update(copy.deepcopy(column))
        data["dcr"].update(copy.deepcopy(dcr))

    rendered = _build(tmp_path, change)
    built = rendered.documents["Data Connectors/NorthwindAlerts_Table.json"]["properties"]
    for key, value in table.items():
        assert built[key] == value, key
    assert {k: built["schema"]["columns"][1][k] for k in column} == column
    assert {k: built["schema"][k] for k in schema} == schema
    built_dcr = rendered.documents["Data Connectors/NorthwindAlerts_DCR.json"]["properties"]
    for key, value in dcr.items():
        assert built_dcr[key] == value, key


def test_property_names_are_read_without_regard_to_case(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["poller"] = {"kind": "RestApiPoller", "name": "NorthwindAlertsPoller",
                          "auth": {"type": "APIKey", "ApiKey": "{{apiKey}}", "APIKEYNAME": "X-Api-Key"},
                          "request": {"ApiEndpoint": "https://api.northwind.example/alerts", "RetryCount": "three"},
                          "response": {"EventsJsonPaths": ["$.alerts"]}}

    data = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    change(data)
    (tmp_path / "solution.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(SentinelPackError) as caught:
        load_manifest(tmp_path)
    (problem,) = caught.value.problems
    assert problem.path == "poller.request.RetryCount"
    assert "expected integer, got str (CCF provider schema)" in problem.message


def test_a_vendor_specific_auth_type_is_taken_as_written(tmp_path: Path) -> None:
    """An auth type the schema does not list (AliCloud's, in the published AliCloud ActionTrail connector)."""
    auth = {"type": "AliCloudSlsV1", "AccessKeyId": "{{accessKeyId}}", "AccessKeySecret": "{{accessKeySecret}}"}

    def change(data: dict[str, Any]) -> None:
        data["poller"] = {"kind": "RestApiPoller", "name": "NorthwindAlertsPoller", "auth": dict(auth),
                          "request": {"apiEndpoint": "https://sls.example/logstores"},
                          "response": {"eventsJsonPaths": ["$"]}}

    rendered = _build(tmp_path, change)
    assert _poller(rendered)["auth"] == auth
    main = rendered.documents["Package/mainTemplate.json"]
    connections = next(r for r in main["resources"] if r["properties"].get("contentKind") == "ResourcesDataConnector")
    packaged = connections["properties"]["mainTemplate"]["resources"][1]["properties"]["auth"]
    assert packaged["AccessKeyId"] == "[[parameters('accessKeyId')]"
