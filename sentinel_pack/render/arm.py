"""Turning connector source files into the ARM expressions of the package.

Connector files use ``{{placeholders}}`` for values only known at deployment. In the package
they become ARM expressions: ``[...]`` is evaluated when the solution is installed, ``[[...]``
is left as ``[...]`` for the later deployment of a content template (when the user clicks
Connect). docs/arm-escaping.md explains the rules.
"""

from __future__ import annotations

import re
from typing import Any

from sentinel_pack.errors import Problem, SentinelPackError

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")

#: Placeholders of the DCR and table: resolved when the solution package is installed.
INSTALL_TIME = {
    "location": "[parameters('workspace-location')]",
    "workspaceResourceId": "[variables('workspaceResourceId')]",
    "dataCollectionEndpointId": "[variables('dataCollectionEndpointId1')]",
}

def install_time(n: int) -> dict[str, str]:
    """INSTALL_TIME for the package's connector number ``n`` (its variables carry the number)."""
    return {**INSTALL_TIME, "dataCollectionEndpointId": f"[variables('dataCollectionEndpointId{n}')]"}


#: Placeholders of the poller: resolved when the user connects, from the content template's
#: own parameters, hence the ``[[`` escape.
CONNECT_TIME = {
    "location": "[parameters('workspace-location')]",
    "dataCollectionEndpoint": "[[parameters('dcrConfig').dataCollectionEndpoint]",
    "dataCollectionRuleImmutableId": "[[parameters('dcrConfig').dataCollectionRuleImmutableId]",
}



def connect_time(parameters: list[dict[str, Any]]) -> dict[str, str]:
    """CONNECT_TIME plus ``{{name}}`` -> ``[[parameters('name')]`` for each Connections parameter."""
    return {**{p["name"]: parameter(p["name"]) for p in parameters}, **CONNECT_TIME}


#: Placeholders Sentinel itself fills in the connector UI; they stay as written.
UI_RUNTIME = frozenset({"graphQueriesTableName"})


def placeholders(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, str):
        found.update(PLACEHOLDER.findall(value))
    elif isinstance(value, dict):
        for item in value.values():
            found |= placeholders(item)
    elif isinstance(value, list):
        for item in value:
            found |= placeholders(item)
    return found


def resolve(value: Any, mapping: dict[str, str], file: str, path: str = "") -> Any:
    """Replace whole-string placeholders by ARM expressions; unknown ones are an error."""
    if isinstance(value, dict):
        return {k: resolve(v, mapping, file, f"{path}.{k}" if path else k) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, mapping, file, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, str):
        match = PLACEHOLDER.fullmatch(value.strip())
        if match:
            name = match.group(1)
            if name not in mapping:
                raise SentinelPackError(Problem(
                    f"unknown placeholder {{{{{name}}}}}",
                    file=file, path=path,
                    hint=f"use one of: {', '.join('{{' + k + '}}' for k in sorted(mapping))}"))
            return mapping[name]
        leftover = PLACEHOLDER.findall(value)
        if leftover and all(mapping.get(name, "").startswith("[[") for name in leftover):
            return _concat(value, mapping)
        if leftover:
            raise SentinelPackError(Problem(
                f"placeholder {{{{{leftover[0]}}}}} inside a longer string cannot become an ARM expression",
                file=file, path=path, hint="use the placeholder as the whole value"))
    return value


def _concat(value: str, mapping: dict[str, str]) -> str:
    """``Bearer {{token}}`` -> ``[[concat('Bearer ',parameters('token'))]``, as the official packager writes it."""
    parts: list[str] = []
    position = 0
    for match in PLACEHOLDER.finditer(value):
        if match.start() > position:
            parts.append("'" + value[position:match.start()].replace("'", "''") + "'")
        parts.append(mapping[match.group(1)][2:-1])
        position = match.end()
    if position < len(value):
        parts.append("'" + value[position:].replace("'", "''") + "'")
    return f"[[concat({','.join(parts)})]"


def escape(expression: str) -> str:
    """``[parameters('x')]`` -> ``[[parameters('x')]``: keep it for the inner deployment."""
    return "[" + expression if expression.startswith("[") and not expression.startswith("[[") else expression


def parameter(name: str) -> str:
    """The escaped reference to a content-template parameter, as a poller field holds it."""
    return escape(f"[parameters('{name}')]")


def literals(value: Any) -> Any:
    """Every string that ARM would read as an expression (``[...``) escaped, so it stays text."""
    if isinstance(value, dict):
        return {key: literals(item) for key, item in value.items()}
    if isinstance(value, list):
        return [literals(item) for item in value]
    return escape(value) if isinstance(value, str) else value
