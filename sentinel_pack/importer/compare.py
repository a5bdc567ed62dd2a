"""Package differences after an import, each with where it comes from.

A value the rebuild takes from the original's own source files, but the original package does
not hold, means the original package was stale: that difference is the original's. Anything
else is sentinel-pack's packaging and is reported as such.
"""

from __future__ import annotations

from typing import Any

from sentinel_pack import arm
from sentinel_pack.importer.discover import ConnectorSet
from sentinel_pack.importer.run import Difference, original_package

_MISSING = object()


def _source_documents(connector: ConnectorSet) -> dict[str, Any]:
    """Resource type suffix -> the ``properties`` the package should hold for it."""
    def resolved(body: dict[str, Any], mapping: dict[str, str]) -> Any:
        try:
            return arm.resolve(body.get("properties", {}), mapping, "")
        except Exception:  # an unknown placeholder: compare as written
            return body.get("properties", {})

    docs = {
        "dataconnectordefinitions": connector.definition.body.get("properties", {}),
        "datacollectionrules": resolved(connector.dcr.body, arm.INSTALL_TIME),
        "dataconnectors": resolved(connector.poller.body, arm.CONNECT_TIME),
    }
    if connector.table is not None:
        docs["tables"] = resolved(connector.table.body, arm.INSTALL_TIME)
    return docs


def _source_value(package: Any, path: list[Any], sources: dict[str, Any]) -> Any:
    """Follow ``path`` in the package; inside a connector resource's properties, switch to its source."""
    node = package
    for i, key in enumerate(path):
        if isinstance(node, dict) and key == "properties" and isinstance(node.get("type"), str):
            kind = node["type"].rsplit("/", 1)[-1].lower()
            if kind in sources:
                value = sources[kind]
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


def compare_packages(source, connector: ConnectorSet, rendered) -> list[Difference]:
    from deepdiff import DeepDiff
    from deepdiff.helper import notpresent

    originals = original_package(source)
    sources = _source_documents(connector)
    differences: list[Difference] = []
    for name, original in originals.items():
        rebuilt = rendered.documents[f"Package/{name}"]
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
