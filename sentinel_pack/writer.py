"""Writing a build: everything is staged first, then moved into place file by file.

Nothing half-written is left behind: rendering and validation finish before the first file
moves, each file is written to a temporary name beside its target and renamed over it, and a
released zip whose content would change is never overwritten without ``force``.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sentinel_pack.errors import IOFailure, Problem, SentinelPackError


@dataclass(frozen=True)
class Written:
    path: Path
    size: int
    sha256: str
    status: str  # "created", "updated" or "unchanged"


def guard_released_zip(target: Path, new_content: dict[str, bytes], force: bool) -> None:
    """A released package must not change under the same version number."""
    from sentinel_pack.zipper import zip_members

    if not target.exists() or force:
        return
    try:
        old = zip_members(target.read_bytes())
    except Exception:  # a damaged zip is also "different"
        old = None
    if old != new_content:
        raise SentinelPackError(Problem(
            "this version's package already exists with different content",
            file=str(target),
            hint="bump solution.version (sentinel-pack release patch -m '...'), "
                 "or pass --force to replace a package that was never released"))


def write_outputs(out_dir: Path, outputs: dict[str, bytes]) -> list[Written]:
    import hashlib

    try:
        out_dir = out_dir.resolve()
        out_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".sentinel-pack-", dir=out_dir))
    except OSError as exc:
        raise IOFailure(Problem(f"cannot create the output folder: {exc.strerror}", file=str(out_dir))) from None
    results: list[Written] = []
    try:
        staged: list[tuple[Path, Path, str]] = []
        for rel, content in sorted(outputs.items()):
            target = out_dir / rel
            status = "created"
            if target.exists():
                status = "unchanged" if target.read_bytes() == content else "updated"
            tmp = staging / rel
            tmp.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(content)
            os.chmod(tmp, 0o644)
            staged.append((tmp, target, status))
            results.append(Written(target.resolve(), len(content), hashlib.sha256(content).hexdigest(), status))
        for tmp, target, status in staged:
            if status == "unchanged":
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)
    except OSError as exc:
        raise IOFailure(Problem(f"cannot write output: {exc.strerror}", file=str(exc.filename or out_dir))) from None
    finally:
        _remove_tree(staging)
    return results


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
