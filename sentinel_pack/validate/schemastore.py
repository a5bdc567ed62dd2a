"""The vendored JSON Schemas behind one ``$ref`` registry, with the documented relaxations.

Files in ``schemas/vendor`` are copied unchanged from upstream (PROVENANCE.md); the relaxations
are applied here, in memory, so that a reader can diff the vendored file against upstream and
read every deviation in one place.
"""

from __future__ import annotations

import copy
import json
import re
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
    # JwtToken auth takes a user name and password OR a ready user token (the CCF RestApiPoller
    # reference: "UserToken: required if UserName is not used"); the schema demands the first.
    jwt = doc["definitions"]["JwtAuthModel"]
    jwt["required"] = [name for name in jwt["required"] if name not in ("userName", "password")]
    jwt["properties"]["userToken"] = {"type": "string"}
    jwt["anyOf"] = [{"required": ["userName", "password"]}, {"required": ["userToken"]}]


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


def _lookup(instance: dict, name: str) -> str | None:
    """The instance's key for property ``name``: ARM and CCF read property names case-insensitively."""
    if name in instance:
        return name
    lower = name.lower()
    return next((key for key in instance if isinstance(key, str) and key.lower() == lower), None)


def _properties(validator, properties, instance, schema):
    if not validator.is_type(instance, "object"):
        return
    for name, subschema in properties.items():
        key = _lookup(instance, name)
        if key is not None:
            yield from validator.descend(instance[key], subschema, path=key, schema_path=name)


def _additional_properties(validator, additional, instance, schema):
    import re

    from jsonschema import ValidationError

    if not validator.is_type(instance, "object"):
        return
    known = {str(name).lower() for name in schema.get("properties", {})}
    patterns = "|".join(schema.get("patternProperties", {}))
    extras = sorted(key for key in instance if str(key).lower() not in known
                    and not (patterns and re.search(patterns, str(key))))
    if validator.is_type(additional, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], additional, path=extra)
    elif additional is False and extras:
        yield ValidationError(f"Additional properties are not allowed ({', '.join(map(repr, extras))} "
                              f"{'was' if len(extras) == 1 else 'were'} unexpected)")


def _required(validator, required, instance, schema):
    from jsonschema import ValidationError

    if not validator.is_type(instance, "object"):
        return
    for name in required:
        if _lookup(instance, name) is None:
            yield ValidationError(f"{name!r} is a required property")


def _const(validator, const, instance, schema):
    """Draft 4 predates ``const``, which the provider schemas use as the discriminator of each branch."""
    from jsonschema import ValidationError

    same = instance.lower() == const.lower() if isinstance(instance, str) and isinstance(const, str) \
        else instance == const
    if not same:
        yield ValidationError(f"{const!r} was expected")


@cache
def _validator_class():
    from jsonschema import Draft4Validator, validators

    return validators.extend(Draft4Validator, {
        "properties": _properties, "additionalProperties": _additional_properties,
        "required": _required, "const": _const,
    })


@cache
def validator(name: str, pointer: str = ""):
    """A Draft 4 validator for ``pointer`` (e.g. ``#/definitions/X``) inside a schema file.

    Property names match case-insensitively, as Azure reads them, and ``const`` is honoured.
    """
    base = document(name)["id"].rstrip("#")
    return _validator_class()({"$ref": f"{base}{pointer or '#'}"}, registry=_registry())


def local_validator(schema: dict):
    return _validator_class()(schema)


_PLACEHOLDER = re.compile(r"\{\{\s*[A-Za-z_][\w.]*\s*\}\}")


def is_expression(value: Any) -> bool:
    """An ARM or createUiDefinition expression, which may stand for a value of any type."""
    return isinstance(value, str) and value.startswith("[") and value.endswith("]") and not value.startswith("[[")


