"""Analytic rules and hunting queries packaged the way the official packager packages them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import CURRENT_ZIP, SOLUTION, SOLUTION_VERSION
from hypothesis import given
from hypothesis import strategies as st

from sentinel_pack.content.analytic_rules import duration_minutes
from sentinel_pack.content.detections import iso_duration
from sentinel_pack.errors import SentinelPackError
from sentinel_pack.package.build import build
from sentinel_pack.validate.runner import validate_paths

RULES = sorted((SOLUTION / "Analytic Rules").glob("*.yaml"))
QUERIES = sorted((SOLUTION / "Hunting Queries").glob("*.yaml"))


def _load(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def _templates(main: dict, kind: str) -> list[dict]:
    return [r for r in main["resources"] if r["type"].endswith("/contentTemplates")
            and r["properties"].get("contentKind") == kind]


def _variable(main: dict, expression: str) -> str:
    """Resolve ``[variables('obj').key]`` against the template's variables."""
    name, key = expression[len("[variables('"):-1].split("').")
    return main["variables"][name][key]


@pytest.fixture(scope="module")
def main(built_full: Path) -> dict:
    return _load(built_full / "Package/mainTemplate.json")


def test_every_rule_is_an_analytics_rule_content_template(main: dict) -> None:
    templates = _templates(main, "AnalyticsRule")
    assert len(templates) == len(RULES) == 7
    by_id = {_variable(main, t["properties"]["contentId"]): t for t in templates}
    for path in RULES:
        rule = yaml.safe_load(path.read_text(encoding="utf-8"))
        template = by_id[rule["id"]]
        alert, metadata = template["properties"]["mainTemplate"]["resources"]
        assert alert["type"] == "Microsoft.SecurityInsights/AlertRuleTemplates" and alert["kind"] == "Scheduled"
        props = alert["properties"]
        assert props["displayName"] == rule["name"] == template["properties"]["displayName"]
        assert props["query"] == rule["query"]
        assert props["severity"] == rule["severity"]
        assert props["queryFrequency"] == iso_duration(rule["queryFrequency"]).upper()
        assert props["triggerOperator"] == {"gt": "GreaterThan", "lt": "LessThan", "eq": "Equal",
                                            "ne": "NotEqual"}[rule["triggerOperator"]]
        assert props["tactics"] == rule["tactics"]
        assert props["techniques"] == sorted({t.split(".")[0] for t in rule["relevantTechniques"]},
                                             key=[t.split(".")[0] for t in rule["relevantTechniques"]].index)
        assert props["entityMappings"] == rule["entityMappings"]
        assert props["enabled"] is False
        assert metadata["properties"]["kind"] == "AnalyticsRule"
        assert _variable(main, template["properties"]["version"]) == str(rule["version"])
        product = _variable(main, template["properties"]["contentProductId"])
        assert "'-','ar','-'" in product and rule["id"] in product


def test_every_hunting_query_is_a_saved_search(main: dict) -> None:
    templates = _templates(main, "HuntingQuery")
    assert len(templates) == len(QUERIES) == 3
    by_id = {_variable(main, t["properties"]["contentId"]): t for t in templates}
    for path in QUERIES:
        query = yaml.safe_load(path.read_text(encoding="utf-8"))
        search, metadata = by_id[query["id"]]["properties"]["mainTemplate"]["resources"]
        assert search["type"] == "Microsoft.OperationalInsights/savedSearches"
        assert search["properties"]["category"] == "Hunting Queries"
        assert search["properties"]["query"] == query["query"]
        tags = {t["name"]: t["value"] for t in search["properties"]["tags"]}
        assert tags["tactics"] == ",".join(query["tactics"])
        assert metadata["properties"]["kind"] == "HuntingQuery"
        assert "'-','hq','-'" in _variable(main, by_id[query["id"]]["properties"]["contentProductId"])


