"""A git revision of the solution, exported with ``git archive`` into a temporary folder.

``git archive`` leaves the repository untouched (no worktree bookkeeping, no checkout), and the
export is rendered in memory and removed afterwards, whatever happens.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import replace
from pathlib import Path

from sentinel_pack.diff.sources import Side, render_side
from sentinel_pack.errors import EXIT_USAGE, IOFailure, Problem, SentinelPackError


def _git(args: list[str], cwd: Path, what: str) -> bytes:
    try:
        result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError:
        raise IOFailure(Problem("git is not installed or not on PATH", hint="install git to diff revisions")) from None
    if result.returncode != 0:
        lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = f" (git: {lines[-1]})" if lines else ""
        raise SentinelPackError(Problem(f"{what}{detail}", file=str(cwd)), exit_code=EXIT_USAGE)
    return result.stdout


def solution_location(solution: Path) -> tuple[Path, str]:
    """The repository root and the solution folder's path inside it (posix, '.' for the root)."""
    folder = solution if solution.is_dir() else solution.parent
    if not folder.is_dir():
        raise IOFailure(Problem("no such folder", file=str(solution)))
    top = Path(_git(["rev-parse", "--show-toplevel"], folder, "not inside a git repository")
               .decode().strip()).resolve()
    rel = folder.resolve().relative_to(top).as_posix()
    return top, rel


def revision_side(solution: Path, rev: str) -> Side:
    """Render the solution as it was at ``rev``."""
    if rev.startswith("-"):
        raise SentinelPackError(Problem(f"{rev!r} is not a git revision"), exit_code=EXIT_USAGE)
    top, rel = solution_location(solution)
    commit = _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], top,
                  f"unknown revision {rev!r}").decode().strip()
    archive = _git(["archive", "--format=tar", commit, "--", rel], top,
                   f"{rel!r} does not exist at {rev}")
    tmp = Path(tempfile.mkdtemp(prefix="sentinel-pack-rev-"))
    try:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        folder = tmp / rel
        if not (folder / "solution.yaml").is_file():
            raise SentinelPackError(Problem(f"no solution.yaml in {rel!r} at {rev}", file=str(solution)))
        try:
            side = render_side(folder, f"{rev} ({commit[:10]})", "revision")
        except SentinelPackError as error:
            raise _relabel(error, str(tmp), f"{rev}:") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return side


def _relabel(error: SentinelPackError, tmp: str, prefix: str) -> SentinelPackError:
    """Name files as ``REV:path`` in errors, not by the temporary folder they were read from."""
    problems = [replace(p, file=prefix + p.file[len(tmp):].lstrip("/")) if p.file and p.file.startswith(tmp) else p
                for p in error.problems]
    return SentinelPackError(problems, exit_code=error.exit_code)
