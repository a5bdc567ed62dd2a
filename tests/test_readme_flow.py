"""The README's "whole flow" is real: each command in it is run, and its output is the README's.

Digests are masked (the scaffold's first publish date is today, so the zips differ by day) and
the README's working folder stands for the test's.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from conftest import REPO
from typer.testing import CliRunner

from sentinel_pack.cli import app

README = (REPO / "README.md").read_text(encoding="utf-8")
SECTION = README[README.index("## The whole flow"):README.index("\n## Build")]
WORKDIR = "/tmp/solutions"
DIGEST = re.compile(r"\b[0-9a-f]{12}\b")


def blocks() -> list[list[tuple[str, list[str]]]]:
    """Each ```text block as (command, expected output lines) pairs."""
    out = []
    for block in re.findall(r"```text\n(.*?)```", SECTION, re.DOTALL):
        steps: list[tuple[str, list[str]]] = []
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            else:
                steps[-1][1].append(line)
        out.append(steps)
    return out


def add_severity(manifest: Path) -> None:
    """The edit the README describes between the two blocks."""
    text = manifest.read_text(encoding="utf-8")
    edits = [("    - {name: RawEvent, type: dynamic, description: The event as the API returned it}\n",
              "    - {name: Severity, type: string, description: Severity the API assigned}\n"),
             ("    - {name: timestamp, type: datetime}\n", "    - {name: severity, type: string}\n")]
    for anchor, added in edits:
        assert anchor in text
        text = text.replace(anchor, anchor + added, 1)
    assert "SourceIp = ip, RawEvent\n" in text
    text = text.replace("SourceIp = ip, RawEvent\n", "SourceIp = ip, RawEvent, Severity = severity\n", 1)
    manifest.write_text(text, encoding="utf-8")


def test_the_readme_flow_is_real_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    found = blocks()
    assert [cmd.split()[1] for steps in found for cmd, _ in steps] == [
        "init", "build", "validate", "build", "release", "validate", "diff"]
    for index, steps in enumerate(found):
        if index == 1:
            add_severity(tmp_path / "Contoso Events" / "solution.yaml")
        for command, expected in steps:
            argv = shlex.split(command)
            assert argv[0] == "sentinel-pack"
            result = runner.invoke(app, argv[1:], terminal_width=200)
            got = DIGEST.sub("<sha>", result.output).replace(str(tmp_path), WORKDIR).splitlines()
            assert got == [DIGEST.sub("<sha>", line) for line in expected], command
