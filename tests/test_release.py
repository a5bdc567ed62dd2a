"""``sentinel-pack release``: version bump, release-notes entry, rebuild; comments and old zips stay."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sentinel_pack.cli import app
from sentinel_pack.manifest import load_manifest


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_release_bumps_adds_the_row_keeps_comments_and_the_old_zip(solution_copy: Path) -> None:
    manifest = solution_copy / "solution.yaml"
    before = manifest.read_text(encoding="utf-8")
    old_zip = solution_copy / "Package" / "3.1.0.zip"
    old_zip_sha = _sha(old_zip)

    result = CliRunner().invoke(app, ["release", "minor", "-m", "Namespace column.", str(solution_copy),
                                      "--date", "2026-05-01"])
    assert result.exit_code == 0, result.output
    assert "released 3.1.0 -> 3.2.0" in result.output

    after = manifest.read_text(encoding="utf-8")
    # Exactly two edits: the version line and four new lines above the first release entry.
    import difflib

    delta = [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
             if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert delta == ["-  version: 3.1.0", "+  version: 3.2.0",
                     "+  - version: 3.2.0", "+    date: 2026-05-01", "+    changes:", "+      - Namespace column."]
    for comment in [line for line in before.splitlines() if line.lstrip().startswith("#")]:
        assert comment in after.splitlines()

    data = load_manifest(solution_copy).data
    assert data["solution"]["version"] == "3.2.0"
    assert data["release_notes"][0] == {"version": "3.2.0", "date": "2026-05-01", "changes": ["Namespace column."]}

    assert _sha(old_zip) == old_zip_sha
    assert (solution_copy / "Package" / "3.2.0.zip").is_file()
    notes = (solution_copy / "ReleaseNotes.md").read_text(encoding="utf-8").splitlines()
    assert notes[2].startswith("| 3.2.0       | 01-05-2026") and notes[2].endswith("| Namespace column. |")
    assert notes[3].startswith("| 3.1.0 ")
    assert '"version": "3.2.0"' in (solution_copy / "Package" / "mainTemplate.json").read_text(encoding="utf-8")


@pytest.mark.parametrize(("part", "expected"), [("major", "4.0.0"), ("minor", "3.2.0"), ("patch", "3.1.1")])
def test_each_part_bumps_semver(part: str, expected: str, solution_copy: Path) -> None:
    from sentinel_pack.release import plan

    release_plan = plan(load_manifest(solution_copy), part, "x", "2026-05-01")
    assert release_plan.new_version == expected


def test_messages_that_need_quoting_read_back_unchanged(solution_copy: Path) -> None:
    message = "Fix: 'quotes', #hash, [brackets] & a: colon"
    result = CliRunner().invoke(app, ["release", "patch", "-m", message, str(solution_copy), "--date", "2026-05-01",
                                      "-q"])
    assert result.exit_code == 0, result.output
    assert load_manifest(solution_copy).data["release_notes"][0]["changes"] == [message]


def test_default_date_is_today(solution_copy: Path) -> None:
    from datetime import date

    result = CliRunner().invoke(app, ["release", "patch", "-m", "x", str(solution_copy), "-q"])
    assert result.exit_code == 0, result.output
    assert load_manifest(solution_copy).data["release_notes"][0]["date"] == date.today().isoformat()


def test_quoted_version_and_flow_entries_are_edited_in_their_style(solution_copy: Path) -> None:
    manifest = solution_copy / "solution.yaml"
    text = manifest.read_text(encoding="utf-8")
    text = text.replace("  version: 3.1.0\n", '  version: "3.1.0"\n', 1)
    start = text.index("release_notes:\n")
    text = text[:start] + 'release_notes:\n  - {version: 3.1.0, date: 2026-03-12, changes: ["Initial."]}\n'
    manifest.write_text(text, encoding="utf-8")

    result = CliRunner().invoke(app, ["release", "patch", "-m", "Second.", str(solution_copy),
                                      "--date", "2026-05-01", "--quiet"])
    assert result.exit_code == 0, result.output
    after = manifest.read_text(encoding="utf-8")
    assert '  version: "3.1.1"\n' in after
    assert after.endswith('release_notes:\n  - {version: 3.1.1, date: 2026-05-01, changes: ["Second."]}\n'
                          '  - {version: 3.1.0, date: 2026-03-12, changes: ["Initial."]}\n')


def test_crlf_manifest_keeps_crlf(solution_copy: Path) -> None:
    manifest = solution_copy / "solution.yaml"
    manifest.write_bytes(manifest.read_bytes().replace(b"\n", b"\r\n"))
    result = CliRunner().invoke(app, ["release", "patch", "-m", "x", str(solution_copy), "--date", "2026-05-01",
                                      "-q"])
    assert result.exit_code == 0, result.output
    raw = manifest.read_bytes()
    assert b"\r\n  - version: 3.1.1\r\n    date: 2026-05-01\r\n" in raw
    assert raw.count(b"\n") == raw.count(b"\r\n")


def _files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): _sha(p) for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize(("args", "code", "message"), [
    (["patch", "-m", "  "], 2, "the release message is empty"),
    (["patch", "-m", "two\nlines"], 2, "must be one line"),
    (["patch", "-m", "x", "--date", "01-05-2026"], 2, "is not a date like"),
    (["bogus", "-m", "x"], 2, "bogus"),
])
def test_bad_arguments_change_nothing(args: list[str], code: int, message: str, solution_copy: Path) -> None:
    before = _files(solution_copy)
    result = CliRunner().invoke(app, ["release", *args, str(solution_copy)])
    assert result.exit_code == code, result.output
    assert message in result.output
    assert _files(solution_copy) == before


def test_missing_manifest_is_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["release", "patch", "-m", "x", str(tmp_path)])
    assert result.exit_code == 2
    assert "no solution.yaml in this folder" in result.output


def test_existing_entry_for_the_new_version_is_refused(solution_copy: Path) -> None:
    manifest = solution_copy / "solution.yaml"
    text = manifest.read_text(encoding="utf-8").replace(
        "release_notes:\n", "release_notes:\n  - version: 3.1.1\n    date: 2026-04-01\n    changes: [Draft.]\n")
    manifest.write_text(text, encoding="utf-8")
    before = _files(solution_copy)
    result = CliRunner().invoke(app, ["release", "patch", "-m", "x", str(solution_copy)])
    assert result.exit_code == 1
    assert "release_notes already has an entry for 3.1.1" in result.output
    assert _files(solution_copy) == before


def test_release_notes_not_in_block_style_cannot_be_edited_safely(solution_copy: Path) -> None:
    manifest = solution_copy / "solution.yaml"
    text = manifest.read_text(encoding="utf-8")
    start = text.index("release_notes:\n")
    manifest.write_text(text[:start] + "release_notes: [{version: 3.1.0, date: 2026-03-12, changes: [x]}]\n",
                        encoding="utf-8")
    before = _files(solution_copy)
    result = CliRunner().invoke(app, ["release", "patch", "-m", "x", str(solution_copy)])
    assert result.exit_code == 1
    assert "cannot edit the manifest safely" in result.output
    assert f"{manifest}:" in result.output
    assert _files(solution_copy) == before


def test_a_changed_zip_for_the_new_version_aborts_before_any_write(solution_copy: Path) -> None:
    """Package/3.1.1.zip already released with other content: the manifest must stay as it was."""
    (solution_copy / "Package" / "3.1.1.zip").write_bytes((solution_copy / "Package" / "3.1.0.zip").read_bytes())
    before = _files(solution_copy)
    result = CliRunner().invoke(app, ["release", "patch", "-m", "x", str(solution_copy), "--date", "2026-05-01"])
    assert result.exit_code == 1
    assert "this version's package already exists with different content" in result.output
    assert _files(solution_copy) == before
