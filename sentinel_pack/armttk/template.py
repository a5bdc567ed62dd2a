"""Where each string of an ARM template is evaluated, and against which parameters and variables.

A Sentinel package nests templates: a content template's ``properties.mainTemplate`` is stored
by the outer deployment and deployed later, so ``[x]`` inside it is evaluated by the outer
deployment and ``[[x]`` becomes ``[x]``, evaluated by the inner one. A ``Microsoft.Resources/
deployments`` template with ``expressionEvaluationOptions.scope: inner`` evaluates its own
``[x]``; with the default (outer) scope its expressions belong to the parent. ``occurrences``
assigns every expression string to the scope that evaluates it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sentinel_pack.armttk.expr import ExprError, Node, parse_string

#: Template members that are not evaluated (free text, or read before evaluation).
NOT_EVALUATED = frozenset({"$schema", "contentversion", "metadata", "apiprofile", "languageversion"})


@dataclass(eq=False)
class Scope:
    """One template that a deployment evaluates: the main template or a nested one."""

    path: str  # JSON path of the template ("" for the main template)
    template: dict[str, Any]
    parent: Scope | None = None
    #: "main", "content" (a content template's mainTemplate), "inner" or "outer" (deployments)
    kind: str = "main"
    depth: int = 0  # how many '[' escapes a string needs to be evaluated here
    children: list[Scope] = field(default_factory=list)

    def _names(self, section: str) -> dict[str, Any]:
        value = self.template.get(section)
        return {str(k).lower(): v for k, v in value.items()} if isinstance(value, dict) else {}

    @cached_property
    def parameters(self) -> dict[str, Any]:
        """Declared parameters by lower-cased name (ARM names are case-insensitive)."""
        return self._names("parameters")

    @cached_property
    def variables(self) -> dict[str, Any]:
        names = self._names("variables")
        section = self.template.get("variables")
        copies = section.get("copy") if isinstance(section, dict) else None
        for item in copies if isinstance(copies, list) else []:
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                names.setdefault(item["name"].lower(), item.get("input"))
        names.pop("copy", None) if isinstance(copies, list) else None
        return names

    @cached_property
    def functions(self) -> frozenset[str]:
        """User-defined functions as lower-cased ``namespace.name``."""
        found = set()
        for namespace in self.template.get("functions") or []:
            if isinstance(namespace, dict) and isinstance(namespace.get("members"), dict):
                for name in namespace["members"]:
                    found.add(f"{namespace.get('namespace', '')}.{name}".lower())
        return frozenset(found)

    def path_of(self, rest: str) -> str:
        if not self.path:
            return rest
        return f"{self.path}{rest}" if rest.startswith("[") else f"{self.path}.{rest}"


@dataclass(frozen=True)
class Occurrence:
    """An expression string: its JSON path, its text as evaluated, and the scope evaluating it."""

    path: str
    raw: str  # the string as it stands in the file
    text: str  # after undoing the escapes of the templates around it
    scope: Scope
    node: Node | ExprError
    section: str  # the top-level member of its scope's template: resources, variables, ...


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _nested(resource: dict[str, Any]) -> tuple[str, dict[str, Any], str] | None:
    """(member, template, kind) when a resource carries a template of its own."""
    properties = resource.get("properties")
    if not isinstance(properties, dict):
        return None
    if isinstance(properties.get("mainTemplate"), dict):
        return "mainTemplate", properties["mainTemplate"], "content"
    if str(resource.get("type", "")).lower() == "microsoft.resources/deployments" \
            and isinstance(properties.get("template"), dict):
        options = properties.get("expressionEvaluationOptions")
        scope = str(options.get("scope", "")).lower() if isinstance(options, dict) else ""
        return "template", properties["template"], "inner" if scope == "inner" else "outer"
    return None


class Template:
    """A parsed ARM template's scopes and expression strings, computed once per template."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.main = Scope("", data)
        self.occurrences: list[Occurrence] = []
        self.literals: list[tuple[str, str, Scope, str]] = []  # (path, text, scope, section) of plain strings
        self._walk_template(self.main, [self.main])

    @cached_property
    def scopes(self) -> list[Scope]:
        out, stack = [], [self.main]
        while stack:
            scope = stack.pop()
            out.append(scope)
            stack.extend(reversed(scope.children))
        return out

    def _walk_template(self, scope: Scope, chain: list[Scope]) -> None:
        for key, value in scope.template.items():
            if str(key).lower() in NOT_EVALUATED:
                continue
            self._walk(value, scope.path_of(str(key)) if scope.path else str(key), chain, str(key))

    def _walk(self, value: Any, path: str, chain: list[Scope], section: str) -> None:
        if isinstance(value, str):
            self._string(value, path, chain, section)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self._walk(item, f"{path}[{index}]", chain, section)
        elif isinstance(value, dict):
            nested = _nested(value) if section == "resources" else None
            for key, item in value.items():
                here = _join(path, key)
                if nested and key == "properties":
                    self._properties(item, here, chain, section, nested)
                elif key == "metadata" and section in ("parameters", "outputs", "functions"):
                    continue  # free text, not evaluated
                else:
                    self._walk(item, here, chain, section)

    def _properties(self, properties: dict[str, Any], path: str, chain: list[Scope], section: str,
                    nested: tuple[str, dict[str, Any], str]) -> None:
        member, template, kind = nested
        for key, item in properties.items():
            if key != member:
                self._walk(item, _join(path, key), chain, section)
        here = _join(path, member)
        parent = chain[-1]
        if kind == "outer":  # evaluated by the parent deployment: part of the parent scope
            scope = Scope(here, template, parent, kind, parent.depth)
            parent.children.append(scope)
            for key, value in template.items():
                if str(key).lower() not in NOT_EVALUATED:
                    self._walk(value, _join(here, key), chain, section if key != "resources" else "resources")
            return
        scope = Scope(here, template, parent, kind, parent.depth + (1 if kind == "content" else 0))
        parent.children.append(scope)
        # an inner-scope deployment evaluates the strings its parent would have evaluated
        self._walk_template(scope, [*chain, scope] if kind == "content" else [*chain[:-1], scope])

    def _string(self, value: str, path: str, chain: list[Scope], section: str) -> None:
        brackets = len(value) - len(value.lstrip("["))
        if brackets and value.endswith("]"):
            # with n leading brackets the string is evaluated n-1 levels down (relative to the
            # outermost scope of the chain), after n-1 unescapings
            level = brackets - 1
            if level < len(chain):
                text = value[level:]
                self.occurrences.append(Occurrence(path, value, text, chain[level], parse_string(text), section))
                return
        self.literals.append((path, value, chain[-1], section))
