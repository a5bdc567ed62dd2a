"""Two builds of the same inputs give byte-identical files and zips."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import pytest
from conftest import CURRENT_ZIP, SOLUTION
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinel_pack.package.build import build, source_date_epoch
from sentinel_pack.package.zipper import deterministic_zip


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    build(SOLUTION, tmp_path / "a")
    build(SOLUTION, tmp_path / "b")
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")


def test_zip_entries_are_sorted_with_fixed_time_and_mode(built_eks: Path) -> None:
    with zipfile.ZipFile(built_eks / "Package/3.0.0.zip") as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == ["createUiDefinition.json", "mainTemplate.json"]
        for info in infos:
            assert info.date_time == (2026, 3, 12, 0, 0, 0)  # the 3.0.0 release date
            assert stat.S_IMODE(info.external_attr >> 16) == 0o644
            assert archive.read(info) == (built_eks / "Package" / info.filename).read_bytes()


def test_source_date_epoch_sets_the_zip_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14T22:13:20Z
    build(SOLUTION, tmp_path)
    with zipfile.ZipFile(tmp_path / CURRENT_ZIP) as archive:
        assert archive.infolist()[0].date_time == (2023, 11, 14, 22, 13, 20)


def test_bad_source_date_epoch_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from sentinel_pack.errors import SentinelPackError

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(SentinelPackError, match="SOURCE_DATE_EPOCH must be a whole number"):
        source_date_epoch("2026-03-12")


@settings(max_examples=50, deadline=None)
@given(st.dictionaries(st.text(alphabet="abcdefghij_.", min_size=1, max_size=12), st.binary(max_size=200),
                       min_size=1, max_size=5),
       st.integers(min_value=0, max_value=2**31 - 1))
def test_zip_bytes_depend_only_on_content_and_time(files: dict[str, bytes], timestamp: int) -> None:
    """Insertion order never matters; the content always reads back unchanged."""
    reversed_files = dict(reversed(list(files.items())))
    data = deterministic_zip(files, timestamp)
    assert data == deterministic_zip(reversed_files, timestamp)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {i.filename: archive.read(i) for i in archive.infolist()} == files


def test_rebuild_reports_unchanged_and_keeps_the_zip(tmp_path: Path) -> None:
    build(SOLUTION, tmp_path)
    before = (tmp_path / CURRENT_ZIP).stat().st_mtime_ns
    _, written = build(SOLUTION, tmp_path)
    assert {w.status for w in written} == {"unchanged"}
    assert (tmp_path / CURRENT_ZIP).stat().st_mtime_ns == before


def test_a_released_zip_is_never_overwritten_silently(tmp_path: Path, solution_copy: Path) -> None:
    from sentinel_pack.errors import SentinelPackError

    build(solution_copy, tmp_path)
    released = (tmp_path / CURRENT_ZIP).read_bytes()
    manifest = solution_copy / "solution.yaml"
    manifest.write_text(manifest.read_text().replace("legend: AWS EKS Messages", "legend: EKS audit events"))
    with pytest.raises(SentinelPackError, match="already exists with different content"):
        build(solution_copy, tmp_path)
    assert (tmp_path / CURRENT_ZIP).read_bytes() == released
    # and nothing else was touched either
    assert "AWS EKS Messages" in (tmp_path / "Package/mainTemplate.json").read_text()
    build(solution_copy, tmp_path, force=True)
    assert (tmp_path / CURRENT_ZIP).read_bytes() != released


def test_older_zips_in_package_stay(tmp_path: Path) -> None:
    (tmp_path / "Package").mkdir()
    old = io.BytesIO()
    with zipfile.ZipFile(old, "w") as archive:  # a readable zip: a corrupt one is an SP005 error
        archive.writestr("notes.txt", "old release")
    (tmp_path / "Package/2.0.0.zip").write_bytes(old.getvalue())
    build(SOLUTION, tmp_path)
    assert (tmp_path / "Package/2.0.0.zip").read_bytes() == old.getvalue()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".sentinel-pack-")]