def test_content_package_depends_on_every_item(main: dict) -> None:
    package = next(r for r in main["resources"] if r["type"].endswith("/contentPackages"))
    criteria = package["properties"]["dependencies"]["criteria"]
    kinds = [c["kind"] for c in criteria]
    assert kinds == ["DataConnector"] + ["AnalyticsRule"] * 7 + ["HuntingQuery"] * 3
    templates = _templates(main, "AnalyticsRule") + _templates(main, "HuntingQuery")
    assert [c["contentId"] for c in criteria[1:]] == [t["properties"]["contentId"] for t in templates]


def test_install_wizard_shows_the_counts_and_a_step_per_kind(built_full: Path) -> None:
    ui = _load(built_full / "Package/createUiDefinition.json")
    assert "**Data Connectors:** 1, **Analytic Rules:** 7, **Hunting Queries:** 3" in \
        ui["parameters"]["config"]["basics"]["description"]
    steps = {s["name"]: s for s in ui["parameters"]["steps"]}
    assert list(steps) == ["dataconnectors", "analytics", "huntingqueries"]
    sections = [e for e in steps["analytics"]["elements"] if e["type"] == "Microsoft.Common.Section"]
    assert [s["label"] for s in sections] == [yaml.safe_load(p.read_text(encoding="utf-8"))["name"] for p in RULES]
    assert len([e for e in steps["huntingqueries"]["elements"] if e["type"] == "Microsoft.Common.Section"]) == 3
    package = next(r for r in _load(built_full / "Package/mainTemplate.json")["resources"]
                   if r["type"].endswith("/contentPackages"))
    assert "<strong>Analytic Rules:</strong> 7" in package["properties"]["descriptionHtml"]


def test_data_file_and_tree_carry_the_yaml_as_written(built_full: Path) -> None:
    data = _load(built_full / "Data/Solution_AWSEKS.json")
    assert data["Analytic Rules"] == [f"Analytic Rules/{p.name}" for p in RULES]
    assert data["Hunting Queries"] == [f"Hunting Queries/{p.name}" for p in QUERIES]
    for path in RULES + QUERIES:
        assert (built_full / path.parent.name / path.name).read_bytes() == path.read_bytes()


def test_the_full_build_validates_clean(built_full: Path) -> None:
    assert validate_paths([built_full]) == []  # validate --strict passes: no cfn-lint warning either


#: sha256 of each zip as released: a later release never rewrites them.
RELEASED_ZIPS = {
    "3.0.0": "8f2b242c5171d93f1185567d3b43c092adbc3dec42bf8a96aea820c9d145a61f",
    "3.1.0": "30354acc13af150b0abde789e16702aaedf17791f23c05252f6e60671f06a5fb",
}


def test_release_kept_the_published_packages() -> None:
    """Earlier zips stay byte for byte as released; the notes list every release, newest first."""
    import hashlib

    for version, digest in RELEASED_ZIPS.items():
        assert hashlib.sha256((SOLUTION / f"Package/{version}.zip").read_bytes()).hexdigest() == digest, version
    assert (SOLUTION / CURRENT_ZIP).is_file()
    versions = sorted({SOLUTION_VERSION, *RELEASED_ZIPS}, key=lambda v: tuple(map(int, v.split("."))), reverse=True)
    notes = (SOLUTION / "ReleaseNotes.md").read_text(encoding="utf-8").splitlines()[2:]
    assert [row.split("|")[1].strip() for row in notes] == versions
    assert sorted(p.name for p in (SOLUTION / "Package").glob("*.zip")) == sorted(f"{v}.zip" for v in versions)


