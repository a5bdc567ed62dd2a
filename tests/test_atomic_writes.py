"""Nothing written outside, nothing half-written: paths, links, released zips, interrupted switches.

Issue 16, defects 1, 3, 4, 5 and 6. The fault-injection tests are at the end of the file.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest
from conftest import snapshot
from typer.testing import CliRunner

from sentinel_pack.cli import app

STAGING = ".sentinel-pack-staging"  # writer.STAGING

runner = CliRunner()


def _edit(manifest: Path, old: str, new: str) -> None:
    text = manifest.read_text(encoding="utf-8")
    assert old in text, old
    manifest.write_text(text.replace(old, new, 1), encoding="utf-8")


# --- defect 1: a manifest path through '..' that resolves back inside ------------------------------

def test_rule_path_through_dotdot_is_refused_and_nothing_is_written_outside(tmp_path: Path) -> None:
    import shutil

    from conftest import SOLUTION

    solution = tmp_path / "sol"
    shutil.copytree(SOLUTION, solution)
    rule = next((solution / "Analytic Rules").glob("*.yaml")).name
    _edit(solution / "solution.yaml", f"  - Analytic Rules/{rule}", f"  - ../sol/Analytic Rules/{rule}")
    victim = tmp_path / "victim"

    result = runner.invoke(app, ["build", str(solution), "--out", str(victim / "out")])

    assert result.exit_code == 1, result.output
    assert f"'../sol/Analytic Rules/{rule}' goes through '..'" in " ".join(result.output.split())
    assert not victim.exists()


def test_writer_refuses_names_that_leave_the_folder(tmp_path: Path) -> None:
    from sentinel_pack.errors import SentinelPackError
    from sentinel_pack.package.writer import write_outputs

    for name in ("../x", "a/../../x", "/etc/x", "a\nb", "a\\..\\x", "C:/x", "./a"):
        with pytest.raises(SentinelPackError, match="plain relative path"):
            write_outputs(tmp_path / "out", {name: b"x"})
    assert snapshot(tmp_path) == {}


# --- defect 4: links out of the solution, and through the output folder -----------------------------

def test_template_symlink_leading_outside_is_refused(solution_copy: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text('{"stolen": "TOP SECRET"}')
    overrides = solution_copy / "overrides" / "connector"
    overrides.mkdir(parents=True)
    (overrides / "Table.json.j2").symlink_to(secret)
    _edit(solution_copy / "solution.yaml", "manifest_version: 1\n", "manifest_version: 1\ntemplates_dir: overrides\n")

    result = runner.invoke(app, ["build", str(solution_copy), "--out", str(tmp_path / "out")])

    assert result.exit_code == 1, result.output
    assert "Table.json.j2: the template is a link to a file outside its folder" in " ".join(result.output.split())
    assert not (tmp_path / "out").exists()


def test_template_include_of_a_linked_file_is_refused(solution_copy: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    overrides = solution_copy / "overrides"
    overrides.mkdir()
    (overrides / "leak.txt").symlink_to(secret)
    (overrides / "connector").mkdir()
    (overrides / "connector" / "Table.json.j2").write_text('{"x": "{% include "leak.txt" %}"}')
    _edit(solution_copy / "solution.yaml", "manifest_version: 1\n", "manifest_version: 1\ntemplates_dir: overrides\n")

    result = runner.invoke(app, ["build", str(solution_copy), "--out", str(tmp_path / "out")])

    assert result.exit_code == 1, result.output
    assert "TOP SECRET" not in result.output
    assert "leak.txt: the template is a link to a file outside its folder" in " ".join(result.output.split())


def test_in_place_build_does_not_write_through_a_linked_folder(solution_copy: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("mine")
    import shutil

    shutil.rmtree(solution_copy / "Data")
    (solution_copy / "Data").symlink_to(elsewhere, target_is_directory=True)
    before = snapshot(solution_copy)

    result = runner.invoke(app, ["build", str(solution_copy)])

    assert result.exit_code == 2, result.output
    assert "Data: this is a symbolic link: a build writes only inside the output folder" in \
        " ".join(result.output.split())
    assert snapshot(elsewhere) == {"keep.txt": b"mine"}
    assert snapshot(solution_copy) == before


# --- defect 3: an error in the middle of the move ----------------------------------------------------

@pytest.fixture
def old_build(cli_build: dict[str, bytes]) -> dict[str, bytes]:
    return cli_build


def _restore(root: Path, files: dict[str, bytes]) -> None:
    for rel, content in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(content)


def test_a_file_where_a_folder_is_needed_changes_nothing(solution_copy: Path, tmp_path: Path,
                                                         old_build: dict[str, bytes]) -> None:
    out = tmp_path / "out"
    _restore(out, {k: v for k, v in old_build.items() if not k.startswith("Hunting Queries/")})
    (out / "Hunting Queries").write_text("a file in the way")
    _edit(solution_copy / "solution.yaml", "title: AWS EKS Data Connector (via", "title: AWS EKS Connector (via")
    before = snapshot(out)

    result = runner.invoke(app, ["build", str(solution_copy), "--out", str(out), "--force"])

    assert result.exit_code == 2, result.output
    assert "Hunting Queries: this is a file, but Hunting Queries/" in " ".join(result.output.split())
    assert snapshot(out) == before


def test_a_half_finished_switch_is_recovered_by_the_next_build(solution_copy: Path, tmp_path: Path,
                                                                old_build: dict[str, bytes]) -> None:
    """What a SIGKILL between two renames leaves: the next build finishes the switch first."""
    from sentinel_pack.package.writer import JOURNAL, recover

    out = tmp_path / "out"
    _restore(out, old_build)
    staging = out / STAGING
    new_definition = b'{"new": true}'
    (staging / "new" / "Data Connectors").mkdir(parents=True)
    (staging / "new" / "Data Connectors" / "AWSEKS_ConnectorDefinition.json").write_bytes(new_definition)
    (staging / "new" / "ReleaseNotes.md").write_bytes(b"new notes")
    (staging / JOURNAL).write_text('{"switch": ["Data Connectors/AWSEKS_ConnectorDefinition.json", '
                                   '"ReleaseNotes.md"]}')
    # killed after the first file was switched, before the second
    (staging / "new" / "Data Connectors" / "AWSEKS_ConnectorDefinition.json").replace(
        out / "Data Connectors" / "AWSEKS_ConnectorDefinition.json")

    from sentinel_pack.package.writer import pending_switch

    assert pending_switch(out)
    result = runner.invoke(app, ["validate", str(out), "--select", "SP008"])
    assert result.exit_code == 1 and "a build was killed while switching files into place" in result.output
    assert recover(out) is True
    result = runner.invoke(app, ["validate", str(out), "--select", "SP008"])
    assert result.exit_code == 0, result.output
    assert not pending_switch(out)
    assert not staging.exists()
    assert (out / "ReleaseNotes.md").read_bytes() == b"new notes"
    assert (out / "Data Connectors" / "AWSEKS_ConnectorDefinition.json").read_bytes() == new_definition

    # An uncommitted staging folder (killed while writing it) is dropped: the old state stays.
    (staging / "new").mkdir(parents=True)
    (staging / "new" / "ReleaseNotes.md").write_bytes(b"half")
    result = runner.invoke(app, ["build", str(solution_copy), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert snapshot(out) == old_build


# --- defect 6: a released zip never changes ----------------------------------------------------------

def test_released_zip_keeps_its_bytes(solution_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      old_build: dict[str, bytes]) -> None:
    out = tmp_path / "out"
    _restore(out, old_build)
    from conftest import CURRENT_ZIP, SOLUTION_RELEASE_DATE, SOLUTION_VERSION

    zip_path = out / CURRENT_ZIP
    released = zip_path.read_bytes()

    # another release date for the same version: same content, other timestamps
    _edit(solution_copy / "solution.yaml", f"  - version: {SOLUTION_VERSION}\n    date: {SOLUTION_RELEASE_DATE}",
          f"  - version: {SOLUTION_VERSION}\n    date: 2026-04-01")
    result = runner.invoke(app, ["build", str(solution_copy), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert zip_path.read_bytes() == released
    assert CURRENT_ZIP in result.output and "updated" not in result.output.split(CURRENT_ZIP)[1][:60]

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    result = runner.invoke(app, ["build", str(solution_copy), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert zip_path.read_bytes() == released
    monkeypatch.delenv("SOURCE_DATE_EPOCH")

    # a same-content zip with other timestamps on disk is kept as it is
    with zipfile.ZipFile(zip_path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    with zipfile.ZipFile(zip_path, "w") as archive:
        for name, content in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2030, 1, 2, 3, 4, 6)), content)
    other_bytes = zip_path.read_bytes()
    result = runner.invoke(app, ["build", str(solution_copy), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert zip_path.read_bytes() == other_bytes

    # different content: refused, exit 1, nothing written
    _edit(solution_copy / "solution.yaml", "title: AWS EKS Data Connector (via", "title: AWS EKS Connector (via")
    before = snapshot(out)
    result = runner.invoke(app, ["build", str(solution_copy), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "this version's package already exists with different content" in result.output
    assert snapshot(out) == before


def test_sigterm_during_a_real_build_leaves_old_or_new(solution_copy: Path, tmp_path: Path,
                                                       old_build: dict[str, bytes]) -> None:
    """The CLI in its own process, terminated as soon as it starts switching files."""
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "out"
    _restore(out, old_build)
    _edit(solution_copy / "solution.yaml", "title: AWS EKS Data Connector (via", "title: AWS EKS Connector (via")
    process = subprocess.Popen([sys.executable, "-m", "sentinel_pack", "build", str(solution_copy), "--out", str(out),
                                "--force", "-q"], stderr=subprocess.PIPE)
    while process.poll() is None and not (out / STAGING).exists():
        time.sleep(0.0005)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)

    assert process.returncode in (0, 128 + signal.SIGTERM, -signal.SIGTERM), stderr
    assert not (out / STAGING).exists()
    after = snapshot(out)
    if process.returncode == 0 or after != old_build:
        assert process.returncode != -signal.SIGTERM, "SIGTERM must not kill a build mid-switch"
        rebuilt = tmp_path / "rebuilt"
        _restore(rebuilt, old_build)
        result = runner.invoke(app, ["build", str(solution_copy), "--out", str(rebuilt), "--force", "-q"])
        assert result.exit_code == 0, result.output
        assert after == snapshot(rebuilt)


def test_a_kept_zip_is_not_reported_stale(solution_copy: Path) -> None:
    """Only the release date changed: build keeps the zip, and validate must not call it stale."""
    from conftest import CURRENT_ZIP, SOLUTION_RELEASE_DATE, SOLUTION_VERSION

    released = (solution_copy / CURRENT_ZIP).read_bytes()
    _edit(solution_copy / "solution.yaml", f"  - version: {SOLUTION_VERSION}\n    date: {SOLUTION_RELEASE_DATE}",
          f"  - version: {SOLUTION_VERSION}\n    date: 2026-04-01")
    result = runner.invoke(app, ["build", str(solution_copy), "-q"])
    assert result.exit_code == 0, result.output
    assert (solution_copy / CURRENT_ZIP).read_bytes() == released

    result = runner.invoke(app, ["validate", str(solution_copy), "--select", "SP504"])
    assert result.exit_code == 0, result.output


def test_a_second_writer_is_refused_while_the_first_holds_the_folder(tmp_path: Path) -> None:
    import fcntl

    from sentinel_pack.errors import SentinelPackError
    from sentinel_pack.package.writer import write_outputs

    out = tmp_path / "out"
    out.mkdir()
    fd = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a concurrent build holds it
        with pytest.raises(SentinelPackError, match="another sentinel-pack run is writing this folder"):
            write_outputs(out, {"a.json": b"{}"})
    finally:
        os.close(fd)
    write_outputs(out, {"a.json": b"{}"})
    assert snapshot(out) == {"a.json": b"{}"}


def test_a_staging_folder_of_an_older_version_is_removed(tmp_path: Path) -> None:
    from sentinel_pack.package.writer import recover, write_outputs

    out = tmp_path / "out"
    (out / ".sentinel-pack-ab12_x9z" / "Package").mkdir(parents=True)  # tempfile.mkdtemp's name, before the journal
    (out / ".sentinel-pack-ab12_x9z" / "Package" / "mainTemplate.json").write_text("{}")
    (out / ".sentinel-pack-notes").mkdir()  # not one of ours: kept
    assert recover(out) is False
    assert sorted(p.name for p in out.iterdir()) == [".sentinel-pack-notes"]
    write_outputs(out, {"a.json": b"{}"})
    assert sorted(p.name for p in out.iterdir()) == [".sentinel-pack-notes", "a.json"]
