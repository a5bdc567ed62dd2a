"""The six real, deployed solutions of the corpus, validated as built folders.

Each remaining finding was checked by hand against the files; the reason it is real is
given beside it. The corpus copies omit ``Package/<version>.zip`` (upstream has it), so each
test puts the zip of the two package files back first: a missing zip is reported (SP501),
and that is a property of the copy, not of the solution.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from sentinel_pack.validate.runner import validate_paths

#: (rule, file inside the solution, JSON path): why it is a real defect. SP6xx (arm-ttk) below.
REAL = {
    "AWS_AccessLogs": {
        ("SP007", "Data Connectors/AwsS3ServerAccessLogsDefinition_CCP/AWSS3ServerAccessLogs_Table.json", ""):
            "a stray custom-table file that the package does not ship (corpus README)",
        ("SP401", "Data Connectors/AwsS3ServerAccessLogsDefinition_CCP/AWSS3ServerAccessLogs_Table.json", "name"):
            "the same stray table: no data flow writes AWSS3ServerAccessLogs_CL, the DCR feeds the built-in table",
        ("SP702", "Data Connectors/AwsS3ServerAccessLogsDefinition_CCP/AWSS3ServerAccessLogs_PollingConfig.json",
         "name"): "the poller's name 'AwsS3 Access Logs Polling Config' has spaces (an upstream check forbids it)",
    },
    "BigID": {
        ("SP006", "Package/mainTemplate.json", "resources[0].properties.mainTemplate.resources[4]"):
            "the package ships BigIDDSPMAssetStore_CL, but the folder's only table file is an older one without it",
        ("SP403", "Data Connectors/BigIDDSPMLogs_ccp/BigIDDSPMLogs_DCR.json",
         "properties.streamDeclarations['Custom-BigIDDSPMCatalog_CL'].columns"):
            "the stream sends dspmCase and expand, the (older) table file has case and affectedObjects",
        ("SP505", "Data Connectors/BigIDDSPMLogs_ccp/BigIDDSPMCatalog_Table.json",
         "[0].properties.schema.columns[1].name"): "the same stale table file: 'case' here, 'dspmCase' in the package",
        ("SP505", "Data Connectors/BigIDDSPMLogs_ccp/BigIDDSPMCatalog_Table.json",
         "[0].properties.schema.columns[2].name"): "'affectedObjects' here, 'expand' in the package",
        ("SP812", "Data Connectors/BigIDDSPMLogs_ccp/BigIDDSPMLogs_DCR.json", "properties.dataFlows[1].transformKql"):
            "the second data flow writes BigIDDSPMAssetStore_CL, which no table file of the folder defines (a warning)",
    },
    "Bitwarden": {
        ("SP203", "Package/mainTemplate.json", "resources[0].properties.mainTemplate.resources[3].name"):
            "the packager emitted one table resource whose name, type and apiVersion are arrays: invalid ARM",
        ("SP203", "Package/mainTemplate.json", "resources[0].properties.mainTemplate.resources[3].type"): "same",
        ("SP203", "Package/mainTemplate.json", "resources[0].properties.mainTemplate.resources[3].apiVersion"): "same",
        ("SP502", "ReleaseNotes.md", ""): "the package is 3.0.1, the release notes stop at 3.0.0",
        ("SP810", "Parsers/BitwardenEventLogs.yaml", "FunctionQuery"):
            "the parser's dynamic() literals carry JSON-escaped quotes (dynamic({\\\"0\\\":...})): KQL does not parse them",
        ("SP810", "Workbooks/BitwardenEventLogsOrganization.json", "items[1].content.query"):
            "a literal backslash-n instead of a line break after the parser name: KQL does not parse it",
        ("SP810", "Workbooks/BitwardenEventLogsOrganization.json", "items[6].content.query"): "same",
        **{("SP903", "Package/mainTemplate.json",
            f"resources[{n}].properties.mainTemplate.resources[1].properties.dependencies.criteria[0].contentId"):
           "each workbook depends on 'BitwardenEventLog_CL' (WorkbooksMetadata.json typo for BitwardenEventLogs_CL)"
           for n in (4, 5, 6)},
    },
    "GoogleCloudPlatformResourceManager": {
        ("SP704", "SolutionMetadata.json", "categories.domains[1]"): "'Security' is not a Content hub domain",
    },
    "Miro": {},
    "OneTrust": {},
}

#: arm-ttk findings that upstream's pipeline skips and sentinel-pack keeps (docs/rules.md): a blank
#: table ``kind`` and a DCR endpoint id not built with resourceId(). Checked to be present.
ARM_TTK = {
    "AWS_AccessLogs": {("SP607", "resources[0].properties.mainTemplate.resources[2].properties.dataCollectionEndpointId")},
    "BigID": {("SP606", "resources[0].properties.mainTemplate.resources[3].kind")},
    "Bitwarden": {("SP607", "resources[0].properties.mainTemplate.resources[2].properties.dataCollectionEndpointId")},
    "GoogleCloudPlatformResourceManager": {("SP606", "resources[0].properties.mainTemplate.resources[3].kind")},
    "Miro": {("SP606", "resources[4].properties.mainTemplate.resources[3].kind")},
    "OneTrust": {("SP606", "resources[0].properties.mainTemplate.resources[3].kind")},
}


def as_published(source: Path, dest: Path) -> Path:
    """The corpus folder with the version's zip restored, as the upstream folder has it."""
    shutil.copytree(source, dest)
    version = json.loads((dest / "Package/mainTemplate.json").read_text(encoding="utf-8"))["variables"][
        "_solutionVersion"]
    with zipfile.ZipFile(dest / f"Package/{version}.zip", "w") as archive:
        for name in ("createUiDefinition.json", "mainTemplate.json"):
            archive.write(dest / "Package" / name, name)
    return dest


