"""Where a generated value came from: the line of ``solution.yaml`` (or a detection's YAML) to edit.

A finding in a source folder is about a generated file the author never edits (and that may
not exist yet). Values are copied verbatim from the manifest into the JSON, so the scalar a
finding is about is looked up among the YAML scalars: a unique match, or a unique match under
a key of the same name (``base_query`` for ``baseQuery``), is where the author types it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_QUOTED = re.compile(r"'([^'\n]{3,})'")
#: Folders of YAML files whose values the build copies into the package.
CONTENT_FOLDERS = ("analytic rules", "hunting queries", "parsers")


def _norm(key: Any) -> str:
    return re.sub(r"[_\-\s]", "", str(key)).lower()


class Origins:
    """The scalars of a source folder's YAML files, with their positions."""

    def __init__(self, root: Path, files: list[str]) -> None:
        from sentinel_pack.manifest.yamlsource import load_yaml

        self._scalars: dict[str, list[tuple[str, str, int, int]]] = {}
        for rel in files:
            try:
                doc = load_yaml(root / rel, rel)
            except Exception:
                continue
            for path, value in _scalars(doc.data, ()):
                line, column = doc.position(path)
                if line is not None:
                    key = str(path[-1]) if path and isinstance(path[-1], str) else ""
                    self._scalars.setdefault(value, []).append((rel, key, line, column or 1))

    @classmethod
    def of(cls, root: Path, on_disk: frozenset[str]) -> Origins:
        files = ["solution.yaml", *sorted(
            rel for rel in on_disk
            if rel.lower().endswith((".yaml", ".yml")) and rel.split("/", 1)[0].lower() in CONTENT_FOLDERS)]
        return cls(root, files)

    def find(self, value: Any, key: str, message: str) -> tuple[str, int, int] | None:
        """(file, line, column) of the YAML scalar ``value`` (at JSON key ``key``) or a name the message quotes."""
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            text = str(value).strip()
            if len(text) >= 3:
                found = self._unique(text, key)
                if found:
                    return found
        for quoted in _QUOTED.findall(message):
            matches = self._scalars.get(quoted.strip(), [])
            if len(matches) == 1:
                return matches[0][0], matches[0][2], matches[0][3]
        return None

    def _unique(self, text: str, key: str) -> tuple[str, int, int] | None:
        matches = self._scalars.get(text, [])
        if len(matches) > 1:
            matches = [m for m in matches if key and _norm(m[1]) == _norm(key)]
        if len(matches) == 1:
            return matches[0][0], matches[0][2], matches[0][3]
        return None


def _scalars(value: Any, path: tuple) -> Iterator[tuple[tuple, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _scalars(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _scalars(item, (*path, index))
    elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
        yield path, str(value).strip()
