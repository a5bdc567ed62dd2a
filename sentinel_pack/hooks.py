"""The pre-commit hooks: from the changed files to the solutions that hold them.

pre-commit passes the staged files (``pass_filenames: true``); validating every solution of a
repository on each commit would be slow and would fail commits for solutions nobody touched.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sentinel_pack.manifest.load import MANIFEST_NAME


def _is_solution(folder: Path) -> bool:
    """A solution source (``solution.yaml``) or a built solution in the Azure-Sentinel layout."""
    if (folder / MANIFEST_NAME).is_file():
        return True
    data = folder / "Data"
    return data.is_dir() and any(p.name.lower().startswith("solution_") for p in data.glob("*.json"))


def solution_folders(files: Iterable[Path]) -> list[Path]:
    """The nearest solution folder above each file, each once, in order; files outside any are skipped."""
    found: list[Path] = []
    seen: set[Path] = set()
    for file in files:
        start = file if file.is_dir() else file.parent
        for folder in (start, *start.parents):
            if _is_solution(folder):
                key = folder.resolve()
                if key not in seen:
                    seen.add(key)
                    found.append(folder)
                break
    return found
