"""SP2xx: resources against the vendored Azure provider schemas (see schemas/vendor/PROVENANCE.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from sentinel_pack.validate.finding import ERROR, WARNING, rule
from sentinel_pack.validate.target import Target

Out = Iterator[tuple[str, str, str, str]]
VENDOR = Path(__file__).resolve().parent.parent / "schemas" / "vendor"
#: resource type suffix -> (schema file, resource definition)
SCHEMAS = {
    "dataCollectionRules": ("2024-03-11__Microsoft.Insights.json", "dataCollectionRules"),
    "/tables": ("2022-10-01__Microsoft.OperationalInsights.json", "workspaces_tables"),
}


@cache
def _validator(file: str, definition: str):
    from jsonschema import Draft4Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    docs = {name: json.loads((VENDOR / name).read_text(encoding="utf-8"))
            for name in (file, "common__definitions.json")}
    registry = Registry()
    for doc in docs.values():
        resource = Resource.from_contents(doc, default_specification=DRAFT4)
        registry = registry.with_resources([(doc["id"], resource), (doc["id"].rstrip("#"), resource)])
    root = docs[file]
    schema = {"$ref": f"{root['id'].rstrip('#')}#/resourceDefinitions/{definition}/properties/properties"}
    return Draft4Validator(schema, registry=registry)


def _leaves(error: Any) -> Iterator[Any]:
    """The concrete errors under ARM's ``oneOf: [object, expression string]`` wrappers."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        for sub in error.context:
            # the "or an ARM expression" branch: a string where an object was given
            if sub.validator == "type" and sub.validator_value == "string" and not isinstance(sub.instance, str):
                continue
            if sub.validator == "pattern" and "\\[" in str(sub.validator_value):
                continue
            yield from _leaves(sub)
    else:
        yield error


def _known_open_value(value: Any, allowed: list[Any]) -> bool:
    """Values the published enums miss although Azure accepts them (PROVENANCE.md)."""
    if isinstance(value, str) and value.lower() in {str(a).lower() for a in allowed}:
        return True  # 'datetime' for 'dateTime'
    return isinstance(value, str) and value.startswith(("Custom-", "Microsoft-"))


def _schema_errors(target: Target) -> Iterator[tuple[str, str, str, bool]]:
    """(file, path, message, is_enum) for every schema error in every matching resource."""
    for suffix, (file, definition) in SCHEMAS.items():
        for rel, resource in target.resources(suffix):
            properties: Any = resource.get("properties")
            if not isinstance(properties, dict):
                continue
            seen = set()
            errors = _validator(file, definition).iter_errors(properties)
            for error in (leaf for top in errors for leaf in _leaves(top)):
                key = (tuple(error.absolute_path), error.message)
                if key in seen:
                    continue
                seen.add(key)
                path = "properties" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
                if error.validator == "enum" and _known_open_value(error.instance, error.validator_value):
                    continue
                yield rel, path, error.message, error.validator == "enum"


@rule("SP201", ERROR, "Resources satisfy their provider schema")
def provider_schema(target: Target) -> Out:
    for rel, path, message, is_enum in _schema_errors(target):
        if not is_enum:
            yield rel, path, f"provider schema: {message}", "see the resource's ARM reference for this property"


@rule("SP202", WARNING, "Values outside the provider schema's (open) value lists")
def provider_enums(target: Target) -> Out:
    for rel, path, message, is_enum in _schema_errors(target):
        if is_enum:
            yield rel, path, f"provider schema lists no such value: {message}", \
                "usually fine (the published lists are incomplete); check the spelling"
