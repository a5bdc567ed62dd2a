"""Package differences after an import, each with where it comes from.

A value the rebuild takes from the original's own source files, but the original package does
not hold, means the original package was stale: that difference is the original's. Anything
else is sentinel-pack's packaging and is reported as such.

Forms that deploy identically are compared as equal (``equivalent``): a ``null`` member and an
absent one; the hand-concatenated data collection endpoint id and its ``resourceId()`` form
(docs/differences.md D7, D8), so that arm-ttk-clean rebuilds still count as faithful.
"""

from __future__ import annotations

from typing import Any

from sentinel_pack import arm
from sentinel_pack.importer.discover import ConnectorSet, ci, stream_of
from sentinel_pack.importer.run import Difference, original_package

_MISSING = object()
_DCE_CONCAT = ("[concat('/subscriptions/',parameters('subscription'),'/resourceGroups/',"
               "parameters('resourceGroupName'),'/providers/Microsoft.Insights/dataCollectionEndpoints/',parameters('workspace'))]")
_DCE_RESOURCE_ID = ("[resourceId(parameters('subscription'), parameters('resourceGroupName'), "
                    "'Microsoft.Insights/dataCollectionEndpoints', parameters('workspace'))]")


def equivalent(doc: Any) -> Any:
    """``doc`` with deployment-neutral spellings unified (null members dropped, ids via resourceId)."""
    if isinstance(doc, dict):
        return {k: equivalent(v) for k, v in doc.items() if v is not None}
    if isinstance(doc, list):
        return [equivalent(v) for v in doc]
    return _DCE_RESOURCE_ID if doc == _DCE_CONCAT else doc


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

    originals = original_package(source)
    sources = _source_documents(connectors)
    differences: list[Difference] = []
    for name, original in originals.items():
        original, rebuilt = equivalent(original), equivalent(rendered.documents[f"Package/{name}"])
        tree = DeepDiff(original, rebuilt, view="tree", verbose_level=2)
        for change_type, items in tree.items():
            for item in items:
                path = item.path(output_format="list")
                old = None if item.t1 is notpresent else item.t1
                new = None if item.t2 is notpresent else item.t2
                source_value = _source_value(original, path, sources) if name == "mainTemplate.json" else _MISSING
                if source_value is not _MISSING and source_value == new and source_value != old:
                    origin, reason = "original", "the original package is stale: its source file says this"
                else:
                    origin, reason = "sentinel-pack", f"sentinel-pack packages this differently ({change_type})"
                differences.append(Difference(name, _format(path), old, new, origin, reason))
    return differences


def _format(path: list[Any]) -> str:
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out
