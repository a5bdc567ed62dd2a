"""The ARM expression parser, expression scopes, and sentinel-pack's own SP6xx pass/fail cases.

tests/test_armttk_cases.py holds arm-ttk's unit-test cases; these are the behaviours a Sentinel
package needs on top: content templates, Sentinel ids, apiVersion data, comments in templates.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from sentinel_pack.armttk import deployment, ids
from sentinel_pack.armttk.context import Context, arm_functions
from sentinel_pack.armttk.expr import Call, ExprError, Index, Literal, Member, parse, parse_string, unescape
from sentinel_pack.armttk.template import Template
from sentinel_pack.validate.runner import check, selected
from sentinel_pack.validate.target import Target

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"


# -- the parser ---------------------------------------------------------------------------------

def test_parse_call_member_index_and_literals() -> None:
    node = parse("[reference(resourceId('A/b', 'n'), '2020-01-01').outputs[0].value]")
    assert isinstance(node, Member) and node.name == "value"
    assert isinstance(node.target, Index) and node.target.index == Literal(0, node.target.index.pos)
    call = node.target.target.target
    assert isinstance(call, Call) and call.lname == "reference"
    assert [a.value for a in call.args[0].args] == ["A/b", "n"]
    args = parse("[if(true, -1, 'it''s')]").args
    assert [a.value for a in args] == [True, -1, "it's"]


def test_names_are_case_insensitive_and_whitespace_is_allowed() -> None:
    node = parse("[ PARAMETERS ( 'My_Parameter' ) ]")
    assert node.lname == "parameters" and node.args[0].value == "My_Parameter"


def test_user_defined_functions_are_namespaced() -> None:
    assert parse("[contoso.uniqueName(parameters('p'))]").name == "contoso.uniqueName"


@pytest.mark.parametrize(("text", "column", "message"), [
    ("[concat('a', ]", 14, "unexpected ']'"),
    ("[concat('a')) ]", 13, "after the expression"),
    ("[concat('a]", 9, "unterminated string"),
    ("[parameters]", 2, "is not a function call"),
    ("[]", 2, "empty expression"),
    ("[variables('x').]", 17, "property name"),
    ("[f(1 2)]", 6, "expected ',' or ')'"),
])
def test_parse_errors_have_a_column(text: str, column: int, message: str) -> None:
    with pytest.raises(ExprError) as info:
        parse(text)
    assert info.value.column == column and message in info.value.message


def test_literals_are_not_expressions() -> None:
    assert parse("[[parameters('x')]") is None
    assert parse("plain") is None and parse("[not closed") is None
    assert unescape("[[parameters('x')]") == "[parameters('x')]"


def test_each_string_is_parsed_once() -> None:
    text = "[concat('cached', 'once')]"
    assert parse_string(text) is parse_string(text)


def test_vendored_function_list() -> None:
    names = arm_functions()
    assert {"concat", "resourceid", "extensionresourceid", "lambdavariables", "tryget"} <= names
    assert "loadtextcontent" not in names  # Bicep only


# -- scopes -------------------------------------------------------------------------------------

def _content_template(inner: dict) -> dict:
    return {
        "$schema": SCHEMA, "contentVersion": "1.0.0.0",
        "parameters": {"workspace": {"type": "string"}},
        "variables": {"outer": "x"},
        "resources": [{
            "type": "Microsoft.OperationalInsights/workspaces/providers/contentTemplates",
            "apiVersion": "2023-04-01-preview",
            "name": "[concat(parameters('workspace'), '/Microsoft.SecurityInsights/t')]",
            "properties": {"contentId": "[variables('outer')]", "mainTemplate": inner},
        }],
    }


def _inner(**resource_properties) -> dict:
    return {"$schema": SCHEMA, "contentVersion": "1.0.0.0",
            "parameters": {"innerParam": {"type": "string"}}, "variables": {"innerVar": "y"},
            "resources": [{"type": "Microsoft.Insights/dataCollectionRules", "apiVersion": "2022-06-01",
                           "name": "dcr", "properties": resource_properties}]}


def test_content_template_strings_are_evaluated_by_the_right_deployment() -> None:
    template = Template(_content_template(_inner(a="[variables('outer')]", b="[[variables('innerVar')]")))
    by_path = {o.path.rsplit(".", 1)[-1]: o for o in template.occurrences}
    assert by_path["a"].scope is template.main
    assert by_path["b"].scope.kind == "content" and by_path["b"].text == "[variables('innerVar')]"


def test_inner_scope_deployment_evaluates_its_own_strings() -> None:
    template = Template({"$schema": SCHEMA, "resources": [{
        "type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "d",
        "properties": {"expressionEvaluationOptions": {"scope": "inner"}, "mode": "Incremental",
                       "template": {"parameters": {"p": {"type": "string"}}, "outputs": {
                           "o": {"type": "string", "value": "[parameters('p')]"}}}}}]})
    (occurrence,) = template.occurrences[-1:]
    assert occurrence.scope.kind == "inner" and occurrence.path.endswith("outputs.o.value")


# -- SP608-SP610 ---------------------------------------------------------------------------------

def _ctx(data: dict) -> Context:
    return Context(Template(data))


@pytest.mark.parametrize(("check", "data", "fails"), [
    (deployment.expression_syntax, _content_template(_inner(a="[[concat('a', ]")), True),
    (deployment.expression_syntax, _content_template(_inner(a="[[concat('a')]", b="[[literal")), False),
    (deployment.known_functions, _content_template(_inner(a="[[concatenate('a')]")), True),
    (deployment.known_functions, _content_template(_inner(a="[[listKeys('x', '2020-01-01')]")), False),
    (deployment.defined_references, _content_template(_inner(a="[[parameters('workspace')]")), True),
    (deployment.defined_references, _content_template(_inner(a="[[parameters('INNERPARAM')]")), False),
    (deployment.defined_references, _content_template(_inner(a="[variables('innerVar')]")), True),
    (deployment.defined_references, _content_template(_inner(a="[variables('outer')]")), False),
], ids=["syntax-fail", "syntax-pass", "function-fail", "function-pass", "inner-param-fail",
        "inner-param-pass", "outer-var-fail", "outer-var-pass"])
def test_expression_rules(check, data: dict, fails: bool) -> None:
    assert bool(list(check(_ctx(data)))) is fails


def test_parse_error_finding_gives_the_line_in_the_file(tmp_path: Path) -> None:
    data = _content_template(_inner(a="[[concat('a', ]"))
    text = "// a comment ARM accepts\n" + json.dumps(data, indent=2)
    target = Target("t", {"Package/mainTemplate.json": ("\ufeff" + text).encode("utf-8")})
    findings = [f for f in check(target, selected(["SP608"]))]
    (finding,) = findings
    assert "at column 15" in finding.message and "(line " in finding.message
    assert finding.path.endswith("properties.a")


def test_unreadable_template_is_a_finding() -> None:
    target = Target("t", {"Package/mainTemplate.json": b'{"resources": [,]}'})
    (finding,) = check(target, selected(["SP608"]))
    assert "not JSON as ARM reads it" in finding.message and "line 1" in finding.message


def test_comments_do_not_hide_a_template_from_the_rules() -> None:
    data = {"$schema": SCHEMA, "contentVersion": "1.0.0.0",
            "parameters": {"unused": {"type": "string", "defaultValue": "x"}}, "resources": []}
    text = "/* header */\n" + json.dumps(data, indent=2).replace('"resources"', '// note\n  "resources"')
    target = Target("t", {"Package/mainTemplate.json": text.encode()})
    assert {f.rule for f in check(target, selected(["SP6"]))} == {"SP601"}


# -- Sentinel-specific behaviour -----------------------------------------------------------------

def test_inner_reference_does_not_use_the_outer_parameter() -> None:
    data = _content_template(_inner(a="[[parameters('innerParam')]"))
    data["parameters"]["innerParam"] = {"type": "string", "defaultValue": "x"}
    unused = {p for p, *_ in deployment.parameters_referenced(_ctx(data))}
    assert unused == {"parameters.innerParam"}


def test_dynamic_reference_uses_every_variable() -> None:
    data = {"$schema": SCHEMA, "parameters": {"k": {"type": "string"}},
            "variables": {"a": 1, "b": 2, "pick": "[variables(parameters('k'))]"},
            "outputs": {"o": {"type": "int", "value": "[variables('pick')]"}}}
    assert list(deployment.variables_referenced(_ctx(data))) == []


def test_metadata_counts_as_use_like_arm_ttk() -> None:
    data = {"$schema": SCHEMA, "parameters": {
        "location": {"type": "string", "defaultValue": ""},
        "workspace-location": {"type": "string", "metadata": {
            "description": "[concat('Region', parameters('location'))]"}}},
        "outputs": {"o": {"type": "string", "value": "[parameters('workspace-location')]"}}}
    assert list(deployment.parameters_referenced(_ctx(data))) == []


@pytest.mark.parametrize(("properties", "fails"), [
    ({"dataCollectionEndpointId": "[concat('/subscriptions/', subscription().subscriptionId)]"}, True),
    ({"dataCollectionEndpointId": "[resourceId('Microsoft.Insights/dataCollectionEndpoints', 'x')]"}, False),
    ({"dataCollectionRuleImmutableId": "[[parameters('dcr')]", "contentId": "abc"}, False),
    ({"workspaceResourceId": True}, True),
    ({"workspaceResourceId": ""}, True),
], ids=["dce-concat-fails", "dce-resourceid", "sentinel-ids", "bool", "blank"])
def test_resource_ids(properties: dict, fails: bool) -> None:
    data = {"$schema": SCHEMA, "resources": [{"type": "Microsoft.Insights/dataCollectionRules",
                                              "apiVersion": "2022-06-01", "name": "d", "properties": properties}]}
    assert bool(list(ids.ids_from_resource_ids(_ctx(data)))) is fails


def test_content_product_ids_are_not_resource_ids() -> None:
    data = _content_template(_inner())
    data["resources"][0]["properties"]["id"] = "[concat(take(variables('outer'), 50), '-ar-')]"
    assert list(ids.ids_from_resource_ids(_ctx(data))) == []


# -- apiVersions, with a small table of our own --------------------------------------------------

TABLE = {"microsoft.storage/storageaccounts": ["2024-01-01", "2022-05-01", "2021-09-01-preview"],
         "microsoft.insights/datacollectionrules": ["2024-03-11", "2022-06-01", "2021-09-01"],
         "microsoft.resources/deployments": ["2024-03-01", "2024-03-01-preview", "2022-09-01"]}
TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(("resource_type", "version", "fails"), [
    ("Microsoft.Storage/storageAccounts", "2024-01-01", False),
    ("Microsoft.Storage/storageAccounts", "2022-05-01", True),  # 4 years old, newer exists
    ("Microsoft.Storage/storageAccounts", "2021-09-01-preview", True),  # preview with newer stable
    ("Microsoft.Resources/deployments", "2024-03-01-preview", True),  # same-date stable release exists
    ("Microsoft.Unknown/things", "2015-01-01", False),  # not in the data: not judged
    ("Microsoft.Insights/dataCollectionRules", "latest", True),  # not a date
    ("Microsoft.Insights/dataCollectionRules", "2022-06-01", False),  # old, but the packager pins it
    ("Microsoft.Insights/dataCollectionRules", "2021-09-01", True),  # old and not pinned
], ids=["latest", "old", "preview-newer", "preview-same-date", "unknown-type", "not-a-date", "packager-pin",
        "unpinned"])
def test_api_versions_recent(resource_type: str, version: str, fails: bool) -> None:
    data = {"$schema": SCHEMA, "resources": [{"type": resource_type, "apiVersion": version, "name": "x"}]}
    found = list(deployment.api_versions_recent(_ctx(data), table=TABLE, today=TODAY))
    assert bool(found) is fails


def test_api_versions_in_reference_functions() -> None:
    old = "[reference(resourceId('Microsoft.Storage/storageAccounts', 'd'), '2022-05-01').primaryEndpoints]"
    new = old.replace("2022-05-01", "2024-01-01")
    for value, fails in ((old, True), (new, False)):
        data = {"$schema": SCHEMA, "outputs": {"o": {"type": "string", "value": value}}}
        assert bool(list(deployment.api_versions_in_references(_ctx(data), table=TABLE, today=TODAY))) is fails


def test_vendored_api_version_data_has_a_date_and_source() -> None:
    from sentinel_pack.armttk.context import api_versions

    snapshot, table = api_versions()
    assert date.fromisoformat(snapshot) and table["microsoft.resources/deployments"]


# -- the AWS EKS build --------------------------------------------------------------------------

def test_the_aws_eks_build_passes_every_arm_ttk_rule(built_eks: Path) -> None:
    from sentinel_pack.validate.target import load_target

    assert check(load_target(built_eks), selected(["SP6"])) == []


# -- the real corpus: only its known defects ----------------------------------------------------

#: SP6xx findings on the published packages: D7 blanks (`kind`, `functionParameters`), D8
#: hand-built endpoint ids, and two defects arm-ttk cannot see:
#: OneTrust's `[[parameters('auth').appId]]` (a stray `]`) and Bitwarden's array-valued table
#: resource (its `apiVersion` is a list), both packager bugs (see corpus/README.md).
CORPUS_FINDINGS = {
    "AWS_AccessLogs": {"SP607": 1},  # its CsvDelimiter " " is a space-separated format, not a blank
    "BigID": {"SP606": 2, "SP607": 1},
    "Bitwarden": {"SP606": 2, "SP607": 1, "SP612": 1},
    "GoogleCloudPlatformResourceManager": {"SP606": 1, "SP607": 1},
    "Miro": {"SP606": 3, "SP607": 2},
    "OneTrust": {"SP606": 1, "SP607": 1, "SP608": 2},
}


@pytest.mark.parametrize("name", sorted(CORPUS_FINDINGS))
def test_published_corpus_packages_show_only_their_known_defects(name: str, reference_root: Path) -> None:
    from collections import Counter

    from sentinel_pack.validate.target import load_target

    findings = check(load_target(reference_root / "corpus" / name), selected(["SP6"]))
    assert dict(Counter(f.rule for f in findings)) == CORPUS_FINDINGS[name], [f.render() for f in findings]


def test_a_whitespace_delimiter_is_a_value_but_an_empty_one_is_blank() -> None:
    poller = {"type": "Microsoft.SecurityInsights/dataConnectors", "apiVersion": "2023-02-01-preview",
              "properties": {"dataFormat": {"CsvDelimiter": " "}, "response": {"csvDelimiter": "\t"}}}
    main = {"$schema": SCHEMA, "resources": [poller]}
    assert list(ids.no_blanks(_ctx(main))) == []
    poller["properties"]["dataFormat"]["CsvDelimiter"] = ""
    assert [p for p, *_ in ids.no_blanks(_ctx(main))] == ["resources[0].properties.dataFormat.CsvDelimiter"]


def test_resource_group_location_as_a_nested_default_is_reported() -> None:
    inner = _inner()
    inner["parameters"]["location"] = {"type": "string", "defaultValue": "[[resourceGroup().location]"}
    found = list(deployment.location_not_hardcoded(_ctx(_content_template(inner))))
    assert [p for p, *_ in found] == ["resources[0].properties.mainTemplate.parameters.location.defaultValue"]
    main = {"$schema": SCHEMA, "parameters": {"location": {"type": "string",
                                                            "defaultValue": "[resourceGroup().location]"}}}
    assert list(deployment.location_not_hardcoded(_ctx(main))) == []


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="[]()'.,- abcPRV01\t\n", max_size=40))
def test_the_parser_never_crashes(body: str) -> None:
    result = parse_string(f"[{body}]")
    assert result is None or isinstance(result, (Call, Member, Index, Literal, ExprError))
    if isinstance(result, ExprError):
        assert 1 <= result.column <= len(body) + 2


@pytest.mark.parametrize("text", ["[0[0]", "[f()[1]", "[parameters('x').b[0]"])
def test_an_index_that_takes_the_closing_bracket_is_an_unclosed_expression(text: str) -> None:
    result = parse_string(text)
    assert isinstance(result, ExprError) and result.column == len(text)
    assert "expected ']'" in str(result)


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    result = parse_string("[" + "f(" * 5000 + ")" * 5000 + "]")
    assert isinstance(result, ExprError) and "nested too deeply" in result.message


def test_expressions_over_arm_length_limit_are_errors() -> None:
    long = "[concat('" + "x" * 24600 + "')]"
    assert "over ARM's limit" in parse_string(long).message
    assert isinstance(parse_string("[concat('" + "x" * 24000 + "')]"), Call)


def test_refresh_script_reads_az_and_arm_ttk_formats(tmp_path: Path) -> None:
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "scripts/refresh_apiversions.py"
    spec = importlib.util.spec_from_file_location("refresh_apiversions", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    az = [{"namespace": "Microsoft.Insights", "resourceTypes": [
        {"resourceType": "dataCollectionRules", "apiVersions": ["2022-06-01", "2024-03-11"]}]}]
    ttk = {"Microsoft.Insights/dataCollectionRules": [{"apiVersions": ["2022-06-01", "2024-03-11"]}]}
    expected = {"Microsoft.Insights/dataCollectionRules": ["2024-03-11", "2022-06-01"]}
    assert module.versions_by_type(az) == module.versions_by_type(ttk) == expected


@pytest.mark.parametrize(("value", "fails"), [
    ("not-an-id", True),
    ("[[resourceId('Microsoft.Insights/dataCollectionRules', 'x')]", False),
    ("[[concat('/subscriptions/', subscription().subscriptionId)]", True),
])
def test_content_template_variables_are_checked_like_arm_ttk(value: str, fails: bool) -> None:
    inner = _inner()
    inner["variables"]["dcrResourceId"] = value
    assert bool(list(ids.ids_from_resource_ids(_ctx(_content_template(inner))))) is fails


def test_a_reference_outside_an_expression_is_reported_even_when_used_elsewhere() -> None:
    data = {"$schema": SCHEMA, "parameters": {"p": {"type": "string"}},
            "variables": {"v": "[parameters('p')]", "note": "parameters('p')", "logic": "@parameters('p')"},
            "outputs": {"o": {"type": "string", "value": "[concat(variables('v'), variables('note'), variables('logic'))]"}}}
    assert [p for p, *_ in deployment.parameters_referenced(_ctx(data))] == ["variables.note"]


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from(
        ["", "[concat('a')]", "[[parameters('p')]", "[bad(", "x", "Microsoft.Resources/deployments",
         "securestring", "[resourceGroup().location]", "2020-01-01", "inner"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(
        ["type", "name", "apiVersion", "properties", "resources", "parameters", "variables", "outputs",
         "template", "mainTemplate", "expressionEvaluationOptions", "scope", "location", "id", "value",
         "defaultValue", "dependsOn", "copy", "functions", "members", "uri", "debugSetting", "detailLevel",
         "basics", "steps", "elements", "constraints", "allowedValues", "regex", "options", "outputs"]),
        children, max_size=4),
    max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(_JSON, _JSON)
def test_no_check_crashes_on_odd_templates(template, ui_value) -> None:
    _run_every_check(template if isinstance(template, dict) else {"resources": template}, ui_value)


_RESOURCE = st.fixed_dictionaries({
    "type": st.sampled_from(["Microsoft.Resources/deployments",
                             "Microsoft.OperationalInsights/workspaces/providers/contentTemplates",
                             "Microsoft.Web/sites/config", "Microsoft.Insights/workbooks"]),
    "apiVersion": _JSON, "name": _JSON, "location": _JSON, "dependsOn": _JSON,
    "properties": st.fixed_dictionaries({"expressionEvaluationOptions": _JSON, "parameters": _JSON,
                                         "debugSetting": _JSON},
                                        optional={"template": _JSON, "mainTemplate": _JSON}),
})


@settings(max_examples=300, deadline=None)
@given(st.lists(_RESOURCE, max_size=3), _JSON, _JSON)
def test_no_check_crashes_on_odd_nested_templates(resources, parameters, outputs) -> None:
    _run_every_check({"parameters": parameters, "outputs": outputs, "resources": resources}, None)


def _run_every_check(data, ui_value) -> None:
    from sentinel_pack.armttk import ui as ui_checks

    ctx = Context(Template(data))
    for check_ in (v for v in vars(deployment).values() if callable(v) and getattr(v, "__module__", "") ==
                   deployment.__name__ and v.__name__[0] != "_" and v.__code__.co_argcount == 1
                   and v.__code__.co_varnames[0] == "ctx"):
        list(check_(ctx))
    list(ids.ids_from_resource_ids(ctx))
    list(ids.no_blanks(ctx))
    for check_ in (v for k, v in vars(ui_checks).items() if callable(v) and getattr(v, "__module__", "") ==
                   ui_checks.__name__ and k[0] != "_" and v.__code__.co_varnames[:2] == ("ui", "template")):
        list(check_(ui_value, data))


def test_a_template_that_is_not_an_object_is_a_finding() -> None:
    (finding,) = check(Target("t", {"Package/mainTemplate.json": b"[1, 2]"}), selected(["SP608"]))
    assert "JSON list, not an object" in finding.message
