"""Files an earlier build generated that the manifest no longer builds (a renamed file_prefix, ...).

Each build records what it wrote, with the sha256 of each file, in ``.sentinel-pack/generated.json``
in the output folder. The next build lists the recorded files it no longer generates; ``--clean``
removes them, but only those still byte-equal to what sentinel-pack wrote: a file the author
edited, or one no build recorded, is never deleted. Versioned zips in ``Package/`` are earlier
releases and are kept on purpose.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sentinel_pack.errors import IOFailure, Problem

RECORD = ".sentinel-pack/generated.json"
_RELEASE_ZIP = re.compile(r"^Package/[^/]+\.zip$", re.IGNORECASE)


@dataclass
class Leftovers:
    """Recorded files this build no longer generates."""

    removable: list[str] = field(default_factory=list)  # byte-equal to what a build wrote
    edited: list[str] = field(default_factory=list)  # changed since: reported, never removed
    removed: list[str] = field(default_factory=list)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_record(root: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of the last build into ``root``; empty when none was recorded."""
    try:
        doc = json.loads((root / RECORD).read_text(encoding="utf-8"))
        files = doc["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    if not isinstance(files, dict):
        return {}
    return {rel: sha for rel, sha in files.items() if isinstance(rel, str) and isinstance(sha, str)
            and not Path(rel).is_absolute() and ".." not in Path(rel).parts}


def find(root: Path, generated: dict[str, bytes]) -> Leftovers:
    leftovers = Leftovers()
    for rel, sha in sorted(read_record(root).items()):
        if rel in generated or _RELEASE_ZIP.match(rel):
            continue
        path = root / rel
        if path.is_symlink() or not path.is_file():
            continue
        try:
            same = _sha(path.read_bytes()) == sha
        except OSError:
            same = False
        (leftovers.removable if same else leftovers.edited).append(rel)
    return leftovers


def after_build(root: Path, generated: dict[str, bytes], *, clean: bool = False) -> Leftovers:
    """List (and with ``clean`` remove) the leftovers, then record this build's files."""
    leftovers = find(root, generated)
    if clean:
        for rel in leftovers.removable:
            _remove(root, rel)
            leftovers.removed.append(rel)
        leftovers.removable = []
    old = read_record(root)
    record = {rel: _sha(data) for rel, data in generated.items() if not _RELEASE_ZIP.match(rel)}
    record.update({rel: old[rel] for rel in leftovers.removable})  # still ours: listed again next time
    _write_record(root, record)
    return leftovers


def _remove(root: Path, rel: str) -> None:
    path = root / rel
    try:
        path.unlink()
        parent = path.parent
        while parent != root and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
    except OSError as exc:
        raise IOFailure(Problem(f"cannot remove: {exc.strerror}", file=str(path))) from None


def _write_record(root: Path, record: dict[str, str]) -> None:
    target = root / RECORD
    text = json.dumps({"generated_by": "sentinel-pack", "files": dict(sorted(record.items()))}, indent=2) + "\n"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=".generated.", dir=target.parent)
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.chmod(name, 0o644)
        os.replace(name, target)
    except OSError as exc:
        raise IOFailure(Problem(f"cannot write: {exc.strerror}", file=str(target))) from None
