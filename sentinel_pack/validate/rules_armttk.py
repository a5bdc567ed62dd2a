"""SP6xx: arm-ttk's deploymentTemplate and createUiDefinition tests, without the pipeline's skips.

The checks live in ``sentinel_pack.armttk`` (one function per arm-ttk test, on the parsed
template); this module reads the package files as ARM reads them (comments, BOM) and registers
each check as a rule. docs/rules.md maps every arm-ttk test to its rule or says why none applies.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from sentinel_pack.armttk import deployment, ids, ui
from sentinel_pack.armttk.context import Context, Hit
from sentinel_pack.armttk.expr import ExprError
from sentinel_pack.armttk.template import Template
from sentinel_pack.jsonsource import JsonDocument, JsonSyntaxError, parse
from sentinel_pack.validate.finding import ERROR, rule
from sentinel_pack.validate.target import Target

Out = Iterator[tuple[str, str, str, str]]


@lru_cache(maxsize=8)
def _document(data: bytes) -> JsonDocument | JsonSyntaxError:
    """A package file as ARM reads it (comments, BOM), or its syntax error; cached by content."""
    try:
        return parse(data, comments=True)
    except JsonSyntaxError as error:
        return error


def _read(data: bytes) -> Any:
    document = _document(data)
    return document if isinstance(document, JsonSyntaxError) else document.data


def _parts(path: str) -> list[str | int]:
    return [int(index) if index else key for key, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path)]


@lru_cache(maxsize=8)
def _template(data: bytes) -> Template | JsonSyntaxError | None:
    value = _read(data)
    if isinstance(value, JsonSyntaxError):
        return value
    return Template(value) if isinstance(value, dict) else None


def _package(target: Target, name: str) -> tuple[str, Any]:
    rel = next((r for r in target.files if r.lower() == f"package/{name.lower()}"), f"Package/{name}")
    return rel, (_read(target.files[rel]) if rel in target.files else None)


def _context(target: Target) -> tuple[str, Context | None]:
    rel = next((r for r in target.files if r.lower() == "package/maintemplate.json"), "Package/mainTemplate.json")
    template = _template(target.files[rel]) if rel in target.files else None
    if not isinstance(template, Template):
        return rel, None
    ui_value = _package(target, "createUiDefinition.json")[1]
    return rel, Context(template, is_main=True, ui=ui_value if isinstance(ui_value, dict) else None)


def _template_rule(rule_id: str, title: str, check: Callable[[Context], Iterator[Hit]], severity: str = ERROR) -> None:
    def run(target: Target) -> Out:
        rel, ctx = _context(target)
        if ctx is not None:
            for path, message, fix in check(ctx):
                yield rel, path, message, fix
    run.__doc__ = check.__doc__
    rule(rule_id, severity, title)(run)


def _ui_rule(rule_id: str, title: str, check: Callable[[Any, Any], Iterator[Hit]], *, on_template: bool = False,
             severity: str = ERROR) -> None:
    def run(target: Target) -> Out:
        ui_rel, ui_value = _package(target, "createUiDefinition.json")
        main_rel, ctx = _context(target)
        if not isinstance(ui_value, dict):
            return
        for path, message, fix in check(ui_value, ctx.data if ctx else None):
            yield main_rel if on_template else ui_rel, path, message, fix
    run.__doc__ = check.__doc__
    rule(rule_id, severity, title)(run)


@rule("SP608", ERROR, "mainTemplate.json is JSON as ARM reads it, and its expressions parse")
def expression_syntax(target: Target) -> Out:
    rel = next((r for r in target.files if r.lower() == "package/maintemplate.json"), None)
    if rel is None:
        return
    template = _template(target.files[rel])
    if isinstance(template, JsonSyntaxError):
        yield rel, "", f"not JSON as ARM reads it: {template}", "fix the JSON syntax at that line"
        return
    if template is None:
        kind = type(_read(target.files[rel])).__name__.replace("NoneType", "null")
        yield rel, "", f"the template is a JSON {kind}, not an object", "a deployment template is a JSON object {...}"
        return
    document = _document(target.files[rel])
    for occurrence in template.occurrences:
        error = occurrence.node
        if not isinstance(error, ExprError):
            continue
        column = error.column + len(occurrence.raw) - len(occurrence.text)
        line, at = document.locate_in_string(_parts(occurrence.path), column - 1)
        nested = "" if occurrence.text == occurrence.raw else " (after undoing the nested template's '[[')"
        yield rel, occurrence.path, f"invalid ARM expression{nested}: {error.message} at column {column} of " \
            f"{occurrence.raw!r} (line {line}, column {at})", \
            "fix the expression; a literal string starting with '[' is written '[['"


for _id, _title, _check in (
    ("SP601", "Every template parameter is used", deployment.parameters_referenced),
    ("SP602", "Every template variable is used", deployment.variables_referenced),
    ("SP603", "Locations are not hard-coded", deployment.location_not_hardcoded),
    ("SP606", "The template has no blank properties", ids.no_blanks),
    ("SP607", "Resource id properties are built with resourceId() and its kin", ids.ids_from_resource_ids),
    ("SP609", "Expressions call only ARM template functions", deployment.known_functions),
    ("SP610", "parameters() and variables() name declared ones", deployment.defined_references),
    ("SP611", "Templates declare a deployment template $schema", deployment.schema_correct),
    ("SP612", "apiVersions are recent", deployment.api_versions_recent),
    ("SP613", "apiVersions in reference() and list*() are recent", deployment.api_versions_in_references),
    ("SP614", "providers().apiVersions is not used", deployment.providers_api_versions),
    ("SP615", "_artifactsLocation parameters are declared correctly", deployment.artifacts_parameter),
    ("SP616", "secureString parameters have no default", deployment.secure_string_no_default),
    ("SP617", "Outer-scope nested deployments use no secrets", deployment.secure_params_nested),
    ("SP618", "Password and secret parameters are secure", deployment.password_params_secure),
    ("SP619", "Parameters passed to nested deployments keep their type", deployment.parameter_types_consistent),
    ("SP620", "Outputs contain no secrets", deployment.outputs_without_secrets),
    ("SP621", "minValue and maxValue are integers, given together", deployment.min_max_numbers),
    ("SP622", "Dynamic variable references do not use concat()", deployment.dynamic_variables_no_concat),
    ("SP623", "No hard-coded Azure endpoint URIs", deployment.no_hardcoded_uri),
    ("SP624", "URIs are built with uri(), not concat() or format()", deployment.uris_properly_constructed),
    ("SP625", "A resource location is an expression or 'global'", deployment.resources_have_location),
    ("SP626", "resourceId() and kin get no resourceGroup(), subscription() or concat() segments",
     deployment.resource_ids_without_functions),
    ("SP627", "Nested deployments are not in debug mode", deployment.deployments_not_debug),
    ("SP628", "dependsOn entries do not start with if() or concat()", deployment.depends_on_best_practices),
):
    _template_rule(_id, _title, _check)


@rule("SP605", ERROR, "contentVersion is a four-part version")
def content_version(target: Target) -> Out:
    rel, main = _package(target, "mainTemplate.json")
    if isinstance(main, dict) and not re.fullmatch(r"\d+\.\d+\.\d+\.\d+", str(main.get("contentVersion", ""))):
        yield rel, "contentVersion", f"'{main.get('contentVersion')}' is not like 1.0.0.0", \
            "set contentVersion: 1.0.0.0"


for _id, _title, _check, _on_template in (
    ("SP604", "createUiDefinition outputs are template parameters", ui.outputs_are_parameters, False),
    ("SP629", "Parameters without a default are createUiDefinition outputs", ui.parameters_without_default_in_ui, True),
    ("SP650", "createUiDefinition declares the 0.1.2-preview schema and version", ui.schema, False),
    ("SP651", "createUiDefinition has no blank properties", ui.no_blanks, False),
    ("SP652", "Controls read by outputs exist", ui.controls_in_outputs_exist, False),
    ("SP653", "Values a control offers are allowed by its parameter", ui.allowed_values_allowed, False),
    ("SP654", "Textboxes have a valid regex and a validation message", ui.textboxes_well_formed, False),
    ("SP655", "Controls have tooltips", ui.tooltips_present, False),
    ("SP656", "Password boxes have a length constraint", ui.password_min_length, False),
    ("SP657", "Password boxes feed secure parameters", ui.password_boxes_secure, False),
    ("SP658", "outputs.location is [location()]", ui.location_in_outputs, False),
    ("SP659", "The handler is Microsoft.Azure.CreateUIDef", ui.handler_correct, False),
    ("SP660", "Credential confirmation is not hidden", ui.confirmation_not_hidden, False),
    ("SP661", "Validations have a message", ui.validations_have_message, False),
    ("SP662", "Username boxes have no default", ui.usernames_no_default, False),
    ("SP663", "New-or-existing selectors output their resource group and choice", ui.hide_existing_handled, False),
):
    _ui_rule(_id, _title, _check, on_template=_on_template)


