"""One answer to "which bump?": release, build's advice, validate SP510 and diff --check-version agree."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import SOLUTION
from typer.testing import CliRunner, Result

from sentinel_pack.cli import app
from sentinel_pack.diff.versions import bump

runner = CliRunner()
CURRENT = yaml.safe_load((SOLUTION / "solution.yaml").read_text(encoding="utf-8"))["solution"]["version"]
MINOR, PATCH = bump(CURRENT, "minor"), bump(CURRENT, "patch")
COLUMN_LINE = "    - {name: RawEvent, type: dynamic, description: Raw event}\n"
NEW_COLUMN = COLUMN_LINE + "    - {name: Namespace, type: string, description: Namespace}\n"


def add_column(solution: Path) -> None:
    manifest = solution / "solution.yaml"
    text = manifest.read_text(encoding="utf-8")
    assert COLUMN_LINE in text
    manifest.write_text(text.replace(COLUMN_LINE, NEW_COLUMN, 1), encoding="utf-8")


def invoke(*args: str) -> Result:
    return runner.invoke(app, list(args), terminal_width=200)


def test_builds_advice_is_the_bump_diff_check_version_asks_for(solution_copy: Path) -> None:
    add_column(solution_copy)
    result = invoke("build", str(solution_copy))
    assert result.exit_code == 1
    assert "this version's package already exists with different content" in result.output
    # before issue 15 the advice was 'release patch', which diff --check-version then rejected
    assert f"the changes since {CURRENT} need a minor bump: run 'sentinel-pack release minor -m ...'" in result.output
    assert "release patch" not in result.output


def test_release_without_a_level_works_out_the_bump_and_diff_agrees(solution_copy: Path) -> None:
    add_column(solution_copy)
    result = invoke("release", "-m", "Namespace column.", str(solution_copy), "--date", "2026-05-01")
    assert result.exit_code == 0, result.output
    assert f"released {CURRENT} -> {MINOR} (minor, as the changes since {CURRENT} need" in result.output
    package = solution_copy / "Package"
    check = invoke("diff", str(package / f"{CURRENT}.zip"), str(package / f"{MINOR}.zip"), "--check-version")
    assert check.exit_code == 0, check.output
    assert invoke("validate", str(solution_copy), "--select", "SP510").exit_code == 0


def test_release_refuses_a_smaller_level_unless_forced(solution_copy: Path) -> None:
    add_column(solution_copy)
    refused = invoke("release", "patch", "-m", "Namespace column.", str(solution_copy), "--date", "2026-05-01")
    assert refused.exit_code == 1
    assert f"a patch release ({CURRENT} -> {PATCH}) is too small: the changes since {CURRENT} need a minor bump" in refused.output
    assert "table column 'Namespace' added" in refused.output
    assert not (solution_copy / "Package" / f"{PATCH}.zip").exists()

    forced = invoke("release", "patch", "-m", "Namespace column.", str(solution_copy), "--date", "2026-05-01",
                    "--force")
    assert forced.exit_code == 0, forced.output
    package = solution_copy / "Package"
    check = invoke("diff", str(package / f"{CURRENT}.zip"), str(package / f"{PATCH}.zip"), "--check-version")
    assert check.exit_code == 1 and "these changes need a minor bump" in check.output
    # validate says what diff --check-version says
    validate = invoke("validate", str(solution_copy), "--select", "SP510")
    assert validate.exit_code == 1
    assert (f"error SP510: version {CURRENT} → {PATCH} is a patch bump: too small; the changes since {CURRENT} need a "
            "minor bump") in validate.output


def test_release_with_nothing_to_release_says_so(solution_copy: Path) -> None:
    result = invoke("release", "-m", "Nothing.", str(solution_copy))
    assert result.exit_code == 1
    assert f"nothing changed since the release {CURRENT}" in result.output
    assert "release patch -m" in result.output


def test_release_keeps_level_then_path_and_path_alone(solution_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    add_column(solution_copy)
    monkeypatch.chdir(solution_copy)
    result = invoke("release", "-m", "Namespace column.", "--date", "2026-05-01")
    assert result.exit_code == 0, result.output
    assert f"released {CURRENT} -> {MINOR}" in result.output
    bad = invoke("release", "huge", "somewhere", "-m", "x")
    assert bad.exit_code == 2 and "'huge' is not major, minor or patch" in bad.output
