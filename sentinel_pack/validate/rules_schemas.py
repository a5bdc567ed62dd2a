"""SP2xx: artefacts against the vendored Azure schemas (schemas/vendor/PROVENANCE.md).

Every resource, in the connector files and inside the package's ``mainTemplate.json`` (nested
content templates included), is checked against its own provider's definition; the template
envelope against the deployment template schema; createUiDefinition control by control.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sentinel_pack.validate import schemastore as store
from sentinel_pack.validate.finding import ERROR, WARNING, rule
from sentinel_pack.validate.target import Target, nested_templates, template_resources

Out = Iterator[tuple[str, str, str, str]]


@dataclass(frozen=True)
class Provider:
    """Where the schema of a resource type's ``properties`` lives, per ``kind`` when kinds differ."""

    type_suffix: str
    file: str
    pointers: dict[str | None, str]  # kind -> pointer; None: any kind


SI = store.SECURITY_INSIGHTS
PROVIDERS = (
    Provider("dataCollectionRules", store.INSIGHTS,
             {None: "#/resourceDefinitions/dataCollectionRules/properties/properties"}),
    Provider("/tables", store.OPERATIONAL_INSIGHTS,
             {None: "#/resourceDefinitions/workspaces_tables/properties/properties"}),
    Provider("dataConnectorDefinitions", SI,
             {"Customizable": "#/definitions/CustomizableConnectorDefinitionProperties"}),
    Provider("dataConnectors", SI, {
        "AmazonWebServicesS3": "#/definitions/AwsS3DataConnectorProperties",
        "RestApiPoller": "#/definitions/RestApiPollerDataConnectorProperties",
        "GCP": "#/definitions/GCPDataConnectorProperties",
    }),
    Provider("/metadata", SI, {None: "#/definitions/MetadataProperties"}),
    Provider("contentPackages", SI, {None: "#/definitions/PackageProperties"}),
    Provider("contentTemplates", SI, {None: "#/definitions/TemplateProperties"}),
    Provider("alertRules", SI, {"Scheduled": "#/definitions/ScheduledAlertRuleProperties"}),
    # a template carries the rule's properties plus its own (status, requiredDataConnectors)
    Provider("alertRuleTemplates", SI, {"Scheduled": "#/definitions/ScheduledAlertRuleProperties"}),
)
#: Kinds checked against sentinel-pack's own schema, because the provider schema lacks them.
OWN_KINDS = {("dataConnectors", "Push"): (store.PUSH, "")}


def _provider(resource: dict[str, Any]) -> tuple[Provider | None, tuple[str, str] | None]:
    rtype = str(resource.get("type", ""))
    kind = resource.get("kind")
    for provider in PROVIDERS:
        if rtype.lower().endswith(provider.type_suffix.lower()):
            own = OWN_KINDS.get((provider.type_suffix, kind))
            if own:
                return provider, own
            pointer = provider.pointers.get(kind) or provider.pointers.get(None)
            return provider, (provider.file, pointer) if pointer else None
    return None, None


