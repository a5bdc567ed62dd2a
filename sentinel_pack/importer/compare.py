"""Package differences after an import, each with where it comes from.

A value the rebuild takes from the original's own source files, but the original package does
not hold, means the original package was stale: that difference is the original's. Anything
else is sentinel-pack's packaging and is reported as such.

Forms that deploy identically are compared as equal (``equivalent``): a ``null`` member and an
absent one; the hand-concatenated data collection endpoint id and its ``resourceId()`` form
(docs/differences.md D7, D8), so that arm-ttk-clean rebuilds still count as faithful.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sentinel_pack.importer.discover import ConnectorSet, ci, stream_of
from sentinel_pack.importer.run import Difference, original_package
from sentinel_pack.render import arm

_MISSING = object()
_DCE_CONCAT = ("[concat('/subscriptions/',parameters('subscription'),'/resourceGroups/',"
               "parameters('resourceGroupName'),'/providers/Microsoft.Insights/dataCollectionEndpoints/',parameters('workspace'))]")
_DCE_RESOURCE_ID = ("[resourceId(parameters('subscription'),parameters('resourceGroupName'),"
                    "'Microsoft.Insights/dataCollectionEndpoints',parameters('workspace'))]")
_VARIABLE = re.compile(r"^\[variables\('([^']+)'\)\]$")


def equivalent(doc: Any) -> Any:
    """``doc`` with deployment-neutral spellings unified.

    A ``null`` member and an absent one; ``[variables('x')]`` and the value of ``x`` (packager
    generations differ in what they put into variables, e.g. ``_email``); whitespace and empty
    ``''`` arguments inside expressions (``concat('', parameters('a'), '/b')``); the
    hand-concatenated data collection endpoint id and its ``resourceId()`` form (docs/differences.md
    D7, D8), so that arm-ttk-clean rebuilds still count as faithful.
    """
    if isinstance(doc, dict) and isinstance(doc.get("variables"), dict):
        doc = _inline_variables(doc)
    return _normal(doc)


def _normal(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {k: _normal(v) for k, v in doc.items() if v is not None}
    if isinstance(doc, list):
        return [_normal(v) for v in doc]
    if doc == "[json('{}')]":
        return {}  # how the packager writes an empty object (a DCR's dataSources)
    if doc == "[json('[]')]":
        return []
    if isinstance(doc, str) and doc.startswith("[") and doc.endswith("]"):
        doc = _expression(doc)
        return _DCE_RESOURCE_ID if doc == _DCE_CONCAT else doc
    return doc


def align_case(rebuilt: Any, original: Any) -> Any:
    """``rebuilt`` with each property name spelt as ``original`` spells it where they differ only in case.

    ARM and CCF read property names without regard to case (``ApiKeyName`` is ``apiKeyName``),
    so such a difference deploys identically and is not reported.
    """
    if isinstance(rebuilt, dict) and isinstance(original, dict):
        spelling = {str(k).lower(): k for k in original}
        out = {}
        for key, value in rebuilt.items():
            target = key if key in original else spelling.get(str(key).lower(), key)
            out[target] = align_case(value, original.get(target))
        return out
    if isinstance(rebuilt, list) and isinstance(original, list):
        return [align_case(v, original[i] if i < len(original) else None) for i, v in enumerate(rebuilt)]
    return rebuilt


def _split_arguments(text: str) -> list[str]:
    parts, depth, quoted, current = [], 0, False, ""
    for char in text:
        if char == "'":
            quoted = not quoted
        elif not quoted and char in "([":
            depth += 1
        elif not quoted and char in ")]":
            depth -= 1
        if char == "," and depth == 0 and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def _expression(text: str) -> str:
    """Whitespace outside string literals removed; ``concat`` without empty or split literals."""
    out, quoted = "", False
    for char in text:
        if char == "'":
            quoted = not quoted
        if quoted or not char.isspace():
            out += char
    match = re.fullmatch(r"(\[\[?)concat\((.*)\)\]", out)
    if not match:
        return out
    merged: list[str] = []
    for arg in _split_arguments(match.group(2)):
        if arg == "''":
            continue
        if merged and arg.startswith("'") and arg.endswith("'") and merged[-1].startswith("'") \
                and merged[-1].endswith("'"):
            merged[-1] = merged[-1][:-1] + arg[1:]
        else:
            merged.append(arg)
    return f"{match.group(1)}concat({','.join(merged)})]"


def _inline_variables(template: dict[str, Any]) -> dict[str, Any]:
    variables = template["variables"]

    def value_of(node: Any, depth: int = 0) -> Any:
        if isinstance(node, dict):
            return {k: value_of(v, depth) for k, v in node.items()}
        if isinstance(node, list):
            return [value_of(v, depth) for v in node]
        if isinstance(node, str) and depth < 8:
            match = _VARIABLE.match(node)
            if match and match.group(1) in variables and isinstance(variables[match.group(1)], str):
                return value_of(variables[match.group(1)], depth + 1)
        return node

    body = {k: value_of(v) for k, v in template.items() if k != "variables"}
    inlined = {k: value_of(v) for k, v in variables.items()}
    text = json.dumps(body)
    used = {name for name in inlined if f"variables('{name}')" in text}
    while True:  # variables that the kept ones refer to stay as well
        more = {name for name in inlined if name not in used
                and any(f"variables('{name}')" in json.dumps(inlined[u]) for u in used)}
        if not more:
            break
        used |= more
    return {**body, "variables": {k: v for k, v in inlined.items() if k in used}}


def _source_documents(connectors: list[ConnectorSet]) -> dict[str, list[tuple[str, Any]]]:
    """Resource type suffix -> (identity, the ``properties`` the package should hold) per connector."""
    def resolved(body: dict[str, Any], mapping: dict[str, str]) -> Any:
        try:
            return arm.resolve(body.get("properties", {}), mapping, "")
        except Exception:  # an unknown placeholder: compare as written
            return body.get("properties", {})

    docs: dict[str, list[tuple[str, Any]]] = {}
    for n, connector in enumerate(connectors, start=1):
        found = [
            ("dataconnectordefinitions", connector.id, connector.definition.body.get("properties", {})),
            ("datacollectionrules", str(connector.dcr.body.get("name")),
             resolved(connector.dcr.body, arm.install_time(n))),
        ]
        found.extend(("dataconnectors", stream_of(p), resolved(p.body, arm.CONNECT_TIME)) for p in connector.pollers)
        found.extend(("tables", str(t.body.get("name")), resolved(t.body, arm.install_time(n)))
                     for t in connector.tables.values() if t is not None)
        for kind, identity, doc in found:
            docs.setdefault(kind, []).append((identity, doc))
    return docs


def _identity(kind: str, node: dict[str, Any]) -> str:
    """What names a connector resource in the package, to find its source among several connectors."""
    properties = node.get("properties") if isinstance(node.get("properties"), dict) else {}
    if kind == "dataconnectordefinitions":
        return str((properties.get("connectorUiConfig") or {}).get("id"))
    if kind == "dataconnectors":
        return str(ci(ci(properties, "dcrConfig", {}), "streamName"))
    return str(node.get("name"))


def _source_value(package: Any, path: list[Any], sources: dict[str, list[tuple[str, Any]]]) -> Any:
    """Follow ``path`` in the package; inside a connector resource's properties, switch to its source."""
    node = package
    for i, key in enumerate(path):
        if isinstance(node, dict) and key == "properties" and isinstance(node.get("type"), str):
            kind = node["type"].rsplit("/", 1)[-1].lower()
            candidates = sources.get(kind, [])
            matching = [doc for ident, doc in candidates if ident == _identity(kind, node)]
            if matching or len(candidates) == 1:
                value = (matching or [candidates[0][1]])[0]
                for rest in path[i + 1:]:
                    try:
                        value = value[rest]
                    except (KeyError, IndexError, TypeError):
                        return _MISSING
                return value
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return _MISSING
    return _MISSING


