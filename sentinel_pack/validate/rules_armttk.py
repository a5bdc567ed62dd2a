"""SP6xx: the arm-ttk checks the Azure-Sentinel pipeline runs on packages, without its skips."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sentinel_pack.validate.finding import ERROR, rule
from sentinel_pack.validate.rules_crossfile import _walk_strings
from sentinel_pack.validate.target import Target

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
