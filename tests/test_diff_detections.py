"""diff: a published rule keeps its id, and a changed query moves the rule's version."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CURRENT_ZIP, SOLUTION_VERSION, bumped
from typer.testing import CliRunner

from sentinel_pack.cli import app
from sentinel_pack.diff.detections import detections_of
from sentinel_pack.diff.run import run_diff
from sentinel_pack.package.build import build

RULE = "Analytic Rules/EKSForbiddenBurst.yaml"
QUERY = "Hunting Queries/EKSUnusualUserAgents.yaml"
runner = CliRunner()


@pytest.fixture(scope="module")
def released(built_full: Path) -> Path:
    return built_full


def _edit(root: Path, rel: str, *edits: tuple[str, str]) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, f"test setup: {old!r} not in {rel}"
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")


def _new_build(solution_copy: Path, tmp_path: Path, *changes: tuple[str, tuple[str, str]]) -> Path:
    for rel, edit in changes:
        _edit(solution_copy, rel, edit)
    out = tmp_path / "new"
    build(solution_copy, out, force=True)
    return out


def test_the_package_lists_every_detection_with_id_and_version(released: Path) -> None:
    found = detections_of({"Package/mainTemplate.json": (released / "Package/mainTemplate.json").read_bytes()})
    assert [d.kind for d in found].count("AnalyticsRule") == 7 and [d.kind for d in found].count("HuntingQuery") == 3
    burst = next(d for d in found if d.name.startswith("EKS burst"))
    assert burst.version == "1.0.0" and len(burst.id) == 36 and "403" in burst.query


def test_an_unchanged_release_has_no_problems(released: Path, solution_copy: Path, tmp_path: Path) -> None:
    assert run_diff(released, _new_build(solution_copy, tmp_path)).problems == []


def test_changing_a_published_rule_id_is_an_error(released: Path, solution_copy: Path, tmp_path: Path) -> None:
    old_id = next(line.split(": ")[1] for line in (solution_copy / RULE).read_text().splitlines() if line.startswith("id:"))
    new = _new_build(solution_copy, tmp_path, (RULE, (f"id: {old_id}", "id: 11111111-2222-3333-4444-555555555555")))
    (problem,) = run_diff(released, new).problems
    assert problem.startswith("analytic rule 'EKS burst") and f"Keep id {old_id}" in problem
    result = runner.invoke(app, ["diff", str(released), str(new)])
    assert result.exit_code == 1 and "id changed" in result.output


def test_a_query_change_needs_a_version_bump(released: Path, solution_copy: Path, tmp_path: Path) -> None:
    new = _new_build(solution_copy, tmp_path, (QUERY, ("let Lookback = 7d;", "let Lookback = 30d;")))
    (problem,) = run_diff(released, new).problems
    assert problem.startswith("hunting query 'EKS API requests") and "version stayed 1.0.0" in problem
    markdown = runner.invoke(app, ["diff", str(released), str(new), "--format", "markdown"])
    assert markdown.exit_code == 1 and "❌ hunting query" in markdown.output
    assert json.loads(runner.invoke(app, ["diff", str(released), str(new), "--format", "json"]).output)["problems"]


def test_a_query_change_with_a_bumped_version_is_fine(released: Path, solution_copy: Path, tmp_path: Path) -> None:
    new = _new_build(solution_copy, tmp_path, (QUERY, ("let Lookback = 7d;", "let Lookback = 30d;")),
                     (QUERY, ("version: 1.0.0", "version: 1.0.1")))
    assert run_diff(released, new).problems == []


def test_a_rule_version_going_back_is_an_error(released: Path, solution_copy: Path, tmp_path: Path) -> None:
    new = _new_build(solution_copy, tmp_path, (RULE, ("version: 1.0.0", "version: 0.9.0")))
    (problem,) = run_diff(released, new).problems
    assert "version went back 1.0.0 → 0.9.0" in problem


def test_release_and_validate_compare_detections_with_the_last_released_zip(solution_copy: Path) -> None:
    from sentinel_pack.errors import SentinelPackError
    from sentinel_pack.package.release import release
    from sentinel_pack.validate.runner import validate_paths

    manifest_before = (solution_copy / "solution.yaml").read_bytes()
    _edit(solution_copy, QUERY, ("let Lookback = 7d;", "let Lookback = 30d;"))
    with pytest.raises(SentinelPackError) as caught:
        release(solution_copy, "patch", "Longer lookback.", "2026-12-01")
    (problem,) = caught.value.problems
    assert problem.message.startswith(f"SP803: compared with {CURRENT_ZIP}: hunting query 'EKS API requests")
    assert (solution_copy / "solution.yaml").read_bytes() == manifest_before  # nothing released
    assert "the query changed but version stayed 1.0.0" in problem.message
    _edit(solution_copy, QUERY, ("version: 1.0.0", "version: 1.1.0"))
    release(solution_copy, "patch", "Longer lookback.", "2026-12-01")
    assert [f for f in validate_paths([solution_copy]) if f.severity == "error"] == []


def test_validate_reports_a_query_changed_under_the_same_version(solution_copy: Path) -> None:
    from sentinel_pack.validate.runner import validate_paths

    _edit(solution_copy, QUERY, ("let Lookback = 7d;", "let Lookback = 30d;"))
    patch = bumped("patch")
    _edit(solution_copy, "solution.yaml", (f"  version: {SOLUTION_VERSION}\n", f"  version: {patch}\n"),
          ("release_notes:\n", f"release_notes:\n  - version: {patch}\n    date: 2026-12-01\n    changes: [Longer lookback.]\n"))
    build(solution_copy, validate=False)  # what a hand-made release would leave in the folder
    (finding,) = [f for f in validate_paths([solution_copy]) if f.severity == "error"]
    assert finding.rule == "SP803" and finding.file.endswith("Package/mainTemplate.json")
    assert finding.message.startswith(f"compared with {CURRENT_ZIP}: hunting query 'EKS API requests")


def test_a_rule_inserted_first_is_one_addition_not_a_shift(released: Path, solution_copy: Path, tmp_path: Path) -> None:
    """Templates are paired by content id, not by the numbered variables that move on insertion."""
    source = (solution_copy / RULE).read_text(encoding="utf-8")
    old_id = next(line.split(": ")[1] for line in source.splitlines() if line.startswith("id:"))
    new_rule = source.replace(old_id, "11111111-2222-3333-4444-555555555555").replace(
        "name: EKS burst", "name: Another EKS burst")
    (solution_copy / "Analytic Rules/AAFirst.yaml").write_text(new_rule, encoding="utf-8")
    _edit(solution_copy, "solution.yaml", ("analytic_rules:\n", "analytic_rules:\n  - Analytic Rules/AAFirst.yaml\n"))
    new = tmp_path / "new"
    build(solution_copy, new)
    result = run_diff(released, new)
    templates = [a for a in result.artefacts if "> contentTemplate " in a.name]
    assert [(a.status, a.name.rsplit(" ", 1)[-1]) for a in templates] == [
        ("added", "11111111-2222-3333-4444-555555555555")]
    assert result.problems == []
