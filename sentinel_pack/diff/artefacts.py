"""Files -> artefacts that can be diffed meaningfully.

Three steps, so that a reviewer sees the change where it happened:

1. JSON files are parsed; other files are compared as lines of text.
2. Embedded documents are unwrapped. A CloudFormation template stored as a string in a
   CopyableLabel, and the inner ``mainTemplate`` of a ``contentTemplates`` resource, become
   artefacts of their own (``<file> > CloudFormation '<label>'``); other JSON objects stored as
   strings (an IAM policy in ``Fn::Sub``) are parsed in place. A change inside them is then a
   property path, never one changed string.
3. Lists whose order means nothing become mappings keyed by identity (columns by name,
   resources by type and name, dependency criteria by contentId, IAM actions by value), so
   reordering is no change and an added column is one addition, not a shifted list.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from sentinel_pack.diff.inputs import first_too_deep, load_json

PathKey = tuple[str | int, ...]
SEPARATOR = " > "

#: Key -> how to name the items of a list under that key (order carries no meaning there).
_KEYED_LISTS = {
    "columns": lambda item: item.get("name"),
    "dataTypes": lambda item: item.get("name"),
    "criteria": lambda item: " ".join(str(item[k]) for k in ("kind", "contentId") if item.get(k)) or None,
    "resources": lambda item: _resource_key(item),
}
#: Keys whose lists of values are sets (order and duplicates mean nothing).
_SET_LISTS = {"dependsOn"}
_IAM_SETS = {"Action", "NotAction", "Resource", "NotResource"}
_SIMPLE_VARIABLE = re.compile(r"^\[variables\('([^']+)'\)(?:\.(\w+))?\]$")


@dataclass
class Artefact:
    """One document to diff: normalised JSON, or the lines of a text file."""

    name: str
    kind: str
    doc: Any
    #: Paths of mappings that stand for order-insensitive lists, and which of them are sets.
    keyed: set[PathKey] = field(default_factory=set)
    sets: set[PathKey] = field(default_factory=set)

    @property
    def is_text(self) -> bool:
        return self.kind == "text"


def artefacts_of(files: dict[str, bytes], side_label: str) -> dict[str, Artefact]:
    """Every artefact of one side, embedded documents included, by name."""
    out: dict[str, Artefact] = {}
    for rel, data in sorted(files.items()):
        if not rel.lower().endswith(".json"):
            text = data.decode("utf-8", "replace")
            out[rel] = Artefact(rel, "text", text.splitlines())
            continue
        doc = load_json(data, f"{side_label}: {rel}")
        for name, part in _split(rel, doc):
            out[name] = _normalise(name, part)
    return out


# --- unwrapping -------------------------------------------------------------------------------

def _split(name: str, doc: Any, outer: dict[str, Any] | None = None) -> list[tuple[str, Any]]:
    """The document with its embedded documents replaced by references, then each of those.

    ``outer``: the variables of the enclosing template, which ARM uses for the ``[`` expressions
    of a nested content template.
    """
    found: list[tuple[str, Any]] = []
    taken: set[str] = set()

    def child_name(label: str) -> str:
        candidate, n = f"{name}{SEPARATOR}{label}", 2
        while candidate in taken:
            candidate, n = f"{name}{SEPARATOR}{label} #{n}", n + 1
        taken.add(candidate)
        return candidate

    def walk(node: Any, variables: dict[str, Any]) -> Any:
        if isinstance(node, list):
            return [walk(item, variables) for item in node]
        if isinstance(node, str):
            return _inline_members(node, variables)
        if not isinstance(node, dict):
            return node
        if isinstance(node.get("variables"), dict) and "resources" in node:
            variables = {**variables, **node["variables"]}
        inner = node.get("properties", {}).get("mainTemplate") if isinstance(node.get("properties"), dict) else None
        if str(node.get("type", "")).endswith("/contentTemplates") and isinstance(inner, dict):
            content_id = resolve_variable(node["properties"].get("contentId"), variables) or node.get("name", "?")
            sub = child_name(f"contentTemplate {content_id}")
            found.extend(_split(sub, inner, variables))
            # the resolved id, not the numbered variable that holds it, names the template
            node = {**node, "properties": {**node["properties"], "contentId": content_id,
                                           "mainTemplate": f"(diffed as '{sub}')"}}
        result: dict[str, Any] = {}
        for key, value in node.items():
            embedded = _embedded_json(value)
            if isinstance(embedded, dict) and _is_cloudformation(embedded):
                label = node.get("label") if isinstance(node.get("label"), str) else key
                sub = child_name(f"CloudFormation '{label}'")
                found.extend(_split(sub, embedded))
                result[key] = f"(diffed as '{sub}')"
            elif embedded is not None:
                result[key] = walk(embedded, variables)
            else:
                result[key] = walk(value, variables)
        return result

    top = walk(doc, dict(outer or {}))
    return [(name, top), *found]


def _embedded_json(value: Any) -> Any:
    """The object a string holds as JSON text, or None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not (text.startswith("{") and text.endswith("}")):
        return None
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):  # not JSON, a number too long for int, nested too deep
        return None
    if first_too_deep(parsed) is not None:
        return None
    return parsed if isinstance(parsed, dict) else None


def _is_cloudformation(doc: dict[str, Any]) -> bool:
    return "AWSTemplateFormatVersion" in doc or isinstance(doc.get("Resources"), dict)


_MEMBER = re.compile(r"variables\('([^']+)'\)\.(\w+)")


