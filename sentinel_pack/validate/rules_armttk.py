"""SP6xx: the arm-ttk checks the Azure-Sentinel pipeline runs on packages, without its skips."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sentinel_pack.validate.finding import ERROR, rule
from sentinel_pack.validate.rules_crossfile import _walk_strings
from sentinel_pack.validate.target import Target, nested_templates

Out = Iterator[tuple[str, str, str, str]]


def _references(template: dict, kind: str) -> set[str]:
    """Names used as ``parameters('x')`` or ``variables('x')`` in any expression of the template."""
    found: set[str] = set()
    for _, text in _walk_strings(template):
        found.update(re.findall(rf"{kind}\(\s*'([^']+)'\s*\)", text))
    return found


@rule("SP601", ERROR, "Every template parameter is used")
def parameters_used(target: Target) -> Out:
    rel, main = target.package("mainTemplate.json")
    if not isinstance(main, dict):
        return
    used = _references({k: v for k, v in main.items() if k != "parameters"}, "parameters")
    used |= _references({n: p.get("metadata", {}) for n, p in main.get("parameters", {}).items()}, "parameters")
    for name in main.get("parameters", {}):
        if name not in used:
            yield rel, f"parameters.{name}", f"parameter '{name}' is never used", "remove it or use it"


@rule("SP602", ERROR, "Every template variable is used")
def variables_used(target: Target) -> Out:
    rel, main = target.package("mainTemplate.json")
    if not isinstance(main, dict):
        return
    variables = main.get("variables", {})
    used = _references({k: v for k, v in main.items() if k != "variables"}, "variables")
    for name, value in variables.items():  # a variable may be used by another one
        used |= _references({"v": value}, "variables") - {name}
    for name in variables:
        if name not in used:
            yield rel, f"variables.{name}", f"variable '{name}' is never used", "remove it or use it"


@rule("SP603", ERROR, "Locations are not hard-coded")
def location_not_hardcoded(target: Target) -> Out:
    rel, main = target.package("mainTemplate.json")
    if not isinstance(main, dict):
        return
    for path, text in _walk_strings(main.get("resources", [])):
        if path.endswith(".location") and not text.startswith("[") and text.lower() != "global":
            yield (
                rel,
                f"resources{path}" if path.startswith("[") else path,
                f"location '{text}' is hard-coded",
                "use [parameters('workspace-location')]",
            )


@rule("SP604", ERROR, "createUiDefinition outputs and template parameters match")
def outputs_match_parameters(target: Target) -> Out:
    main_rel, main = target.package("mainTemplate.json")
    ui_rel, ui = target.package("createUiDefinition.json")
    if not isinstance(main, dict) or not isinstance(ui, dict):
        return
    outputs = ui.get("parameters", {}).get("outputs", {})
    parameters = main.get("parameters", {})
    for name in outputs:
        if name not in parameters:
            yield (
                ui_rel,
                f"parameters.outputs.{name}",
                f"output '{name}' is not a template parameter",
                "remove the output or add the parameter to mainTemplate.json",
            )
    for name, definition in parameters.items():
        if "defaultValue" not in definition and name not in outputs:
            yield (
                main_rel,
                f"parameters.{name}",
                f"parameter '{name}' has no default and no createUiDefinition output",
                "give it a defaultValue or an output of the same name",
            )


@rule("SP605", ERROR, "contentVersion is a four-part version")
def content_version(target: Target) -> Out:
    rel, main = target.package("mainTemplate.json")
    if isinstance(main, dict) and not re.fullmatch(r"\d+\.\d+\.\d+\.\d+", str(main.get("contentVersion", ""))):
        yield (
            rel,
            "contentVersion",
            f"'{main.get('contentVersion')}' is not like 1.0.0.0",
            "set contentVersion: 1.0.0.0",
        )


#: arm-ttk's ``PropertiesThatCanBeEmpty``: these keys, and their direct members, may be blank.
BLANK_ALLOWED = frozenset({
    "resources", "outputs", "variables", "parameters", "functions", "properties", "template",
    "defaultValue", "accessPolicies", "value", "promotionCode", "inputs", "notEquals", "clientId",
    "allowedCallerIpAddresses", "workerPools", "AzureMonitor", "requiredDataConnectors",
})

#: Containers whose members may be blank. arm-ttk exempts members of any allowed key by name
#: anywhere in the file, which lets every blank under a resource's ``properties`` through;
#: sentinel-pack checks resource properties.
BLANK_MEMBERS_ALLOWED = BLANK_ALLOWED - {"properties", "resources"}


def _is_blank(value: object) -> bool:
    return value is None or value in ("", [], {}) or (isinstance(value, str) and not value.strip())


def _blanks(value: object, path: str, parent_key: str | None) -> Iterator[str]:
    """Paths of blank member values (arm-ttk looks only at ``"key": <blank>``, not array items)."""
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else key
            allowed = key in BLANK_ALLOWED or parent_key in BLANK_MEMBERS_ALLOWED \
                or key.lstrip().startswith(("[", "/subscriptions/"))
            if _is_blank(item) and not allowed:
                yield here
            yield from _blanks(item, here, key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _blanks(item, f"{path}[{index}]", None)


@rule("SP606", ERROR, "The template has no blank properties")
def no_blanks(target: Target) -> Out:
    """arm-ttk 'Template Should Not Contain Blanks': an empty value means 'unset' in ARM, say so."""
    rel, main = target.package("mainTemplate.json")
    if not isinstance(main, dict):
        return
    for path in _blanks(main, "", None):
        yield rel, path, "blank property (empty string, array, object or null)", \
            "remove the property, or give it a value (use [variables('blanks')] where ARM needs an empty string)"


#: arm-ttk's exemptions (not resource ids), plus Sentinel content identifiers, which are names.
ID_EXEMPT = frozenset(name.lower() for name in (
    "appId", "clientId", "DataTypeId", "defaultMenuItemId", "keyVaultSecretId", "keyId", "objectId",
    "menuId", "policyDefinitionReferenceId", "servicePrincipalClientId", "StartingDeviceID",
    "subscriptionId", "SyntheticMonitorId", "targetProtectionContainerId", "targetWorkerSizeId",
    "tenantId", "timezoneId", "vlanId", "workerSizeId",
    # Sentinel content: identifiers of content items, not Azure resource ids
    "contentId", "contentProductId", "packageId", "sourceId", "dataCollectionRuleImmutableId",
    "alertRuleTemplateName", "templateId", "connectorId",
))
ID_FUNCTIONS = ("extensionResourceId", "resourceId", "subscriptionResourceId", "tenantResourceId", "if",
                "parameters", "reference", "variables", "subscription", "guid")
_ID_EXPRESSION = re.compile(r"^\s*\[\[?\s*(" + "|".join(ID_FUNCTIONS) + r")\s*\(", re.IGNORECASE)
_VARIABLE = re.compile(r"^\s*\[\[?\s*variables\(\s*'([^']+)'\s*\)\s*\]\s*$")


def _expand(value: str, variables: dict, depth: int = 0) -> object:
    """Follow ``[variables('x')]`` to its value, as arm-ttk's Expand-AzTemplate does."""
    match = _VARIABLE.match(value)
    if match and depth < 10 and match.group(1) in variables:
        inner = variables[match.group(1)]
        return _expand(inner, variables, depth + 1) if isinstance(inner, str) else inner
    return value


