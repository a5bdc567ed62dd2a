"""What each change means for users of the solution, and the version bump it needs.

- breaking: a column removed, renamed or retyped; a table, stream or connector id renamed; an
  IAM permission widened (action, resource or principal added, condition dropped, a new role
  or policy); a parameter, resource or artefact removed. Needs a major bump.
- feature: something added (column, query, rule, parameter, resource) or a non-text setting
  changed. Needs a minor bump.
- fix: text only (descriptions, labels, query text). Needs a patch bump.
- release: the version number and release notes themselves; needs no bump of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sentinel_pack.diff.artefacts import Artefact, PathKey
from sentinel_pack.diff.semantic import RawChange

CATEGORIES = ("breaking", "feature", "fix", "release")
BUMP_FOR = {"breaking": "major", "feature": "minor", "fix": "patch", "release": "none"}

_IAM_SETS = {"Action", "NotAction", "Resource", "NotResource"}
_ID_TAILS: list[tuple[tuple[str, ...], str]] = [
    (("schema", "name"), "table"),
    (("connectorUiConfig", "id"), "connector id"),
    (("graphQueriesTableName",), "graph query table"),
    (("outputStream",), "output stream"),
    (("tableName",), "table"),
    (("connectorDefinitionName",), "connector definition"),
    (("contentId",), "content id"),
]
_TOP_NAME = {"table": "table", "connector": "connector id", "dcr": "data collection rule",
             "poller": "poller"}
#: Strings that are settings, not text: changing one changes what is deployed (a Lambda runtime,
#: what CloudFormation does with a resource it deletes or replaces).
_SETTING_KEYS = {"apiVersion", "kind", "type", "Type", "Runtime", "DeletionPolicy", "UpdateReplacePolicy"}
_PLAIN = re.compile(r"^[A-Za-z_$][\w$:-]*$")


@dataclass(frozen=True)
class Change:
    """One classified change inside one artefact."""

    artefact: str
    path: PathKey
    display_path: str
    kind: str  # added, removed, changed, renamed
    category: str
    summary: str
    old: Any = None
    new: Any = None


def display_path(path: PathKey, artefact: Artefact) -> str:
    """``Resources.Role.Properties.Policies[0]`` with keyed members as ``columns['Foo']``."""
    if artefact.is_text:
        return f"line {path[1]}" if len(path) == 2 else "(whole file)"
    out = ""
    for index, part in enumerate(path):
        if path[:index] in artefact.keyed:
            out += f"['{part}']"
        elif isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN.match(part):
            out += f".{part}" if out else part
        else:
            out += f"['{part}']"
    return out or "(whole artefact)"


def short(value: Any, limit: int = 80) -> str:
    """A value as one short line for summaries."""
    import json

    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def classify(raw: RawChange, artefact: Artefact, versions: tuple[str | None, str | None]) -> Change:
    category, summary = _rule(raw, artefact, versions)
    return Change(artefact.name, raw.path, display_path(raw.path, artefact), raw.kind, category, summary,
                  raw.old, raw.new)


def _rule(raw: RawChange, art: Artefact, versions: tuple[str | None, str | None]) -> tuple[str, str]:
    path, kind, old, new = raw.path, raw.kind, raw.old, raw.new
    if not path:
        return ("feature", "artefact added") if kind == "added" else ("breaking", "artefact removed")
    if art.is_text:
        category = "release" if art.name.lower().endswith("releasenotes.md") else "fix"
        return category, f"line {kind}: {short(new if kind == 'added' else old)}"
    if kind == "changed" and versions[0] and old == versions[0] and new == versions[1]:
        return "release", f"version {old} → {new}"
    for rule in (_column_rule, _iam_rule, _parameter_rule, _identity_rule, _collection_rule):
        found = rule(raw, art)
        if found:
            return found
    what = _name_of(path, art)
    if kind == "added":
        return "feature", f"{what} added"
    if kind == "removed":
        return "feature", f"{what} removed"
    text_only = isinstance(old, str) and isinstance(new, str) and path[-1] not in _SETTING_KEYS
    return ("fix" if text_only else "feature"), f"{what} changed" + ("" if text_only else
                                                                     f": {short(old)} → {short(new)}")


def _name_of(path: PathKey, art: Artefact) -> str:
    """The last named step of a path, with its list position: ``instructionSteps[1] title``."""
    names = [p for p in path if isinstance(p, str)]
    last = names[-1] if names else display_path(path, art)
    if path[:-1] in art.sets:
        return f"{path[-2]} {short(path[-1])!r}"
    if isinstance(path[-1], int):
        return f"{last}[{path[-1]}]"
    return last


def _column_owner(path: PathKey) -> str:
    if "streamDeclarations" in path:
        index = path.index("streamDeclarations")
        if len(path) > index + 1:
            return f"stream '{path[index + 1]}' column"
    return "table column"


def _column_rule(raw: RawChange, art: Artefact) -> tuple[str, str] | None:
    path = raw.path
    if len(path) >= 2 and path[-2] == "columns" and path[:-1] in art.keyed:
        column = raw.new if raw.kind == "added" else raw.old
        type_name = column.get("type", "?") if isinstance(column, dict) else "?"
        what = f"{_column_owner(path)} '{path[-1]}'"
        if raw.kind == "added":
            return "feature", f"{what} added ({type_name})"
        if raw.kind == "removed":
            return "breaking", f"{what} removed ({type_name})"
    if len(path) >= 3 and path[-3] == "columns" and path[:-2] in art.keyed:
        what = f"{_column_owner(path)} '{path[-2]}'"
        if path[-1] == "type":
            return "breaking", f"{what} retyped: {short(raw.old)} → {short(raw.new)}"
        return "fix", f"{what} {path[-1]} {raw.kind}: {short(raw.old)} → {short(raw.new)}"
    return None


def _iam_rule(raw: RawChange, art: Artefact) -> tuple[str, str] | None:
    path, kind = raw.path, raw.kind
    if art.kind == "cloudformation" and len(path) == 2 and path[0] == "Resources" and kind == "added":
        kind_name = raw.new.get("Type", "") if isinstance(raw.new, dict) else ""
        if kind_name.startswith("AWS::IAM::"):
            return "breaking", f"IAM permission widened: new {kind_name} '{path[1]}'"
    if "Policies" in path and path[-2:-1] == ("Policies",) and kind == "added":
        return "breaking", "IAM permission widened: policy added"
    if "ManagedPolicyArns" in path and kind in ("added", "changed") and path[-1] != "ManagedPolicyArns":
        return "breaking", f"IAM permission widened: managed policy {short(raw.new)} attached"
    if "Statement" not in path:
        return None
    at = len(path) - 1 - path[::-1].index("Statement")
    rest = path[at + 2:]
    if not rest:
        if kind == "added":
            effect = raw.new.get("Effect") if isinstance(raw.new, dict) else None
            if effect != "Deny":
                return "breaking", f"IAM permission widened: statement added {short(raw.new)}"
            return "fix", "IAM permission narrowed: Deny statement added"
        if kind == "removed":
            return "fix", f"IAM permission narrowed: statement removed {short(raw.old)}"
        return None
    field = rest[0]
    if field in _IAM_SETS:
        if kind == "removed":
            return "fix", f"IAM permission narrowed: {field} {short(raw.old)} removed"
        value = raw.new
        wildcard = " (wildcard)" if "*" in short(value, 10_000) else ""
        verb = "added" if kind == "added" else "changed"
        return "breaking", f"IAM permission widened: {field} {short(value)} {verb}{wildcard}"
    if field == "Condition":
        if kind == "added":
            return "fix", "IAM permission narrowed: condition added"
        return "breaking", f"IAM permission widened: condition {'removed' if kind == 'removed' else 'changed'}"
    if field == "Principal":
        if kind == "removed":
            return "fix", f"IAM trust narrowed: principal {short(raw.old)} removed"
        return "breaking", f"IAM permission widened: principal {short(raw.new)} {kind}"
    if field == "Effect" and kind == "changed":
        if raw.new == "Allow":
            return "breaking", "IAM permission widened: Deny became Allow"
        return "fix", "IAM permission narrowed: Allow became Deny"
    return None


def _parameter_rule(raw: RawChange, art: Artefact) -> tuple[str, str] | None:
    path = raw.path
    if art.kind in ("arm", "cloudformation") and len(path) == 2 and path[0] in ("parameters", "Parameters"):
        if raw.kind == "added":
            return "feature", f"parameter '{path[1]}' added"
        if raw.kind == "removed":
            return "breaking", f"parameter '{path[1]}' removed"
    return None


def _identity_rule(raw: RawChange, art: Artefact) -> tuple[str, str] | None:
    if raw.kind != "changed":
        return None
    path = raw.path
    label = None
    if path == ("name",) and art.kind in _TOP_NAME:
        label = _TOP_NAME[art.kind]
    for tail, name in _ID_TAILS:
        if path[-len(tail):] == tail:
            label = name
    if label is None:
        return None
    return "breaking", f"{label} renamed: {short(raw.old)} → {short(raw.new)}"


def _collection_rule(raw: RawChange, art: Artefact) -> tuple[str, str] | None:
    """Members of identity-keyed collections: removing one breaks whoever used it."""
    path = raw.path
    if len(path) < 2 or raw.kind == "changed":
        return None
    owner = path[-2]
    if owner in ("resources", "Resources"):
        value = raw.new if raw.kind == "added" else raw.old
        type_name = value.get("Type") if isinstance(value, dict) else None
        what = f"resource '{path[-1]}'" + (f" ({type_name})" if type_name else "")
    elif owner == "streamDeclarations":
        what = f"stream '{path[-1]}'"
    elif owner == "dataTypes" and path[:-1] in art.keyed:
        what = f"data type '{path[-1]}'"
    elif owner == "criteria" and path[:-1] in art.keyed:
        what = f"dependency '{path[-1]}'"
    elif owner in ("sampleQueries", "graphQueries"):
        query = raw.new if raw.kind == "added" else raw.old
        text = query.get("description") or query.get("metricName") if isinstance(query, dict) else None
        kind = "sample query" if owner == "sampleQueries" else "graph query"
        label = f"{kind} '{short(text)}'" if text else kind
        return "feature", f"{label} {raw.kind}"
    else:
        return None
    return ("feature", f"{what} added") if raw.kind == "added" else ("breaking", f"{what} removed")


def pair_renames(changes: list[Change]) -> list[Change]:
    """One column removed and one of the same type added in the same place read as a rename."""
    out = list(changes)
    groups: dict[tuple, list[Change]] = {}
    for change in changes:
        if len(change.path) >= 2 and change.path[-2] == "columns" and change.kind in ("added", "removed"):
            groups.setdefault((change.artefact, change.path[:-1]), []).append(change)
    for (_artefact, _parent), members in groups.items():
        added = [c for c in members if c.kind == "added"]
        removed = [c for c in members if c.kind == "removed"]
        if len(added) != 1 or len(removed) != 1:
            continue
        new, old = added[0], removed[0]
        if not (isinstance(new.new, dict) and isinstance(old.old, dict)) or new.new.get("type") != old.old.get("type"):
            continue
        owner = _column_owner(old.path)
        renamed = Change(old.artefact, old.path, old.display_path, "renamed", "breaking",
                         f"{owner} '{old.path[-1]}' renamed to '{new.path[-1]}' ({new.new.get('type')})",
                         old.old, new.new)
        out[out.index(old)] = renamed
        out.remove(new)
    return out
