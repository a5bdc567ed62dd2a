"""``sentinel-pack diff --from REV [--to REV]`` on a small repository made for the test."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sentinel_pack.cli import app

SOLUTION = Path(__file__).resolve().parent.parent / "solution"
COLUMN_LINE = "    - {name: RawEvent, type: dynamic, description: Raw event}\n"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "HOME": str(repo), "PATH": "/usr/bin:/bin:/usr/local/bin"}
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True, env=env).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose first commit holds the solution under solutions/eks."""
    root = tmp_path / "repo"
    (root / "solutions").mkdir(parents=True)
    shutil.copytree(SOLUTION, root / "solutions" / "eks")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "3.0.0")
    return root


def add_column(solution: Path) -> None:
    manifest = solution / "solution.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(
        COLUMN_LINE, COLUMN_LINE + "    - {name: Namespace, type: string}\n"), encoding="utf-8")


def _leftovers() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("sentinel-pack-rev-*")}


def test_from_rev_against_the_working_tree(repo: Path) -> None:
    solution = repo / "solutions" / "eks"
    add_column(solution)
    before = _leftovers()
    result = CliRunner().invoke(app, ["diff", "--from", "HEAD", str(solution), "--format", "json"])
    assert result.exit_code == 0, result.output
    import json

    data = json.loads(result.stdout)
    assert data["old"]["kind"] == "revision" and data["old"]["label"].startswith("HEAD (")
    assert data["new"]["kind"] == "manifest"
    summaries = {(a["name"], c["summary"]) for a in data["artefacts"] for c in a["changes"]}
    assert ("Data Connectors/AWSEKS_Table.json", "table column 'Namespace' added (string)") in summaries
    assert {c["category"] for a in data["artefacts"] for c in a["changes"]} == {"feature"}
    assert data["required_bump"] == "minor"
    assert _leftovers() == before
    assert git(repo, "worktree", "list").count("\n") == 1
    assert git(repo, "status", "--porcelain") == " M solutions/eks/solution.yaml\n"


def test_from_and_to_revisions_with_check_version(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    solution = repo / "solutions" / "eks"
    add_column(solution)
    git(repo, "commit", "-qam", "Namespace column")
    monkeypatch.chdir(solution)
    result = CliRunner().invoke(app, ["diff", "--from", "HEAD~1", "--to", "HEAD", "--check-version"])
    assert result.exit_code == 1
    assert "table column 'Namespace' added (string)" in result.output
    assert "these changes need a minor bump" in result.output


def test_unknown_revision_is_a_usage_error(repo: Path) -> None:
    result = CliRunner().invoke(app, ["diff", "--from", "no-such-rev", str(repo / "solutions" / "eks")])
    assert result.exit_code == 2
    assert "unknown revision 'no-such-rev'" in result.output


def test_revision_without_the_solution_is_reported(repo: Path) -> None:
    newer = repo / "solutions" / "other"
    shutil.copytree(SOLUTION, newer)
    result = CliRunner().invoke(app, ["diff", "--from", "HEAD", str(newer)])
    assert result.exit_code == 2
    assert "'solutions/other' does not exist at HEAD" in result.output


def test_a_broken_manifest_in_a_revision_names_the_revision(repo: Path) -> None:
    solution = repo / "solutions" / "eks"
    manifest = solution / "solution.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("retention_in_days:", "retention_days:"),
                        encoding="utf-8")
    git(repo, "commit", "-qam", "broken")
    result = CliRunner().invoke(app, ["diff", "--from", "HEAD", str(solution)])
    assert result.exit_code == 1
    assert "HEAD:solutions/eks/solution.yaml" in result.output
    assert "unknown key 'retention_days'" in result.output
