"""arm-ttk 'IDs Should Be Derived From ResourceIDs' and 'Template Should Not Contain Blanks'."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from sentinel_pack.armttk.context import Context, Hit
from sentinel_pack.armttk.expr import Call, ExprError, Index, Member, parse_string, unescape
from sentinel_pack.armttk.template import Scope

#: arm-ttk's exceptions (matched, like arm-ttk, as the end of the property's JSON path,
#: case-insensitively), from its script at the commit named in PROVENANCE.md.
ID_EXCEPTIONS = (
    "appId", "clientId", "DataTypeId", "defaultMenuItemId", "firstPartyId", "keyVaultSecretId", "keyVaultId",
    "keyId", "objectId", "menuId", "nodeAgentSkuId", "policyDefinitionReferenceId", "servicePrincipalClientId",
    "StartingDeviceID", "subscriptionId", "SyntheticMonitorId", "targetProtectionContainerId",
    "targetWorkerSizeId", "tenantId", "timezoneId", "vlanId", "workerSizeId", "metricId",
    "requestedServiceObjectiveId", "groupId", "sid", "ruleId", "deploymentSpecId", "detector.id", "contentId",
    "definitionId", "connectorId", "parentId", "IllusiveIncidentId", "UniqueFindingId", "schemaId",
    "detection_id", "environmentId", "open_id", "TeamsChannelID", "SAPAuditLogMessageID", "roleDefinitionId",
    "principalId", "XDRCustomerID", "userAssignedIdentityResourceId", "channelId", "extendedAceItemObjectId",
    "operationId-ANCEndpointGetById", "operationId-DeleteDomainById", "operationId-GetOrganizationId",
    "operationId-ProcessMetadataSearchByProcessGUID", "operationId-SearchForProcessEventsByProcessGUID",
    "ApplicationId", "policyDefinitionGuid", "IndicatorId", "contentProductId", "aws_iam_functionapp_id",
    "dataCollectionRuleImmutableId", "stepId",
    # arm-ttk also exempts "dataCollectionEndpointId"; sentinel-pack does not (docs/rules.md SP607)
)
#: Sentinel content identifiers arm-ttk does not list: names of content items, not resource ids.
SENTINEL_EXCEPTIONS = ("packageId", "sourceId", "alertRuleTemplateName", "templateId")
_EXCEPTION = re.compile("(?:" + "|".join(re.escape(e) for e in ID_EXCEPTIONS) + ")$", re.I)
_SENTINEL_EXCEPTION = frozenset(e.lower() for e in SENTINEL_EXCEPTIONS)

ID_FUNCTIONS = ("extensionResourceId", "resourceId", "subscriptionResourceId", "tenantResourceId", "if",
                "parameters", "reference", "variables", "subscription", "guid")
_ID_FUNCTIONS = frozenset(f.lower() for f in ID_FUNCTIONS)
_ID_START = re.compile(r"\s*\[\s*(" + "|".join(ID_FUNCTIONS) + r")\s*\(", re.I)


def _skipped_type(resource_type: str, path: str) -> bool:
    """arm-ttk's per-type exemptions."""
    t = resource_type
    return bool(
        re.match(r"^microsoft\.logic/workflows$", t, re.I)
        or re.match(r"^microsoft\.ApiManagement/service/backends$", t, re.I)
        or re.match(r"^Microsoft\.Portal/dashboards$", t, re.I)
        or re.match(r"^Microsoft\.DocumentDb/databaseAccounts/\w*/collections$", t, re.I)
        or (re.match(r"^Microsoft\.DocumentDB/databaseAccounts/sqlDatabases", t, re.I)
            and re.search(r"\.(resource)\.", path, re.I))
        or (re.match(r"^Microsoft\.insights/webtests", t, re.I) and re.search(r"\.locations", path, re.I))
        or (re.search(r"backends$", t, re.I) and re.search(r"properties\.", path, re.I))
        or re.search("config", t, re.I)
    )


