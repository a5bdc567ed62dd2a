"""``import`` never reads a file outside its source folder through a link (issue 16).

A solution folder from an untrusted pull request could link ``Package/mainTemplate.json`` to
``/etc/passwd`` or ``~/.ssh/...``; the import would have copied what it read into the output.
Links that stay inside the folder are followed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from sentinel_pack.cli import app
from sentinel_pack.importer.run import import_solution

runner = CliRunner()
SECRET = "do-not-copy-3f9c"
MESSAGE = "points outside the solution folder; not read"


@pytest.fixture
def upstream(tmp_path: Path, reference_eks: Path) -> Path:
    dest = tmp_path / "AWS EKS"
    shutil.copytree(reference_eks, dest)
    return dest


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the solution holding a 'secret' (valid JSON, so only the link check stops it)."""
    folder = tmp_path / "private"
    folder.mkdir()
    (folder / "secret.json").write_text(json.dumps({"key": SECRET, "Version": "9.9.9"}))
    (folder / "secret.md").write_text(f"| 3.0.0 | 01-01-2024 | {SECRET} |\n")
    return folder


def _import_refused(upstream: Path, out: Path, linked: Path) -> str:
    result = runner.invoke(app, ["import", str(upstream), "--out", str(out)])
    assert result.exit_code == 1, result.output
    output = " ".join(result.output.split())
    assert f"{linked}: the file is a link (or lies in a linked folder) that {MESSAGE}" in output
    assert "fix: replace the link with a copy of the file, or point it at a file inside the folder" in output
    assert SECRET not in result.output
    assert not out.exists()
    return output


@pytest.mark.parametrize(("rel", "target"), [("Package/mainTemplate.json", "secret.json"),
                                             ("ReleaseNotes.md", "secret.md")])
def test_a_linked_file_pointing_outside_is_refused(upstream: Path, outside: Path, tmp_path: Path, rel: str,
                                                   target: str) -> None:
    linked = upstream / rel
    linked.unlink()
    linked.symlink_to(outside / target)
    _import_refused(upstream, tmp_path / "m", linked)


def test_a_linked_folder_pointing_outside_is_refused(upstream: Path, outside: Path, tmp_path: Path) -> None:
    """Every file under a linked folder resolves outside, so the first one read is named."""
    moved = outside / "Data Connectors"
    shutil.move(upstream / "Data Connectors", moved)
    (upstream / "Data Connectors").symlink_to(moved, target_is_directory=True)
    first = sorted(p.name for p in moved.rglob("*.json"))[0]
    _import_refused(upstream, tmp_path / "m", upstream / "Data Connectors" / first)


def test_a_link_chain_leaving_the_folder_is_refused(upstream: Path, outside: Path, tmp_path: Path) -> None:
    """SolutionMetadata.json -> Shared/meta.json (inside) -> ../../private/secret.json (outside)."""
    (upstream / "Shared").mkdir()
    (upstream / "Shared/meta.json").symlink_to(outside / "secret.json")
    metadata = upstream / "SolutionMetadata.json"
    metadata.unlink()
    metadata.symlink_to(Path("Shared/meta.json"))
    _import_refused(upstream, tmp_path / "m", metadata)


def test_a_listed_rule_file_linked_outside_is_refused(upstream: Path, outside: Path, tmp_path: Path) -> None:
    """Files the Data file lists are copied into the output as they are: the worst place for a secret."""
    (outside / "rule.yaml").write_text(f"id: {SECRET}\n")
    (upstream / "Analytic Rules").mkdir()
    (upstream / "Analytic Rules/Rule.yaml").symlink_to(outside / "rule.yaml")
    data_file = upstream / "Data/Solution_AWSEKS.json"
    data = json.loads(data_file.read_text())
    data["Analytic Rules"] = ["Analytic Rules/Rule.yaml"]
    data_file.write_text(json.dumps(data))
    _import_refused(upstream, tmp_path / "m", upstream / "Analytic Rules/Rule.yaml")


def test_an_in_place_import_refuses_a_released_zip_linked_outside(upstream: Path, outside: Path) -> None:
    """The checks after an in-place import read the folder's released zips: refused before anything is written."""
    (outside / "3.0.0.zip").write_bytes(SECRET.encode())
    (upstream / "Package/3.0.0.zip").symlink_to(outside / "3.0.0.zip")
    result = runner.invoke(app, ["import", str(upstream)])
    assert result.exit_code == 1, result.output
    assert f"{upstream / 'Package/3.0.0.zip'}: the file is a link (or lies in a linked folder) that {MESSAGE}" \
        in " ".join(result.output.split())
    assert not (upstream / "solution.yaml").exists()


def test_links_inside_the_folder_are_followed(upstream: Path, reference_eks: Path, tmp_path: Path) -> None:
    """A linked file, a chain of links and a linked folder, all inside: the same import as without links."""
    shared = upstream / "Shared"
    shared.mkdir()
    shutil.move(upstream / "SolutionMetadata.json", shared / "SolutionMetadata.json")
    (shared / "meta-link.json").symlink_to(Path("SolutionMetadata.json"))
    (upstream / "SolutionMetadata.json").symlink_to(Path("Shared/meta-link.json"))  # a chain
    main = upstream / "Package/mainTemplate.json"
    shutil.move(main, shared / "mainTemplate.json")
    main.symlink_to(shared / "mainTemplate.json")  # absolute, still inside
    shutil.move(upstream / "Data", shared / "Data")
    (upstream / "Data").symlink_to(Path("Shared/Data"), target_is_directory=True)

    imported, differences, _ = import_solution(upstream, tmp_path / "linked")
    plain, plain_differences, _ = import_solution(reference_eks, tmp_path / "plain")

    assert differences == plain_differences == []
    assert imported.manifest == plain.manifest
    assert yaml.safe_load((tmp_path / "linked/solution.yaml").read_text()) == \
        yaml.safe_load((tmp_path / "plain/solution.yaml").read_text())
