"""Several connectors in one solution: the ``connectors`` list of the manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from sentinel_pack.errors import SentinelPackError
from sentinel_pack.package.build import build
from sentinel_pack.validate.runner import validate_paths

MANIFESTS = Path(__file__).resolve().parent / "fixtures" / "manifests"
SECTIONS = ("table", "dcr", "connector", "poller", "aws")


def _two_connectors(folder: Path) -> Path:
    """The Contoso S3 connector (built-in table, AWS stack) and the Northwind REST connector in one solution."""
    s3 = yaml.safe_load((MANIFESTS / "s3_builtin.yaml").read_text(encoding="utf-8"))
    rest = yaml.safe_load((MANIFESTS / "restapi_apikey.yaml").read_text(encoding="utf-8"))
    manifest = {key: s3[key] for key in s3 if key not in SECTIONS}
    manifest["connectors"] = [{key: m[key] for key in SECTIONS if key in m} for m in (s3, rest)]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "solution.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = _two_connectors(tmp_path_factory.mktemp("two") / "src")
    out = tmp_path_factory.mktemp("two-built")
    build(source, out)
    return out


def _load(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def test_each_connector_has_its_files(built: Path) -> None:
    names = sorted(p.relative_to(built).as_posix() for p in (built / "Data Connectors").rglob("*.json"))
    assert names == [
        "Data Connectors/CloudFormationTemplates/ContosoCloudTrail_OIDC_Web_Identity_Provider.json",
        "Data Connectors/CloudFormationTemplates/ContosoCloudTrail_Resources_Deployment.json",
        "Data Connectors/ContosoCloudTrail_ConnectorDefinition.json",
        "Data Connectors/ContosoCloudTrail_DCR.json",
        "Data Connectors/ContosoCloudTrail_PollingConfig.json",
        "Data Connectors/NorthwindAlerts_ConnectorDefinition.json",
        "Data Connectors/NorthwindAlerts_DCR.json",
        "Data Connectors/NorthwindAlerts_PollingConfig.json",
        "Data Connectors/NorthwindAlerts_Table.json",
    ]
    data = _load(next((built / "Data").glob("*.json")))
    assert data["Data Connectors"] == ["Data Connectors/ContosoCloudTrail_ConnectorDefinition.json",
                                       "Data Connectors/NorthwindAlerts_ConnectorDefinition.json"]


def test_the_package_carries_both_connectors(built: Path) -> None:
    main = _load(built / "Package/mainTemplate.json")
    assert main["variables"]["_dataConnectorContentIdConnectorDefinition1"] == "ContosoCloudTrailCCP"
    assert main["variables"]["_dataConnectorContentIdConnectorDefinition2"].startswith("Northwind")
    kinds = [r["properties"].get("contentKind") for r in main["resources"] if r["type"].endswith("contentTemplates")]
    assert kinds == ["DataConnector", "ResourcesDataConnector"] * 2
    pollers = [r["properties"]["mainTemplate"]["resources"][1]["kind"] for r in main["resources"]
               if r["properties"].get("contentKind") == "ResourcesDataConnector"]
    assert pollers == ["AmazonWebServicesS3", "RestApiPoller"]
    package = next(r for r in main["resources"] if r["type"].endswith("contentPackages"))
    assert [c["contentId"] for c in package["properties"]["dependencies"]["criteria"]] == [
        "[variables('_dataConnectorContentIdConnections1')]", "[variables('_dataConnectorContentIdConnections2')]"]
    ui = _load(built / "Package/createUiDefinition.json")
    assert "**Data Connectors:** 2" in ui["parameters"]["config"]["basics"]["description"]
    names = [e["name"] for e in ui["parameters"]["steps"][0]["elements"]]
    # as the official packager lays them out (the published Miro package): text and link per connector
    assert names == ["dataconnectors1-text", "dataconnectors-link1", "dataconnectors2-text", "dataconnectors-link2"]


def test_two_connectors_validate_clean(built: Path) -> None:
    findings = validate_paths([built])
    assert [f.render() for f in findings if f.severity == "error"] == []


def test_a_wrong_stream_in_the_second_connector_is_caught(built: Path, tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "b"
    shutil.copytree(built, root)
    poller = root / "Data Connectors/NorthwindAlerts_PollingConfig.json"
    doc = _load(poller)
    doc["properties"]["dcrConfig"]["streamName"] = "Custom-Nothing"
    poller.write_text(json.dumps(doc), encoding="utf-8")
    found = [f for f in validate_paths([root], select=["SP4"]) if f.severity == "error"]
    assert {f.rule for f in found} == {"SP402"}
    assert all("NorthwindAlerts_PollingConfig.json" in f.file for f in found)


@pytest.mark.parametrize(("change", "message", "path"), [
    (lambda m: m["connectors"][1]["connector"].update(id=m["connectors"][0]["connector"]["id"]),
     "connector id 'ContosoCloudTrailCCP' is already used by another connector", "connectors[1].connector.id"),
    (lambda m: m["connectors"][1]["connector"].update(file_prefix="ContosoCloudTrail"),
     "file_prefix 'ContosoCloudTrail' is already used by another connector", "connectors[1].connector.file_prefix"),
    (lambda m: m.update(table=m["connectors"][0]["table"]),
     "'table' beside 'connectors'", "table"),
    (lambda m: m.update(connectors=[]), "needs at least 1 item(s)", "connectors"),
    (lambda m: m["connectors"][1]["poller"].update(kind="Foo"), "'Foo' is not allowed", "connectors[1].poller.kind"),
    (lambda m: m["connectors"][0]["table"].update(retention=3), "unknown key 'retention'",
     "connectors[0].table.retention"),
])
def test_broken_multi_connector_manifests(tmp_path: Path, change, message: str, path: str) -> None:
    folder = _two_connectors(tmp_path / "src")
    manifest = yaml.safe_load((folder / "solution.yaml").read_text(encoding="utf-8"))
    change(manifest)
    (folder / "solution.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    with pytest.raises(SentinelPackError) as caught:
        build(folder, tmp_path / "out")
    problem = caught.value.problems[0]
    assert message in problem.message and problem.path == path and problem.line


def test_detections_may_read_any_connector_table(tmp_path: Path) -> None:
    folder = _two_connectors(tmp_path / "src")
    (folder / "Hunting Queries").mkdir()
    (folder / "Hunting Queries/HighAlerts.yaml").write_text(yaml.safe_dump({
        "id": "0b8f3c1e-5a47-4f3e-9a37-7d5f2f1c9e10", "name": "High Northwind alerts",
        "description": "Northwind alerts of high severity.",
        "requiredDataConnectors": [{"connectorId": "NorthwindAlerts", "dataTypes": ["NorthwindAlerts_CL"]}],
        "tactics": ["Discovery"], "relevantTechniques": ["T1580"],
        "query": "NorthwindAlerts_CL\n| where Severity == 'High'\n| project TimeGenerated, AlertId\n",
        "version": "1.0.0"}, sort_keys=False), encoding="utf-8")
    manifest = yaml.safe_load((folder / "solution.yaml").read_text(encoding="utf-8"))
    manifest["hunting_queries"] = ["Hunting Queries/HighAlerts.yaml"]
    (folder / "solution.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    build(folder, tmp_path / "out")
    assert validate_paths([tmp_path / "out"], select=["SP802"]) == []


def test_import_reads_every_connector_the_data_file_names(built: Path, tmp_path: Path) -> None:
    import shutil

    from sentinel_pack.importer.compare import equivalent
    from sentinel_pack.importer.run import import_solution

    upstream = tmp_path / "Two Connectors"
    shutil.copytree(built, upstream)
    imported, differences, _ = import_solution(upstream, tmp_path / "m")
    assert differences == [] and imported.notes == []
    items = imported.manifest["connectors"]
    assert [i["poller"]["kind"] for i in items] == ["AmazonWebServicesS3", "RestApiPoller"]
    assert "aws" in items[0] and "table" not in imported.manifest
    build(tmp_path / "m", tmp_path / "rebuilt")
    for name in ("mainTemplate.json", "createUiDefinition.json"):
        assert equivalent(_load(tmp_path / "rebuilt/Package" / name)) == equivalent(_load(built / "Package" / name))


def test_cli_reports_a_duplicate_connector_id_with_exit_1(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from sentinel_pack.cli import app

    folder = _two_connectors(tmp_path / "src")
    manifest = yaml.safe_load((folder / "solution.yaml").read_text(encoding="utf-8"))
    manifest["connectors"][1]["connector"]["id"] = manifest["connectors"][0]["connector"]["id"]
    (folder / "solution.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    result = CliRunner().invoke(app, ["build", str(folder), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "connectors[1].connector.id" in result.output and "already used by another connector" in result.output