def _id_properties(value: object, path: str, in_ui_config: bool = False) -> Iterator[tuple[str, str, object]]:
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}"
            if key in ("tags", "mainTemplate"):
                continue  # arm-ttk skips tags; nested templates are checked with their own variables
            if key.lower().endswith("id") and key.lower() not in ID_EXEMPT and not (in_ui_config and key == "id"):
                yield here, key, item
            yield from _id_properties(item, here, in_ui_config or key == "connectorUiConfig")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _id_properties(item, f"{path}[{index}]", in_ui_config)


#: Per resource type, properties that hold content identifiers: a content package's ``id`` and
#: ``parentId`` are its product id and solution id (the upstream "known false positive").
TYPE_ID_EXEMPT = {"contentpackages": frozenset({"id", "parentid"})}


def _resource_ids(template: dict, prefix: str) -> Iterator[tuple[str, str, object]]:
    for index, resource in enumerate(template.get("resources") or []):
        if not isinstance(resource, dict):
            continue
        exempt = TYPE_ID_EXEMPT.get(str(resource.get("type", "")).rsplit("/", 1)[-1].lower(), frozenset())
        for path, key, value in _id_properties(resource, f"{prefix}resources[{index}]"):
            if key.lower() not in exempt or path.count(".") != f"{prefix}resources[{index}]".count(".") + 2:
                yield path, key, value


@rule("SP607", ERROR, "Resource id properties are built with resourceId() and its kin")
def ids_from_resource_ids(target: Target) -> Out:
    """arm-ttk 'IDs Should Be Derived From ResourceIDs', with Sentinel's content ids exempted (docs/rules.md)."""
    rel, main = target.package("mainTemplate.json")
    if not isinstance(main, dict):
        return
    for prefix, template in nested_templates(main):
        # '[' is evaluated by the outer deployment, '[[' by the nested one: each with its variables
        outer = main.get("variables") if isinstance(main.get("variables"), dict) else {}
        inner = template.get("variables") if isinstance(template.get("variables"), dict) else {}
        for path, key, value in _resource_ids(template, prefix):
            if isinstance(value, dict):
                if not isinstance(value.get("value"), str):
                    continue
                value = value["value"]
            if not isinstance(value, str):
                continue
            expanded = _expand(value, inner if value.lstrip().startswith("[[") else outer)
            if not value.strip():
                yield rel, path, f"'{key}' is blank", "derive it with resourceId()"
            elif isinstance(expanded, str) and not _ID_EXPRESSION.match(expanded):
                yield rel, path, f"'{key}' is {value!r}, not derived from a resource id", \
                    f"use one of {', '.join(ID_FUNCTIONS)} (e.g. [resourceId('Type', name)])"
