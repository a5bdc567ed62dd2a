"""Values that look right but are not: trailing newlines, loose GUIDs, reserved columns, impossible dates.

Issue 16, defects 7 and 8: each was accepted (or ended in an internal error) before.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SOLUTION_RELEASE_DATE, SOLUTION_VERSION
from typer.testing import CliRunner

from sentinel_pack.cli import app

runner = CliRunner()


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


V = SOLUTION_VERSION
CURRENT = f"  - version: {V}\n    date: {SOLUTION_RELEASE_DATE}"
CASES = [
    # (id, old, new, message, line marker)
    ("version-newline", f"  version: {V}\n", f'  version: "{V}\\n"\n', f"solution.version: '{V}\\n' is not a version",
     f'  version: "{V}'),
    ("prefix-newline", "  file_prefix: AWSEKS\n", '  file_prefix: "AWSEKS\\n"\n', "connector.file_prefix: 'AWSEKS\\n'",
     "  file_prefix:"),
    ("client-id-not-a-guid", "client_id: api://1462b192-27f7-", "client_id: api://1462b19-227f7-",
     "aws.oidc.client_id: 'api://1462b19-227f7-4cb9-8523-0f4ecb54b47e' is not text matching", "client_id: api://"),
    ("column-tenantid", "{name: Region, type: string", "{name: TenantId, type: string",
     "'TenantId' is the name of a Log Analytics system column", "{name: TenantId"),
    ("column-type", "{name: Region, type: string", "{name: type, type: string",
     "'type' is the name of a Log Analytics system column (Type)", "{name: type,"),
    ("column-resourceid", "{name: Region, type: string", "{name: _ResourceId, type: string",
     "'_ResourceId' is the name of a Log Analytics system column", "{name: _ResourceId"),
    ("column-sourcesystem", "{name: Region, type: string", "{name: SourceSystem, type: string",
     "'SourceSystem' is the name of a Log Analytics system column", "{name: SourceSystem"),
    ("column-one-letter", "{name: Region, type: string", "{name: R, type: string",
     "'R' is not a Log Analytics column name", "{name: R,"),
    ("column-underscore", "{name: Region, type: string", "{name: _Region, type: string",
     "'_Region' is not a Log Analytics column name", "{name: _Region"),
    ("first-publish-feb-31", "  first_publish_date: 2024-03-04", "  first_publish_date: 2024-02-31",
     "solution.first_publish_date: '2024-02-31' is not a day of the calendar", "first_publish_date"),
    ("release-feb-30", CURRENT, f"  - version: {V}\n    date: 2026-02-30",
     "release_notes[0].date: '2026-02-30' is not a day of the calendar", "date: 2026-02-30"),
    ("release-year-0", CURRENT, f"  - version: {V}\n    date: 0000-01-01",
     "release_notes[0].date: '0000-01-01' is not a day of the calendar", "date: 0000-01-01"),
    ("release-year-9999", CURRENT, f"  - version: {V}\n    date: 9999-12-31",
     "release_notes[0].date: 9999-12-31 is after 2107-12-31, the latest date a zip can record", "date: 9999-12-31"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_value_is_refused_with_its_line(case: tuple[str, ...], solution_copy: Path, tmp_path: Path) -> None:
    _, old, new, message, marker = case
    manifest = solution_copy / "solution.yaml"
    text = manifest.read_text(encoding="utf-8")
    assert old in text
    manifest.write_text(text.replace(old, new, 1), encoding="utf-8")

    result = runner.invoke(app, ["build", str(solution_copy), "--out", str(tmp_path / "out")])

    assert result.exit_code == 1, result.output
    output = " ".join(result.output.split())
    assert message in output
    assert f"solution.yaml:{_line(manifest.read_text(encoding='utf-8'), marker)}:" in output
    assert not (tmp_path / "out").exists()


def test_rule_id_must_be_a_plain_guid(solution_copy: Path, tmp_path: Path) -> None:
    rule = sorted((solution_copy / "Analytic Rules").glob("*.yaml"))[0]
    text = rule.read_text(encoding="utf-8")
    rule_id = text.split("\n", 1)[0].removeprefix("id: ")
    for loose in (f"urn:uuid:{rule_id}", "{" + rule_id + "}", rule_id.replace("-", "")):
        rule.write_text(text.replace(rule_id, f"'{loose}'", 1), encoding="utf-8")
        result = runner.invoke(app, ["build", str(solution_copy), "--out", str(tmp_path / "out")])
        assert result.exit_code == 1, result.output
        assert f"{rule.name}:1:5: id: id {loose!r} is not a GUID" in " ".join(result.output.split())


def test_a_reserved_column_name_is_not_flagged_in_the_corpus(reference_root: Path) -> None:
    """The published tables deploy: none of their columns may trip the column-name check."""
    import json

    from sentinel_pack.manifest.columns import column_name_problem

    checked = 0
    for table in (reference_root / "corpus").rglob("*[Tt]able*.json"):
        data = json.loads(table.read_text(encoding="utf-8-sig"))
        for resource in data if isinstance(data, list) else [data]:
            for column in resource.get("properties", {}).get("schema", {}).get("columns", []):
                assert column_name_problem(column["name"]) is None, (table, column["name"])
                checked += 1
    assert checked > 50


@pytest.mark.parametrize(("value", "message"), [
    ("99999999999", "SOURCE_DATE_EPOCH=99999999999 is outside what a zip can record"),
    ("-1", "SOURCE_DATE_EPOCH=-1 is outside what a zip can record"),
])
def test_source_date_epoch_out_of_range(value: str, message: str, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import SOLUTION

    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    result = runner.invoke(app, ["build", str(SOLUTION), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    assert message in " ".join(result.output.split())


def test_source_date_epoch_before_1980_is_moved_to_1980(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import zipfile

    from conftest import SOLUTION

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    result = runner.invoke(app, ["build", str(SOLUTION), "--out", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(tmp_path / "out" / "Package" / f"{V}.zip") as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


@pytest.mark.parametrize(("day", "message"), [
    ("2026-02-30", "2026-02-30 is not a day of the calendar"),
    ("0000-01-01", "0000-01-01 is not a day of the calendar"),
    ("9999-12-31", "9999-12-31 is after 2107-12-31"),
])
def test_release_date_must_exist(day: str, message: str, solution_copy: Path) -> None:
    before = (solution_copy / "solution.yaml").read_bytes()
    result = runner.invoke(app, ["release", "patch", "-m", "x", str(solution_copy), "--date", day])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert (solution_copy / "solution.yaml").read_bytes() == before


@pytest.mark.parametrize(("old", "new", "message"), [
    ("tactics:\n", "tactics: 5\nx_tactics:\n", "tactics must be a list, not int"),
    ("severity: ", "severity: [High]\nx_severity: ", "severity must be text, not list"),
    ("query: ", "query: {a: 1}\nx_query: ", "query must be text, not dict"),
])
def test_rule_field_of_the_wrong_type_is_a_message(old: str, new: str, message: str, solution_copy: Path,
                                                   tmp_path: Path) -> None:
    rule = sorted((solution_copy / "Analytic Rules").glob("*.yaml"))[0]
    text = rule.read_text(encoding="utf-8")
    assert old in text
    rule.write_text(text.replace(old, new, 1), encoding="utf-8")

    result = runner.invoke(app, ["build", str(solution_copy), "--out", str(tmp_path / "out")])

    assert result.exit_code == 1, result.output
    output = " ".join(result.output.split())
    assert f"{rule.name}:{_line(rule.read_text(encoding='utf-8'), new.split(chr(10))[0])}:" in output
    assert message in output


def test_entity_mapping_of_the_wrong_shape_is_a_message(solution_copy: Path, tmp_path: Path) -> None:
    rule = next(p for p in sorted((solution_copy / "Analytic Rules").glob("*.yaml"))
                if "entityType: " in p.read_text(encoding="utf-8"))
    text = rule.read_text(encoding="utf-8")
    rule.write_text(text.replace("entityType: ", "entityType: [x]\n    x_entityType: ", 1), encoding="utf-8")

    result = runner.invoke(app, ["build", str(solution_copy), "--out", str(tmp_path / "out")])

    assert result.exit_code == 1, result.output
    assert "unknown entityType ['x']" in result.output


def test_an_unfilled_ui_placeholder_points_at_the_manifest_line(solution_copy: Path, tmp_path: Path) -> None:
    manifest = solution_copy / "solution.yaml"
    text = manifest.read_text(encoding="utf-8")
    old = "  title: AWS EKS Data Connector (via"
    assert old in text
    manifest.write_text(text.replace(old, "  title: AWS {{bogus}} EKS Data Connector (via", 1), encoding="utf-8")

    result = runner.invoke(app, ["build", str(solution_copy), "--out", str(tmp_path / "out")])

    assert result.exit_code == 1, result.output
    line = _line(manifest.read_text(encoding="utf-8"), "{{bogus}}")
    assert f"solution.yaml:{line}:" in result.output
    assert "placeholder {{bogus}} in the connector UI is never filled in" in " ".join(result.output.split())
