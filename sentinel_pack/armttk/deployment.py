"""arm-ttk's deploymentTemplate tests, read off its scripts, on the parsed template.

Each check takes a Context and yields (JSON path, message, fix); rules_armttk.py registers them
as SP6xx rules. The arm-ttk test each one implements is named in its docstring; deliberate
differences from arm-ttk are documented in docs/rules.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from sentinel_pack.armttk.context import Context, Hit, api_versions, arm_functions, literal_arg, packager_pins
from sentinel_pack.armttk.expr import Call, ExprError, Literal, Member, iter_nodes, parse_string
from sentinel_pack.armttk.template import Scope

Out = Iterator[Hit]


def _params(scope: Scope) -> dict[str, Any]:
    value = scope.template.get("parameters")
    return value if isinstance(value, dict) else {}


def _type(definition: object) -> str:
    return str(definition.get("type", "")).lower() if isinstance(definition, dict) else ""


def _own_scopes(ctx: Context) -> list[Scope]:
    """The templates arm-ttk tests: the main template and inner-scope nested deployments.

    A content template (``properties.mainTemplate``) is data to arm-ttk, not a template, and
    the official packager fills it with parameters and variables the inner template never uses
    (docs/rules.md); its expressions are still parsed and checked by SP608-SP610.
    """
    return [s for s in ctx.template.scopes if s.kind in ("main", "inner")]


def _resources(value: Any, path: str, parents: tuple[dict, ...] = ()) -> Iterator[tuple[str, dict, tuple[dict, ...]]]:
    """Every resource of a template, child resources included (not those of nested templates)."""
    items = value.get("resources") if isinstance(value, dict) else None
    if isinstance(items, dict):  # languageVersion 2.0: symbolic names
        items = [items[k] for k in items]
        keys = list(value["resources"])
        paths = [f"{path}resources.{k}" for k in keys]
    elif isinstance(items, list):
        paths = [f"{path}resources[{i}]" for i in range(len(items))]
    else:
        return
    for here, resource in zip(paths, items, strict=True):
        if isinstance(resource, dict):
            yield here, resource, parents
            yield from _resources(resource, f"{here}.", (*parents, resource))


def all_resources(ctx: Context) -> Iterator[tuple[str, dict, tuple[dict, ...], Scope]]:
    for scope in ctx.template.scopes:
        prefix = f"{scope.path}." if scope.path else ""
        for path, resource, parents in _resources(scope.template, prefix):
            yield path, resource, parents, scope


# -- expressions -------------------------------------------------------------------------------

def expression_syntax(ctx: Context) -> Out:
    """Every ``[...]`` string is an expression ARM can parse (nested templates after unescaping)."""
    for occurrence in ctx.template.occurrences:
        if isinstance(occurrence.node, ExprError):
            level = "" if occurrence.text == occurrence.raw else " (after undoing the nested template's '[[')"
            yield occurrence.path, f"invalid ARM expression{level}: {occurrence.node.message} at column " \
                f"{occurrence.node.column + len(occurrence.raw) - len(occurrence.text)} of {occurrence.raw!r}", \
                "fix the expression; a literal string starting with '[' is written '[['"


def known_functions(ctx: Context) -> Out:
    builtins = arm_functions()
    for occurrence, call in ctx.calls:
        name = call.lname
        if name in builtins or name.startswith("list") or name in occurrence.scope.functions:
            continue
        yield occurrence.path, f"'{call.name}()' is not an ARM template function", \
            "use a function from the ARM template function reference, or define it under 'functions'"


def defined_references(ctx: Context) -> Out:
    for occurrence, call in ctx.calls:
        if call.lname not in ("parameters", "variables"):
            continue
        name = literal_arg(call)
        if name is None:
            continue
        scope = occurrence.scope
        if occurrence.section == "functions":
            continue  # a user function's parameters() are its own
        declared = scope.parameters if call.lname == "parameters" else scope.variables
        if name.lower() not in declared:
            where = "the template" if scope.kind == "main" else f"the nested template at {scope.path}"
            yield occurrence.path, f"{call.lname}('{name}') is not declared in {where}", \
                f"declare '{name}' under {call.lname} of {where}, or fix the name"


# -- Parameters-Must-Be-Referenced, Variables-Must-Be-Referenced --------------------------------

def _dynamic(ctx: Context, kind: str, scope: Scope) -> bool:
    return any(o.scope is scope and c.lname == kind and literal_arg(c) is None and c.args for o, c in ctx.calls)


_BARE = re.compile(r"(parameters|variables)\s*\(\s*'([^']*)'\s*\)", re.IGNORECASE)


def _bare_references(ctx: Context) -> dict[tuple[str, int, str], str]:
    """(kind, scope, lower-cased name) -> path of a literal string naming ``kind('name')`` outside an
    expression (arm-ttk: a reference with a quote, not a ``[`` or a Logic App ``@``, before it)."""
    found: dict[tuple[str, int, str], str] = {}
    for path, text, owner, _ in ctx.template.literals:
        lowered = text.lower()
        if "parameters" not in lowered and "variables" not in lowered:
            continue
        for match in _BARE.finditer(text):
            if not re.search(r"[\[@]", text[:match.start()]):
                found.setdefault((match.group(1).lower(), id(owner), match.group(2).lower()), path)
    return found


def parameters_referenced(ctx: Context) -> Out:
    """arm-ttk 'Parameters Must Be Referenced'."""
    bares = _bare_references(ctx)
    for scope in _own_scopes(ctx):
        if _dynamic(ctx, "parameters", scope):
            continue
        used = ctx.references("parameters", scope) | ctx.metadata_references(scope)
        for name in _params(scope):
            if str(name).startswith("__"):
                continue
            bare = bares.get(("parameters", id(scope), name.lower()))
            if bare:  # arm-ttk reports it even when the parameter is also used properly
                yield bare, f"parameters('{name}') is not inside an expression", "wrap it in [ ]"
            elif name.lower() not in used:
                yield scope.path_of(f"parameters.{name}"), f"parameter '{name}' is never used", "remove it or use it"


def variables_referenced(ctx: Context) -> Out:
    """arm-ttk 'Variables Must Be Referenced' (a variable used only by itself is unused)."""
    bares = _bare_references(ctx)
    for scope in _own_scopes(ctx):
        variables = scope.template.get("variables")
        if not isinstance(variables, dict) or _dynamic(ctx, "variables", scope):
            continue
        by_name: dict[str, list[str]] = {}
        for occurrence, call in ctx.calls:
            name = literal_arg(call)
            if occurrence.scope is scope and call.lname == "variables" and name is not None:
                by_name.setdefault(name.lower(), []).append(occurrence.path)
        names = [(n, scope.path_of(f"variables.{n}")) for n in variables if n != "copy"]
        copies = variables.get("copy")
        for index, item in enumerate(copies if isinstance(copies, list) else []):
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                names.append((item["name"], scope.path_of(f"variables.copy[{index}]")))
        for name, path in names:
            own = scope.path_of(f"variables.{name}")
            users = [p for p in by_name.get(name.lower(), []) if not (p == own or p.startswith((f"{own}.", f"{own}[")))]
            bare = bares.get(("variables", id(scope), name.lower()))
            if bare:  # arm-ttk reports it even when the variable is also used properly
                yield bare, f"variables('{name}') is not inside an expression", "wrap it in [ ]"
            elif not users:
                yield path, f"variable '{name}' is never used", "remove it or use it"


# -- Location-Should-Not-Be-Hardcoded, Resources-Should-Have-Location ---------------------------

_LOCATION_DEFAULTS = ("[resourcegroup().location]", "[deployment().location]", "global")


def _location_calls(node: Any) -> bool:
    return any(isinstance(n, Member) and n.name.lower() == "location" and isinstance(n.target, Call)
               and n.target.lname in ("resourcegroup", "deployment") and not n.target.args for n in iter_nodes(node))


def location_not_hardcoded(ctx: Context) -> Out:
    """arm-ttk 'Location Should Not Be Hardcoded'."""
    for scope in _own_scopes(ctx):
        location = next((v for k, v in _params(scope).items() if k.lower() == "location"), None)
        if not isinstance(location, dict):
            continue
        path = scope.path_of("parameters.location")
        if _type(location) != "string":
            yield path, f"the location parameter is of type '{location.get('type')}'", "declare it as type string"
        default = location.get("defaultValue")
        if scope.kind == "main" and ctx.is_main:
            if default and str(default).strip().lower() not in _LOCATION_DEFAULTS:
                yield f"{path}.defaultValue", f"the location parameter defaults to a fixed location {default!r}", \
                    "default to [resourceGroup().location], [deployment().location] or 'global'"
        elif default is not None and not re.search(r"(resourceGroup|deployment)\(\).location", str(default), re.I):
            yield f"{path}.defaultValue", f"the location parameter of a nested template has a default {default!r}", \
                "remove the defaultValue and pass the location from the parent"
    deployments = [p for p, r, _, _ in all_resources(ctx)
                   if str(r.get("type", "")).lower() == "microsoft.resources/deployments"]
    for occurrence in ctx.template.occurrences:
        if isinstance(occurrence.node, ExprError) or not _location_calls(occurrence.node):
            continue
        path = occurrence.path
        if path.startswith("parameters.") or any(path.startswith((f"{d}.", f"{d}[")) for d in deployments):
            continue
        yield path, "resourceGroup().location or deployment().location is used outside a parameter default", \
            "add a location parameter defaulting to it and use [parameters('location')]"
    for path, resource, _, _ in all_resources(ctx):
        value = resource.get("location")
        if isinstance(value, str) and value and value.strip().lower() != "global" and not _is_bracketed(value):
            yield f"{path}.location", f"location '{value}' is hard-coded", "use a location parameter, or 'global'"


def _is_bracketed(value: str) -> bool:
    text = value.strip()
    return text.startswith("[") and text.endswith("]")


def resources_have_location(ctx: Context) -> Out:
    """arm-ttk 'Resources Should Have Location': a location given is an expression or 'global'."""
    for path, resource, _, _ in all_resources(ctx):
        value = resource.get("location")
        if value and not (isinstance(value, str) and (_is_bracketed(value) or value.strip().lower() == "global")):
            yield f"{path}.location", f"location {value!r} is neither an expression nor 'global'", \
                "use [parameters('workspace-location')] or 'global'"


# -- parameters ---------------------------------------------------------------------------------

def secure_string_no_default(ctx: Context) -> Out:
    """arm-ttk 'Secure String Parameters Cannot Have Default' (a default calling newGuid() is allowed)."""
    for scope in _own_scopes(ctx):
        for name, definition in _params(scope).items():
            if _type(definition) != "securestring" or not definition.get("defaultValue"):
                continue
            default = definition["defaultValue"]
            node = parse_string(default.strip()) if isinstance(default, str) else None
            if node is not None and not isinstance(node, ExprError) and any(
                    isinstance(n, Call) and n.lname == "newguid" for n in iter_nodes(node)):
                continue
            yield scope.path_of(f"parameters.{name}.defaultValue"), \
                f"secureString parameter '{name}' has a default value", \
                "remove the defaultValue (a default of [newGuid()] is allowed)"


_SECRET_NAME = re.compile(r"password|secret|accountkey", re.I)
_SECRET_EXEMPT = re.compile(r"permission|version|url|uri|name", re.I)


def password_params_secure(ctx: Context) -> Out:
    """arm-ttk 'Password params must be secure'."""
    for scope in _own_scopes(ctx):
        for name, definition in _params(scope).items():
            if not _SECRET_NAME.search(name) or _type(definition) in ("securestring", "secureobject", "bool"):
                continue
            if re.search("secret", name, re.I) and _SECRET_EXEMPT.search(name) \
                    and not re.search("password|accountkey", name, re.I):
                continue
            declared = definition.get("type") if isinstance(definition, dict) else definition
            yield scope.path_of(f"parameters.{name}.type"), \
                f"parameter '{name}' looks like a secret but is of type '{declared}'", \
                "declare it as securestring (or secureobject)"


def min_max_numbers(ctx: Context) -> Out:
    """arm-ttk 'Min And Max Value Are Numbers': both present, both integers."""
    for scope in _own_scopes(ctx):
        for name, definition in _params(scope).items():
            if not isinstance(definition, dict):
                continue
            definition = {str(k).lower(): v for k, v in definition.items()}  # PowerShell reads keys case-insensitively
            path = scope.path_of(f"parameters.{name}")
            bad = False
            for key in ("maxValue", "minValue"):
                value = definition.get(key.lower())
                if key.lower() in definition and (isinstance(value, bool) or not isinstance(value, int)):
                    yield f"{path}.{key}", f"{key} of '{name}' is {value!r}, not an integer", f"make {key} an integer"
                    bad = True
            if bad:
                continue
            if ("maxvalue" in definition) != ("minvalue" in definition):
                missing = "minValue" if "maxvalue" in definition else "maxValue"
                yield path, f"parameter '{name}' has no {missing}", f"add {missing} (arm-ttk wants both or neither)"


def artifacts_parameter(ctx: Context) -> Out:
    """arm-ttk 'artifacts parameter': _artifactsLocation and its SAS token are declared correctly."""
    for scope in _own_scopes(ctx):
        params = _params(scope)
        location, token = params.get("_artifactsLocation"), params.get("_artifactsLocationSasToken")
        if not isinstance(location, dict):
            continue
        path = scope.path_of("parameters._artifactsLocation")
        if _type(location) not in ("string", "securestring"):
            yield path, "_artifactsLocation must be of type string", "declare it as type string"
        if not isinstance(token, dict):
            yield path, "_artifactsLocationSasToken is missing", \
                "add a securestring parameter _artifactsLocationSasToken"
        elif _type(token) != "securestring":
            yield scope.path_of("parameters._artifactsLocationSasToken"), \
                "_artifactsLocationSasToken must be of type securestring", "declare it as type securestring"
        main = scope.kind == "main" and ctx.is_main
        token_default = token.get("defaultValue") if isinstance(token, dict) else None
        if main:
            default = location.get("defaultValue")
            if not default:
                yield path, "_artifactsLocation has no defaultValue in the main template", \
                    "default to [deployment().properties.templateLink.uri]"
            elif "deployment().properties.templatelink" not in str(default).lower():
                yield f"{path}.defaultValue", f"_artifactsLocation defaults to {default!r}", \
                    "default to [deployment().properties.templateLink.uri]"
            if isinstance(token, dict) and token_default != "" and not token_default:
                yield scope.path_of("parameters._artifactsLocationSasToken"), \
                    "_artifactsLocationSasToken must default to an empty string", 'set "defaultValue": ""'
        elif location.get("defaultValue") or token_default:
            yield path, "_artifactsLocation parameters of a nested template must not have defaults", \
                "remove the defaultValues and pass the values from the main template"


# -- secrets in outputs and nested deployments --------------------------------------------------

def _secure_params(scope: Scope) -> set[str]:
    return {name.lower() for name, d in _params(scope).items() if _type(d) in ("securestring", "secureobject")}


def _leaks(ctx: Context, occurrence_filter, scope_of_params: Scope) -> Iterator[tuple[str, str]]:
    secure = _secure_params(scope_of_params)
    for occurrence, call in ctx.calls:
        if not occurrence_filter(occurrence):
            continue
        if call.lname.startswith("list"):
            yield occurrence.path, f"{call.name}()"
        elif call.lname == "parameters" and occurrence.scope is scope_of_params \
                and (literal_arg(call) or "").lower() in secure:
            yield occurrence.path, f"secure parameter '{literal_arg(call)}'"


def outputs_without_secrets(ctx: Context) -> Out:
    """arm-ttk 'Outputs Must Not Contain Secrets': no list*() call, secure parameter or password name."""
    for scope in _own_scopes(ctx):
        outputs = scope.template.get("outputs")
        if not isinstance(outputs, dict):
            continue
        prefix = scope.path_of("outputs")
        for path, what in _leaks(ctx, lambda o, p=prefix: o.path.startswith(f"{p}."), scope):
            yield path, f"an output exposes {what}", "do not return secrets from a deployment"
        for name in outputs:
            if "password" in name.lower():
                yield scope.path_of(f"outputs.{name}"), f"output name '{name}' suggests a secret", \
                    "do not return secrets from a deployment"


def secure_params_nested(ctx: Context) -> Out:
    """arm-ttk 'Secure Params In Nested Deployments': outer-scope deployments see secrets in clear."""
    for scope in ctx.template.scopes:
        if scope.kind != "outer" or not scope.template or scope.parent is None:
            continue
        owner = scope.parent
        while owner.kind == "outer" and owner.parent is not None:
            owner = owner.parent
        prefix = scope.path
        for path, what in _leaks(ctx, lambda o, p=prefix: o.path.startswith(f"{p}."), owner):
            yield path, f"an outer-scope nested deployment uses {what}, which is stored in clear in its deployment", \
                'set "expressionEvaluationOptions": {"scope": "inner"} and pass the value as a parameter'


def parameter_types_consistent(ctx: Context) -> Out:
    """arm-ttk 'Parameter Types Should Be Consistent': a value passed to an inner deployment keeps its type."""
    for scope in ctx.template.scopes:
        if scope.kind != "inner" or scope.parent is None:
            continue
        resource_path = scope.path.rsplit(".properties.", 1)[0]
        resource = _at(ctx.data, resource_path)
        properties = resource.get("properties") if isinstance(resource, dict) else None
        passed = properties.get("parameters") if isinstance(properties, dict) else None
        if not isinstance(passed, dict):
            continue
        outer = scope.parent
        for name, value in passed.items():
            raw = value.get("value") if isinstance(value, dict) else value
            node = parse_string(raw) if isinstance(raw, str) else None
            # only a value that is exactly [parameters('x')] carries x's declared type
            if not (isinstance(node, Call) and node.lname == "parameters" and literal_arg(node) is not None):
                continue
            mapped = literal_arg(node).lower()
            outer_def = outer.parameters.get(mapped)
            inner_def = scope.parameters.get(name.lower())
            if isinstance(outer_def, dict) and isinstance(inner_def, dict) and _type(outer_def) and \
                    _type(outer_def) != _type(inner_def):
                yield scope.path_of(f"parameters.{name}"), \
                    f"'{name}' is {inner_def.get('type')} here but the parent passes its {outer_def.get('type')} " \
                    f"parameter '{literal_arg(node)}'", "declare the same type in both templates"


def _at(data: Any, path: str) -> Any:
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("["):
            index = int(part[1:-1])
            data = data[index] if isinstance(data, list) and index < len(data) else None
        else:
            data = data.get(part) if isinstance(data, dict) else None
    return data


# -- resource expressions -----------------------------------------------------------------------

def dynamic_variables_no_concat(ctx: Context) -> Out:
    """arm-ttk 'Dynamic Variable References Should Not Use Concat': a variable name built with concat()
    from a parameter, as ``variables(concat('x', parameters('y')))`` (arm-ttk's own pattern is the
    misplaced ``variables(concat('x'), parameters('y'))``; both are reported)."""
    for occurrence, call in ctx.calls:
        if call.lname != "variables" or not call.args or not isinstance(call.args[0], Call) \
                or call.args[0].lname != "concat":
            continue
        parts = [*call.args[0].args, *call.args[1:]]
        prefix = next((p.value for p in parts if isinstance(p, Literal)), "x")
        parameter = next((literal_arg(p) for p in parts if isinstance(p, Call) and p.lname == "parameters"), None)
        if parameter is None:
            continue
        yield occurrence.path, "a dynamic variable reference uses concat()", \
            f"use an object variable: variables('{prefix}')[parameters('{parameter}')]"


def providers_api_versions(ctx: Context) -> Out:
    """arm-ttk 'providers_apiVersions Is Not Permitted'."""
    for occurrence in ctx.template.occurrences:
        if isinstance(occurrence.node, ExprError):
            continue
        for node in iter_nodes(occurrence.node):
            if isinstance(node, Member) and node.name.lower() == "apiversions" and isinstance(node.target, Call) \
                    and node.target.lname == "providers":
                yield occurrence.path, "providers().apiVersions picks an apiVersion at deployment time", \
                    "use a literal apiVersion"
                break


_ID_MAKERS = ("resourceid", "subscriptionresourceid", "tenantresourceid", "extensionresourceid", "reference")


def resource_ids_without_functions(ctx: Context) -> Out:
    """arm-ttk 'ResourceIds should not contain': no resourceGroup()/subscription() or concat() in resourceId()."""
    if ctx.bicep:
        return  # arm-ttk skips Bicep output
    for occurrence, call in ctx.calls:
        if call.lname not in _ID_MAKERS and not (call.lname.startswith("list") and call.lname != "list"):
            continue
        first = call.args[0] if call.args else None
        if not isinstance(first, Call):
            # arm-ttk also finds these after a member access: resourceId(resourceGroup().name, ...)
            first = first.target if isinstance(first, Member) and isinstance(first.target, Call) else None
            if first is None or first.lname not in ("resourcegroup", "subscription"):
                continue
        bad = first.lname in ("concat", "format") or (
            first.lname == "resourcegroup" and call.lname == "resourceid") or (
            first.lname == "subscription" and call.lname in ("resourceid", "subscriptionresourceid"))
        if bad:
            yield occurrence.path, f"{call.name}() takes {first.name}() as its first argument", \
                f"pass the segments to {call.name}() as separate arguments (it defaults the scope itself)"


def uris_properly_constructed(ctx: Context) -> Out:
    """arm-ttk 'URIs Should Be Properly Constructed': a uri/url built with concat() or format(), not uri()."""
    for occurrence in ctx.template.occurrences:
        key = re.split(r"[.\[]", occurrence.path)[-1]
        if not re.search(r"ur[il]$", key, re.I) or isinstance(occurrence.node, ExprError):
            continue
        calls = [n for n in iter_nodes(occurrence.node) if isinstance(n, Call)]
        names = [c.lname for c in calls]
        bad = next((i for i, n in enumerate(names) if n in ("concat", "format")), None)
        uri = next((i for i, n in enumerate(names) if n == "uri"), None)
        if bad is not None and (uri is None or bad < uri):
            yield occurrence.path, f"'{key}' is built with {calls[bad].name}()", "build URIs with uri(base, relative)"


_HOSTS = ("management.core.windows.net", "gallery.azure.com", "management.azure.com", "database.windows.net",
          "core.windows.net", "login.microsoftonline.com", "graph.windows.net", "vault.azure.net",
          "datalake.azure.net", "azuredatalakestore.net", "azuredatalakeanalytics.net", "api.loganalytics.io",
          "api.loganalytics.iov1", "asazure.windows.net", "region.asazure.windows.net", "batch.core.windows.net")
_HOST = re.compile("|".join(re.escape(h) for h in _HOSTS), re.I)


def no_hardcoded_uri(ctx: Context) -> Out:
    """arm-ttk 'DeploymentTemplate Must Not Contain Hardcoded Uri' (outside parameters; schema links exempt)."""
    seen = set()
    strings = [(o.path, o.raw) for o in ctx.template.occurrences] + [(p, t) for p, t, _, _ in ctx.template.literals]
    for path, text in strings:
        if path.startswith("parameters.") or path.endswith("$schema"):
            continue
        for match in _HOST.finditer(text):
            before = text[:match.start()].lower()
            if before.endswith("https://schema.") or before.endswith("https://devopsgallerystorage.blob."):
                continue
            if path not in seen:
                seen.add(path)
                yield path, f"hard-coded Azure endpoint '{match.group(0)}'", \
                    "use environment() (e.g. environment().suffixes.storage) or a parameter"


# -- resources ----------------------------------------------------------------------------------

def deployments_not_debug(ctx: Context) -> Out:
    """arm-ttk 'Deployment Resources Must Not Be Debug'."""
    for path, resource, _, _ in all_resources(ctx):
        if str(resource.get("type", "")).lower() != "microsoft.resources/deployments":
            continue
        properties = resource.get("properties")
        setting = properties.get("debugSetting") if isinstance(properties, dict) else None
        level = setting.get("detailLevel") if isinstance(setting, dict) else None
        if level and str(level).lower() != "none":
            yield f"{path}.properties.debugSetting.detailLevel", f"debugSetting.detailLevel is {level!r}", \
                "remove debugSetting (it logs request and response contents, secrets included)"


def depends_on_best_practices(ctx: Context) -> Out:
    """arm-ttk 'DependsOn Best Practices': no if(), no concat() without copyIndex()."""
    for path, resource, _, _ in all_resources(ctx):
        depends = resource.get("dependsOn")
        for index, item in enumerate(depends if isinstance(depends, list) else []):
            node = parse_string(item.lstrip()) if isinstance(item, str) else None
            if not isinstance(node, Call):
                continue
            if node.lname == "if":
                yield f"{path}.dependsOn[{index}]", "a dependsOn entry starts with if()", \
                    "depend on the resource unconditionally (ARM ignores conditions that are false)"
            elif node.lname == "concat" and not any(isinstance(n, Call) and n.lname == "copyindex"
                                                    for n in iter_nodes(node)):
                yield f"{path}.dependsOn[{index}]", "a dependsOn entry starts with concat()", \
                    "depend on [resourceId(...)] or the resource name"


def schema_correct(ctx: Context) -> Out:
    """arm-ttk 'DeploymentTemplate Schema Is Correct' (for every template, nested ones included)."""
    valid = (
        "https://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#",
        "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
        "https://schema.management.azure.com/schemas/2019-08-01/tenantDeploymentTemplate.json#",
        "https://schema.management.azure.com/schemas/2019-08-01/managementGroupDeploymentTemplate.json#",
    )
    for scope in ctx.template.scopes:
        schema = scope.template.get("$schema")
        if not schema:
            yield scope.path_of("$schema") if scope.path else "$schema", "the template has no $schema", \
                f'set "$schema": "{valid[1]}"'
        elif schema not in valid:
            yield scope.path_of("$schema") if scope.path else "$schema", f"unexpected $schema {schema!r}", \
                f"use {valid[1]}"


# -- apiVersions --------------------------------------------------------------------------------

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_VERSION = re.compile(r"\d{4}-\d{2}-\d{2}(-[A-Za-z]+)?")


def _full_type(resource: dict, parents: tuple[dict, ...]) -> str | None:
    types = [str(p.get("type", "")) for p in parents if p.get("type")] + [str(resource.get("type", ""))]
    if any("/providers/" in t.lower() for t in types):
        name = str(resource.get("name", ""))
        match = re.search(r"'/*(\w+\.\w+)/*'", name)
        return match.group(1) if match else None
    out = []
    for i, part in enumerate(types):  # a child's type may already carry its parents' ('a/b' then 'a/b/c')
        if i == len(types) - 1 or not any(t.lower().startswith(part.lower()) for t in types[i + 1:]):
            out.append(part)
    return "/".join(out)


def _known_versions(full_type: str, table: dict[str, list[str]]) -> list[str]:
    parts = full_type.lower().split("/")
    for end in range(len(parts), 1, -1):
        found = table.get("/".join(parts[:end]))
        if found:
            return found
    return []


def _pinned(full_type: str, version: str) -> bool:
    """The official packager writes this apiVersion for this type (docs/rules.md SP612)."""
    pins = packager_pins()
    version = version.lower()
    return version in pins.get(full_type.lower(), ()) or version in pins.get(full_type.split("/")[0].lower(), ())


def _age_findings(version: str, known: list[str], today: date, days: int) -> Iterator[str]:
    if not known:
        return
    version = version.lower()
    index = known.index(version) if version in known else -1
    if version.count("-") >= 3 and index > 0 and any(v.count("-") < 3 for v in known[:index]):
        yield f"preview apiVersion {version} has newer non-preview versions ({known[0]})"
    elif version.count("-") >= 3 and index == 0 and len(known) > 1 and known[1] == version.rsplit("-", 1)[0]:
        yield f"preview apiVersion {version} has a non-preview release {known[1]}"
    match = _DATE.search(version)
    if not match or index <= 0:
        return
    age = (today - date(*map(int, match.groups()))).days
    if age > days and not (index == 1 and known[0].rsplit("-", 1)[0] == version):
        stable = next((v for v in known if "preview" not in v), None)
        if version != stable:
            yield f"apiVersion {version} is {age} days old (over {days}); newer: {known[0]}"


def _today() -> date:
    snapshot, _ = api_versions()
    return date.fromisoformat(snapshot)


def api_versions_recent(ctx: Context, *, table: dict[str, list[str]] | None = None, today: date | None = None,
                        days: int = 730) -> Out:
    """arm-ttk 'apiVersions Should Be Recent', measured at the vendored data's date (docs/rules.md)."""
    table = api_versions()[1] if table is None else table
    today = today or _today()
    for path, resource, parents, _ in all_resources(ctx):
        if "apiVersion" not in resource:
            continue
        version = resource["apiVersion"]
        if not isinstance(version, str):
            yield f"{path}.apiVersion", f"apiVersion {version!r} is not a string", 'write it as "YYYY-MM-DD"'
            continue
        full = _full_type(resource, parents)
        if ctx.bicep and (full or "").lower() == "microsoft.resources/deployments":
            continue  # arm-ttk skips Bicep's module deployments
        if not _DATE.search(version):
            yield f"{path}.apiVersion", f"apiVersion {version!r} of {full} is not a fixed date", \
                "use a literal apiVersion like 2023-04-01-preview"
            continue
        if not full or _pinned(full, version):
            continue
        for message in _age_findings(version, _known_versions(full, table), today, days):
            yield f"{path}.apiVersion", f"{full}: {message}", "use a recent apiVersion"


def api_versions_in_references(ctx: Context, *, table: dict[str, list[str]] | None = None,
                               today: date | None = None, days: int = 730) -> Out:
    """arm-ttk 'apiVersions Should Be Recent In Reference Functions': reference()/list*() with resourceId()."""
    if ctx.bicep:
        return  # arm-ttk skips Bicep output
    table = api_versions()[1] if table is None else table
    today = today or _today()
    for occurrence, call in ctx.calls:
        if call.lname != "reference" and not call.lname.startswith("list"):
            continue
        version = next((a.value for a in call.args[1:] if isinstance(a, Literal) and isinstance(a.value, str)
                        and _VERSION.fullmatch(a.value)), None)
        target = call.args[0] if call.args else None
        if version is None or not isinstance(target, Call) or not target.lname.endswith("resourceid"):
            continue
        types = [a.value for a in target.args if isinstance(a, Literal) and isinstance(a.value, str) and "/" in a.value]
        if not types or _pinned("/".join(types), version):
            continue
        for message in _age_findings(version, _known_versions("/".join(types), table), today, days):
            yield occurrence.path, f"{call.name}() of {'/'.join(types)}: {message}", "use a recent apiVersion"


# -- IDs-Should-Be-Derived-From-ResourceIDs, Template-Should-Not-Contain-Blanks ------------------
# (kept in rules_armttk.py's historical form, see ids.py and blanks.py)
