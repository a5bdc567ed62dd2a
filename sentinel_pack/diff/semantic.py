"""One artefact against its other version: added, removed and changed paths with both values."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from sentinel_pack.diff.artefacts import Artefact, PathKey

_KINDS = {
    "dictionary_item_added": "added",
    "iterable_item_added": "added",
    "set_item_added": "added",
    "dictionary_item_removed": "removed",
    "iterable_item_removed": "removed",
    "set_item_removed": "removed",
    "values_changed": "changed",
    "type_changes": "changed",
}
ABSENT = None


@dataclass(frozen=True)
class RawChange:
    path: PathKey
    kind: str  # "added", "removed" or "changed"
    old: Any = ABSENT
    new: Any = ABSENT


def diff_artefacts(old: Artefact | None, new: Artefact | None) -> list[RawChange]:
    """The changes from ``old`` to ``new``; a missing side means the artefact was added/removed."""
    if old is None or new is None:
        present = new if old is None else old
        assert present is not None
        kind = "added" if old is None else "removed"
        return [RawChange((), kind, None if old is None else "(artefact)", None if new is None else "(artefact)")]
    if old.is_text or new.is_text:
        return _text_changes(_lines(old), _lines(new))
    return _json_changes(old.doc, new.doc)


def _lines(artefact: Artefact) -> list[str]:
    if artefact.is_text:
        return artefact.doc
    import json

    return json.dumps(artefact.doc, indent=2, sort_keys=True).splitlines()


def _json_changes(old: Any, new: Any) -> list[RawChange]:
    changes = _changes_below((), old, new)
    changes.sort(key=lambda c: [(isinstance(p, int), str(p).zfill(6) if isinstance(p, int) else p) for p in c.path])
    return changes


def _same(old: Any, new: Any) -> bool:
    """Equal as JSON: ``==`` first (fast), then the canonical text (1 and 1.0, or true and 1, stay apart)."""
    import json

    return old == new and json.dumps(old, sort_keys=True) == json.dumps(new, sort_keys=True)


def _changes_below(path: PathKey, old: Any, new: Any) -> list[RawChange]:
    """DeepDiff's changes, asked only about the smallest subtrees that differ.

    Most of two releases' documents are equal: mappings are compared key by key here, so DeepDiff
    walks only the values that changed; whatever is not two mappings (lists, scalars, a type
    change) goes to DeepDiff whole, so its verdict (alignment of list items included) is kept.
    """
    if _same(old, new):
        return []
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return _deepdiff(path, old, new)
    changes: list[RawChange] = []
    for key in old.keys() - new.keys():
        changes.append(RawChange((*path, key), "removed", old[key], None))
    for key in new.keys() - old.keys():
        changes.append(RawChange((*path, key), "added", None, new[key]))
    for key in old.keys() & new.keys():
        changes.extend(_changes_below((*path, key), old[key], new[key]))
    return changes


def _deepdiff(path: PathKey, old: Any, new: Any) -> list[RawChange]:
    from deepdiff import DeepDiff

    # threshold_to_diff_deeper=0: always descend, so a mapping that changed a lot still yields
    # one change per key rather than "the whole mapping changed".
    tree = DeepDiff(old, new, view="tree", threshold_to_diff_deeper=0, verbose_level=2)
    changes: list[RawChange] = []
    for report, levels in tree.items():
        kind = _KINDS.get(report)
        if kind is None:
            continue
        for level in levels:
            where = (*path, *level.path(output_format="list"))
            old_value = None if kind == "added" else level.t1
            new_value = None if kind == "removed" else level.t2
            changes.append(RawChange(where, kind, old_value, new_value))
    return changes


def _text_changes(old: list[str], new: list[str]) -> list[RawChange]:
    changes: list[RawChange] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        for index in range(i1, i2):
            changes.append(RawChange(("line", index + 1), "removed", old[index], None))
        for index in range(j1, j2):
            changes.append(RawChange(("line", index + 1), "added", None, new[index]))
    return changes
