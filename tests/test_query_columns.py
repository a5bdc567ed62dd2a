"""SP802: detection queries read only columns that exist (SP812: tables); Kusto's parser does the analysis."""

from __future__ import annotations

from pathlib import Path

import pytest

from sentinel_pack.validate.rules_detections import builtin_tables, source_tables
from sentinel_pack.validate.runner import validate_paths

RULE = "Analytic Rules/EKSForbiddenBurst.yaml"
CLOUDTRAIL_RULE = "Analytic Rules/EKSClusterAdminPolicyGranted.yaml"


def _edit(root: Path, rel: str, old: str, new: str) -> int:
    """Replace ``old`` by ``new``; the line of the edit."""
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, f"test setup: {old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def _sp802(root: Path):
    return [f for f in validate_paths([root], select=["SP802"])]


def test_the_shipped_detections_use_only_existing_columns(solution_copy: Path) -> None:
    assert _sp802(solution_copy) == []


def test_a_misspelt_custom_table_column_is_caught_with_a_suggestion(solution_copy: Path) -> None:
    line = _edit(solution_copy, RULE, "ResponseCode == 403", "ResponceCode == 403")
    (finding,) = _sp802(solution_copy)
    assert finding.file.endswith(RULE) and finding.line == line
    assert finding.message == "the query uses 'ResponceCode', which table AWSEKSLogs_CL does not have"
    assert finding.fix == "did you mean 'ResponseCode'?"


def test_a_misspelt_cloudtrail_column_is_caught(solution_copy: Path) -> None:
    _edit(solution_copy, CLOUDTRAIL_RULE, "| where isempty(ErrorCode)", "| where isempty(ErrorCodes)")
    (finding,) = _sp802(solution_copy)
    assert "'ErrorCodes', which table AWSCloudTrail does not have" in finding.message
    assert finding.fix == "did you mean 'ErrorCode'?"


def test_an_unknown_table_is_a_warning_that_says_how_to_declare_it(solution_copy: Path) -> None:
    line = _edit(solution_copy, CLOUDTRAIL_RULE, "\n  AWSCloudTrail\n", "\n  AWSCloudTrails\n") + 1
    assert _sp802(solution_copy) == []  # its columns cannot be checked: no column finding either
    (finding,) = validate_paths([solution_copy], select=["SP812"])
    assert (finding.severity, finding.file.rsplit("/", 1)[-1], finding.line) == (
        "warning", CLOUDTRAIL_RULE.rsplit("/", 1)[-1], line)
    assert "reads 'AWSCloudTrails', which is neither a table or parser of the solution" in finding.message
    assert finding.fix.startswith("did you mean 'AWSCloudTrail'? if it is another solution's or a built-in table, "
                                  "add its schema")


def test_a_column_the_query_defines_is_not_reported(solution_copy: Path) -> None:
    _edit(solution_copy, RULE, "ResponseCode == 403", "ResponseCode == 403\n  | extend Extra = 1\n  | where Extra == 1")
    assert _sp802(solution_copy) == []


def test_parse_outputs_and_evaluate_are_not_reported(solution_copy: Path) -> None:
    _edit(solution_copy, RULE, "ResponseCode == 403",
          'ResponseCode == 403\n  | parse UserAgent with Tool:string "/" ToolVersion:string\n  | where isnotempty(Tool)')
    assert _sp802(solution_copy) == []
    _edit(solution_copy, RULE, "| where isnotempty(Tool)", "| evaluate bag_unpack(RawEvent)\n  | where isnotempty(verb)")
    assert _sp802(solution_copy) == []


def test_the_vendored_cloudtrail_schema_has_the_columns_rules_rely_on() -> None:
    columns = builtin_tables()["AWSCloudTrail"]
    assert {"EventSource", "EventName", "ErrorCode", "RequestParameters", "UserIdentityArn",
            "SourceIpAddress", "TimeGenerated"} <= columns.keys()
    assert columns["TimeGenerated"] == "datetime"


@pytest.mark.parametrize(("query", "tables"), [
    ("AWSCloudTrail | where X == 1", ["AWSCloudTrail"]),
    ("let A = dynamic(['a']);\nlet B = T1_CL | where x;\nB | join kind=inner (T2 | project A) on A", ["T1_CL", "T2"]),
    ("union isfuzzy=true T1, T2 | where x", ["T1", "T2"]),
    ("union (A | where x), (B), C", ["A", "B", "C"]),
    ("T | join hint.strategy=shuffle kind=leftanti (U) on X", ["T", "U"]),
    ("let n = false; let t = 1h; T | where isempty(E) | summarize count() by bin(TimeGenerated, t)", ["T"]),
    ("datatable(a:int)[1] | join (T) on a", ["T"]),
    ("// T2 in a comment\nT | where s == 'U | V'", ["T"]),
])
def test_source_tables(query: str, tables: list[str]) -> None:
    assert source_tables(query) == tables
