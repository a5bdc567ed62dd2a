"""EKS detection content: structure of every rule/hunting query, and each query run over data.

Three layers of checks:

* structural — required fields, unique GUIDs, connector matches the table, queryPeriod >=
  queryFrequency, entity columns produced by the query;
* translation — every shipped query translates to DuckDB SQL with duckdb-kql (Layer 0, no
  database needed); an unsupported KQL construct fails the test;
* execution — every query runs on DuckDB over a positive row set (>= 1 result) and a negative
  row set (0 results) from ``tests/data/*_SYNTHETIC.jsonl``. This needs the ``duckdb`` package
  (``duckdb-kql[duckdb]``); without it these tests are skipped with that reason.

Queries are run exactly as shipped, after the test-only rewrites in ``TEST_ONLY_REWRITES``.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb_kql
import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
RULES_DIR = REPO / "solution" / "Analytic Rules"
HUNTING_DIR = REPO / "solution" / "Hunting Queries"
DATA_DIR = Path(__file__).resolve().parent / "data"

RULE_FILES = sorted(RULES_DIR.glob("*.yaml"))
HUNTING_FILES = sorted(HUNTING_DIR.glob("*.yaml"))
ALL_FILES = RULE_FILES + HUNTING_FILES

# Every query is evaluated as if it ran at this instant (ago() is relative to it).
QUERY_NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)

RULE_FIELDS = (
    "id", "name", "description", "severity", "requiredDataConnectors", "queryFrequency",
    "queryPeriod", "triggerOperator", "triggerThreshold", "tactics", "relevantTechniques",
    "query", "entityMappings", "version", "kind",
)
HUNTING_FIELDS = (
    "id", "name", "description", "requiredDataConnectors", "tactics", "relevantTechniques",
    "query", "entityMappings", "version",
)
TACTICS = {
    "Reconnaissance", "ResourceDevelopment", "InitialAccess", "Execution", "Persistence",
    "PrivilegeEscalation", "DefenseEvasion", "CredentialAccess", "Discovery", "LateralMovement",
    "Collection", "CommandAndControl", "Exfiltration", "Impact",
}
ENTITY_IDENTIFIERS = {
    "Account": {"Name", "FullName", "NTDomain", "DnsDomain", "UPNSuffix", "Sid", "AadTenantId",
                "AadUserId", "PUID", "IsDomainJoined", "DisplayName", "ObjectGuid"},
    "IP": {"Address"},
    "Host": {"DnsDomain", "NTDomain", "HostName", "FullName", "NetBiosName", "AzureID", "OMSAgentID",
             "OSFamily", "OSVersion", "IsDomainJoined"},
}
CONNECTOR_FOR_TABLE = {"AWSCloudTrail": "AWSS3", "AWSEKSLogs_CL": "AWSEKSDefinition"}

# DuckDB column types used to load the synthetic rows. AWSCloudTrail follows the Sentinel column
# list in reference/samples; AWSEKSLogs_CL follows solution/solution.yaml.
TABLE_COLUMNS = {
    "AWSCloudTrail": {
        "TimeGenerated": "TIMESTAMP", "EventSource": "VARCHAR", "EventName": "VARCHAR",
        "ErrorCode": "VARCHAR", "UserIdentityArn": "VARCHAR", "UserIdentityType": "VARCHAR",
        "SourceIpAddress": "VARCHAR", "UserAgent": "VARCHAR", "AWSRegion": "VARCHAR",
        "RecipientAccountId": "VARCHAR", "RequestParameters": "JSON",
    },
    "AWSEKSLogs_CL": {
        "TimeGenerated": "TIMESTAMP", "AwsAccountId": "VARCHAR", "Region": "VARCHAR",
        "ClusterName": "VARCHAR", "Verb": "VARCHAR", "User": "VARCHAR", "SourceIPs": "JSON",
        "UserAgent": "VARCHAR", "ObjectRef": "VARCHAR", "ResponseCode": "INTEGER",
        "Stage": "VARCHAR", "AuthDecision": "VARCHAR", "RawEvent": "JSON",
    },
}
SCHEMA = {table: list(cols) for table, cols in TABLE_COLUMNS.items()}

# Test-only rewrites, applied to a query before it is translated or run: file stem -> list of
# (old, new, why the rewrite does not change what the query matches). Empty: every shipped query
# is run unchanged. If one is ever needed (a function duckdb-kql lacks), add it here with the
# reason; never edit the shipped query to suit the test engine.
TEST_ONLY_REWRITES: dict[str, list[tuple[str, str, str]]] = {}


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _query_for_test(path: Path) -> str:
    query = _load(path)["query"]
    for old, new, _why in TEST_ONLY_REWRITES.get(path.stem, []):
        assert old in query, f"{path.name}: stale test-only rewrite, {old!r} not in query"
        query = query.replace(old, new)
    return query


def _table_of(query: str) -> str:
    tables = [t for t in TABLE_COLUMNS if re.search(rf"\b{t}\b", query)]
    assert len(tables) == 1, f"expected one source table, found {tables}"
    return tables[0]


def _duration(text: str) -> timedelta:
    m = re.fullmatch(r"(\d+)([mhd])", str(text))
    assert m, f"unsupported duration {text!r}"
    unit = {"m": "minutes", "h": "hours", "d": "days"}[m.group(2)]
    return timedelta(**{unit: int(m.group(1))})


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


# ---------------------------------------------------------------- structure


def test_content_present():
    assert {p.stem for p in RULE_FILES} >= {
        "EKSAccessEntryModified", "EKSClusterAdminPolicyGranted", "EKSControlPlaneLoggingDisabled",
        "EKSAnonymousRequestAllowed", "EKSPodExecOrAttach", "EKSClusterAdminBindingCreated",
        "EKSForbiddenBurst",
    }
    assert {p.stem for p in HUNTING_FILES} >= {
        "EKSClusterCreatedOrDeleted", "EKSSecretsReadByRareReaders", "EKSUnusualUserAgents",
    }


@pytest.mark.parametrize("path", RULE_FILES, ids=_ids(RULE_FILES))
def test_rule_fields(path: Path):
    rule = _load(path)
    missing = [f for f in RULE_FIELDS if f not in rule or rule[f] in (None, "", [])]
    assert not missing, f"{path.name} missing {missing}"
    assert rule["kind"] == "Scheduled"
    assert rule["severity"] in {"Informational", "Low", "Medium", "High"}
    assert rule["triggerOperator"] == "gt"
    assert rule["triggerThreshold"] == 0
    assert _duration(rule["queryPeriod"]) >= _duration(rule["queryFrequency"])


@pytest.mark.parametrize("path", HUNTING_FILES, ids=_ids(HUNTING_FILES))
def test_hunting_fields(path: Path):
    query = _load(path)
    missing = [f for f in HUNTING_FIELDS if f not in query or query[f] in (None, "", [])]
    assert not missing, f"{path.name} missing {missing}"
    assert "kind" not in query, "hunting queries are not scheduled rules"


@pytest.mark.parametrize("path", ALL_FILES, ids=_ids(ALL_FILES))
def test_common_fields(path: Path):
    item = _load(path)
    assert str(uuid.UUID(item["id"])) == item["id"].lower()
    assert item["version"] == "1.0.0"
    assert set(item["tactics"]) <= TACTICS
    for technique in item["relevantTechniques"]:
        assert re.fullmatch(r"T\d{4}(\.\d{3})?", technique), technique
    table = _table_of(item["query"])
    connectors = item["requiredDataConnectors"]
    assert connectors == [{"connectorId": CONNECTOR_FOR_TABLE[table], "dataTypes": [table]}]
    for mapping in item["entityMappings"]:
        allowed = ENTITY_IDENTIFIERS[mapping["entityType"]]
        for field in mapping["fieldMappings"]:
            assert field["identifier"] in allowed, field
            # the mapped column must be one the query names (a source column or one it creates)
            assert re.search(rf"\b{field['columnName']}\b", item["query"]), field


def test_ids_unique():
    ids = [_load(p)["id"].lower() for p in ALL_FILES]
    assert len(ids) == len(set(ids))


def test_synthetic_data_documented():
    files = sorted(DATA_DIR.glob("*.jsonl"))
    assert files and all(f.name.endswith("_SYNTHETIC.jsonl") for f in files)
    assert "synthetic" in (DATA_DIR / "README.md").read_text(encoding="utf-8").lower()


# ---------------------------------------------------------------- data


def _cases() -> dict[tuple[str, str], list[dict]]:
    cases: dict[tuple[str, str], list[dict]] = {}
    for file in sorted(DATA_DIR.glob("*_SYNTHETIC.jsonl")):
        table = file.name.split("_cases_")[0]
        for line in file.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            stem, kind = row.pop("_case").split(":")
            row["__table"] = table
            cases.setdefault((stem, kind), []).append(row)
    return cases


CASES = _cases()


@pytest.mark.parametrize("path", ALL_FILES, ids=_ids(ALL_FILES))
def test_every_query_has_positive_and_negative_rows(path: Path):
    table = _table_of(_load(path)["query"])
    for kind in ("positive", "negative"):
        rows = CASES.get((path.stem, kind))
        assert rows, f"no {kind} rows for {path.stem}"
        assert {r["__table"] for r in rows} == {table}


# ---------------------------------------------------------------- translation


@pytest.mark.parametrize("path", ALL_FILES, ids=_ids(ALL_FILES))
def test_query_translates(path: Path):
    sql = duckdb_kql.to_sql(_query_for_test(path), schema=SCHEMA)
    assert "SELECT" in sql.upper()


# ---------------------------------------------------------------- execution


def _run(path: Path, kind: str) -> list[tuple]:
    pytest.importorskip("duckdb", reason="duckdb not installed: query execution needs duckdb-kql[duckdb]")
    con = duckdb_kql.connect()
    for table, columns in TABLE_COLUMNS.items():
        con.execute(f'CREATE TABLE "{table}" ({", ".join(f"{c} {t}" for c, t in columns.items())})')
    rows = CASES[(path.stem, kind)]
    table = rows[0]["__table"]
    columns = TABLE_COLUMNS[table]
    placeholders = ", ".join("?" for _ in columns)
    for row in rows:
        values = [json.dumps(row[c]) if t == "JSON" and not isinstance(row[c], str) else row.get(c)
                  for c, t in columns.items()]
        con.execute(f'INSERT INTO "{table}" VALUES ({placeholders})', values)
    return duckdb_kql.kql(con, _query_for_test(path), query_now=QUERY_NOW).fetchall()


@pytest.mark.parametrize("path", ALL_FILES, ids=_ids(ALL_FILES))
def test_query_fires_on_positive_rows(path: Path):
    assert len(_run(path, "positive")) >= 1


@pytest.mark.parametrize("path", ALL_FILES, ids=_ids(ALL_FILES))
def test_query_silent_on_negative_rows(path: Path):
    assert _run(path, "negative") == []
