"""The command-line contract: --version, --help everywhere, exit codes, the build summary."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer
from conftest import CURRENT_ZIP, REPO, SOLUTION
from typer.testing import CliRunner

from sentinel_pack import __version__
from sentinel_pack.cli import app

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"sentinel-pack {__version__}"


@pytest.mark.parametrize("command", [[], *[[name] for name in typer.main.get_command(app).commands]])
def test_help_on_every_command(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_usage_error_exits_2() -> None:
    result = runner.invoke(app, ["build", "--no-such-option"])
    assert result.exit_code == 2


def test_missing_path_is_an_io_error() -> None:
    result = runner.invoke(app, ["build", "/nonexistent/solution"])
    assert result.exit_code == 2
    assert "no such file or folder" in result.output


def test_build_prints_a_summary_with_sizes_and_hashes(tmp_path: Path) -> None:
    result = runner.invoke(app, ["build", str(SOLUTION), "--out", str(tmp_path)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert CURRENT_ZIP in result.output
    import hashlib

    digest = hashlib.sha256((tmp_path / CURRENT_ZIP).read_bytes()).hexdigest()
    assert digest[:12] in result.output
    assert "22 files, 22 changed." in result.output


def test_relative_out_as_in_the_readme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["build", str(SOLUTION), "--out", "build/aws-eks"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert CURRENT_ZIP in result.output
    assert (tmp_path / "build/aws-eks" / CURRENT_ZIP).is_file()


def test_quiet_prints_nothing(tmp_path: Path) -> None:
    result = runner.invoke(app, ["build", str(SOLUTION), "--out", str(tmp_path), "--quiet"])
    assert result.exit_code == 0
    assert result.output == ""


def test_accepts_the_manifest_file_itself(tmp_path: Path) -> None:
    result = runner.invoke(app, ["build", str(SOLUTION / "solution.yaml"), "--out", str(tmp_path), "-q"])
    assert result.exit_code == 0
    assert (tmp_path / CURRENT_ZIP).is_file()


def test_module_entry_point_runs_without_traceback(tmp_path: Path) -> None:
    """The real process: bad input is an error message and exit 1, never a traceback."""
    (tmp_path / "solution.yaml").write_text("solution: [\n")
    proc = subprocess.run([sys.executable, "-m", "sentinel_pack", "build", str(tmp_path)],
                          capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 1
    assert "invalid YAML" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
