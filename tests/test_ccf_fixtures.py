"""Hand-written manifests of the other CCF kinds (GCP, Push, a Link-header paged RestApiPoller).

Each folder holds the manifest and what ``build`` writes from it, in the Azure-Sentinel layout:
the build must reproduce those files byte for byte, ``validate`` must find nothing, and
``import`` of the built folder must give back a manifest that rebuilds the same package.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sentinel_pack.importer.run import import_solution
from sentinel_pack.package.build import build
from sentinel_pack.validate.runner import validate_paths

FIXTURES = Path(__file__).parent / "fixtures"
FOLDERS = {"GCP": "Tailspin GCP", "Push": "Litware Push", "RestApiPoller": "Adatum Links"}


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != "solution.yaml"}


@pytest.mark.parametrize("kind", FOLDERS)
def test_build_reproduces_the_committed_files(kind: str, tmp_path: Path) -> None:
    folder = FIXTURES / FOLDERS[kind]
    build(folder, tmp_path / "out")
    assert _files(tmp_path / "out") == _files(folder)
    poller = json.loads((folder / "Data Connectors").glob("*_PollingConfig.json").__next__().read_text())
    assert poller["kind"] == kind


@pytest.mark.parametrize("kind", FOLDERS)
def test_validate_finds_nothing(kind: str) -> None:
    assert [f.render() for f in validate_paths([FIXTURES / FOLDERS[kind]])] == []


@pytest.mark.parametrize("kind", FOLDERS)
def test_import_of_the_built_folder_round_trips(kind: str, tmp_path: Path) -> None:
    copy = tmp_path / FOLDERS[kind]
    shutil.copytree(FIXTURES / FOLDERS[kind], copy)
    (copy / "solution.yaml").unlink()
    imported, differences, _ = import_solution(copy, tmp_path / "manifest")
    assert [(d.path, d.original, d.rebuilt) for d in differences] == []
    assert imported.manifest["poller"]["kind"] == kind
