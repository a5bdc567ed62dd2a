"""Results of slow, pure checks (cfn-lint on one template) kept on disk between runs.

A pre-commit hook validates the same unchanged templates on every commit; cfn-lint's answer
for a given text depends only on that text, the rule set and the tool versions, so those are
the key. An entry is trusted only if it is well formed and its checksum matches: a truncated,
corrupt or foreign file is a miss (the work is redone and the entry rewritten), never a verdict.

The folder is ``$SENTINEL_PACK_CACHE_DIR``, else ``$XDG_CACHE_HOME/sentinel-pack``, else
``~/.cache/sentinel-pack`` (``%LOCALAPPDATA%\\sentinel-pack`` on Windows).
``--no-cache`` or ``SENTINEL_PACK_NO_CACHE=1`` turns it off.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

DIR_ENV = "SENTINEL_PACK_CACHE_DIR"
OFF_ENV = "SENTINEL_PACK_NO_CACHE"
#: Bumped when the layout of an entry changes.
FORMAT = 1

_enabled: bool | None = None  # None: decided by the environment


def set_enabled(enabled: bool | None) -> None:
    """``False`` for ``--no-cache``; ``None`` goes back to the environment's choice."""
    global _enabled
    _enabled = enabled


def enabled() -> bool:
    if _enabled is not None:
        return _enabled
    return os.environ.get(OFF_ENV, "").strip().lower() in ("", "0", "false", "no")


def folder() -> Path:
    if os.environ.get(DIR_ENV):
        return Path(os.environ[DIR_ENV])
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "sentinel-pack"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sentinel-pack"


def key(*parts: str) -> str:
    """A key over every input that can change the result (content, rule set, versions)."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def code_version(*modules: str) -> str:
    """A digest of our own code a cached result depends on (module or package names): a result
    computed by an edited checkout is never served to another."""
    import importlib.util

    from sentinel_pack import __version__

    digest = hashlib.sha256(__version__.encode())
    for name in modules:
        spec = importlib.util.find_spec(name)
        origin = Path(spec.origin) if spec is not None and spec.origin else None
        if origin is None:
            raise ValueError(f"no module {name}")
        files = sorted(origin.parent.glob("*.py")) if origin.name == "__init__.py" else [origin]
        for file in files:
            digest.update(file.name.encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


def tree_digest(path: Path) -> str:
    """A digest of every file at ``path`` (the file, or a folder's files outside dot-folders).

    Cheap next to loading a solution; it keys hints taken before the solution is loaded.
    """
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(
        p for p in path.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts))
    for file in files:
        try:
            data = file.read_bytes()
        except OSError:
            data = b"\0unreadable"
        name = file.relative_to(path).as_posix() if file != path else file.name
        for part in (name.encode("utf-8", "surrogateescape"), data):
            digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def _checksum(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def _path(kind: str, entry: str) -> Path:
    return folder() / kind / entry[:2] / f"{entry}.json"


def get(kind: str, entry: str, valid: Callable[[Any], bool]) -> Any | None:
    """The stored value, or None when there is none or it cannot be trusted."""
    if not enabled():
        return None
    try:
        stored = json.loads(_path(kind, entry).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not (isinstance(stored, dict) and stored.get("format") == FORMAT and stored.get("key") == entry
            and "value" in stored and stored.get("checksum") == _checksum(stored["value"])):
        return None
    value = stored["value"]
    return value if valid(value) else None


def put(kind: str, entry: str, value: Any) -> None:
    """Store atomically (write a temporary file, then rename); a cache that cannot be written is skipped."""
    if not enabled():
        return
    path = _path(kind, entry)
    text = json.dumps({"format": FORMAT, "key": entry, "checksum": _checksum(value), "value": value})
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError:
        pass
