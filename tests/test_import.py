"""``import`` on upstream solution folders, as they really are."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from sentinel_pack.cli import app
from sentinel_pack.errors import SentinelPackError
from sentinel_pack.importer.compare import equivalent
from sentinel_pack.importer.run import import_solution
from sentinel_pack.package.build import build

runner = CliRunner()


def _load(path: Path):
    return json.loads(path.read_text(encoding="utf-8-sig"))


@pytest.fixture
def upstream(tmp_path: Path, reference_eks: Path) -> Path:
    """A writable copy of the published AWS EKS folder."""
    dest = tmp_path / "AWS EKS"
    shutil.copytree(reference_eks, dest)
    return dest


def test_import_then_build_reproduces_the_published_package(upstream: Path, tmp_path: Path) -> None:
    imported, differences, _ = import_solution(upstream, tmp_path / "manifest")
    assert differences == []
    assert any("names Data Connectors/ConnectorDefinition.json" in n for n in imported.notes)
    manifest = yaml.safe_load((tmp_path / "manifest/solution.yaml").read_text())
    assert manifest["aws"]["role_name"] == "OIDC_MicrosoftSentinelRoleEKS"
    labels = [i for s in manifest["connector"]["instruction_steps"] for i in s["instructions"] if i["type"] == "CopyableLabel"]
    assert [lab.get("cloudformation") for lab in labels] == ["oidc", "resources"]

    # the published package carries its QueueName query: the validate gate refuses it, as it should
    with pytest.raises(SentinelPackError, match="SP407: the query uses 'QueueName'"):
        build(tmp_path / "manifest", tmp_path / "rebuilt")
    build(tmp_path / "manifest", tmp_path / "rebuilt", validate=False)
    for name in ("mainTemplate.json", "createUiDefinition.json"):
        assert equivalent(_load(tmp_path / "rebuilt/Package" / name)) == equivalent(_load(upstream / "Package" / name))
    for rel in ("Data Connectors/AWSEKS_DCR.json", "Data Connectors/CloudFormationTemplates/AWS_EKS_Resources_Deployment.json"):
        assert (tmp_path / "rebuilt" / rel).read_bytes() == (upstream / rel).read_bytes()


def _irregular(upstream: Path) -> None:
    """Lower-case folder, spaced file names, CRLF + BOM, a top-level array, a second connector set."""
    connectors = upstream / "Data Connectors"
    lowered = upstream / "data connectors"
    connectors.rename(lowered)
    dcr, table = _load(lowered / "AWSEKS_DCR.json"), _load(lowered / "AWSEKS_Table.json")
    (lowered / "AWSEKS_DCR.json").unlink()
    (lowered / "AWSEKS_Table.json").unlink()
    (lowered / "dcr and table.JSON").write_text(json.dumps([dcr, table], indent=2))
    definition = (lowered / "AWSEKS_ConnectorDefinition.json").read_text()
    (lowered / "AWSEKS_ConnectorDefinition.json").unlink()
    (lowered / "Aws Eks Definition.json").write_bytes(b"\xef\xbb\xbf" + definition.replace("\n", "\r\n").encode())
    old = json.loads(definition)
    old["properties"]["connectorUiConfig"]["id"] = old["name"] = "AWSEKSOldDefinition"
    (lowered / "old").mkdir()
    (lowered / "old/ConnectorDefinition.json").write_text(json.dumps(old))
    data = _load(upstream / "Data/Solution_AWSEKS.json")
    data["Data Connectors"] = ["Data Connectors/Aws Eks Definition.json"]
    data["Author"] = "Jane Doe - jane@example.com"
    (upstream / "Data/Solution_AWSEKS.json").write_text(json.dumps(data))


def test_irregular_layout_is_read_by_content(upstream: Path, tmp_path: Path) -> None:
    _irregular(upstream)
    imported, differences, _ = import_solution(upstream, tmp_path / "m")
    assert any("ignored connector definition AWSEKSOldDefinition" in n for n in imported.notes)
    assert imported.manifest["connector"]["id"] == "AWSEKSDefinition"
    assert imported.manifest["solution"]["author"] == {"name": "Jane Doe", "email": "jane@example.com"}
    assert imported.manifest["poller"]["role_arn_from"] == "roleArn"
    # the package's author differs because the Data file now says Jane Doe: sentinel-pack's choice
    assert differences and all(d.origin == "sentinel-pack" and "author" in d.path for d in differences)


def test_stale_package_is_blamed_on_the_original(upstream: Path, tmp_path: Path) -> None:
    main = _load(upstream / "Package/mainTemplate.json")
    main["resources"][1]["properties"]["connectorUiConfig"]["sampleQueries"][1]["query"] = "old query"
    (upstream / "Package/mainTemplate.json").write_text(json.dumps(main))
    _, differences, _ = import_solution(upstream, tmp_path / "m")
    assert len(differences) == 1
    (difference,) = differences
    assert difference.origin == "original"
    assert difference.path.endswith("sampleQueries[1].query")
    assert (difference.original, difference.rebuilt) == ("old query", "{{graphQueriesTableName}}\n| take 10")


def test_unrecognised_cloudformation_is_kept_literally(upstream: Path, tmp_path: Path) -> None:
    path = upstream / "Data Connectors/AWSEKS_ConnectorDefinition.json"
    definition = _load(path)
    label = definition["properties"]["connectorUiConfig"]["instructionSteps"][0]["instructions"][2]["parameters"]
    template = json.loads(label["value"])
    template["Outputs"]["Extra"] = {"Value": "x"}
    label["value"] = json.dumps(template, indent=2)
    path.write_text(json.dumps(definition, indent=2))
    imported, _, _ = import_solution(upstream, tmp_path / "m")
    assert "aws" not in imported.manifest
    assert any("kept as literal values" in n for n in imported.notes)
    build(tmp_path / "m", tmp_path / "b", validate=False)  # reproduces upstream's QueueName query
    rebuilt = _load(tmp_path / "b/Data Connectors/AWSEKS_ConnectorDefinition.json")
    assert rebuilt["properties"]["connectorUiConfig"] == definition["properties"]["connectorUiConfig"]


def test_unknown_poller_kind_is_a_clear_error(upstream: Path, tmp_path: Path) -> None:
    path = upstream / "Data Connectors/AWSEKS_PollingConfig.json"
    poller = _load(path)
    poller["kind"] = "AmazonWebServicesS4"
    path.write_text(json.dumps(poller))
    result = runner.invoke(app, ["import", str(upstream), "--out", str(tmp_path / "m")])
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert "poller.kind: 'AmazonWebServicesS4' is not allowed: no data connector kind of the provider schema" in output
    assert "did you mean 'AmazonWebServicesS3'?" in output
    assert not (tmp_path / "m").exists()


def test_import_cli_refuses_to_overwrite_a_manifest(upstream: Path) -> None:
    first = runner.invoke(app, ["import", str(upstream)])
    # The published package equals its rebuild, and the rebuild has the published SP407 error:
    # import says so and exits 1, as the next build would (issue 15).
    assert first.exit_code == 1, first.output
    assert "equals the original package" in first.output
    assert "error SP407" in first.output and "'sentinel-pack build' refuses this solution" in first.output
    second = runner.invoke(app, ["import", str(upstream)])
    assert second.exit_code == 1
    assert "solution.yaml already exists" in second.output


def test_not_an_upstream_folder(tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", str(tmp_path)])
    assert result.exit_code == 1
    assert "no Data/Solution_*.json file" in result.output


def test_a_key_only_the_original_has_is_reported_as_removed(upstream: Path, tmp_path: Path) -> None:
    ui = _load(upstream / "Package/createUiDefinition.json")
    ui["parameters"]["config"]["basics"]["legacyOption"] = True
    (upstream / "Package/createUiDefinition.json").write_text(json.dumps(ui))
    _, differences, _ = import_solution(upstream, tmp_path / "m")
    assert [(d.artefact, d.path, d.original, d.rebuilt, d.origin) for d in differences] == [
        ("createUiDefinition.json", "parameters.config.basics.legacyOption", True, None, "sentinel-pack")]
