"""Crafted zips are refused before anything is inflated or written (exit code 2)."""

from __future__ import annotations

import io
import os
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sentinel_pack.cli import app
from sentinel_pack.diff.safezip import ZipLimits, read_zip

PACKAGE = {"mainTemplate.json": b"{}", "createUiDefinition.json": b"{}"}


def _zip(path: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in entries:
            archive.writestr(info, data)
    return path


def traversal(path: Path) -> Path:
    return _zip(path, [*PACKAGE.items(), ("../x", b"owned")])


def absolute(path: Path) -> Path:
    # zipfile strips a leading "/" when writing by name; a ZipInfo keeps it, as an attacker would.
    info = zipfile.ZipInfo("mainTemplate.json")
    info.filename = "/etc/x"
    return _zip(path, [(info, b"owned")])


def windows_absolute(path: Path) -> Path:
    info = zipfile.ZipInfo("x")
    info.filename = "C:\\x"
    return _zip(path, [(info, b"owned")])


def symlink(path: Path) -> Path:
    info = zipfile.ZipInfo("mainTemplate.json")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return _zip(path, [(info, b"/etc/passwd")])


def bomb(path: Path) -> Path:
    """One member of 80 MiB of zeros: about 80 KiB compressed."""
    info = zipfile.ZipInfo("mainTemplate.json")
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(path, "w") as archive, archive.open(info, "w", force_zip64=True) as member:
        block = bytes(1024 * 1024)
        for _ in range(80):
            member.write(block)
    return path


def ratio_bomb(path: Path) -> Path:
    """Under the total limit, but 20 MiB inflated from a few KiB."""
    return _zip(path, [("mainTemplate.json", bytes(20 * 1024 * 1024))])


def many_entries(path: Path) -> Path:
    return _zip(path, [(f"f{i}.json", b"{}") for i in range(1001)])


def duplicate(path: Path) -> Path:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name it is asked to write
        return _zip(path, [("mainTemplate.json", b"{}"), ("mainTemplate.json", b"[]")])


def markup_name(path: Path) -> Path:
    """An entry name that rich would read as a closing tag if it were printed as markup."""
    return _zip(path, [("../[/bold]x", b"owned")])


CASES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "markup-in-name": (markup_name, "../[/bold]x: '..' in an entry path"),
    "traversal": (traversal, "'..' in an entry path"),
    "absolute": (absolute, "absolute path in the zip"),
    "windows-absolute": (windows_absolute, "absolute path in the zip"),
    "symlink": (symlink, "symbolic link entry"),
    "bomb": (bomb, "inflates to"),
    "ratio-bomb": (ratio_bomb, "looks like a zip bomb"),
    "too-many-entries": (many_entries, "the zip has 1,001 entries (limit 1,000)"),
    "duplicate": (duplicate, "the same entry name appears twice"),
}


def _snapshot(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.parametrize("case", sorted(CASES))
def test_crafted_zip_is_refused_with_exit_2_and_nothing_written(case: str, tmp_path: Path, built_eks: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    make, message = CASES[case]
    work = tmp_path / "work"
    work.mkdir()
    evil = make(tmp_path / "evil.zip")
    monkeypatch.chdir(work)
    before = _snapshot(tmp_path)
    result = CliRunner().invoke(app, ["diff", str(built_eks / "Package" / "3.0.0.zip"), str(evil)])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert str(evil) in result.output
    assert "Traceback" not in result.output
    assert _snapshot(tmp_path) == before
    assert not (tmp_path / "x").exists() and not (tmp_path.parent / "x").exists()
    assert not os.path.exists("/etc/x")


def test_forged_size_cannot_inflate_past_the_declared_size(tmp_path: Path) -> None:
    """The central directory says 2 bytes; the data inflates to far more."""
    good = _zip(tmp_path / "good.zip", [("mainTemplate.json", bytes(500_000))])
    data = bytearray(good.read_bytes())
    # Patch the uncompressed size in the local header (offset 22) and the central directory.
    real = (500_000).to_bytes(4, "little")
    for at in [i for i in range(len(data) - 4) if data[i:i + 4] == real]:
        data[at:at + 4] = (2).to_bytes(4, "little")
    forged = tmp_path / "forged.zip"
    forged.write_bytes(bytes(data))
    from sentinel_pack.errors import SentinelPackError

    with pytest.raises(SentinelPackError) as caught:
        read_zip(forged)
    assert caught.value.exit_code == 2


def test_a_package_zip_passes_and_is_read_in_memory(built_eks: Path) -> None:
    members = read_zip(built_eks / "Package" / "3.0.0.zip")
    assert set(members) == {"mainTemplate.json", "createUiDefinition.json"}
    assert members["mainTemplate.json"] == (built_eks / "Package" / "mainTemplate.json").read_bytes()


def test_limits_are_configurable(tmp_path: Path) -> None:
    from sentinel_pack.diff.safezip import UnsafeZip

    path = _zip(tmp_path / "small.zip", [("a.json", b"{}"), ("b.json", b"{}"), ("c.json", b"{}")])
    with pytest.raises(UnsafeZip, match="3 entries"):
        read_zip(path, ZipLimits(max_entries=2))
    with pytest.raises(UnsafeZip, match="more than 5 bytes in total"):
        read_zip(path, ZipLimits(max_total_bytes=5))


def test_not_a_zip_is_an_io_error(tmp_path: Path, built_eks: Path) -> None:
    fake = tmp_path / "fake.zip"
    fake.write_bytes(b"PK\x03\x04 but not really")
    result = CliRunner().invoke(app, ["diff", str(built_eks), str(fake)])
    assert result.exit_code == 2
    assert "not a readable zip file" in result.output


def test_nested_entry_names_are_accepted() -> None:
    """Folders inside a zip are fine; only names that leave the folder are refused."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a/b.json", b"{}")
    with zipfile.ZipFile(buffer) as archive:
        from sentinel_pack.diff.safezip import check_archive

        assert [i.filename for i in check_archive(archive, "mem", ZipLimits())] == ["a/b.json"]
