"""Shared fixtures: the published reference, the solution source and a fresh build of it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

# CI must give the same verdict on the same commit: property tests there replay a fixed set of
# examples (still hundreds per test); a developer's run keeps exploring new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO = Path(__file__).resolve().parent.parent
SOLUTION = REPO / "solution"


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """The suite never reads or fills the user's on-disk cache (~/.cache/sentinel-pack)."""
    os.environ["SENTINEL_PACK_CACHE_DIR"] = str(tmp_path_factory.mktemp("sentinel-pack-cache"))
    yield


def _solution_version() -> str:
    import yaml

    return str(yaml.safe_load((SOLUTION / "solution.yaml").read_text(encoding="utf-8"))["solution"]["version"])


#: The current release of solution/ (its newest Package zip); tests follow it across releases.
SOLUTION_VERSION = _solution_version()
CURRENT_ZIP = f"Package/{SOLUTION_VERSION}.zip"


def _release_date() -> str:
    import yaml

    notes = yaml.safe_load((SOLUTION / "solution.yaml").read_text(encoding="utf-8"))["release_notes"]
    return str(next(entry["date"] for entry in notes if str(entry["version"]) == SOLUTION_VERSION))


#: The release date of SOLUTION_VERSION, as written in the manifest.
SOLUTION_RELEASE_DATE = _release_date()


def bumped(part: str, version: str = SOLUTION_VERSION) -> str:
    """The version ``sentinel-pack release PART`` makes of ``version``."""
    major, minor, patch = map(int, version.split("."))
    return {"major": f"{major + 1}.0.0", "minor": f"{major}.{minor + 1}.0", "patch": f"{major}.{minor}.{patch + 1}"}[part]


def _reference_root() -> Path:
    env = os.environ.get("SENTINEL_PACK_REFERENCE")
    root = Path(env) if env else REPO.parent / "shared" / "reference"
    if not (root / "aws-eks").is_dir():
        raise RuntimeError(f"reference data not found at {root}: put shared/ beside the repository "
                           "or set SENTINEL_PACK_REFERENCE")
    return root


@pytest.fixture(scope="session")
def reference_root() -> Path:
    return _reference_root()


@pytest.fixture(scope="session")
def reference_eks(reference_root: Path) -> Path:
    """The published AWS EKS 3.0.0 files (read-only)."""
    return reference_root / "aws-eks"


@pytest.fixture(scope="session")
def samples(reference_root: Path) -> Path:
    return reference_root / "samples"


CONNECTOR_ONLY_VERSION = "3.0.0"
#: 3.2.0 moved the Lambda off python3.9 and added UpdateReplacePolicy to the OIDC provider
#: (docs/differences.md, "Fixed in later releases"); the 3.0.0 build keeps both as published.
RUNTIME_3_0_0 = "python3.9"


def connector_only_source(dest: Path) -> Path:
    """solution/ as it was for the published 3.0.0: the connector without the detections.

    The golden tests compare this build with the published files; the detections came in 3.1.0,
    the Lambda runtime and the OIDC provider's UpdateReplacePolicy in 3.2.0.
    """
    import yaml

    shutil.copytree(SOLUTION, dest, ignore=shutil.ignore_patterns("Package"))
    data = yaml.safe_load((SOLUTION / "solution.yaml").read_text(encoding="utf-8"))
    data.pop("analytic_rules", None)
    data.pop("hunting_queries", None)
    data["solution"]["version"] = CONNECTOR_ONLY_VERSION
    data["aws"]["eks_audit_pipeline"]["lambda_runtime"] = RUNTIME_3_0_0
    data["aws"]["oidc"]["retain_on_replace"] = False
    data["release_notes"] = [e for e in data["release_notes"] if str(e["version"]) == CONNECTOR_ONLY_VERSION]
    (dest / "solution.yaml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return dest


@pytest.fixture(scope="session")
def built_eks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The connector-only AWS EKS 3.0.0 build, compared with the published files (do not modify).

    Built without the validate gate: 3.0.0's python3.9 is the SP308 error that 3.2.0 fixes.
    """
    from sentinel_pack.package.build import build

    source = connector_only_source(tmp_path_factory.mktemp("eks-3.0.0") / "solution")
    out = tmp_path_factory.mktemp("built-eks")
    build(source, out, validate=False)
    return out


@pytest.fixture(scope="session")
def built_full(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """solution/ built as it stands, detections included (shared, do not modify)."""
    from sentinel_pack.package.build import build

    out = tmp_path_factory.mktemp("built-full")
    build(SOLUTION, out)
    return out


@pytest.fixture
def solution_copy(tmp_path: Path) -> Path:
    """A private copy of the solution source that a test may edit."""
    dest = tmp_path / "solution"
    shutil.copytree(SOLUTION, dest)
    return dest


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (hidden ones included), links as their target."""
    out: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        if path.is_symlink():
            out[path.relative_to(root).as_posix()] = b"-> " + os.readlink(path).encode()
        elif path.is_file():
            out[path.relative_to(root).as_posix()] = path.read_bytes()
    return out


@pytest.fixture(scope="session")
def cli_build(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Every file ``sentinel-pack build solution/ --out DIR -q`` writes (read-only)."""
    from typer.testing import CliRunner

    from sentinel_pack.cli import app

    out = tmp_path_factory.mktemp("cli-build")
    result = CliRunner().invoke(app, ["build", str(SOLUTION), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return snapshot(out)
