"""Broken manifests: a clear message (file, line, path, fix), exit code 1, nothing touched.

Every case starts from a good build in the output folder and checks that the failed build
left it byte-for-byte as it was, with no staging folder behind.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import SOLUTION_VERSION, snapshot
from typer.testing import CliRunner

from sentinel_pack.cli import app

runner = CliRunner()


def _replace(old: str, new: str, count: int = 1) -> Callable[[Path], None]:
    def edit(solution: Path) -> None:
        manifest = solution / "solution.yaml"
        text = manifest.read_text(encoding="utf-8")
        assert old in text, f"test setup: {old!r} not in manifest"
        manifest.write_text(text.replace(old, new, count), encoding="utf-8")
    return edit


def _override_template(name: str, content: str) -> Callable[[Path], None]:
    def edit(solution: Path) -> None:
        target = solution / "overrides" / name
        target.parent.mkdir(parents=True)
        target.write_text(content, encoding="utf-8")
        manifest = solution / "solution.yaml"
        manifest.write_text(manifest.read_text().replace("manifest_version: 1\n",
                                                         "manifest_version: 1\ntemplates_dir: overrides\n"))
    return edit


def _symlinked_lambda(solution: Path) -> None:
    outside = solution.parent / "outside.py"
    outside.write_text("print('not part of the solution')\n")
    (solution / "aws" / "eks_log_transform.py").unlink()
    os.symlink(outside, solution / "aws" / "eks_log_transform.py")


@dataclass
class Case:
    id: str
    edit: Callable[[Path], None]
    message: str
    line_of: str | None = None  # the manifest line the error must point at
    exit_code: int = 1


CASES = [
    Case("yaml-syntax", _replace("  name: AWS EKS\n", "  name: [AWS EKS\n"), "invalid YAML"),
    Case("missing-key", _replace("  offer_id: azure-sentinel-solution-awseks\n", ""),
         "solution: missing required key 'offer_id'", line_of="  name: AWS EKS"),
    Case("unknown-key", _replace("  retention_in_days: 180", "  retention_days: 180"),
         "table.retention_days: unknown key 'retention_days'\n  fix: did you mean 'retention_in_days'?",
         line_of="  retention_days: 180"),
    Case("wrong-type", _replace("retention_in_days: 180", "retention_in_days: forever"),
         "table.retention_in_days: expected a whole number, got 'forever'", line_of="retention_in_days: forever"),
    Case("bad-enum", _replace("{name: Region, type: string", "{name: Region, type: text"),
         "table.columns[2].type: 'text' is not allowed\n  fix: use one of: string, int, long, real",
         line_of="{name: Region, type: text"),
    Case("bad-version", _replace(f"  version: {SOLUTION_VERSION}\n", "  version: '3.0'\n"),
         "solution.version: '3.0' is not a version like 3.0.1", line_of="  version: '3.0'"),
    Case("role-prefix", _replace("role_name: OIDC_MicrosoftSentinelRoleEKS", "role_name: MicrosoftSentinelRoleEKS"),
         "is not a role name starting with OIDC_", line_of="role_name: MicrosoftSentinelRoleEKS"),
    Case("path-escapes", _replace("lambda_code: aws/eks_log_transform.py", "lambda_code: ../../../etc/passwd"),
         "aws.eks_audit_pipeline.lambda_code: '../../../etc/passwd' leads outside the solution folder",
         line_of="lambda_code: ../../../etc/passwd"),
    Case("symlink-escapes", _symlinked_lambda, "'aws/eks_log_transform.py' leads outside the solution folder"),
    Case("missing-file", _replace("lambda_code: aws/eks_log_transform.py", "lambda_code: aws/transform.py"),
         "file 'aws/transform.py' does not exist", line_of="lambda_code: aws/transform.py"),
    Case("duplicate-key", _replace("  publisher_id: azuresentinel\n", "  publisher_id: azuresentinel\n  publisher_id: other\n"),
         "duplicate key 'publisher_id' (first defined on line", line_of="  publisher_id: other"),
    Case("duplicate-column", _replace("{name: Stage, type: string", "{name: verb, type: string"),
         "table.columns[10].name: column 'verb' is defined twice (first at index 4)",
         line_of="{name: verb, type: string"),
    Case("no-time-column", _replace("{name: TimeGenerated, type: datetime", "{name: TimeGenerated, type: string"),
         "the table needs a 'TimeGenerated' column of type datetime"),
    Case("unknown-textbox", _replace("role_arn_from: roleArn", "role_arn_from: roleARN"),
         "poller.role_arn_from: no Textbox instruction is named 'roleARN'\n  fix: name one of the connector's text boxes (defined: queueUrl, roleArn)",
         line_of="role_arn_from: roleARN"),
    Case("no-release-notes", _replace(f"  version: {SOLUTION_VERSION}\n", "  version: 9.9.9\n"),
         "solution.version: release_notes has no entry for version 9.9.9", line_of="  version: 9.9.9"),
    Case("copyable-label", _replace("          cloudformation: oidc\n", ""),
         "a CopyableLabel needs exactly one of 'value' or 'cloudformation'"),
    Case("not-a-mapping", lambda s: (s / "solution.yaml").write_text("- just\n- a list\n"),
         "the manifest must be a mapping of sections"),
    Case("empty-file", lambda s: (s / "solution.yaml").write_text("# nothing yet\n"), "the file is empty"),
    Case("undefined-template-value", _override_template("connector/Table.json.j2", '{\n  "name": {{ table.nmae | tojson }}\n}\n'),
         "overrides/connector/Table.json.j2:2: the template uses an undefined value: 'dict object' has no attribute 'nmae'"),
    Case("template-invalid-json", _override_template("connector/Table.json.j2", '{"name": {{ table.name | tojson }},}\n'),
         "the template rendered invalid JSON"),
    Case("template-unknown-placeholder", _override_template(
        "connector/DCR.json.j2", '{"name": "x", "location": {{ placeholder("region") }}, "properties": {"a": {{ placeholder("region") }}}}'),
         "properties.a: unknown placeholder {{region}}"),
    Case("template-sandbox", _override_template("connector/Table.json.j2", '{{ table.__class__.__mro__ }}'),
         "the template tried an unsafe operation"),
    Case("no-manifest", lambda s: (s / "solution.yaml").unlink(), "no solution.yaml in this folder", exit_code=2),
]


@pytest.fixture
def previous_build(cli_build: dict[str, bytes]) -> dict[str, bytes]:
    return cli_build


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_broken_manifest(case: Case, solution_copy: Path, tmp_path: Path, previous_build: dict[str, bytes]) -> None:
    out = tmp_path / "out"
    for rel, content in previous_build.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(content)
    case.edit(solution_copy)

    result = runner.invoke(app, ["build", str(solution_copy), "--out", str(out)])

    assert result.exit_code == case.exit_code, result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit) or result.exception is None
    output = " ".join(result.output.split())  # undo terminal wrapping
    assert " ".join(case.message.split()) in output
    assert output.startswith("error: ")
    if case.line_of is not None:
        manifest_lines = (solution_copy / "solution.yaml").read_text().splitlines()
        line = next(i for i, text in enumerate(manifest_lines, start=1) if case.line_of in text)
        assert f"solution.yaml:{line}:" in result.output.replace("\n", ""), result.output
    assert snapshot(out) == previous_build


def test_at_least_ten_kinds_of_broken_manifest() -> None:
    assert len({c.id for c in CASES if c.exit_code == 1}) >= 10