def _inline_members(value: str, variables: dict[str, Any]) -> str:
    """``variables('analyticRuleObject2').analyticRuleVersion2`` -> its value, inside any expression.

    The packager numbers one variable object per rule; the numbers move when a rule is inserted,
    the values (the rule's GUID, version, resource id) do not. Plain variables stay as written.
    """
    if not value.startswith("[") or value.startswith("[[") or "variables(" not in value:
        return value

    def member(match: re.Match[str]) -> str:
        holder = variables.get(match.group(1))
        found = holder.get(match.group(2)) if isinstance(holder, dict) else None
        if not isinstance(found, str):
            return match.group(0)
        return found[1:-1] if found.startswith("[") and found.endswith("]") else "'" + found.replace("'", "''") + "'"

    inlined = _MEMBER.sub(member, value)
    simple = re.fullmatch(r"\['((?:[^']|'')*)'\]", inlined)
    return simple.group(1).replace("''", "'") if simple else inlined


def resolve_variable(value: Any, variables: dict[str, Any]) -> Any:
    """``[variables('x')]`` or ``[variables('x').member]`` -> the literal value, when there is one.

    Content templates are named by what this resolves to (a rule's GUID, a connector's id), not
    by their position: ``analyticRuleObject2`` names another rule once a rule is inserted.
    """
    if isinstance(value, str):
        match = _SIMPLE_VARIABLE.match(value)
        if match:
            found = variables.get(match.group(1))
            if match.group(2) and isinstance(found, dict):
                found = found.get(match.group(2))
            elif match.group(2):
                found = None
            if isinstance(found, str) and not found.startswith("["):
                return found
            if isinstance(found, str) and not match.group(2) and _SIMPLE_VARIABLE.match(found) and found != value:
                # ``_workbookContentId1`` -> ``workbookContentId1`` -> the key: the packager's alias pairs
                resolved = resolve_variable(found, variables)
                if resolved != found:
                    return resolved
    return value


def _resource_key(item: dict[str, Any]) -> str | None:
    """``tables AWSEKSLogs_CL``; ARM expression names shortened to their variables and literals."""
    kind = item.get("type") or item.get("Type")
    if not isinstance(kind, str):
        return None
    name = item.get("name", "")
    content_id = (item.get("properties") or {}).get("contentId") if isinstance(item.get("properties"), dict) else None
    if kind.endswith(("/contentTemplates", "/metadata")) and isinstance(content_id, str) \
            and not content_id.startswith("["):
        # resolved by _split: stable when rules are inserted or reordered
        name = f"{item['properties'].get('kind', '')} {content_id}".strip() if kind.endswith("/metadata") \
            else content_id
    elif isinstance(name, str) and name.startswith("["):
        name = _short_expression(name)
    return f"{kind.rsplit('/', 1)[-1]} {name}".strip()


_EXPRESSION_PART = re.compile(r"variables\('([^']*)'\)|parameters\('[^']*'\)|'([^']*)'")


def _short_expression(expression: str) -> str:
    """``[concat(parameters('workspace'),'/M.S/', variables('x'))]`` -> ``{x}``.

    Variable names, not values: a value can hold the version, and a key that changed with every
    release would turn each resource into "removed and added".
    """
    parts = []
    for match in _EXPRESSION_PART.finditer(expression):
        if match.group(1):
            parts.append(f"{{{match.group(1)}}}")
        elif match.group(2) and "/" not in match.group(2):
            parts.append(match.group(2))
    return "".join(parts) or expression


# --- order-insensitive lists ------------------------------------------------------------------

def _normalise(name: str, doc: Any) -> Artefact:
    artefact = Artefact(name, _kind(name, doc), None)

    def walk(node: Any, path: PathKey, parent: dict[str, Any] | None) -> Any:
        key = path[-1] if path else None
        if key in _SET_LISTS or (key in _IAM_SETS and parent is not None and "Effect" in parent):
            # IAM allows one value or a list: both become the same set.
            items = node if isinstance(node, list) else [node]
            artefact.keyed.add(path)
            artefact.sets.add(path)
            return {_set_key(item): item for item in items}
        if isinstance(node, dict):
            return {key: walk(value, (*path, key), node) for key, value in node.items()}
        if not isinstance(node, list):
            return node
        keyer = _KEYED_LISTS.get(key) if isinstance(key, str) else None
        if keyer and all(isinstance(item, dict) for item in node):
            keys = [keyer(item) for item in node]
            if all(isinstance(k, str) and k for k in keys) and len(set(keys)) == len(keys):
                artefact.keyed.add(path)
                return {k: walk(item, (*path, k), None) for k, item in zip(keys, node, strict=True)}
        return [walk(item, (*path, index), None) for index, item in enumerate(node)]

    artefact.doc = walk(doc, (), None)
    return artefact


def _set_key(item: Any) -> str:
    return item if isinstance(item, str) else json.dumps(item, sort_keys=True)


def _kind(name: str, doc: Any) -> str:
    if not isinstance(doc, dict):
        return "json"
    schema = str(doc.get("$schema", ""))
    kind = str(doc.get("type", ""))
    if _is_cloudformation(doc):
        return "cloudformation"
    if "deploymentTemplate" in schema:
        return "arm"
    if "CreateUIDefinition" in schema or doc.get("handler") == "Microsoft.Azure.CreateUIDef":
        return "ui"
    for suffix, label in (("/tables", "table"), ("/dataCollectionRules", "dcr"),
                          ("/dataConnectorDefinitions", "connector"), ("/dataConnectors", "poller")):
        if kind.endswith(suffix) or kind.lower().endswith(suffix.lower()):
            return label
    if "dataCollectionRules" in name:
        return "dcr"
    return "json"
