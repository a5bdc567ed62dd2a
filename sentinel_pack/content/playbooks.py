"""Playbooks: a Logic App ARM template (``Playbooks/<name>/azuredeploy.json``) as a content template.

The transformation is the official packager's (``GetPlaybookDataMetadata`` in
common/commonFunctions.ps1, template-spec mode), step by step:

- each resource: a ``Microsoft.Web/connections`` api id moves into a ``connection-<n>`` variable;
  a workflow gets the ``hidden-SentinelWorkspaceId`` tag and gives the version
  (``hidden-SentinelTemplateVersion``, default ``1.0``); empty and null properties are removed or
  replaced (``removePropertiesRecursively``); ``resourceGroup().location`` becomes the
  ``workspace-location-inline`` variable and every expression is escaped with ``[[`` so it runs
  when the playbook is deployed, not when the solution is (``addInternalSuffixRecursively``);
  empty strings become ``[variables('blanks')]`` (``removeBlanksRecursively``);
- the template's parameters stay its own; its variables are escaped the same way and get
  ``workspace-location-inline``, ``workspace-name`` and ``workspaceResourceId``;
- a template with a ``Microsoft.Web/customApis`` resource is a custom connector (``lc``), one
  with ``Microsoft.Web/sites`` a function app (``fa``), any other a playbook (``pl``).

One deliberate difference: the packager stamps ``metadata.lastUpdateTime`` with the time of the
build when the playbook has none; sentinel-pack uses the release date, so builds are reproducible.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from sentinel_pack.content.sources import Source
from sentinel_pack.errors import Problem

KIND_SUFFIX = {"Playbook": "pl", "LogicAppsCustomConnector": "lc", "AzureFunction": "fa"}
TRIGGER_FOLDERS = {"incident-trigger", "alert-trigger", "entity-trigger", "incident-trigger-logingestionapi",
                   "alert-trigger-logingestionapi"}
DEPLOYMENT_SCHEMA = "deploymentTemplate.json#"
_EMPTY_VARIABLES = {"TemplateEmptyArray": "[json('[]')]", "TemplateEmptyObject": "[json('{}')]",
                    "TemplateNullVariable": "null", "blanks": "[replace('b', 'b', '')]"}
_LOCATION = "resourceGroup().location"
_INLINE_LOCATION = "variables('workspace-location-inline')"


def content_name(path: str) -> str:
    """The playbook's content id: its folder's name (trigger folders keep their parent's name)."""
    parts = PurePosixPath(path).parts
    folder = parts[-2] if len(parts) >= 2 else PurePosixPath(path).stem
    if folder.lower() in TRIGGER_FOLDERS and len(parts) >= 3:
        folder = f"{parts[-3]}-{folder}"
    return folder


def kind_of(template: dict[str, Any]) -> str:
    types = {str(r.get("type", "")).lower() for r in template.get("resources") or [] if isinstance(r, dict)}
    if "microsoft.web/customapis" in types:
        return "LogicAppsCustomConnector"
    if "microsoft.web/sites" in types:
        return "AzureFunction"
    return "Playbook"


def check(source: Source) -> list[Problem]:
    """A playbook file is an ARM deployment template with at least one resource."""
    data = source.data
    if not isinstance(data, dict):
        return [source.problem((), "a playbook must be an ARM template (a JSON object)")]
    problems = []
    if DEPLOYMENT_SCHEMA not in str(data.get("$schema", "")):
        problems.append(source.problem(("$schema",), "not an ARM deployment template ($schema)",
                                       "use https://schema.management.azure.com/schemas/2019-04-01/"
                                       "deploymentTemplate.json#"))
    resources = data.get("resources")
    if not isinstance(resources, list) or not resources:
        problems.append(source.problem(("resources",), "the template has no resources"))
        resources = []
    for index, resource in enumerate(resources):
        if not isinstance(resource, dict) or not isinstance(resource.get("type"), str):
            problems.append(source.problem(("resources", index), "a resource needs a type"))
    for key in ("parameters", "variables"):
        if key in data and not isinstance(data[key], dict):
            problems.append(source.problem((key,), f"{key} must be an object"))
    source_kind = ((data.get("metadata") or {}).get("source") or {}).get("kind") \
        if isinstance(data.get("metadata"), dict) else None
    if source_kind in ("Community", "Standalone"):
        problems.append(source.problem(("metadata", "source", "kind"), f"metadata.source.kind is {source_kind}: "
                                       "the official packager refuses such a playbook in a solution",
                                       "remove metadata.source"))
    if not any(isinstance(r, dict) and str(r.get("type", "")).lower() in (
            "microsoft.logic/workflows", "microsoft.web/customapis", "microsoft.web/sites") for r in resources):
        problems.append(source.problem(("resources",), "no Logic App workflow, custom connector or function app "
                                       "in the template"))
    return problems


@dataclass
class Packaged:
    """One playbook as the package carries it, plus what it adds to the main template."""

    number: int
    name: str  # the content id (folder name)
    kind: str
    display_name: str
    version: str
    template: dict[str, Any]  # the content template's mainTemplate
    dependencies: list[dict[str, Any]]  # criteria of its metadata (custom connectors, function apps)
    global_variables: dict[str, str] = field(default_factory=dict)
    path: str = ""
    raw: bytes = b""


class _Transformer:
    """The packager's recursive passes over one resource; it records the variables they add."""

    def __init__(self, variables: dict[str, Any], global_variables: dict[str, str]) -> None:
        self.variables = variables  # the playbook's own variables (inner template)
        self.global_variables = global_variables  # variables the passes add to the main template

    def need(self, name: str) -> str:
        self.global_variables.setdefault(name, _EMPTY_VARIABLES[name])
        return f"[variables('{name}')]"

    # removePropertiesRecursively (not a workbook)
    def remove_empty(self, node: dict[str, Any], in_action: bool = False, in_inputs: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "actions":
                in_action = True
            if key == "inputs":
                in_inputs = True
            if in_action and key == "inputs" and (value == {} or value == [] or value is None):
                out[key] = self.need({"{}": "TemplateEmptyObject", "[]": "TemplateEmptyArray"}.get(
                    json.dumps(value), "TemplateNullVariable"))
                continue
            if in_action and in_inputs and key == "value" and (value == {} or value == [] or value is None):
                out[key] = self.need({"{}": "TemplateEmptyObject", "[]": "TemplateEmptyArray"}.get(
                    json.dumps(value), "TemplateNullVariable"))
                continue
            if value is None:
                out[key] = None if in_action and in_inputs else self.need("blanks")
            elif isinstance(value, list):
                if not value:
                    out[key] = self.need("TemplateEmptyArray")
                else:
                    out[key] = [self.remove_empty(item, in_action, in_inputs) if isinstance(item, dict) else item
                                for item in value]
            elif isinstance(value, dict):
                if not value:
                    if key == "dataSources":
                        out[key] = self.need("TemplateEmptyObject")
                    continue
                inner = self.remove_empty(value, in_action, in_inputs)
                if inner:
                    out[key] = inner
            else:
                out[key] = value
        return out

    # addInternalSuffixRecursively (template-spec mode)
    def escape(self, node: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in node.items():
            if isinstance(value, str):
                value = value.replace(_LOCATION, _INLINE_LOCATION)
                if key == "operationId":
                    self.variables[f"operationId-{value}"] = value
                    self.variables[f"_operationId-{value}"] = f"[variables('operationId-{value}')]"
                    value = f"[variables('_operationId-{value}')]"
                if value.startswith("[") and value not in ("[variables('TemplateEmptyArray')]",
                                                           "[variables('TemplateEmptyObject')]",
                                                           "[variables('TemplateNullVariable')]"):
                    value = "[" + value
                out[key] = value
            elif isinstance(value, list):
                items = []
                for item in value:
                    if isinstance(item, str):
                        item = item.replace(_LOCATION, _INLINE_LOCATION)
                        items.append("[" + item if item.startswith("[") else item)
                    elif isinstance(item, dict):
                        items.append(self.escape(item))
                    else:
                        items.append(item)
                out[key] = items
            elif isinstance(value, dict):
                if "hidden-link" in json.dumps(value):
                    value = json.loads(json.dumps(value).replace("concat", "[concat"))
                out[key] = self.escape(value)
            else:
                out[key] = value
        return out

    # removeBlanksRecursively
    def blanks(self, node: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in node.items():
            if value == "":
                out[key] = self.need("blanks")
            elif isinstance(value, list):
                out[key] = [self.blanks(item) if isinstance(item, dict) else item for item in value]
            elif isinstance(value, dict):
                out[key] = self.blanks(value)
            else:
                out[key] = value
        return out


def package(sources: list[Source], solution: dict[str, Any], release_date: str) -> list[Packaged]:
    """Every playbook, in order: custom connectors and function apps named by later playbooks
    become dependencies of those playbooks, as the packager's running lists make them."""
    custom_connectors: dict[str, dict[str, str]] = {}
    function_apps: dict[str, dict[str, str]] = {}
    out = []
    for number, source in enumerate(sources, start=1):
        item = _package_one(number, source, solution, release_date, custom_connectors, function_apps)
        out.append(item)
    return out


def _package_one(number: int, source: Source, solution: dict[str, Any], release_date: str,
                 custom_connectors: dict[str, dict[str, str]],
                 function_apps: dict[str, dict[str, str]]) -> Packaged:
    data = copy.deepcopy(source.data)
    parameters = {k: v for k, v in (data.get("parameters") or {}).items() if isinstance(v, dict)}
    variables: dict[str, Any] = dict(data.get("variables") or {})
    name = content_name(source.name)
    kind = kind_of(data)
    display_name = ((parameters.get("PlaybookName") or {}).get("defaultValue")
                    or (parameters.get("Playbook Name") or {}).get("defaultValue") or name)
    global_variables: dict[str, str] = {}
    passes = _Transformer(variables, global_variables)
    dependencies: list[dict[str, Any]] = []
    version = "1.0"
    custom_api_parameter = ""
    resources = []
    for counter, resource in enumerate(data.get("resources") or [], start=1):
        resource = copy.deepcopy(resource)
        kind_lower = str(resource.get("type", "")).lower()
        properties = resource.get("properties") if isinstance(resource.get("properties"), dict) else {}
        api = properties.get("api") if kind_lower == "microsoft.web/connections" else None
        if isinstance(api, dict) and isinstance(api.get("id"), str):
            api_id = api["id"]
            if "/providers/Microsoft.Web/customApis/" in api_id:
                key = api_id.split(",")[-1].strip().replace("parameters('", "").replace("'", "") \
                    .replace(")", "").replace("]", "")
                default = (parameters.get(key) or {}).get("defaultValue")
                if isinstance(default, str) and default in custom_connectors:
                    dependencies.append({"kind": "LogicAppsCustomConnector", **custom_connectors[default]})
            value = api_id.replace(_LOCATION, _INLINE_LOCATION)
            if value.startswith("[variables") and value.count("'") >= 2:
                var = value.split("'")[1]
                if isinstance(variables.get(var), str) and variables[var].startswith("[variables") \
                        and variables[var].count("'") >= 2:
                    var = variables[var].split("'")[1]
                value = str(variables.get(var, value)).replace(_LOCATION, _INLINE_LOCATION)
            variables[f"connection-{counter}"] = value
            variables[f"_connection-{counter}"] = f"[variables('connection-{counter}')]"
            api["id"] = f"[variables('_connection-{counter}')]"
        elif kind_lower == "microsoft.logic/workflows":
            tags = resource.get("tags") if isinstance(resource.get("tags"), dict) else {}
            tags["hidden-SentinelWorkspaceId"] = "[variables('workspaceResourceId')]"
            resource["tags"] = tags
            version = str(tags.get("hidden-SentinelTemplateVersion") or version)
        elif kind_lower == "microsoft.web/customapis":
            custom_api_parameter = str(resource.get("name", "")).replace("parameters('", "").replace("'", "") \
                .replace(")", "").replace("]", "").replace("[", "")
        resource = passes.blanks(passes.escape(passes.remove_empty(resource)))
        resources.append(resource)

    if kind != "AzureFunction" and "Microsoft.Web/sites" in source.raw.decode("utf-8", "replace"):
        for parameter in parameters.values():
            default = parameter.get("defaultValue")
            if isinstance(default, str) and default in function_apps:
                dependencies.append({"kind": "AzureFunction", **function_apps[default]})

    reference = {"id": f"[variables('_{name}')]", "version": f"[variables('playbookVersion{number}')]"}
    listed = {"contentId": reference["id"], "version": reference["version"]}
    for own_kind, registry, parameter in (("LogicAppsCustomConnector", custom_connectors, custom_api_parameter),
                                          ("AzureFunction", function_apps, "FunctionAppName")):
        default = (parameters.get(parameter) or {}).get("defaultValue")
        if kind == own_kind and isinstance(default, str):
            registry[default] = listed

    plain = kind == "Playbook"
    metadata_name = (f"[concat(parameters('workspace'),'/Microsoft.SecurityInsights/',concat('Playbook-', "
                     f"last(split(variables('playbookId{number}'),'/'))))]") if plain else (
        f"[[concat(variables('workspace-name'),'/Microsoft.SecurityInsights/',concat('{kind}-', "
        f"last(split(variables('playbookId{number}'),'/'))))]")
    metadata_properties: dict[str, Any] = {
        "parentId": f"[variables('playbookId{number}')]" if plain else f"[[variables('playbookId{number}')]",
        "contentId": f"[variables('_playbookContentId{number}')]",
        "kind": kind,
        "version": f"[variables('playbookVersion{number}')]",
        "source": {"kind": "Solution", "name": solution["name"], "sourceId": "[variables('_solutionId')]"},
        "author": solution["author_object"],
        "support": solution["support"],
    }
    if dependencies:
        metadata_properties["dependencies"] = {"criteria": dependencies}
    resources.append({"type": "Microsoft.OperationalInsights/workspaces/providers/metadata",
                      "apiVersion": "2022-01-01-preview", "name": metadata_name, "properties": metadata_properties})

    inner_variables: dict[str, Any] = {}
    for key, value in variables.items():
        inner_variables[key] = "[" + value if isinstance(value, str) and value.startswith("[") else value
    inner_variables["workspace-location-inline"] = "[concat('[resourceGroup().locatio', 'n]')]"
    if kind == "LogicAppsCustomConnector":
        inner_variables[f"playbookContentId{number}"] = name
        inner_variables[f"playbookId{number}"] = \
            f"[[resourceId('Microsoft.Web/customApis', parameters('{custom_api_parameter}'))]"
    if kind == "AzureFunction":
        inner_variables[f"playbookContentId{number}"] = name
        inner_variables[f"playbookId{number}"] = \
            f"[[resourceId('Microsoft.Logic/workflows', variables('playbookContentId{number}'))]"
    inner_variables["workspace-name"] = "[parameters('workspace')]"
    inner_variables["workspaceResourceId"] = \
        "[[resourceId('microsoft.OperationalInsights/Workspaces', variables('workspace-name'))]"

    template: dict[str, Any] = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": f"[variables('playbookVersion{number}')]",
        "parameters": data.get("parameters") or {},
        "variables": inner_variables,
        "resources": resources,
    }
    source_metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    if source_metadata:
        meta = {k: v for k, v in source_metadata.items() if k not in ("author", "support",
                                                                        "prerequisitesDeployTemplateFile")}
        meta.setdefault("lastUpdateTime", f"{release_date}T00:00:00.000Z")
        if "releaseNotes" not in source_metadata:
            meta["releaseNotes"] = {"version": version, "title": passes.need("blanks"), "notes": ["Initial version"]}
        if isinstance(meta.get("entities"), list) and not meta["entities"]:
            del meta["entities"]
        if isinstance(meta.get("tags"), list) and not meta["tags"]:
            del meta["tags"]
        if isinstance(meta.get("prerequisites"), str) and not meta["prerequisites"].strip():
            del meta["prerequisites"]
        template["metadata"] = meta
    return Packaged(number=number, name=name, kind=kind, display_name=str(display_name), version=version,
                    template=template, dependencies=dependencies, global_variables=global_variables,
                    path=source.name, raw=source.raw)


def context(packaged: list[Packaged]) -> list[dict[str, Any]]:
    return [{
        "number": p.number,
        "name": p.name,
        "kind": p.kind,
        "suffix": KIND_SUFFIX[p.kind],
        "display_name": p.display_name,
        "version": p.version,
        "template": p.template,
        "global_variables": p.global_variables,
        "path": p.path,
        "raw": p.raw,
    } for p in packaged]
