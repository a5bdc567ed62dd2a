"""``sentinel-pack release``: version bump, release-notes entry, rebuild; comments and old zips stay."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from conftest import CURRENT_ZIP, SOLUTION_VERSION, bumped
from typer.testing import CliRunner

from sentinel_pack.cli import app
from sentinel_pack.manifest.load import load_manifest


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_release_bumps_adds_the_row_keeps_comments_and_the_old_zip(solution_copy: Path) -> None:
    manifest = solution_copy / "solution.yaml"
    before = manifest.read_text(encoding="utf-8")
    old_zip = solution_copy / CURRENT_ZIP
    new = bumped("minor")
    old_zip_sha = _sha(old_zip)

    result = CliRunner().invoke(app, ["release", "minor", "-m", "Namespace column.", str(solution_copy),
                                      "--date", "2026-05-01"])
    assert result.exit_code == 0, result.output
    assert f"released {SOLUTION_VERSION} -> {new}" in result.output

    after = manifest.read_text(encoding="utf-8")
    # Exactly two edits: the version line and four new lines above the first release entry.
    import difflib

    delta = [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
             if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert delta == [f"-  version: {SOLUTION_VERSION}", f"+  version: {new}",
                     f"+  - version: {new}", "+    date: 2026-05-01", "+    changes:", "+      - Namespace column."]
    for comment in [line for line in before.splitlines() if line.lstrip().startswith("#")]:
        assert comment in after.splitlines()

    data = load_manifest(solution_copy).data
    assert data["solution"]["version"] == new
    assert data["release_notes"][0] == {"version": new, "date": "2026-05-01", "changes": ["Namespace column."]}

    assert _sha(old_zip) == old_zip_sha
    assert (solution_copy / "Package" / f"{new}.zip").is_file()
    notes = (solution_copy / "ReleaseNotes.md").read_text(encoding="utf-8").splitlines()
    assert notes[2].startswith(f"| {new}       | 01-05-2026") and notes[2].endswith("| Namespace column. |")
    assert notes[3].startswith(f"| {SOLUTION_VERSION} ")
    assert f'"version": "{new}"' in (solution_copy / "Package" / "mainTemplate.json").read_text(encoding="utf-8")


@pytest.mark.parametrize(("version", "part", "expected"), [
    ("7.4.2", "major", "8.0.0"), ("7.4.2", "minor", "7.5.0"), ("7.4.2", "patch", "7.4.3"), ("7.9.9", "minor", "7.10.0")])
def test_each_part_bumps_semver(version: str, part: str, expected: str, solution_copy: Path) -> None:
    from sentinel_pack.package.release import plan

    manifest = solution_copy / "solution.yaml"
    text = manifest.read_text(encoding="utf-8").replace(f"  version: {SOLUTION_VERSION}\n", f"  version: {version}\n", 1)
    manifest.write_text(text.replace(f"  - version: {SOLUTION_VERSION}\n", f"  - version: {version}\n", 1),
                        encoding="utf-8")
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
    text = text.replace(f"  version: {SOLUTION_VERSION}\n", f'  version: "{SOLUTION_VERSION}"\n', 1)
    start = text.index("release_notes:\n")
    text = text[:start] + f'release_notes:\n  - {{version: {SOLUTION_VERSION}, date: 2026-03-12, changes: ["Initial."]}}\n'
    manifest.write_text(text, encoding="utf-8")

    result = CliRunner().invoke(app, ["release", "patch", "-m", "Second.", str(solution_copy),
                                      "--date", "2026-05-01", "--quiet"])
    assert result.exit_code == 0, result.output
    after = manifest.read_text(encoding="utf-8")
    patch = bumped("patch")
    assert f'  version: "{patch}"\n' in after
    assert after.endswith(f'release_notes:\n  - {{version: {patch}, date: 2026-05-01, changes: ["Second."]}}\n'
                          f'  - {{version: {SOLUTION_VERSION}, date: 2026-03-12, changes: ["Initial."]}}\n')


def test_crlf_manifest_keeps_crlf(solution_copy: Path) -> None:
    manifest = solution_copy / "solution.yaml"
    manifest.write_bytes(manifest.read_bytes().replace(b"\n", b"\r\n"))
    result = CliRunner().invoke(app, ["release", "patch", "-m", "x", str(solution_copy), "--date", "2026-05-01",
                                      "-q"])
    assert result.exit_code == 0, result.output
    raw = manifest.read_bytes()
    assert f"\r\n  - version: {bumped('patch')}\r\n    date: 2026-05-01\r\n".encode() in raw
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
        "release_notes:\n", f"release_notes:\n  - version: {bumped('patch')}\n    date: 2026-04-01\n    changes: [Draft.]\n")
    manifest.write_text(text, encoding="utf-8")
    before = _files(solution_copy)
    result = CliRunner().invoke(app, ["release", "patch", "-m", "x", str(solution_copy)])
    assert result.exit_code == 1
    assert f"release_notes already has an entry for {bumped('patch')}" in result.output
    assert _files(solution_copy) == before


def test_release_notes_not_in_block_style_cannot_be_edited_safely(solution_copy: Path) -> None:
    manifest = solution_copy / "solution.yaml"
    text = manifest.read_text(encoding="utf-8")
    start = text.index("release_notes:\n")
    manifest.write_text(text[:start] + f"release_notes: [{{version: {SOLUTION_VERSION}, date: 2026-03-12, changes: [x]}}]\n",
                        encoding="utf-8")
    before = _files(solution_copy)
    result = CliRunner().invoke(app, ["release", "patch", "-m", "x", str(solution_copy)])
    assert result.exit_code == 1
    assert "cannot edit the manifest safely" in result.output
    assert f"{manifest}:" in result.output
    assert _files(solution_copy) == before


def test_a_changed_zip_for_the_new_version_aborts_before_any_write(solution_copy: Path) -> None:
    """Package/<patch>.zip already released with other content: the manifest must stay as it was."""
    (solution_copy / "Package" / f"{bumped('patch')}.zip").write_bytes((solution_copy / CURRENT_ZIP).read_bytes())
    before = _files(solution_copy)
    result = CliRunner().invoke(app, ["release", "patch", "-m", "x", str(solution_copy), "--date", "2026-05-01"])
    assert result.exit_code == 1
    assert "this version's package already exists with different content" in result.output
    assert _files(solution_copy) == before
