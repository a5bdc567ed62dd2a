"""Verbatim CCF sections checked against the vendored provider schema, case-insensitively.

ARM and the CCF service read property names without regard to case (real connectors mix
``apiKeyName`` and ``ApiKeyName``), so instance and schema are both compared in lower case; a
problem is reported with the manifest's own spelling of the path. The provider schema is open
where it is open (it lags the service: ``nextPageParaName``, ``stepInfo`` are not in it), its
closed value lists are left to ``validate`` (SP202 warnings), and a value that is an ARM
expression or a ``{{placeholder}}`` may stand for any type, as it does at deployment.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from sentinel_pack.validate import schemastore

SI = schemastore.SECURITY_INSIGHTS
PUSH = schemastore.PUSH
OI = schemastore.OPERATIONAL_INSIGHTS
INSIGHTS = schemastore.INSIGHTS
DCR = "#/definitions/DataCollectionRuleResourceProperties"

#: Where each verbatim manifest section is defined in the provider schema.
UI_CONFIG = "#/definitions/CustomizableConnectorUiConfig"
DEFINITION = "#/definitions/CustomizableConnectorDefinitionProperties"
PERMISSIONS = "#/definitions/ConnectorDefinitionsPermissions"
INSTRUCTION_STEP = "#/definitions/InstructionStep"
INSTRUCTION = "#/definitions/InstructionStepDetails"
TABLE = "#/definitions/TableProperties"
COLUMN = "#/definitions/Column"


def _lower_schema(node: Any) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                out[key] = {name.lower(): _lower_schema(sub) for name, sub in value.items()}
            elif key == "required" and isinstance(value, list):
                out[key] = [str(name).lower() for name in value]
            else:
                out[key] = _lower_schema(value)
        return out
    if isinstance(node, list):
        return [_lower_schema(item) for item in node]
    return node


@cache
def _documents() -> dict[str, dict[str, Any]]:
    si = _lower_schema(schemastore.document(SI))
    # The auth discriminator is dispatched in ``auth_model`` (vendor-specific types such as
    # AliCloudSlsV1 are real and not in the schema's list); here an auth is any typed object.
    si["definitions"]["CcpAuthConfig"] = {"type": "object", "required": ["type"]}
    return {SI: si, PUSH: _lower_schema(schemastore.document(PUSH)), OI: _lower_schema(schemastore.document(OI)),
            INSIGHTS: _lower_schema(schemastore.document(INSIGHTS))}


@cache
def _registry():
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    registry = Registry()
    docs = {**_documents(), "common": schemastore.document("common__definitions.json")}
    for doc in docs.values():
        resource = Resource.from_contents(doc, default_specification=DRAFT4)
        registry = registry.with_resources([(doc["id"], resource), (doc["id"].rstrip("#"), resource)])
    return registry


@cache
def _validator(name: str, pointer: str):
    from jsonschema import Draft4Validator

    base = _documents()[name]["id"].rstrip("#")
    return Draft4Validator({"$ref": f"{base}{pointer}"}, registry=_registry())


@cache
def poller_properties(kind: str) -> tuple[str, str] | None:
    """(schema file, pointer) of a poller kind's ``properties``, from the schema's own kind enums."""
    if kind.lower() == "push":
        return PUSH, "#"
    definitions = schemastore.document(SI)["definitions"]
    for name, definition in definitions.items():
        kinds = [b.get("enum") for b in definition.get("properties", {}).get("kind", {}).get("oneOf", [])]
        if name.endswith("DataConnector") and any(k and kind.lower() in (x.lower() for x in k) for k in kinds):
            for branch in definition["properties"].get("properties", {}).get("oneOf", []):
                if "$ref" in branch and branch["$ref"].startswith("#/"):
                    return SI, branch["$ref"]
    return None


@cache
def poller_kinds() -> tuple[str, ...]:
    """Every data connector kind the provider schema defines, plus Push."""
    kinds = []
    for name, definition in schemastore.document(SI)["definitions"].items():
        for branch in definition.get("properties", {}).get("kind", {}).get("oneOf", []):
            if name.endswith("DataConnector") and branch.get("enum"):
                kinds.extend(branch["enum"])
    return tuple(sorted(set(kinds) | {"Push"}))


@cache
def auth_models() -> dict[str, str]:
    """Lower-cased auth ``type`` -> pointer of its model, from the discriminator in the schema."""
    out = {}
    for branch in schemastore.document(SI)["definitions"]["CcpAuthConfig"]["allOf"][1]["oneOf"]:
        ref, marker = branch["allOf"][0]["$ref"], branch["allOf"][1]["properties"]["type"]["const"]
        out[marker.lower()] = ref
    return out


def _lowered(value: Any, path: tuple, clashes: list[tuple[tuple, str]]) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            low = str(key).lower()
            if low in out:
                clashes.append(((*path, key), f"'{key}' is given twice (property names are case-insensitive)"))
            out[low] = _lowered(item, (*path, key), clashes)
        return out
    if isinstance(value, list):
        return [_lowered(item, (*path, i), clashes) for i, item in enumerate(value)]
    return value


def _is_dynamic(value: Any) -> bool:
    """An ARM expression or a {{placeholder}}: its type is only known at deployment."""
    return isinstance(value, str) and (value.startswith("[") or "{{" in value)


def _leaves(error: Any) -> Iterator[Any]:
    if error.validator in ("oneOf", "anyOf") and error.context:
        for sub in error.context:
            if sub.validator == "type" and sub.validator_value == "string" and not isinstance(sub.instance, str):
                continue  # the "or an ARM expression" branch
            if sub.validator == "pattern" and "\\[" in str(sub.validator_value):
                continue
            yield from _leaves(sub)
    elif error.validator not in ("enum", "const") and not _is_dynamic(error.instance) and error.instance is not None:
        # null is "not set" to ARM (real definitions write "value": null)
        yield error


def _original_path(value: Any, lowered_path: list[Any]) -> tuple:
    out: list[Any] = []
    node = value
    for part in lowered_path:
        if isinstance(node, dict) and isinstance(part, str):
            key = next((k for k in node if str(k).lower() == part), part)
            out.append(key)
            node = node.get(key)
        else:
            out.append(part)
            node = node[part] if isinstance(node, list) and isinstance(part, int) and part < len(node) else None
    return tuple(out)


def check(value: Any, name: str, pointer: str, *, satisfied: frozenset[str] | None = frozenset()
          ) -> list[tuple[tuple, str]]:
    """(path inside ``value``, message) for each way ``value`` breaks the provider definition.

    ``satisfied`` names (lower case) top-level required properties supplied elsewhere (derived by
    sentinel-pack, or written with its own keys); ``None`` waives every top-level requirement.
    """
    clashes: list[tuple[tuple, str]] = []
    lowered = _lowered(value, (), clashes)
    out = list(clashes)
    seen = set()
    for top in _validator(name, pointer).iter_errors(lowered):
        for error in _leaves(top):
            path = list(error.absolute_path)
            if error.validator == "required":
                missing = error.message.split("'")[1]
                if not path and (satisfied is None or missing in satisfied):
                    continue
                message = f"missing required key '{_spelling().get(missing, missing)}'"
            elif error.validator == "type":
                message = f"expected {error.validator_value}, got {type(error.instance).__name__}"
            else:
                message = error.message
            key = (tuple(path), message)
            if key not in seen:
                seen.add(key)
                out.append((_original_path(value, path), message))
    return out


@cache
def _spelling() -> dict[str, str]:
    """Lower-cased property name -> the provider schema's spelling, for messages."""
    out: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "properties" and isinstance(value, dict):
                    for name in value:
                        out.setdefault(name.lower(), name)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(schemastore.document(SI))
    walk(schemastore.document(OI))
    walk(schemastore.document(INSIGHTS))
    return out


def check_auth(auth: Any) -> list[tuple[tuple, str]]:
    """An auth object against the model its ``type`` names; an unknown (vendor) type is open.

    The models' ``required`` lists are not enforced: the service accepts other credential forms
    than the generated schema names (a JwtToken auth with ``UserToken`` instead of user name and
    password, as BigID's published connector uses); types and shapes are still checked.
    """
    if not isinstance(auth, dict):
        return [((), "expected an object")]
    kind = next((v for k, v in auth.items() if str(k).lower() == "type"), None)
    if not isinstance(kind, str):
        return [((), "missing required key 'type'")]
    pointer = auth_models().get(kind.lower())
    if not pointer:
        return []
    return [(path, message) for path, message in check(auth, SI, pointer)
            if not message.startswith("missing required key")]


