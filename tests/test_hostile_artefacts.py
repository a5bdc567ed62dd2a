"""diff and validate of hostile JSON and oversized folders; build of a large description.

Issue 16, defects 7 and 9: internal errors, "the rule crashed", minutes-long runs and a build
refusing its own zip before.
"""

from __future__ import annotations

import os
import shutil
import time
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sentinel_pack.cli import app

runner = CliRunner()

HOSTILE = {
    "nested-10000": ("[" * 10000 + "]" * 10000, "Package/mainTemplate.json:1:501: not valid JSON: nested more than 500"),
    "nested-200": ('{"a": ' + "[" * 200 + "]" * 200 + "}", "Package/mainTemplate.json:1:107: the document nests deeper "
                   "than 100 levels"),
    "array": ("[1, 2]", "Package/mainTemplate.json: a package file must hold a JSON object, not a list"),
    "null": ("null", "Package/mainTemplate.json: a package file must hold a JSON object, not null"),
    "huge-integer": ('{\n"a": ' + "7" * 5000 + "}", "Package/mainTemplate.json:2:6: not valid JSON: a number of 5,000 digits"),
}


@pytest.fixture(scope="module")
def package_folder(built_full: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pkg") / "old"
    (out / "Package").mkdir(parents=True)
    for name in ("mainTemplate.json", "createUiDefinition.json"):
        shutil.copy(built_full / "Package" / name, out / "Package" / name)
    return out


@pytest.mark.parametrize("name", HOSTILE)
def test_diff_of_hostile_json_is_a_message(name: str, package_folder: Path, tmp_path: Path) -> None:
    text, message = HOSTILE[name]
    new = tmp_path / "new"
    shutil.copytree(package_folder, new)
    (new / "Package" / "mainTemplate.json").write_text(text)

    result = runner.invoke(app, ["diff", str(package_folder), str(new)])

    assert result.exit_code == 1, result.output
    output = " ".join(result.output.split())
    assert message in output


@pytest.mark.parametrize("name", ["nested-10000", "huge-integer", "array", "null"])
def test_validate_of_hostile_json_in_a_zip_does_not_crash_a_rule(name: str, tmp_path: Path,
                                                                 package_folder: Path) -> None:
    text, _ = HOSTILE[name]
    package = tmp_path / "1.0.0.zip"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("mainTemplate.json", text)
        archive.writestr("createUiDefinition.json", (package_folder / "Package" / "createUiDefinition.json").read_text())

    result = runner.invoke(app, ["validate", str(package)])

    assert result.exit_code == 1, result.output
    assert "mainTemplate.json" in result.output
    assert "the rule crashed" not in result.output
    assert "internal error" not in result.output


def test_validate_refuses_an_oversized_file_in_a_folder_before_reading_it(built_full: Path, tmp_path: Path) -> None:
    folder = tmp_path / "built"
    shutil.copytree(built_full, folder)
    main = folder / "Package" / "mainTemplate.json"
    main.unlink()
    with main.open("wb") as handle:  # a sparse 200 MB file: nothing is written, nothing may be read
        handle.truncate(200 * 1024 * 1024)
    started = time.monotonic()

    result = runner.invoke(app, ["validate", str(folder)])  # a finding of the gate: the file is not read
    assert result.exit_code == 1, result.output
    assert "the file is 209,715,200 bytes, more than the 67,108,864" in " ".join(result.output.split())
    result = runner.invoke(app, ["diff", str(built_full), str(folder)])  # diff cannot compare it: exit 2
    assert result.exit_code == 2, result.output
    assert "mainTemplate.json: the file is 209,715,200 bytes, more than the 67,108,864" in \
        " ".join(result.output.split())
    assert time.monotonic() - started < 20


def test_validate_does_not_follow_a_link_out_of_the_folder(built_full: Path, tmp_path: Path) -> None:
    folder = tmp_path / "built"
    shutil.copytree(built_full, folder)
    secret = tmp_path / "secret.json"
    secret.write_text('{"secret": "TOP SECRET"}')
    os.symlink(secret, folder / "Data Connectors" / "Leak.json")

    from sentinel_pack.validate.target import load_target

    target = load_target(folder)
    assert "Data Connectors/Leak.json" not in target.files
    assert "outside the folder" in target.io_errors["Data Connectors/Leak.json"].message
    result = runner.invoke(app, ["validate", str(folder)])
    assert result.exit_code == 1 and "TOP SECRET" not in result.output
    assert "Leak.json" in result.output and "a link to a file outside the folder" in result.output


def test_a_2_mb_description_builds(solution_copy: Path, tmp_path: Path) -> None:
    """In mainTemplate it compresses about 200:1: a big file, not a bomb."""
    manifest = solution_copy / "solution.yaml"
    text = manifest.read_text(encoding="utf-8")
    first = "    The AWS EKS solution for Microsoft Sentinel allows"
    assert first in text
    manifest.write_text(text.replace(first, "    " + "lorem ipsum " * 170_000 + "\n" + first, 1), encoding="utf-8")

    result = runner.invoke(app, ["build", str(solution_copy), "--out", str(tmp_path / "out"), "--force", "-q"])

    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "Package" / "mainTemplate.json").stat().st_size > 2_000_000


def test_a_linked_folder_leading_out_of_the_solution_is_a_finding_and_is_not_read(solution_copy: Path,
                                                                                  tmp_path: Path) -> None:
    """Whatever pathlib's walk follows, no file outside the solution is read; the link is SP001."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Secret.json").write_text('{"secret": "TOP SECRET"}', encoding="utf-8")
    os.symlink(outside, solution_copy / "Data Connectors" / "Linked")
    inside = solution_copy / "Data Connectors" / "Again"
    os.symlink(solution_copy / "Analytic Rules", inside)  # a link that stays inside: nothing to say

    from sentinel_pack.validate.target import load_target

    target = load_target(solution_copy)
    assert not any("Linked" in rel for rel in target.files)
    assert b"TOP SECRET" not in b"".join(target.files.values())
    assert target.io_errors["Data Connectors/Linked"].kind == "link"
    assert "Data Connectors/Again" not in target.io_errors
    result = runner.invoke(app, ["validate", str(solution_copy)])
    assert result.exit_code == 1 and "TOP SECRET" not in result.output
    text = " ".join(result.output.split())
    assert "Linked: error SP001: a link to a folder outside the solution" in text
    assert "replace the link by a copy of what it points to" in text