@pytest.mark.parametrize("name", sorted(REAL))
def test_a_real_solution_shows_only_its_real_defects(name: str, reference_root: Path, tmp_path: Path) -> None:
    root = as_published(reference_root / "corpus" / name, tmp_path / name)
    findings = validate_paths([root])
    assert not [f for f in findings if f.rule == "SP201"], "provider-schema errors on a deployed solution"
    assert not [f for f in findings if "crashed" in f.message]
    prefix = f"{root.as_posix()}/"
    found = {(f.rule, f.file.removeprefix(prefix), f.path) for f in findings if not f.rule.startswith("SP6")}
    assert found == set(REAL[name]), [f.render() for f in findings if not f.rule.startswith("SP6")]
    arm_ttk = {(f.rule, f.path) for f in findings if f.rule.startswith("SP6")}
    assert ARM_TTK[name] <= arm_ttk


def test_every_json_finding_on_the_corpus_has_a_line(reference_root: Path, tmp_path: Path) -> None:
    root = as_published(reference_root / "corpus" / "Bitwarden", tmp_path / "Bitwarden")
    for finding in validate_paths([root]):
        if finding.file.endswith(".json"):
            assert finding.line and Path(finding.file).is_file(), finding.render()


def _poller(dcr_config: dict) -> dict:
    return {"type": "Microsoft.SecurityInsights/dataConnectors", "apiVersion": "2022-10-01-preview",
            "name": "{{innerWorkspace}}/Microsoft.SecurityInsights/XPoller", "kind": "RestApiPoller",
            "properties": {"connectorDefinitionName": "X", "dcrConfig": dcr_config,
                           "auth": {"Type": "Basic", "UserName": "[[parameters('username')]",
                                    "Password": "{{apiKey}}"},
                           "request": {"apiEndpoint": "https://api.{{region}}.example.com/v1/audit",
                                       "httpMethod": "GET", "queryWindowInMin": "{{window}}"},
                           "response": {"eventsJsonPaths": ["$.data"], "format": "json"},
                           "paging": {"pagingType": "LinkHeader"}}}


def test_what_the_packager_fills_in_may_be_missing_from_a_connector_file(tmp_path: Path) -> None:
    """createCCPConnector.ps1 writes the DCE and DCR id into every packaged poller: a source file
    (like Cisco Secure Endpoint's) leaves them out; names in any case, placeholders for values."""
    (tmp_path / "Data Connectors").mkdir()
    (tmp_path / "Data Connectors/X_PollingConfig.json").write_text(
        json.dumps([_poller({"streamName": "Custom-X"})]), encoding="utf-8")
    assert validate_paths([tmp_path], select=["SP2"]) == []


def test_the_package_copy_must_carry_what_the_packager_fills_in(tmp_path: Path) -> None:
    (tmp_path / "Package").mkdir()
    template = {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                "contentVersion": "1.0.0.0", "parameters": {}, "resources": [
                    {**_poller({"streamName": "Custom-X"}), "type": "Microsoft.SecurityInsights/dataConnectors"}]}
    (tmp_path / "Package/mainTemplate.json").write_text(json.dumps(template), encoding="utf-8")
    found = [(f.rule, f.path, f.message) for f in validate_paths([tmp_path], select=["SP201"])]
    assert ("SP201", "resources[0].properties.dcrConfig",
            "provider schema: 'dataCollectionEndpoint' is a required property") in found
