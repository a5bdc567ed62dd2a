"""Reading a solution folder in the Azure-Sentinel layout, as it really is.

Folder and file names come in any case and with spaces, files may be CRLF or carry a BOM,
and a connector file may hold one resource or a top-level array of them. Everything is
found by content, as the official packager does, never by file name alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sentinel_pack.errors import IOFailure, Problem, SentinelPackError
from sentinel_pack.paths import is_inside


@dataclass(frozen=True)
class Resource:
    """One JSON resource and where it came from."""

    file: Path
    index: int | None  # position in a top-level array, None for a single object
    body: dict[str, Any]

    @property
    def type(self) -> str:
        return str(self.body.get("type", ""))


def inside(root: Path, path: Path) -> Path:
    """``path`` if, links resolved, it stays inside the solution folder ``root``: import never reads outside it.

    A solution folder may come from an untrusted pull request, and whatever import reads ends up
    in the manifest or the copied files. A link to another file of the folder is followed.
    """
    if not is_inside(path, root):
        raise SentinelPackError(Problem(
            "the file is a link (or lies in a linked folder) that points outside the solution folder; not read",
            file=str(path), hint="replace the link with a copy of the file, or point it at a file inside the folder"))
    return path


def read_json(path: Path, root: Path) -> Any:
    """A JSON file of the solution folder ``root`` (BOM allowed)."""
    try:
        text = inside(root, path).read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise IOFailure(Problem(f"cannot read file: {exc.strerror}", file=str(path))) from None
    except UnicodeDecodeError:
        raise SentinelPackError(Problem("not UTF-8 text", file=str(path))) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SentinelPackError(Problem(f"invalid JSON: {exc.msg}", file=str(path), line=exc.lineno,
                                        column=exc.colno)) from None


def find_child(folder: Path, name: str) -> Path | None:
    """A child of ``folder`` whose name equals ``name`` ignoring case and spaces."""
    wanted = name.replace(" ", "").lower()
    if not folder.is_dir():
        return None
    for child in sorted(folder.iterdir()):
        if child.name.replace(" ", "").lower() == wanted:
            return child
    return None


def find_data_file(root: Path) -> Path | None:
    data = find_child(root, "Data")
    if data is None:
        return None
    candidates = sorted(p for p in data.iterdir() if p.is_file() and p.name.lower().startswith("solution_")
                        and p.suffix.lower() == ".json")
    return candidates[0] if candidates else None


def connector_resources(root: Path) -> list[Resource]:
    """Every JSON resource under the Data Connectors folder (any depth, any case)."""
    folder = find_child(root, "Data Connectors")
    if folder is None:
        raise SentinelPackError(Problem("no 'Data Connectors' folder", file=str(root),
                                        hint="import expects the Azure-Sentinel solution layout"))
    resources: list[Resource] = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix.lower() != ".json":
            continue
        inside(root, path)  # before the try: a link outside is an error, not a skipped file
        try:
            doc = read_json(path, root)
        except SentinelPackError:
            continue  # not every JSON-named file is a connector file; unreadable ones are skipped
        items = doc if isinstance(doc, list) else [doc]
        for index, item in enumerate(items):
            if isinstance(item, dict):
                resources.append(Resource(path, index if isinstance(doc, list) else None, item))
    return resources


def find_relative(root: Path, relative: str) -> Path | None:
    """``relative`` (as a Data file writes it: any case, either slash) inside ``root``, if there."""
    here = root
    for part in relative.replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        found = find_child(here, part) if part != ".." else None
        if found is None:
            return None
        here = found
    return here if here.is_file() else None


def copy_listed(source: Path, key: str, listed: list[str], files: dict[str, bytes], notes: list[str]) -> list[str]:
    """The files a Data file lists under ``key``, read into ``files``; a missing one is a note."""
    paths = []
    for relative in listed:
        found = find_relative(source, relative)
        if found is None:
            notes.append(f"{key}: '{relative}' is listed in the Data file but not in the folder")
            continue
        rel = found.relative_to(source).as_posix()
        files[rel] = inside(source, found).read_bytes()
        paths.append(rel)
    return paths