def _id_properties(value: Any, path: str, rel: str, in_ui: bool) -> Iterator[tuple[str, str, str, Any]]:
    """(path, path relative to the resource, key, value) of every *id property below a resource."""
    if isinstance(value, dict):
        for key, item in value.items():
            here, inner = f"{path}.{key}", f"{rel}.{key}" if rel else key
            if key in ("tags", "metadata"):
                continue
            if key == "mainTemplate" and isinstance(item, dict):
                continue  # a nested template: its resources are checked in its own scope
            if key.lower().endswith("id") and not (in_ui and key == "id"):
                yield here, inner, key, item
            yield from _id_properties(item, here, inner, in_ui or key == "connectorUiConfig")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _id_properties(item, f"{path}[{index}]", f"{rel}[{index}]", in_ui)


#: Per resource type, properties that hold content identifiers: the ``properties.id`` of a content
#: package or content template is its content product id (the upstream "known false positive").
TYPE_ID_EXEMPT = {"contentpackages": frozenset({"properties.id"}), "contenttemplates": frozenset({"properties.id"})}


def _expand(text: str, scope: Scope, depth: int = 0) -> Any:
    """Follow ``[variables('x')]`` to its value, as arm-ttk's Expand-AzTemplate does."""
    node = parse_string(text)
    if isinstance(node, Call) and node.lname == "variables" and depth < 10 and node.args:
        name = getattr(node.args[0], "value", None)
        if isinstance(name, str) and name.lower() in scope.variables:
            value = scope.variables[name.lower()]
            if isinstance(value, str) and value.startswith("[[") and scope.kind == "content":
                value = unescape(value)  # a content template's variable holds its expression escaped
            return _expand(value, scope, depth + 1) if isinstance(value, str) else value
    return text


def _judge(key: str, value: Any, scope: Scope) -> str | None:
    """Why an id property's value is not derived from a resource id, or None when it is."""
    if isinstance(value, dict):
        if not value.get("value"):
            return None
        value = value["value"]
    if isinstance(value, (dict, list)) or value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        return f"'{key}' is blank" if isinstance(value, str) or not value else \
            f"'{key}' is {value!r}, not derived from a resource id"
    # '[' is evaluated by the outer deployment, '[[' by the nested content template
    text, evaluated_in = value, scope
    if value.startswith("[[") and scope.kind == "content":
        text = unescape(value)
    elif scope.kind == "content" and scope.parent is not None:
        evaluated_in = scope.parent
    expanded = _expand(text, evaluated_in)
    if not isinstance(expanded, str):
        return None
    node = parse_string(expanded.strip())
    while isinstance(node, (Member, Index)):  # arm-ttk looks at the function the expression starts with
        node = node.target
    if (isinstance(node, Call) and node.lname in _ID_FUNCTIONS) or (
            isinstance(node, ExprError) and _ID_START.match(expanded)):  # broken, but SP608 reports that
        return None
    return f"'{key}' is {value!r}, not derived from a resource id"


def ids_from_resource_ids(ctx: Context) -> Iterator[Hit]:
    """Every ``*id`` property below a resource, as arm-ttk finds them under ``resources``.

    arm-ttk walks everything under ``resources``, which includes the variables and outputs of
    content templates; the main template's own variables and outputs are not looked at.
    """
    from sentinel_pack.armttk.deployment import all_resources

    if ctx.bicep:
        return  # arm-ttk skips Bicep output
    fix = f"use one of {', '.join(ID_FUNCTIONS)} (e.g. [resourceId('Type', name)])"
    for path, resource, _, scope in all_resources(ctx):
        resource_type = str(resource.get("type", ""))
        exempt = TYPE_ID_EXEMPT.get(resource_type.rsplit("/", 1)[-1].lower(), frozenset())
        for here, rel, key, value in _id_properties(resource, path, "", False):
            if _EXCEPTION.search(here) or key.lower() in _SENTINEL_EXCEPTION or _skipped_type(resource_type, here) \
                    or rel.lower() in exempt:
                continue
            if (why := _judge(key, value, scope)) is not None:
                yield here, why, fix
    for scope in ctx.template.scopes:
        if scope.kind != "content":
            continue
        for section in ("variables", "outputs"):
            for here, _, key, value in _id_properties(scope.template.get(section), scope.path_of(section), "", False):
                if _EXCEPTION.search(here) or key.lower() in _SENTINEL_EXCEPTION:
                    continue
                if (why := _judge(key, value, scope)) is not None:
                    yield here, why, fix


