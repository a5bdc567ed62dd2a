"""The composite GitHub Action, run as the runner runs it: each bash step with its inputs in env."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO, SOLUTION

ACTION = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
CURRENT = yaml.safe_load((SOLUTION / "solution.yaml").read_text(encoding="utf-8"))["solution"]["version"]


def _step(name: str) -> dict:
    return next(step for step in ACTION["runs"]["steps"] if step.get("name") == name)


def _run_step(name: str, tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """The step's script under bash as GitHub runs it (``bash --noprofile --norc -eo pipefail``)."""
    script = tmp_path / f"{name}.sh"
    script.write_text(_step(name)["run"], encoding="utf-8")
    full_env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", **env}
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], capture_output=True,
                          text=True, env=full_env, cwd=tmp_path)


def test_no_input_is_pasted_into_a_script() -> None:
    """``${{ inputs.path }}`` inside ``run:`` is split at spaces (and is a shell injection)."""
    for step in ACTION["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step["name"]


@pytest.fixture(scope="module")
def spaced(tmp_path_factory: pytest.TempPathFactory, reference_eks: Path) -> Path:
    root = tmp_path_factory.mktemp("action")
    shutil.copytree(SOLUTION, root / "Solutions" / "My Solution")
    shutil.copytree(reference_eks, root / "Solutions" / "Published EKS")  # has an SP407 error
    return root


def test_paths_with_spaces_several_paths_and_sarif(spaced: Path, tmp_path: Path) -> None:
    zip_path = f"Solutions/My Solution/Package/{CURRENT}.zip"
    result = _run_step("Validate", spaced, {
        "INPUT_PATH": f"Solutions/My Solution\n  {zip_path}  \n\n",
        "INPUT_ARGS": "--ignore SP302 --strict",
        "INPUT_SARIF": str(tmp_path / "out dir.sarif"),
        "GITHUB_ACTION_PATH": str(tmp_path / "action path"),
    })
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no such file or folder" not in result.stderr
    sarif = json.loads((tmp_path / "out dir.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"] == []


def test_findings_fail_the_step_and_still_write_the_sarif(spaced: Path, tmp_path: Path) -> None:
    result = _run_step("Validate", spaced, {
        "INPUT_PATH": "Solutions/Published EKS", "INPUT_ARGS": "", "INPUT_SARIF": "results.sarif",
        "GITHUB_ACTION_PATH": str(tmp_path)})
    assert result.returncode == 1
    assert "::error file=Solutions/Published EKS/" in result.stdout  # annotations, path whole
    rules = {r["ruleId"] for r in json.loads((spaced / "results.sarif").read_text())["runs"][0]["results"]}
    assert "SP407" in rules
    upload = _step("Upload SARIF")
    assert "always()" in upload["if"] and upload["with"]["sarif_file"] == "${{ inputs.sarif }}"


def test_a_missing_path_is_an_error_not_a_split(spaced: Path, tmp_path: Path) -> None:
    result = _run_step("Validate", spaced, {"INPUT_PATH": "Solutions/No Such", "INPUT_ARGS": "", "INPUT_SARIF": "",
                                            "GITHUB_ACTION_PATH": str(tmp_path)})
    assert result.returncode == 2
    assert "Solutions/No Such: no such file or folder" in result.stderr


def test_install_step_keeps_the_action_path_whole(tmp_path: Path) -> None:
    """A fake ``python`` records its arguments: the action's folder arrives as one, spaces and all."""
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "python").write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$RECORD"\n')
    (fake_bin / "python").chmod(0o755)
    action_path = tmp_path / "actions" / "sentinel pack"
    result = _run_step("Install sentinel-pack", tmp_path, {
        "PATH": f"{fake_bin}{os.pathsep}{os.environ['PATH']}", "GITHUB_ACTION_PATH": str(action_path),
        "RECORD": str(tmp_path / "args")})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "args").read_text().splitlines() == ["-m", "pip", "install", "--quiet", str(action_path)]