def resolved_later(value: Any) -> bool:
    """A value Azure resolves at deployment: an ARM expression (``[...]``, or ``[[...]`` escaped for
    a nested deployment) or a CCF ``{{placeholder}}`` the connection fills in."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    return (text.startswith("[") and text.endswith("]")) or bool(_PLACEHOLDER.search(text))


def _expression_branch(error: Any) -> bool:
    """ARM's "or an expression" alternative: a string where the value was something else."""
    if list(error.path):
        return False
    if error.validator == "type" and error.validator_value == "string" and not isinstance(error.instance, str):
        return True
    return error.validator == "pattern" and "\\[" in str(error.validator_value)


def _wrong_shape(error: Any) -> bool:
    """A branch for another shape of value (an object where a list was given)."""
    return error.validator == "type" and not list(error.path)


def _discriminator(instance: Any) -> tuple[str, str] | None:
    if isinstance(instance, dict):
        for name in ("kind", "type"):
            key = _lookup(instance, name)
            if key is not None and isinstance(instance[key], str):
                return name, instance[key]
    return None


def _branches(error: Any) -> dict[int, list[Any]]:
    branches: dict[int, list[Any]] = {}
    for sub in error.context:
        index = sub.relative_schema_path[0] if sub.relative_schema_path else -1
        branches.setdefault(index, []).append(sub)
    return branches


def _at_discriminator(sub: Any, name: str) -> bool:
    parts = list(sub.path)
    return len(parts) == 1 and str(parts[0]).lower() == name


def _selects(errors: list[Any], name: str) -> bool:
    """Whether a branch accepts the instance's discriminator (no error on the kind/type itself)."""
    return not any(_at_discriminator(sub, name) for sub in errors)


def _accepted(errors: list[Any]) -> Iterator[Any]:
    for sub in errors:
        if sub.validator == "const":
            yield sub.validator_value
        elif sub.validator == "enum":
            yield from sub.validator_value
        elif sub.context:
            yield from _accepted(sub.context)


def leaves(error: Any) -> Iterator[Any]:
    """The errors that matter under a failed ``oneOf``/``anyOf``.

    The branch the instance's ``kind``/``type`` selects is reported alone; without a
    discriminator, the branch of jsonschema's ``best_match``. ARM's "or an expression"
    alternatives are unwrapped to the real error. A value resolved at deployment is never one.
    """
    if error.validator in ("oneOf", "anyOf"):
        if not error.context:
            return  # valid under several branches: Draft 4 schemas cannot say which one is meant
        branches = _branches(error)
        real = {i: errs for i, errs in branches.items() if not all(_expression_branch(e) for e in errs)}
        if not real:
            return
        # branches for another shape of value say nothing, unless no branch fits the shape
        deep = {i: errs for i, errs in real.items() if not all(_wrong_shape(e) for e in errs)}
        real = deep or dict([next(iter(real.items()))])
        chosen: list[Any] | None = None
        found = _discriminator(error.instance)
        if found is not None and len(real) > 1:
            selected = [errs for errs in real.values() if _selects(errs, found[0])]
            if len(selected) == 1:
                chosen = selected[0]
            elif not selected:
                # no branch takes this kind/type: one finding listing what is accepted
                yield from _unknown_discriminator(error, found, real)
                return
        if chosen is None:
            # the best match: the branch that got furthest into the value, then the fewest errors
            chosen = max(real.values(), key=lambda errs: (max(len(list(e.path)) for e in errs), -len(errs)))
        for sub in chosen:
            yield from leaves(sub)
    elif error.validator == "allOf" and error.context:
        for sub in error.context:
            yield from leaves(sub)
    elif error.validator == "type" and error.instance is None:
        return  # ARM reads a null property as one that is not set
    elif not resolved_later(error.instance):
        yield error


def _unknown_discriminator(error: Any, found: tuple[str, str], real: dict[int, list[Any]]) -> Iterator[Any]:
    from jsonschema import ValidationError

    if resolved_later(found[1]):
        return
    allowed: list[Any] = []
    for errs in real.values():
        for value in _accepted([sub for sub in errs if _at_discriminator(sub, found[0])]):
            if value not in allowed:
                allowed.append(value)
    key = _lookup(error.instance, found[0])
    yield ValidationError(f"{found[1]!r} is not one of {allowed}", validator="enum", validator_value=allowed,
                          instance=found[1], path=[*error.absolute_path, key])


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