def compare_packages(source, connectors: list[ConnectorSet], rendered) -> list[Difference]:
    from deepdiff import DeepDiff
    from deepdiff.helper import notpresent

    from sentinel_pack.importer.known import classify

    originals = original_package(source)
    sources = _source_documents(connectors)
    differences: list[Difference] = []
    for name, original in originals.items():
        original = equivalent(original)
        rebuilt = align_case(equivalent(rendered.documents[f"Package/{name}"]), original)
        rebuilt = _keyed(rebuilt, original)
        original = _keyed(original, original)
        tree = DeepDiff(original, rebuilt, view="tree", verbose_level=2)
        for change_type, items in tree.items():
            for item in items:
                path = item.path(output_format="list")
                old = None if item.t1 is notpresent else _unkeyed(item.t1)
                new = None if item.t2 is notpresent else _unkeyed(item.t2)
                shown = _format(path)
                source_value = _source_value(original, path, sources) if name == "mainTemplate.json" else _MISSING
                known = classify(name, shown, old, new)
                if known is not None:
                    origin, reason = known
                elif source_value is not _MISSING and _unkeyed(source_value) == new and source_value != old:
                    origin, reason = "original", "the original package is stale: its source file says this"
                else:
                    origin = "sentinel-pack"
                    reason = f"unexplained: sentinel-pack packages this differently ({change_type})"
                differences.append(Difference(name, shown, old, new, origin, reason))
    return differences


