"""The vendored JSON Schemas behind one ``$ref`` registry, with the documented relaxations.

Files in ``schemas/vendor`` are copied unchanged from upstream (PROVENANCE.md); the relaxations
are applied here, in memory, so that a reader can diff the vendored file against upstream and
read every deviation in one place.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
VENDOR = SCHEMAS / "vendor"

INSIGHTS = "2024-03-11__Microsoft.Insights.json"
OPERATIONAL_INSIGHTS = "2022-10-01__Microsoft.OperationalInsights.json"
SECURITY_INSIGHTS = "2025-07-01-preview__Microsoft.SecurityInsights.json"
DEPLOYMENT_TEMPLATE = "2019-04-01__deploymentTemplate.json"
UI_MULTIVM = "0.1.2-preview__CreateUIDefinition.MultiVm.json"
UI_COMMON = "0.1.2-preview__CreateUIDefinition.CommonControl.json"
UI_PROVIDER = "0.1.2-preview__CreateUIDefinition.ProviderControl.json"
PUSH = "push-connector.schema.json"  # written by sentinel-pack: the provider schema lacks kind Push

#: A control is an object with a name and a type; its own definition is applied separately.
CONTROL_ENVELOPE = {
    "type": "object",
    "required": ["name", "type"],
    "properties": {"name": {"type": "string"}, "type": {"type": "string"}},
}


def _load(name: str) -> dict[str, Any]:
    folder = SCHEMAS if name == PUSH else VENDOR
    return json.loads((folder / name).read_text(encoding="utf-8"))


def _relax_deployment_template(doc: dict[str, Any]) -> None:
    # The resource list points at every provider schema (hundreds of MB): check the envelope here
    # and each resource against its own provider file (rules_schemas.PROVIDERS).
    doc["definitions"]["resource"] = {"$ref": "#/definitions/resourceBase"}


def _relax_ui_multivm(doc: dict[str, Any]) -> None:
    parameters = doc["properties"]["parameters"]["properties"]
    parameters["basics"]["items"] = CONTROL_ENVELOPE
    parameters["steps"]["items"]["properties"]["elements"]["items"] = CONTROL_ENVELOPE
    config = parameters["config"]["properties"]
    # Properties every Sentinel createUiDefinition carries and the 0.1.2-preview schema predates.
    config["isWizard"] = {"type": "boolean"}
    basics = config["basics"]["properties"]
    basics["location"]["properties"]["metadata"] = {"type": "object"}
    constraints = doc["definitions"]["Subscription-ResourceGroup.Constraints"]["properties"]
    constraints["resourceProviders"] = {"type": "array", "items": {"type": "string"}}
    constraints["allowExisting"] = {"type": "boolean"}


def _relax_ui_controls(doc: dict[str, Any]) -> None:
    # Sections are walked control by control (rules_schemas), not through the schema's oneOf.
    for name, definition in doc["definitions"].items():
        if name.startswith("Microsoft.Common.Section"):
            definition["properties"]["elements"]["items"] = CONTROL_ENVELOPE


def _relax_security_insights(doc: dict[str, Any]) -> None:
    # Generated discriminator bases say `additionalProperties: false` with only the discriminator
    # listed, so that every real auth object (OAuth2's clientId, APIKey's ApiKey, ...) would fail;
    # the kind-specific branch in the same allOf keeps the real constraints.
    for name in ("CcpAuthConfig", "AutomationRuleAction"):
        doc["definitions"][name]["allOf"][0].pop("additionalProperties", None)


RELAXATIONS = {
    SECURITY_INSIGHTS: _relax_security_insights,
    DEPLOYMENT_TEMPLATE: _relax_deployment_template,
    UI_MULTIVM: _relax_ui_multivm,
    UI_COMMON: _relax_ui_controls,
    UI_PROVIDER: _relax_ui_controls,
}


@cache
def document(name: str) -> dict[str, Any]:
    """A schema file with its relaxation applied (the file on disk stays as upstream wrote it)."""
    doc = _load(name)
    if name in RELAXATIONS:
        doc = copy.deepcopy(doc)
        RELAXATIONS[name](doc)
    return doc


@cache
def _registry():
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    registry = Registry()
    names = [*sorted(p.name for p in VENDOR.glob("*.json")), PUSH]
    for name in names:
        doc = document(name)
        resource = Resource.from_contents(doc, default_specification=DRAFT4)
        registry = registry.with_resources([(doc["id"], resource), (doc["id"].rstrip("#"), resource)])
    return registry


@cache
def validator(name: str, pointer: str = ""):
    """A Draft 4 validator for ``pointer`` (e.g. ``#/definitions/X``) inside a schema file."""
    from jsonschema import Draft4Validator

    base = document(name)["id"].rstrip("#")
    return Draft4Validator({"$ref": f"{base}{pointer or '#'}"}, registry=_registry())


def is_expression(value: Any) -> bool:
    """An ARM or createUiDefinition expression, which may stand for a value of any type."""
    return isinstance(value, str) and value.startswith("[") and value.endswith("]") and not value.startswith("[[")


def leaves(error: Any) -> Iterator[Any]:
    """The concrete errors under ARM's ``oneOf: [value, expression string]`` wrappers."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        for sub in error.context:
            # the "or an ARM expression" branch: a string where an object was given
            if sub.validator == "type" and sub.validator_value == "string" and not isinstance(sub.instance, str):
                continue
            if sub.validator == "pattern" and "\\[" in str(sub.validator_value):
                continue
            yield from leaves(sub)
    elif not is_expression(error.instance):
        yield error


def json_path(prefix: str, parts: Any) -> str:
    return prefix + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


def errors(name: str, pointer: str, instance: Any) -> Iterator[Any]:
    """Every distinct concrete error, deduplicated across the oneOf branches."""
    seen = set()
    for top in validator(name, pointer).iter_errors(instance):
        for error in leaves(top):
            key = (tuple(error.absolute_path), error.message)
            if key not in seen:
                seen.add(key)
                yield error