def _all_resources(target: Target) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(file, JSON path prefix, resource) for connector files and every resource in the package."""
    for rel in target.json_files():
        if not rel.lower().startswith("data connectors/"):
            continue
        doc = target.json(rel)
        items = doc if isinstance(doc, list) else [doc]
        for index, item in enumerate(items):
            if isinstance(item, dict) and "AWSTemplateFormatVersion" not in item:
                yield rel, (f"[{index}]" if isinstance(doc, list) else ""), item
    rel, template = target.package("mainTemplate.json")
    for path, resource in template_resources(template):
        yield rel, path, resource


#: KQL's names for column types that the table schema's enum spells otherwise (Azure takes both).
KQL_TYPE_ALIASES = {"bool": "boolean", "double": "real", "date": "datetime", "uuid": "guid", "uniqueid": "guid"}


def _known_open_value(value: Any, allowed: list[Any]) -> bool:
    """Values the published enums miss although Azure accepts them (PROVENANCE.md)."""
    names = {str(a).lower() for a in allowed}
    if isinstance(value, str) and (value.lower() in names or KQL_TYPE_ALIASES.get(value.lower()) in names):
        return True  # 'datetime' for 'dateTime', 'bool' for 'boolean'
    return isinstance(value, str) and value.startswith(("Custom-", "Microsoft-"))


#: Properties of a connector file that the official packager (createCCPConnector.ps1) writes into
#: the package copy itself: a source file may leave them out; the package must carry them.
PACKAGER_FILLS = {
    ("dataConnectors", "dcrConfig", "dataCollectionEndpoint"),
    ("dataConnectors", "dcrConfig", "dataCollectionRuleImmutableId"),
    ("dataConnectors", "", "connectorDefinitionName"),
}


def _packager_fills(provider: Provider, error: Any) -> bool:
    if error.validator != "required":
        return False
    parent = str(list(error.absolute_path)[-1]) if list(error.absolute_path) else ""
    missing = error.message.split("'")[1] if error.message.count("'") >= 2 else ""
    return (provider.type_suffix.strip("/"), parent, missing) in PACKAGER_FILLS


def _schema_errors(target: Target) -> list[tuple[str, str, str, bool]]:
    """(file, path, message, is_open_list) for every schema error in every resource (SP201 and SP202)."""
    return target.memo("provider schema errors", lambda: list(_find_schema_errors(target)))


def _find_schema_errors(target: Target) -> Iterator[tuple[str, str, str, bool]]:
    for rel, prefix, resource in _all_resources(target):
        provider, schema = _provider(resource)
        if provider is None:
            continue
        where = f"{prefix}.kind" if prefix else "kind"
        if schema is None:
            known = ", ".join(sorted(k for k in provider.pointers if k))
            yield rel, where, f"kind {resource.get('kind')!r} is not one the provider schema knows ({known})", True
            continue
        properties = resource.get("properties")
        if not isinstance(properties, dict):
            continue
        base = f"{prefix}.properties" if prefix else "properties"
        in_package = rel == target.package("mainTemplate.json")[0]
        for error in store.errors(*schema, properties):
            if error.validator == "enum" and _known_open_value(error.instance, error.validator_value):
                continue
            if not in_package and _packager_fills(provider, error):
                continue
            yield rel, store.json_path(base, error.absolute_path), error.message, error.validator == "enum"


@rule("SP201", ERROR, "Resources satisfy their provider schema")
def provider_schema(target: Target) -> Out:
    for rel, path, message, open_list in _schema_errors(target):
        if not open_list:
            yield rel, path, f"provider schema: {message}", "see the resource's ARM reference for this property"


@rule("SP202", WARNING, "Values outside the provider schema's (open) value lists")
def provider_enums(target: Target) -> Out:
    for rel, path, message, open_list in _schema_errors(target):
        if open_list:
            yield rel, path, f"provider schema lists no such value: {message}", \
                "usually fine (the published lists are incomplete); check the spelling"


def _templates(target: Target) -> Iterator[tuple[str, str, Any]]:
    rel, template = target.package("mainTemplate.json")
    for prefix, nested in nested_templates(template):
        yield rel, prefix.rstrip("."), nested


@rule("SP203", ERROR, "mainTemplate.json and its nested templates are valid deployment templates")
def deployment_template(target: Target) -> Out:
    for rel, prefix, template in _templates(target):
        for error in store.errors(store.DEPLOYMENT_TEMPLATE, "", template):
            path = store.json_path(prefix, error.absolute_path).lstrip(".")
            yield rel, path, f"deployment template schema: {error.message}", \
                "see https://learn.microsoft.com/azure/azure-resource-manager/templates/syntax"


#: Controls real createUiDefinitions use that the 0.1.2-preview schema predates: what they need.
EXTRA_CONTROLS: dict[str, dict[str, Any]] = {
    "Microsoft.Solutions.ArmApiControl": {
        "type": "object",
        "required": ["name", "type", "request"],
        "properties": {
            "request": {
                "type": "object",
                "required": ["method", "path"],
                "properties": {"method": {"enum": ["GET", "POST", "PUT"]}, "path": {"type": "string"}},
            }
        },
    },
}


def _controls(ui: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    parameters = ui.get("parameters") if isinstance(ui.get("parameters"), dict) else {}

    def walk(elements: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for index, control in enumerate(elements if isinstance(elements, list) else []):
            if isinstance(control, dict):
                yield f"{path}[{index}]", control
                yield from walk(control.get("elements"), f"{path}[{index}].elements")

    yield from walk(parameters.get("basics"), "parameters.basics")
    for index, step in enumerate(parameters.get("steps") or []):
        if isinstance(step, dict):
            yield from walk(step.get("elements"), f"parameters.steps[{index}].elements")


def _control_schema(control_type: str) -> tuple[str, str] | dict[str, Any] | None:
    for file in (store.UI_PROVIDER, store.UI_COMMON):
        definitions = store.document(file)["definitions"]
        for name in (control_type, f"{control_type}-provider", f"{control_type}-common"):
            if name in definitions:
                return file, f"#/definitions/{name}"
    return EXTRA_CONTROLS.get(control_type)


def _ui_errors(target: Target) -> Iterator[tuple[str, str, str, bool]]:
    """(file, path, message, unknown_control) for createUiDefinition.json."""
    rel, ui = target.package("createUiDefinition.json")
    if not isinstance(ui, dict):
        return
    for error in store.errors(store.UI_MULTIVM, "", ui):
        yield rel, store.json_path("", error.absolute_path).lstrip("."), error.message, False
    for path, control in _controls(ui):
        control_type = str(control.get("type", ""))
        schema = _control_schema(control_type)
        if schema is None:
            yield rel, f"{path}.type", f"control type {control_type!r} is not in the schema", True
            continue
        if isinstance(schema, dict):
            found: Iterator[Any] = (e for top in store.local_validator(schema).iter_errors(control)
                                    for e in store.leaves(top))
        else:
            found = store.errors(*schema, control)
        for error in found:
            yield rel, store.json_path(path, error.absolute_path), error.message, False


@rule("SP204", ERROR, "createUiDefinition.json satisfies the (relaxed) 0.1.2-preview schema")
def ui_definition(target: Target) -> Out:
    for rel, path, message, unknown in _ui_errors(target):
        if not unknown:
            yield rel, path, f"createUiDefinition schema: {message}", \
                "see https://learn.microsoft.com/azure/azure-resource-manager/managed-applications/create-uidefinition-elements"


@rule("SP205", WARNING, "createUiDefinition controls the schema does not know")
def ui_unknown_controls(target: Target) -> Out:
    for rel, path, message, unknown in _ui_errors(target):
        if unknown:
            yield rel, path, message, "check the spelling; the portal rejects unknown control types"