def _identity_of(resource: Any) -> str:
    if not isinstance(resource, dict):
        return ""
    return f"{resource.get('type')}|{resource.get('name')}"


def _keyed(doc: Any, original: Any) -> Any:
    """Every ``resources`` list as a mapping keyed by the original's position of the same resource.

    Resources are matched by type and name, so one missing resource (a workbook) does not make
    every later one look changed; a rebuilt resource the original lacks gets a ``+n`` key.
    """
    if isinstance(doc, dict):
        out = {}
        for key, value in doc.items():
            other = original.get(key) if isinstance(original, dict) else None
            if key == "resources" and isinstance(value, list) and isinstance(other, list):
                positions = {}
                for i, resource in enumerate(other):
                    positions.setdefault(_identity_of(resource), i)
                matched: list[int | None] = [positions.pop(_identity_of(r), None) for r in value]
                unmatched = sorted(positions.values())
                for n, resource in enumerate(value):  # then by type, in order (pollers named otherwise)
                    same_type = [i for i in unmatched if isinstance(resource, dict) and isinstance(other[i], dict)
                                 and other[i].get("type") == resource.get("type")]
                    if matched[n] is None and same_type:
                        matched[n] = same_type[0]
                        unmatched.remove(same_type[0])
                keyed, extra = {}, 0
                for resource, i in zip(value, matched, strict=True):
                    if i is None:
                        keyed[f"+{extra}"] = _keyed(resource, None)
                        extra += 1
                    else:
                        keyed[str(i)] = _keyed(resource, other[i])
                out[key] = _KeyedList(keyed)
            else:
                out[key] = _keyed(value, other)
        return out
    if isinstance(doc, list):
        others = original if isinstance(original, list) else []
        return [_keyed(v, others[i] if i < len(others) else None) for i, v in enumerate(doc)]
    return doc


class _KeyedList(dict):
    """A ``resources`` list keyed by position (see ``_keyed``)."""


def _unkeyed(value: Any) -> Any:
    if isinstance(value, _KeyedList):
        return [_unkeyed(v) for v in value.values()]
    if isinstance(value, dict):
        return {k: _unkeyed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unkeyed(v) for v in value]
    return value


def _format(path: list[Any]) -> str:
    out = ""
    for key in path:
        if isinstance(key, int) or (isinstance(key, str) and re.fullmatch(r"\d+|\+\d+", key)
                                    and out.endswith("resources")):
            out += f"[{key}]"
        else:
            out += f".{key}" if out else str(key)
    return out
