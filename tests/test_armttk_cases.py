"""SP6xx reach arm-ttk's verdict on arm-ttk's own unit-test cases (tests/data/armttk, MIT).

Each case is a template (``x.json``) or a folder with a template and a createUiDefinition;
``Pass`` cases must give no finding of the mapped check, ``Fail`` cases at least one. The few
cases where sentinel-pack deliberately differs are listed in DIFFERENCES with the reason, and
are asserted to differ, so a change in either direction is noticed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sentinel_pack.armttk import deployment, ids, ui
from sentinel_pack.armttk.context import Context
from sentinel_pack.armttk.template import Template
from sentinel_pack.jsonsource import JsonSyntaxError, parse

DATA = Path(__file__).parent / "data" / "armttk"

TEMPLATE_CHECKS = {
    "Parameters-Must-Be-Referenced": deployment.parameters_referenced,
    "Variables-Must-Be-Referenced": deployment.variables_referenced,
    "Location-Should-Not-Be-Hardcoded": deployment.location_not_hardcoded,
    "Template-Should-Not-Contain-Blanks": ids.no_blanks,
    "IDs-Should-Be-Derived-From-ResourceIDs": ids.ids_from_resource_ids,
    "DeploymentTemplate-Schema-Is-Correct": deployment.schema_correct,
    "providers_apiVersions-Is-Not-Permitted": deployment.providers_api_versions,
    "artifacts-parameter": deployment.artifacts_parameter,
    "Secure-String-Parameters-Cannot-Have-Default": deployment.secure_string_no_default,
    "Secure-Params-In-Nested-Deployments": deployment.secure_params_nested,
    "Password-params-must-be-secure": deployment.password_params_secure,
    "Parameter-Types-Should-Be-Consistent": deployment.parameter_types_consistent,
    "Outputs-Must-Not-Contain-Secrets": deployment.outputs_without_secrets,
    "Min-And-Max-Value-Are-Numbers": deployment.min_max_numbers,
    "Dynamic-Variable-References-Should-Not-Use-Concat": deployment.dynamic_variables_no_concat,
    "DeploymentTemplate-Must-Not-Contain-Hardcoded-Uri": deployment.no_hardcoded_uri,
    "URIs-Should-Be-Properly-Constructed": deployment.uris_properly_constructed,
    "Resources-Should-Have-Location": deployment.resources_have_location,
    "ResourceIds-should-not-contain": deployment.resource_ids_without_functions,
    "Deployment-Resources-Must-Not-Be-Debug": deployment.deployments_not_debug,
    "DependsOn-Best-Practices": deployment.depends_on_best_practices,
}
UI_CHECKS = {
    "Outputs-Must-Be-Present-In-Template-Parameters": ui.outputs_are_parameters,
    "Parameters-Without-Default-Must-Exist-In-CreateUIDefinition": ui.parameters_without_default_in_ui,
    "CreateUIDefinition-Should-Have-Schema": ui.schema,
    "CreateUIDefinition-Must-Not-Have-Blanks": ui.no_blanks,
    "Controls-In-Outputs-Must-Exist": ui.controls_in_outputs_exist,
    "Allowed-Values-Should-Actually-Be-Allowed": ui.allowed_values_allowed,
    "Textboxes-Are-Well-Formed": ui.textboxes_well_formed,
    "Tooltips-Should-Be-Present": ui.tooltips_present,
    "PasswordBoxes-Must-Have-Min-Length": ui.password_min_length,
    "Password-Textboxes-Must-Be-Used-For-Password-Parameters": ui.password_boxes_secure,
    "Location-Should-Be-In-Outputs": ui.location_in_outputs,
    "Handler-Must-Be-Correct": ui.handler_correct,
    "Credential-Confirmation-Should-Not-Be-Hidden": ui.confirmation_not_hidden,
    "Validations-Must-Have-Message": ui.validations_have_message,
    "Usernames-Should-Not-Have-A-Default": ui.usernames_no_default,
    "HideExisting-Must-Be-Correctly-Handled": ui.hide_existing_handled,
}

#: (test, verdict folder, case) -> why sentinel-pack's verdict differs (docs/rules.md says the same).
DIFFERENCES: dict[tuple[str, str, str], str] = {}

_MAIN_NAMES = ("azuredeploy.json", "maintemplate.json")


def _load(path: Path):
    return parse(path.read_bytes(), comments=True).data


def _cases() -> list[tuple[str, str, Path]]:
    out = []
    for test in sorted({**TEMPLATE_CHECKS, **UI_CHECKS}):
        for verdict in ("Pass", "Fail"):
            folder = DATA / test / verdict
            for item in sorted(folder.iterdir()) if folder.is_dir() else []:
                if item.name.endswith(".path.txt"):  # points at the shared marketplace sample
                    target = item.read_text(encoding="utf-8-sig").strip().lstrip("\ufeff").replace("\\", "/")
                    out.append((test, verdict, (folder / target).resolve()))
                elif item.suffix == ".json" or item.is_dir():
                    out.append((test, verdict, item))
    return out


def _files(case: Path) -> tuple[Path | None, Path | None, bool]:
    """(template, createUiDefinition, is it the main template) of a case."""
    if case.is_file():
        doc = _load(case)
        is_ui = isinstance(doc, dict) and "CreateUIDefinition" in str(doc.get("$schema", ""))
        return (None, case, False) if is_ui else (case, None, case.name.lower() in _MAIN_NAMES)
    files = {p.name.lower(): p for p in case.iterdir()}
    template = next((files[n] for n in _MAIN_NAMES if n in files), None)
    return template, files.get("createuidefinition.json"), True


def _findings(test: str, case: Path) -> list:
    try:
        template_path, ui_path, is_main = _files(case)
        template = _load(template_path) if template_path else {}
    except JsonSyntaxError as error:  # SP608 reports a template it cannot read
        return [("", str(error), "")]
    if test in TEMPLATE_CHECKS:
        return list(TEMPLATE_CHECKS[test](Context(Template(template), is_main=is_main)))
    return list(UI_CHECKS[test](_load(ui_path) if ui_path else {}, template))


@pytest.mark.parametrize(("test", "verdict", "case"), _cases(),
                         ids=[f"{t}/{v}/{c.name}" for t, v, c in _cases()])
def test_armttk_verdict(test: str, verdict: str, case: Path) -> None:
    findings = _findings(test, case)
    expected_fail = verdict == "Fail"
    if (test, verdict, case.name) in DIFFERENCES:
        expected_fail = not expected_fail
    if expected_fail:
        assert findings, f"{test}: arm-ttk fails {case.name}, sentinel-pack found nothing"
    else:
        assert not findings, f"{test}: arm-ttk passes {case.name}, sentinel-pack found {findings}"


def test_every_mapped_test_has_cases() -> None:
    tested = {t for t, _, _ in _cases()}
    assert tested == set(TEMPLATE_CHECKS) | set(UI_CHECKS)
