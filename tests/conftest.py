"""Shared fixtures: the published reference, the solution source and a fresh build of it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SOLUTION = REPO / "solution"


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


@pytest.fixture(scope="session")
def built_eks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The AWS EKS solution built from solution/ into a fresh folder (shared, do not modify)."""
    from sentinel_pack.build import build

    out = tmp_path_factory.mktemp("built-eks")
    build(SOLUTION, out)
    return out


@pytest.fixture
def solution_copy(tmp_path: Path) -> Path:
    """A private copy of the solution source that a test may edit."""
    dest = tmp_path / "solution"
    shutil.copytree(SOLUTION, dest)
    return dest
