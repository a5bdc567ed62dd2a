"""The build against the published AWS EKS 3.0.0 files.

The reference is patched with the deliberate fixes of docs/differences.md (each with its id);
after that, every generated artefact must equal its reference exactly. A difference that is
not listed here fails the test, and so does a listed fix that the build stopped making.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO

DEF = "Data Connectors/AWSEKS_ConnectorDefinition.json"
UI = ("properties", "connectorUiConfig")
MAIN = "Package/mainTemplate.json"
OIDC = "Data Connectors/CloudFormationTemplates/OIDC_Web_Identity_Provider.json"
OIDC_DESCRIPTION = "This Stack creates an Open ID Connect (OIDC) web identity provider."


def _set(doc: Any, path: tuple, value: Any) -> None:
    for key in path[:-1]:
        doc = doc[key]
    doc[path[-1]] = value


def _get(doc: Any, path: tuple) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def _fix_ui(ui: dict) -> None:
    """D1, D4, D5 as they appear in a connectorUiConfig (source file and package alike)."""
    ui["sampleQueries"][2] = {"description": "Summary by cluster name",
                              "query": "{{graphQueriesTableName}}\n| summarize count() by ClusterName"}
    ui["instructionSteps"][1]["description"] = (
        "To enable the AWS EKS connector for Microsoft Sentinel, click the Add new collector button, "
        "fill the required information in the context pane and click on Connect.")
    label = ui["instructionSteps"][0]["instructions"][1]["parameters"]
    template = json.loads(label["value"])
    template["Description"] = OIDC_DESCRIPTION
    label["value"] = json.dumps(template, indent=2, ensure_ascii=False)


def _fix_columns(columns: list) -> None:
    """D2."""
    columns[6]["description"] = "Source IPs"


FIXED_TRANSFORM_PREFIX = "source | extend TimeGenerated = iif(isnull(TimeGenerated), now(), TimeGenerated) | project"


def _fix_dcr(properties: dict) -> None:
    """D3."""
    flow = properties["dataFlows"][0]
    flow["transformKql"] = flow["transformKql"].replace(
        "source | extend TimeGenerated = now() | project", FIXED_TRANSFORM_PREFIX)


DCE_ID = ("[resourceId(parameters('subscription'), parameters('resourceGroupName'), "
          "'Microsoft.Insights/dataCollectionEndpoints', parameters('workspace'))]")


def _fix_main(doc: dict) -> None:
    doc["variables"]["dataCollectionEndpointId1"] = DCE_ID  # D8
    inner = doc["resources"][0]["properties"]["mainTemplate"]["resources"]
    _fix_ui(inner[0]["properties"]["connectorUiConfig"])
    _fix_dcr(inner[2]["properties"])
    _fix_columns(inner[3]["properties"]["schema"]["columns"])
    del inner[3]["kind"]  # D7
    _fix_ui(doc["resources"][1]["properties"]["connectorUiConfig"])


def _fix_data_file(doc: dict) -> None:
    """D6."""
    doc["Data Connectors"] = [DEF]


FIXES: dict[str, Callable[[Any], None]] = {
    DEF: lambda d: _fix_ui(_get(d, UI)),
    "Data Connectors/AWSEKS_DCR.json": lambda d: _fix_dcr(d["properties"]),
    "Data Connectors/AWSEKS_Table.json": lambda d: _fix_columns(d["properties"]["schema"]["columns"]),
    OIDC: lambda d: _set(d, ("Description",), OIDC_DESCRIPTION),
    MAIN: _fix_main,
    "Data/Solution_AWSEKS.json": _fix_data_file,
}

JSON_ARTEFACTS = [
    DEF,
    "Data Connectors/AWSEKS_DCR.json",
    "Data Connectors/AWSEKS_PollingConfig.json",
    "Data Connectors/AWSEKS_Table.json",
    OIDC,
    "Data Connectors/CloudFormationTemplates/AWS_EKS_Resources_Deployment.json",
    "Data/Solution_AWSEKS.json",
    "SolutionMetadata.json",
    MAIN,
    "Package/createUiDefinition.json",
]


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("rel", JSON_ARTEFACTS)
def test_artefact_equals_reference_with_deliberate_fixes(rel: str, built_eks: Path, reference_eks: Path) -> None:
    expected = _load(reference_eks / rel)
    if rel in FIXES:
        FIXES[rel](expected)
    actual = _load(built_eks / rel)
    if actual != expected:
        from deepdiff import DeepDiff

        pytest.fail(f"{rel} differs from the reference beyond docs/differences.md:\n"
                    f"{DeepDiff(expected, actual, verbose_level=2).pretty()}")


@pytest.mark.parametrize("rel", sorted(FIXES))
def test_every_listed_fix_is_still_needed(rel: str, built_eks: Path, reference_eks: Path) -> None:
    """A fix that the reference already has (or the build no longer makes) must leave the list."""
    assert _load(built_eks / rel) != _load(reference_eks / rel)


@pytest.mark.parametrize("rel", [
    "Data Connectors/AWSEKS_PollingConfig.json",
    "Data Connectors/CloudFormationTemplates/AWS_EKS_Resources_Deployment.json",
    "Package/createUiDefinition.json",
    "ReleaseNotes.md",
])
def test_unfixed_artefacts_are_byte_identical(rel: str, built_eks: Path, reference_eks: Path) -> None:
    assert (built_eks / rel).read_bytes() == (reference_eks / rel).read_bytes()


@pytest.mark.parametrize("rel", [DEF, "Data Connectors/AWSEKS_DCR.json", OIDC, MAIN])
def test_formatting_matches_upstream_style(rel: str, built_eks: Path) -> None:
    """Package files end with a newline, connector files do not; 2-space indent, UTF-8 as is."""
    text = (built_eks / rel).read_text(encoding="utf-8")
    expected = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    assert text == (expected + "\n" if rel.startswith("Package/") else expected)


def test_embedded_cloudformation_is_the_rendered_template(built_eks: Path) -> None:
    ui = _get(_load(built_eks / DEF), UI)
    labels = [i["parameters"]["value"] for i in ui["instructionSteps"][0]["instructions"] if i["type"] == "CopyableLabel"]
    cfn = built_eks / "Data Connectors/CloudFormationTemplates"
    assert labels == [(cfn / "OIDC_Web_Identity_Provider.json").read_text(encoding="utf-8"),
                      (cfn / "AWS_EKS_Resources_Deployment.json").read_text(encoding="utf-8")]


def test_differences_doc_lists_every_fix() -> None:
    doc = (REPO / "docs" / "differences.md").read_text(encoding="utf-8")
    ids = set(re.findall(r"^## (D\d+)\b", doc, flags=re.MULTILINE))
    assert ids == {"D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8"}


def test_committed_build_is_up_to_date(built_full: Path) -> None:
    """solution/ holds its built tree for reviewers; it must be what the manifest builds."""
    from conftest import SOLUTION

    stale = []
    for path in built_full.rglob("*"):
        if path.is_file():
            rel = path.relative_to(built_full)
            committed = SOLUTION / rel
            if not committed.is_file() or committed.read_bytes() != path.read_bytes():
                stale.append(rel.as_posix())
    assert not stale, f"run 'sentinel-pack build solution/' and commit: {stale}"


def test_reference_fixture_is_untouched_by_patching(reference_eks: Path) -> None:
    before = _load(reference_eks / MAIN)
    patched = copy.deepcopy(before)
    _fix_main(patched)
    assert _load(reference_eks / MAIN) == before != patched
