"""Real connector files with a key taken out: ``import`` says which file lacks what, never crashes.

Each case removes one key from a copy of a corpus solution. The import either still succeeds
(the key was optional) or fails with a SentinelPackError whose message names the file; an
internal error (KeyError, TypeError, ...) fails the test.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sentinel_pack.errors import SentinelPackError
from sentinel_pack.importer.run import import_solution

CASES = [
    ("BigID", "Data Connectors/BigIDDSPMLogs_ccp/BigIDDSPMLogs_connectorDefinition.json",
     ["properties", "connectorUiConfig", "title"], "missing required key 'title'"),
    ("BigID", "Data Connectors/BigIDDSPMLogs_ccp/BigIDDSPMLogs_connectorDefinition.json",
     ["properties", "connectorUiConfig", "descriptionMarkdown"], "missing required key 'descriptionMarkdown'"),
    ("BigID", "Data Connectors/BigIDDSPMLogs_ccp/BigIDDSPMLogs_connectorDefinition.json",
     ["properties", "connectorUiConfig"], "missing required key 'connectorUiConfig'"),
    ("BigID", "Data Connectors/BigIDDSPMLogs_ccp/BigIDDSPMLogs_PollerConfig.json", [0, "kind"], None),
    ("BigID", "Data Connectors/BigIDDSPMLogs_ccp/BigIDDSPMLogs_PollerConfig.json", [0, "properties", "auth"],
     "missing required key 'auth'"),
    ("BigID", "Data Connectors/BigIDDSPMLogs_ccp/BigIDDSPMLogs_PollerConfig.json", [0, "properties", "dcrConfig"],
     None),
    ("BigID", "Data Connectors/BigIDDSPMLogs_ccp/BigIDDSPMLogs_DCR.json", [0, "properties", "dataFlows"], None),
    ("BigID", "Data Connectors/BigIDDSPMLogs_ccp/BigIDDSPMLogs_DCR.json", [0, "properties", "destinations"],
     "properties.destinations.logAnalytics: missing required key 'logAnalytics'"),
    ("Bitwarden", "Data Connectors/BitwardenEventLogs/workspace_tables.json", [1, "properties", "schema"],
     "missing required key 'schema'"),
    ("Bitwarden", "Data Connectors/BitwardenEventLogs/rules.json", ["properties", "dataFlows", 0, "streams"],
     None),
    ("Bitwarden", "SolutionMetadata.json", ["publisherId"], "missing required key 'publisherId'"),
    ("Bitwarden", "SolutionMetadata.json", ["support"], "missing required key 'name'"),
    ("Bitwarden", "Data/Solution_Bitwarden.json", ["Name"], "missing required key 'Name'"),
    ("OneTrust", "Data Connectors/OneTrustLogs_CCF/OneTrustLogs_table.json", ["properties", "schema", "columns"],
     "missing required key 'columns'"),
    ("OneTrust", "Data Connectors/OneTrustLogs_CCF/OneTrustLogs_dataConnector.json", ["name"], None),
    ("AWS_AccessLogs", "Data Connectors/AwsS3ServerAccessLogsDefinition_CCP/AWSS3ServerAccessLogs_PollingConfig.json",
     [0, "properties", "sqsUrls"], None),
]


def _remove(doc, path):
    node = doc
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]


@pytest.mark.parametrize(("name", "rel", "path", "message"), CASES,
                         ids=[f"{c[0]}-{Path(c[1]).name}-{'.'.join(map(str, c[2]))}" for c in CASES])
def test_a_missing_key_is_named_with_its_file(reference_root: Path, tmp_path: Path, name: str, rel: str,
                                              path: list, message: str | None) -> None:
    source = tmp_path / name
    shutil.copytree(reference_root / "corpus" / name, source)
    doc = json.loads((source / rel).read_text(encoding="utf-8-sig"))
    _remove(doc, path)
    (source / rel).write_text(json.dumps(doc, indent=2), encoding="utf-8")
    try:
        import_solution(source, tmp_path / "out")
    except SentinelPackError as error:
        text = "\n".join(p.render() for p in error.problems)
        assert message is None or message in text, text
        assert any(p.file for p in error.problems), text
    else:
        assert message is None, "the import should have failed"
