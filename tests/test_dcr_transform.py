"""The manifest's DCR transform, run over sample EKS audit events as the pipeline delivers them.

Path under test: CloudWatch Logs subscription record (gzip, base64, as Firehose hands it over)
-> the Lambda shipped in the stack (solution/aws/eks_log_transform.py, imported as is) -> rows
of the DCR input stream -> the DCR's transformKql, run with duckdb-kql over DuckDB, with
``source`` as the input table, exactly as the built DCR file holds it.
"""

from __future__ import annotations

import base64
import gzip
import importlib.util
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb_kql
import pytest
from conftest import SOLUTION

DUCK_TYPES = {"datetime": "TIMESTAMP", "string": "VARCHAR", "int": "INTEGER", "long": "BIGINT",
              "real": "DOUBLE", "boolean": "BOOLEAN", "dynamic": "JSON"}


def _lambda():
    spec = importlib.util.spec_from_file_location("eks_log_transform", SOLUTION / "aws/eks_log_transform.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _dcr() -> dict:
    return json.loads((SOLUTION / "Data Connectors/AWSEKS_DCR.json").read_text(encoding="utf-8"))


def _stream_columns(dcr: dict) -> dict[str, str]:
    (declaration,) = dcr["properties"]["streamDeclarations"].values()
    return {c["name"]: c["type"] for c in declaration["columns"]}


def _firehose_event(envelope: dict) -> dict:
    data = base64.b64encode(gzip.compress(json.dumps(envelope).encode("utf-8"))).decode("ascii")
    return {"records": [{"recordId": "r1", "data": data}]}


def _lambda_rows(envelope: dict) -> list[dict]:
    (record,) = _lambda().lambda_handler(_firehose_event(envelope), None)["records"]
    assert record["result"] == "Ok"
    text = base64.b64decode(record["data"]).decode("utf-8")
    return [json.loads(line) for line in text.splitlines() if line]


def _envelope(*events: dict, timestamp: int = 1714564800000) -> dict:
    return {"messageType": "DATA_MESSAGE", "logGroup": "/aws/eks/dev/cluster",
            "logEvents": [{"id": str(i), "timestamp": timestamp, "message": json.dumps(e)} for i, e in enumerate(events)]}


def _transform(rows: list[dict]) -> tuple[list[str], list[tuple]]:
    dcr = _dcr()
    columns = _stream_columns(dcr)
    con = duckdb_kql.connect()
    con.execute(f"CREATE TABLE source ({', '.join(f'{c} {DUCK_TYPES[t]}' for c, t in columns.items())})")
    for row in rows:
        values = [json.dumps(row.get(c)) if t == "dynamic" else (row.get(c) or None) for c, t in columns.items()]
        con.execute(f"INSERT INTO source VALUES ({', '.join('?' for _ in columns)})", values)
    query = dcr["properties"]["dataFlows"][0]["transformKql"]
    result = duckdb_kql.kql(con, query)
    return [d[0] for d in result.description], result.fetchall()


@pytest.fixture(scope="module")
def audit_events(samples: Path) -> list[dict]:
    events = [json.loads((samples / name).read_text(encoding="utf-8"))
              for name in ("eks_audit_event_cloudwatch_kubelet_patch.json", "k8s_audit_event_generic_get_404.json")]
    envelope = json.loads((samples / "cwl_subscription_envelope_eks_audit_example.json").read_text(encoding="utf-8"))
    events += [json.loads(e["message"]) for e in envelope["logEvents"]]
    return events


def test_lambda_rows_carry_the_declared_columns_plus_date(audit_events: list[dict]) -> None:
    rows = _lambda_rows(_envelope(*audit_events))
    assert len(rows) == len(audit_events)
    declared = set(_stream_columns(_dcr()))
    for row in rows:
        assert set(row) - declared == {"date"}  # the Lambda's extra field; the stream drops it
        assert declared <= set(row)


def test_transform_outputs_exactly_the_table_columns(audit_events: list[dict]) -> None:
    import yaml

    manifest = yaml.safe_load((SOLUTION / "solution.yaml").read_text(encoding="utf-8"))
    names, rows = _transform(_lambda_rows(_envelope(*audit_events)))
    assert names == [c["name"] for c in manifest["table"]["columns"]]
    assert len(rows) == len(audit_events)


def test_transform_keeps_the_event_time_and_maps_the_fields(samples: Path) -> None:
    event = json.loads((samples / "eks_audit_event_cloudwatch_kubelet_patch.json").read_text(encoding="utf-8"))
    names, (row,) = _transform(_lambda_rows(_envelope(event)))
    got = dict(zip(names, row, strict=True))
    expected_time = datetime.fromisoformat(event["requestReceivedTimestamp"].replace("Z", "+00:00")).replace(tzinfo=None)
    assert got["TimeGenerated"] == expected_time  # not the ingestion time (docs/differences.md D3)
    assert got["Verb"] == event["verb"] == "patch"
    assert got["User"] == event["user"]["username"]
    assert got["ResponseCode"] == event["responseStatus"]["code"]
    assert json.loads(got["SourceIPs"]) == event["sourceIPs"]
    assert got["ObjectRef"] == "default/pods/" + event["objectRef"]["name"]


def test_transform_fills_a_missing_time_with_the_ingestion_time(samples: Path) -> None:
    event = json.loads((samples / "k8s_audit_event_generic_get_404.json").read_text(encoding="utf-8"))
    rows = _lambda_rows(_envelope(event))
    rows[0]["TimeGenerated"] = None  # a record that reached the stream without a time
    names, (row,) = _transform(rows)
    filled = dict(zip(names, row, strict=True))["TimeGenerated"]
    assert filled is not None  # now(): the time zone of the test engine may differ, the day does not
    assert abs(filled.replace(tzinfo=None) - datetime.now(timezone.utc).replace(tzinfo=None)) < timedelta(days=1)
