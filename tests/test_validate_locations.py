"""Findings point where the author edits, in every output format.

A finding about a value written in ``solution.yaml`` names that file, line and column (the
generated file is secondary context); a finding in a JSON file carries its line; paths are
relative to the working directory, printed once, and exist.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from urllib.parse import unquote

import pytest
from typer.testing import CliRunner

from sentinel_pack.cli import app

runner = CliRunner()
FORMATS = ["text", "json", "sarif", "github"]


def _line_of(path: Path, needle: str) -> int:
    text = path.read_text(encoding="utf-8")
    return text[: text.index(needle)].count("\n") + 1


def _places(output: str, fmt: str) -> list[tuple[str, int | None]]:
    """(file, line) of every finding, read back from the format as a consumer would."""
    if fmt == "json":
        return [(f["file"], f["line"]) for f in json.loads(output)]
    if fmt == "sarif":
        results = json.loads(output)["runs"][0]["results"]
        places = []
        for result in results:
            physical = result["locations"][0]["physicalLocation"]
            places.append((unquote(physical["artifactLocation"]["uri"]), physical.get("region", {}).get("startLine")))
        return places
    if fmt == "github":
        found = re.findall(r"^::(?:error|warning) file=([^,]+)(?:,line=(\d+))?", output, re.MULTILINE)
        return [(file.replace("%2C", ",").replace("%3A", ":").replace("%25", "%"), int(line) if line else None)
                for file, line in found]
    found = re.findall(r"^(.+?):(\d+):\d+: \S.*? (?:error|warning) SP\d+:", output, re.MULTILINE)
    return [(file, int(line)) for file, line in found]


@pytest.fixture
def source_with_bad_query(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from conftest import SOLUTION

    shutil.copytree(SOLUTION, tmp_path / "typo")
    manifest = tmp_path / "typo/solution.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("| take 10", "| project QueueName", 1),
                        encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return Path("typo")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_manifest_finding_points_at_the_manifest_line(fmt: str, source_with_bad_query: Path) -> None:
    result = runner.invoke(app, ["validate", "typo", "--format", fmt, "--select", "SP407"])
    assert result.exit_code == 1, result.output
    text = Path("typo/solution.yaml").read_text(encoding="utf-8")
    query = text.rindex("query: |-", 0, text.index("| project QueueName"))  # the value starts at its `|-`
    line = text[:query].count("\n") + 1
    places = _places(result.output, fmt)
    assert places == [("typo/solution.yaml", line)], result.output
    assert "typo/typo" not in result.output and Path(places[0][0]).is_file()


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_broken_manifest_is_reported_once_relative_to_the_working_directory(fmt: str,
                                                                            source_with_bad_query: Path) -> None:
    manifest = Path("typo/solution.yaml")
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("retention_in_days: 180", "retention_in_days: x"),
                        encoding="utf-8")
    result = runner.invoke(app, ["validate", "typo", "--format", fmt, "--select", "SP1"])
    assert _places(result.output, fmt) == [("typo/solution.yaml", _line_of(manifest, "retention_in_days: x"))]
    assert "typo/typo" not in result.output


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_json_finding_has_a_line(fmt: str, reference_eks: Path, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(reference_eks, tmp_path / "published")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["validate", "published", "--format", fmt, "--select", "SP407"])
    definition = Path("published/Data Connectors/AWSEKS_ConnectorDefinition.json")
    assert _places(result.output, fmt) == [(definition.as_posix(), _line_of(definition, "QueueName"))]


def test_sarif_uris_are_encoded_and_related_locations_name_the_generated_file(source_with_bad_query: Path) -> None:
    sarif = json.loads(runner.invoke(app, ["validate", "typo", "--format", "sarif", "--select", "SP407"]).output)
    (result,) = sarif["runs"][0]["results"]
    (related,) = result["relatedLocations"]
    uri = related["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "typo/Data%20Connectors/AWSEKS_ConnectorDefinition.json"
    assert Path(unquote(uri)).is_file() and related["physicalLocation"]["region"]["startLine"] > 1


def test_cfn_lint_keeps_its_own_line(built_eks: Path) -> None:
    from sentinel_pack.validate.runner import validate_paths

    (finding,) = [f for f in validate_paths([built_eks]) if "W3011" in f.message]  # the 3.0.0 OIDC stack
    template = built_eks / "Data Connectors/CloudFormationTemplates/OIDC_Web_Identity_Provider.json"
    assert finding.file == template.as_posix() and finding.line == _line_of(template, '"OIDCIdentityProvider"')


def test_build_refusing_a_package_names_the_manifest_line(source_with_bad_query: Path) -> None:
    result = runner.invoke(app, ["build", "typo", "--out", "out"])
    assert result.exit_code == 1 and not Path("out").exists()
    text = Path("typo/solution.yaml").read_text(encoding="utf-8")
    line = text[: text.rindex("query: |-", 0, text.index("| project QueueName"))].count("\n") + 1
    assert f"error: typo/solution.yaml:{line}:" in result.output and "SP407" in result.output


def test_a_finding_on_a_value_from_an_analytic_rule_names_its_yaml(solution_copy: Path) -> None:
    from sentinel_pack.validate.runner import validate_paths

    rule = solution_copy / "Analytic Rules/EKSPodExecOrAttach.yaml"
    text = rule.read_text(encoding="utf-8")
    rule.write_text(text.replace("description: |\n  Detects", "description: |\n  Azure Sentinel detects", 1),
                    encoding="utf-8")
    found = [f for f in validate_paths([solution_copy], select=["SP701"]) if "mainTemplate" in f.path or
             any("mainTemplate.json" in r.file for r in f.related)]
    assert found, "the packaged description should be reported"
    for finding in found:
        assert finding.file == rule.as_posix() and finding.line == _line_of(rule, "description: |")
        assert finding.related[0].file.endswith("Package/mainTemplate.json") and finding.related[0].line
