"""Every command's output at 80 and 200 columns: no path is ever cut, no line is padded.

In a terminal (``--color always`` stands for one here) long lines wrap at spaces with a hanging
indent; a path, spaces and all, stays on one line. Anywhere else a logical line stays whole.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import SOLUTION
from typer.testing import CliRunner

from sentinel_pack.cli import app
from sentinel_pack.diff.versions import bump

runner = CliRunner()
ANSI = re.compile(r"\x1b\[[0-9;]*m")
CURRENT = yaml.safe_load((SOLUTION / "solution.yaml").read_text(encoding="utf-8"))["solution"]["version"]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, reference_eks: Path) -> Path:
    root = tmp_path_factory.mktemp("width")
    shutil.copytree(SOLUTION, root / "My Solution")
    shutil.copytree(reference_eks, root / "Upstream Copy")
    return root


def run(workspace: Path, width: int, terminal: bool, *args: str) -> str:
    colour = ["--color", "always"] if terminal else []
    result = runner.invoke(app, [*args, *colour], env={"COLUMNS": str(width)}, terminal_width=width)
    assert result.exit_code in (0, 1), result.output
    return ANSI.sub("", result.output)


def assert_whole(output: str, paths: list[str], width: int, terminal: bool) -> None:
    lines = output.splitlines()
    assert lines, "no output"
    for path in paths:
        assert any(path in line for line in lines), f"{path!r} is cut (or missing) at {width} columns:\n{output}"
    for line in lines:
        assert line == line.rstrip(), f"padded line: {line!r}"
        if terminal and len(line) > width:  # only an unbreakable path may run past the edge
            assert any(path in line and " " not in line.replace(path, "").strip() for path in paths) or \
                " " not in line.strip(), f"line over {width} columns: {line!r}"


COMMANDS = ["build", "validate", "diff", "release", "import", "init", "rules", "pre-commit"]


@pytest.mark.parametrize("terminal", [True, False], ids=["terminal", "pipe"])
@pytest.mark.parametrize("width", [80, 200])
def test_no_path_is_cut(workspace: Path, width: int, terminal: bool, tmp_path: Path,
                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(workspace)
    solution = "My Solution"
    out_dir = tmp_path / "built output"
    seen: set[str] = set()

    output = run(workspace, width, terminal, "build", solution, "--out", str(out_dir))
    files = [p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*") if p.is_file() and ".sentinel-pack" not in p.parts]
    assert_whole(output, [*files, str(out_dir)], width, terminal)
    seen.add("build")

    found = json.loads(runner.invoke(app, ["validate", "Upstream Copy", "--format", "json"]).output)
    output = run(workspace, width, terminal, "validate", "Upstream Copy")
    assert_whole(output, sorted({file for f in found for file in (f["file"], *(r["file"] for r in f["related"]))}),
                 width, terminal)
    seen.add("validate")

    old, new = "My Solution/Package/3.0.0.zip", "My Solution/Package/3.1.0.zip"
    data = json.loads(runner.invoke(app, ["diff", old, new, "--format", "json"]).output)
    output = run(workspace, width, terminal, "diff", old, new)
    paths = [a["name"] for a in data["artefacts"]] + [c["path"] for a in data["artefacts"] for c in a["changes"]
                                                      if c["path_parts"] and not a["name"].endswith(".md")]
    assert_whole(output, paths, width, terminal)
    seen.add("diff")

    copy = tmp_path / "Release Copy"
    shutil.copytree(SOLUTION, copy)
    output = run(workspace, width, terminal, "release", "patch", "-m", "Fix.", str(copy), "--date", "2026-05-01")
    assert_whole(output, [f"Package/{bump(CURRENT, 'patch')}.zip", "Data Connectors/AWSEKS_ConnectorDefinition.json"], width, terminal)
    seen.add("release")

    upstream = tmp_path / "Imported Solution"
    shutil.copytree(workspace / "Upstream Copy", upstream)
    output = run(workspace, width, terminal, "import", str(upstream))
    from sentinel_pack.importer.check import check_imported

    reported = sorted({file for f in check_imported(upstream) for file in (f.file, *(r.file for r in f.related))})
    assert_whole(output, [str(upstream / "solution.yaml"), str(upstream / "aws/EKSLogTransformFunction.py"), *reported],
                 width, terminal)
    seen.add("import")

    output = run(workspace, width, terminal, "init", "Contoso Events", "--dir", str(tmp_path / "New Solution"))
    import shlex

    command = f"sentinel-pack build {shlex.quote(str(tmp_path / 'New Solution'))}"  # pasteable, so kept whole
    assert_whole(output, [str(tmp_path / "New Solution" / "solution.yaml"), command], width, terminal)
    seen.add("init")

    output = run(workspace, width, terminal, "rules")
    assert_whole(output, ["SP101", "SP803"], width, terminal)
    seen.add("rules")

    output = run(workspace, width, terminal, "pre-commit", "--select", "SP7", "Upstream Copy/Data Connectors/AWSEKS_DCR.json")
    assert_whole(output, ["No findings."], width, terminal)
    seen.add("pre-commit")
    assert seen == set(COMMANDS)


def test_every_command_is_covered() -> None:
    import typer

    names = set(typer.main.get_command(app).commands)
    assert names - {"docs"} == set(COMMANDS)  # docs prints a shipped Markdown file as it is


def test_wrap_breaks_at_spaces_outside_paths_and_never_inside_the_indent() -> None:
    from rich.text import Text

    from sentinel_pack.terminal import wrap

    path = "Data Connectors/CloudFormationTemplates/AWS_EKS_Resources_Deployment.json"
    lines = [t.plain for t in wrap(Text(f"  created  1,234 B  0123456789ab  {path} and some more words"), 60, 4,
                                   keep=(path,))]
    assert lines == ["  created  1,234 B  0123456789ab", f"    {path}", "    and some more words"]
    deep = [t.plain for t in wrap(Text(" " * 11 + "resources['x y'].properties." + "a" * 70), 40, 13,
                                  keep=("resources['x y'].properties." + "a" * 70,))]
    assert deep == [" " * 11 + "resources['x y'].properties." + "a" * 70]  # no blank line, path whole