#: arm-ttk's ``PropertiesThatCanBeEmpty``: these keys, and their direct members, may be blank.
BLANK_ALLOWED = frozenset({
    "resources", "outputs", "variables", "parameters", "functions", "properties", "template",
    "defaultValue", "accessPolicies", "value", "promotionCode", "inputs", "notEquals", "clientId",
    "allowedCallerIpAddresses", "workerPools", "AzureMonitor", "requiredDataConnectors", "UserTokenPrepend",
})
#: arm-ttk's ``ResourcePropertiesThatCanBeEmpty``: per resource type, a subtree where blanks are fine.
BLANK_RESOURCE_PATHS = {"microsoft.web/sites/config": "properties", "config": "properties",
                        "microsoft.insights/workbooks": "properties.serializedData",
                        "workbooks": "properties.serializedData"}

_ALLOWED_LOWER = frozenset(k.lower() for k in BLANK_ALLOWED)
_ALLOWED_KEY = re.compile("|".join(BLANK_ALLOWED), re.I)  # arm-ttk matches these unanchored


def _is_blank(value: object) -> bool:
    return value is None or value in ("", [], {}) or (isinstance(value, str) and not value.strip())


def _whitespace_delimiter(key: str, value: object) -> bool:
    """A poller's ``csvDelimiter: " "`` is a space-separated format (S3 access logs), not a blank."""
    return key.lower().endswith("delimiter") and isinstance(value, str) and value != ""


def _is_resource(value: dict) -> bool:
    return isinstance(value.get("type"), str) and ("apiVersion" in value or "name" in value)


def _exempt_names(value: object, resource_properties: bool = False) -> set[str]:
    """arm-ttk's quirk: a blank 'x' is fine when any object with an allowed key also has a key 'x'.

    sentinel-pack does not count a resource and its ``properties`` object as such objects: each
    has ``properties`` (an allowed key, matched by arm-ttk anywhere in the name), so under arm-ttk
    any name a resource or its properties use may be blank anywhere (docs/rules.md SP606).
    """
    found: set[str] = set()
    if isinstance(value, dict):
        resource = _is_resource(value)
        if not (resource or resource_properties) and any(_ALLOWED_KEY.search(str(k)) for k in value):
            found.update(str(k).lower() for k in value)
        for key, item in value.items():
            found |= _exempt_names(item, resource and key == "properties")
    elif isinstance(value, list):
        for item in value:
            found |= _exempt_names(item)
    return found


def _blanks(value: object, path: str, exempt: set[str], instruction: bool = False) -> Iterator[str]:
    """Paths of blank member values (arm-ttk looks only at ``"key": <blank>``, not array items).

    ``instruction``: the ``parameters`` of a connector UI instruction (an object with a ``type``),
    whose ``placeholder``, ``fillWith`` and the like are blank by design (docs/rules.md SP606).
    """
    if isinstance(value, dict) and instruction:
        for key, item in value.items():
            yield from _blanks(item, f"{path}.{key}", exempt)
    elif isinstance(value, dict):
        allowed_below = None
        kind = str(value.get("type", "")).lower()
        if kind in BLANK_RESOURCE_PATHS and "apiVersion" in value:
            allowed_below = f"{path}.{BLANK_RESOURCE_PATHS[kind]}" if path else BLANK_RESOURCE_PATHS[kind]
        for key, item in value.items():
            here = f"{path}.{key}" if path else key
            if allowed_below and (here == allowed_below or here.startswith(f"{allowed_below}.")):
                continue
            allowed = key.lower() in _ALLOWED_LOWER or key.lower() in exempt \
                or key.lstrip().startswith(("[", "/subscriptions/"))
            if _is_blank(item) and not allowed and not _whitespace_delimiter(key, item):
                yield here
            yield from _blanks(item, here, exempt, key == "parameters" and isinstance(value.get("type"), str)
                               and not _is_resource(value))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _blanks(item, f"{path}[{index}]", exempt)


def no_blanks(ctx: Context) -> Iterator[Hit]:
    for path in _blanks(ctx.data, "", _exempt_names(ctx.data)):
        yield path, "blank property (empty string, array, object or null)", \
            "remove the property, or give it a value (use [variables('blanks')] where ARM needs an empty string)"
