"""The two sides of a diff as files in memory: a package zip, a built folder or a manifest.

Each side becomes ``{relative path: bytes}`` in the layout of a built solution, so every later
step is the same whatever the side came from. Package zips hold only the two package files, so
they are named ``Package/<member>`` and compared with the ``Package/`` files of the other side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sentinel_pack.diff.inputs import read_capped
from sentinel_pack.errors import IOFailure, Problem

PACKAGE = "Package"
#: Files of a built solution that carry content (versioned zips duplicate Package/*.json).
ARTEFACT_SUFFIXES = (".json", ".md")
_SOURCE_ONLY = {"solution.yaml"}


@dataclass
class Side:
    """One side of a diff."""

    label: str
    kind: str  # "package", "folder", "manifest" or "revision"
    files: dict[str, bytes]
    notes: list[str] = field(default_factory=list)

    def only_package(self) -> Side:
        """The files a package zip would hold, named as in a built folder."""
        files = {rel: data for rel, data in self.files.items() if rel.startswith(f"{PACKAGE}/")}
        return Side(self.label, self.kind, files, list(self.notes))


def load_side(path: Path, label: str | None = None) -> Side:
    """A zip, a built solution folder, or a manifest (rendered in memory, nothing written)."""
    label = label or str(path)
    if path.is_dir():
        files = read_built_folder(path)
        if files:
            return Side(label, "folder", files)
        if (path / "solution.yaml").is_file():
            return render_side(path, label, "manifest")
        raise IOFailure(Problem("no built solution files (*.json, ReleaseNotes.md) and no solution.yaml here",
                                file=label, hint="build the solution first, or pass the package zip"))
    if path.is_file():
        if path.suffix.lower() in (".yaml", ".yml"):
            return render_side(path, label, "manifest")
        if _looks_like_zip(path):
            from sentinel_pack.diff.safezip import read_zip

            members = read_zip(path)
            files = {f"{PACKAGE}/{name}": data for name, data in members.items()}
            return Side(label, "package", files)
        raise IOFailure(Problem("expected a package zip, a built solution folder or a solution.yaml",
                                file=label))
    raise IOFailure(Problem("no such file or folder", file=label))


def _looks_like_zip(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise IOFailure(Problem(f"cannot read: {exc.strerror}", file=str(path))) from None
    return magic in (b"PK\x03\x04", b"PK\x05\x06") or path.suffix.lower() == ".zip"


def read_built_folder(root: Path) -> dict[str, bytes]:
    """The content files of a built solution; hidden folders, zips and sources are skipped."""
    files: dict[str, bytes] = {}
    try:
        for item in sorted(root.rglob("*")):
            rel = item.relative_to(root)
            if any(part.startswith(".") for part in rel.parts) or item.is_symlink() or not item.is_file():
                continue
            if item.suffix.lower() not in ARTEFACT_SUFFIXES or rel.as_posix() in _SOURCE_ONLY:
                continue
            files[rel.as_posix()] = read_capped(item)
    except OSError as exc:
        raise IOFailure(Problem(f"cannot read: {exc.strerror}", file=str(exc.filename or root))) from None
    return files


def render_side(path: Path, label: str, kind: str) -> Side:
    """What ``build`` would write for this manifest, without writing it."""
    from sentinel_pack.manifest.load import load_manifest
    from sentinel_pack.package.build import render_solution

    rendered = render_solution(load_manifest(path))
    files = {rel: data for rel, data in rendered.files.items() if not rel.endswith(".zip")}
    return Side(label, kind, files)


def comparable(old: Side, new: Side) -> tuple[Side, Side]:
    """A zip holds only the package: compare it with the package files of the other side."""
    if old.kind == "package" and new.kind != "package":
        new = new.only_package()
        new.notes.append("only Package/ files compared: the other side is a package zip")
    elif new.kind == "package" and old.kind != "package":
        old = old.only_package()
        old.notes.append("only Package/ files compared: the other side is a package zip")
    return old, new