def test_a_query_that_looks_like_an_expression_is_escaped(solution_copy: Path, tmp_path: Path) -> None:
    rule = solution_copy / "Hunting Queries/EKSUnusualUserAgents.yaml"
    data = yaml.safe_load(rule.read_text(encoding="utf-8"))
    # a bracketed table name: valid KQL (the Kusto checks run in build) that starts like an ARM expression
    data["query"] = ("['AWSEKSLogs_CL']\n| where isnotempty(UserAgent)\n"
                     "| extend SourceIP = tostring(SourceIPs[0]), AccountName = User\n")
    rule.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    build(solution_copy, tmp_path / "out")
    main = _load(tmp_path / "out/Package/mainTemplate.json")
    search = _templates(main, "HuntingQuery")[2]["properties"]["mainTemplate"]["resources"][0]
    assert search["properties"]["query"].startswith("[['AWSEKSLogs_CL']")


@pytest.mark.parametrize(("edit", "message", "where"), [
    (("  - Hunting Queries/EKSUnusualUserAgents.yaml\n", "  - Hunting Queries/Missing.yaml\n"),
     "file 'Hunting Queries/Missing.yaml' does not exist", "solution.yaml:"),
    (("  - Hunting Queries/EKSUnusualUserAgents.yaml\n", "  - ../outside.yaml\n"),
     "'../outside.yaml' leads outside the solution folder", "solution.yaml:"),
])
def test_manifest_lists_only_files_in_the_folder(solution_copy: Path, edit: tuple[str, str], message: str,
                                                 where: str) -> None:
    manifest = solution_copy / "solution.yaml"
    text = manifest.read_text(encoding="utf-8")
    assert edit[0] in text
    manifest.write_text(text.replace(*edit), encoding="utf-8")
    (solution_copy.parent / "outside.yaml").write_text("id: x\n", encoding="utf-8")
    with pytest.raises(SentinelPackError) as caught:
        build(solution_copy, solution_copy.parent / "out")
    problem = caught.value.problems[0]
    assert message in problem.message and where in str(problem.file) + ":"


def test_a_broken_rule_stops_the_build_with_its_line(solution_copy: Path) -> None:
    rule = solution_copy / "Analytic Rules/EKSForbiddenBurst.yaml"
    text = rule.read_text(encoding="utf-8")
    rule.write_text(text.replace("triggerOperator: gt", "triggerOperator: greater"), encoding="utf-8")
    with pytest.raises(SentinelPackError) as caught:
        build(solution_copy, solution_copy.parent / "out")
    (problem,) = caught.value.problems
    assert "triggerOperator must be one of" in problem.message
    assert problem.file.endswith("EKSForbiddenBurst.yaml") and problem.line == text[:text.index("triggerOperator")].count("\n") + 1
    assert not (solution_copy.parent / "out").exists()


def test_two_rules_with_one_id_are_refused(solution_copy: Path) -> None:
    first, second = sorted((solution_copy / "Analytic Rules").glob("*.yaml"))[:2]
    rule_id = yaml.safe_load(first.read_text(encoding="utf-8"))["id"]
    data = second.read_text(encoding="utf-8")
    old_id = yaml.safe_load(data)["id"]
    second.write_text(data.replace(old_id, rule_id), encoding="utf-8")
    with pytest.raises(SentinelPackError, match="is also the id of"):
        build(solution_copy, solution_copy.parent / "out")


@given(st.integers(min_value=1, max_value=60 * 24 * 14))
def test_iso_durations_keep_their_length(minutes: int) -> None:
    assert duration_minutes(iso_duration(f"{minutes}m")) == minutes


def test_cli_build_with_a_broken_rule_exits_1_with_file_and_line(solution_copy: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from sentinel_pack.cli import app

    rule = solution_copy / "Hunting Queries/EKSUnusualUserAgents.yaml"
    text = rule.read_text(encoding="utf-8")
    rule.write_text(text.replace("  - Discovery\n", "  - Discovry\n", 1), encoding="utf-8")
    line = text[: text.index("  - Discovery\n")].count("\n") + 1
    result = CliRunner().invoke(app, ["build", str(solution_copy), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert f"EKSUnusualUserAgents.yaml:{line}" in result.output and "unknown tactic 'Discovry'" in result.output
    assert not (tmp_path / "out").exists()
