"""The other connector kinds: RestApiPoller (API key, Basic, OAuth2) and built-in tables.

The fixtures under tests/fixtures/ are solution folders in the upstream layout, produced by
building tests/fixtures/manifests/*.yaml; "Northwind Alerts" was then edited by hand to carry
real-world irregularities (a ``{{apiKey}}`` placeholder instead of ``[[parameters('apiKey')]``,
PascalCase poller keys, CRLF line ends) that its package does not show.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sentinel_pack.cli import app
from sentinel_pack.importer.compare import equivalent
from sentinel_pack.importer.run import import_solution
from sentinel_pack.manifest.yamlsource import load_yaml
from sentinel_pack.package.build import build

runner = CliRunner()
FIXTURES = Path(__file__).resolve().parent / "fixtures"
MANIFESTS = FIXTURES / "manifests"
FOLDERS = {"s3_builtin": "Contoso CloudTrail", "restapi_oauth": "Fabrikam Audit", "restapi_apikey": "Northwind Alerts"}


def _load(path: Path):
    return json.loads(path.read_text(encoding="utf-8-sig"))


def _connections(main: dict) -> dict:
    """The inner template Sentinel deploys when the user clicks Connect."""
    return next(r for r in main["resources"] if r.get("properties", {}).get("contentKind") == "ResourcesDataConnector"
                )["properties"]["mainTemplate"]


def _definition_template(main: dict) -> dict:
    return next(r for r in main["resources"] if r.get("properties", {}).get("contentKind") == "DataConnector"
                )["properties"]["mainTemplate"]


def _output(result) -> str:
    return " ".join(result.output.split())


@pytest.fixture
def upstream(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    dest = tmp_path / FOLDERS[request.param]
    shutil.copytree(FIXTURES / FOLDERS[request.param], dest)
    return dest


def _manifest_copy(tmp_path: Path, name: str, *edits: tuple[str, str]) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    text = (MANIFESTS / f"{name}.yaml").read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, f"test setup: {old!r} not in {name}.yaml"
        text = text.replace(old, new, 1)
    (folder / "solution.yaml").write_text(text, encoding="utf-8")
    return folder


# --- import then build reproduces each fixture's package ------------------------------------

@pytest.mark.parametrize("upstream", list(FOLDERS), indirect=True)
def test_import_then_build_reproduces_the_package(upstream: Path, tmp_path: Path) -> None:
    imported, differences, _ = import_solution(upstream, tmp_path / "manifest")
    assert differences == []
    assert imported.notes == []
    build(tmp_path / "manifest", tmp_path / "rebuilt")
    for name in ("mainTemplate.json", "createUiDefinition.json"):
        assert equivalent(_load(tmp_path / "rebuilt/Package" / name)) == equivalent(_load(upstream / "Package" / name))


@pytest.mark.parametrize("upstream", list(FOLDERS), indirect=True)
def test_import_recovers_the_poller_table_and_streams(upstream: Path, tmp_path: Path) -> None:
    source = next(k for k, v in FOLDERS.items() if v == upstream.name)
    written = load_yaml(MANIFESTS / f"{source}.yaml").data
    import_solution(upstream, tmp_path / "m")
    imported = load_yaml(tmp_path / "m/solution.yaml").data
    if written["poller"]["kind"] == "RestApiPoller":
        assert imported["poller"]["auth"] == written["poller"]["auth"]
        assert imported["poller"]["request"] == written["poller"]["request"]
        assert imported["poller"]["paging"] == written["poller"]["paging"]
    assert imported["table"]["name"] == written["table"]["name"]
    assert imported["table"].get("builtin", False) == written["table"].get("builtin", False)
    for key in ("input_stream", "input_columns"):
        assert imported["dcr"].get(key) == written["dcr"].get(key)


# --- what each kind puts in the package -------------------------------------------------------

def test_builtin_table_has_no_table_file_or_resource_and_writes_to_microsoft_stream() -> None:
    folder = FIXTURES / FOLDERS["s3_builtin"]
    assert not list((folder / "Data Connectors").glob("*_Table.json"))
    main = _load(folder / "Package/mainTemplate.json")
    types = [r["type"] for r in _definition_template(main)["resources"]]
    assert not any(t.endswith("/tables") for t in types)
    dcr = next(r for r in _definition_template(main)["resources"] if r["type"].endswith("dataCollectionRules"))
    flow = dcr["properties"]["dataFlows"][0]
    assert flow == {**flow, "streams": ["Custom-ContosoCloudTrailStream"], "outputStream": "Microsoft-AWSCloudTrail"}
    declared = dcr["properties"]["streamDeclarations"]["Custom-ContosoCloudTrailStream"]["columns"]
    assert [c["name"] for c in declared] == ["eventTime", "eventName", "eventSource", "awsRegion", "recipientAccountId"]
    poller = _connections(main)["resources"][1]["properties"]
    assert poller["dataType"] == "AWSCloudTrail"
    assert poller["dcrConfig"]["streamName"] == "Custom-ContosoCloudTrailStream"


def test_oauth2_client_credentials_secrets_are_connect_time_parameters() -> None:
    main = _load(FIXTURES / FOLDERS["restapi_oauth"] / "Package/mainTemplate.json")
    inner = _connections(main)
    for name in ("clientId", "clientSecret"):
        assert inner["parameters"][name] == {"defaultValue": name, "type": "securestring", "minLength": 1}
    poller = inner["resources"][1]
    assert poller["kind"] == "RestApiPoller"
    auth = poller["properties"]["auth"]
    assert auth["clientId"] == "[[parameters('clientId')]"
    assert auth["clientSecret"] == "[[parameters('clientSecret')]"
    assert auth["grantType"] == "client_credentials"
    assert poller["properties"]["paging"]["pagingType"] == "NextPageToken"
    assert poller["properties"]["paging"]["hasNextFlagJsonPath"] == "$.meta.has_more"


def test_oauth2_authorization_code_uses_the_oauth_form(tmp_path: Path) -> None:
    folder = _manifest_copy(
        tmp_path, "restapi_oauth",
        ("        - {type: Textbox, name: clientId, label: Client ID, placeholder: Client ID}\n"
         "        - {type: Textbox, name: clientSecret, label: Client secret, placeholder: Client secret, "
         "input_type: password}\n        - {type: ConnectionToggleButton}\n",
         "        - {type: OAuthForm, client_id_label: Application ID}\n"),
        ("    grant_type: client_credentials\n    client_id_from: clientId\n    client_secret_from: clientSecret\n",
         "    grant_type: authorization_code\n    authorization_endpoint: https://login.fabrikam.example/authorize\n"))
    build(folder, tmp_path / "out")
    main = _load(tmp_path / "out/Package/mainTemplate.json")
    inner = _connections(main)
    for name in ("ClientId", "ClientSecret", "AuthorizationCode"):
        assert inner["parameters"][name] == {"defaultValue": "-NA-", "type": "securestring", "minLength": 1}
    auth = inner["resources"][1]["properties"]["auth"]
    assert auth["authorizationCode"] == "[[parameters('AuthorizationCode')]"
    assert auth["clientId"] == "[[parameters('ClientId')]"
    assert auth["redirectUri"] == "https://portal.azure.com/TokenAuthorize/ExtensionName/Microsoft_Azure_Security_Insights"
    ui = _load(tmp_path / "out/Data Connectors/FabrikamAudit_ConnectorDefinition.json")["properties"]["connectorUiConfig"]
    assert ui["instructionSteps"][0]["instructions"][1] == {"type": "OAuthForm", "parameters": {
        "clientIdLabel": "Application ID", "clientSecretLabel": "Client Secret",
        "connectButtonLabel": "Connect", "disconnectButtonLabel": "Disconnect"}}
    # and back: the import finds the OAuthForm and writes no *_from keys
    imported, differences, _ = import_solution(tmp_path / "out", tmp_path / "m")
    assert differences == []
    assert "client_id_from" not in imported.manifest["poller"]["auth"]
    assert imported.manifest["poller"]["auth"]["grant_type"] == "authorization_code"


def test_basic_auth(tmp_path: Path) -> None:
    folder = _manifest_copy(
        tmp_path, "restapi_apikey",
        ("        - {type: Textbox, name: apiKey, label: API key, input_type: password}\n",
         "        - {type: Textbox, name: user, label: User}\n"
         "        - {type: Textbox, name: secret, label: Password, input_type: password}\n"),
        ("auth: {type: APIKey, api_key_from: apiKey, header: X-Api-Key}",
         "auth: {type: Basic, username_from: user, password_from: secret}"))
    build(folder, tmp_path / "out")
    inner = _connections(_load(tmp_path / "out/Package/mainTemplate.json"))
    assert inner["resources"][1]["properties"]["auth"] == {
        "type": "Basic", "userName": "[[parameters('user')]", "password": "[[parameters('secret')]"}
    assert {"user", "secret"} <= set(inner["parameters"])


def test_irregular_poller_file_is_read() -> None:
    poller = (FIXTURES / FOLDERS["restapi_apikey"] / "Data Connectors/NorthwindAlerts_PollingConfig.json").read_bytes()
    assert b"\r\n" in poller and b'"ApiKey": "{{apiKey}}"' in poller  # the fixture still carries them


# --- broken manifests ------------------------------------------------------------------------

BROKEN = [
    ("restapi_apikey", ("api_key_from: apiKey", "api_key_from: key"),
     "poller.auth.api_key_from: no Textbox instruction is named 'key'", "auth: {type: APIKey"),
    ("restapi_apikey", ("offset_parameter_name: offset", "next_page_token_json_path: $.next"),
     "poller.paging.next_page_token_json_path: unknown key 'next_page_token_json_path'", "paging:"),
    ("restapi_apikey", ("type: Offset", "type: Cursor"), "poller.paging.type: 'Cursor' is not allowed", "paging:"),
    ("restapi_apikey", ("    end_time_attribute_name: to\n", ""),
     "poller.request.start_time_attribute_name: 'start_time_attribute_name' needs 'end_time_attribute_name' as well",
     "start_time_attribute_name"),
    ("restapi_apikey", ("  name: NorthwindAlertsPoller\n", "  name: NorthwindAlertsPoller\n  role_arn_from: apiKey\n"),
     "poller.role_arn_from: unknown key 'role_arn_from'", "role_arn_from"),
    ("restapi_apikey", ("  name: NorthwindAlerts_CL\n", "  name: NorthwindAlerts\n"),
     "table.name: 'NorthwindAlerts' is not a custom table name ending in _CL", "name: NorthwindAlerts\n"),
    ("restapi_oauth", ("    grant_type: client_credentials\n    client_id_from: clientId\n    client_secret_from: clientSecret\n",
                       "    grant_type: authorization_code\n    authorization_endpoint: https://login.fabrikam.example/a\n"),
     "this OAuth2 auth takes the client id and secret from an OAuthForm instruction, and the connector has none",
     "    type: OAuth2"),
    ("restapi_oauth", ("    grant_type: client_credentials\n", "    grant_type: authorization_code\n"
                       "    authorization_endpoint: https://login.fabrikam.example/a\n"),
     "poller.auth.client_id_from: 'client_id_from' does not apply to the authorization code grant", "client_id_from"),
    ("s3_builtin", ("  builtin: true\n", "  builtin: true\n  columns: [{name: TimeGenerated, type: datetime}]\n"),
     "table.columns: a built-in table takes no 'columns'", "  columns: [{name: TimeGenerated"),
    ("s3_builtin", ("  name: AWSCloudTrail\n", "  name: AWSCloudTrail_CL\n"),
     "table.name: 'AWSCloudTrail_CL' is not a built-in table name", "AWSCloudTrail_CL"),
    ("s3_builtin", ("    - {type: ConnectionToggleButton}\n", "    - {type: OAuthForm}\n"),
     "an OAuthForm instruction needs an OAuth2 poller", "{type: OAuthForm}"),
]


@pytest.mark.parametrize(("name", "edit", "message", "line_of"), BROKEN, ids=[b[2][:40] for b in BROKEN])
def test_broken_manifest_is_a_clear_error(tmp_path: Path, name: str, edit: tuple[str, str], message: str,
                                          line_of: str) -> None:
    folder = _manifest_copy(tmp_path, name, edit)
    result = runner.invoke(app, ["build", str(folder), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    assert message in _output(result)
    text = (folder / "solution.yaml").read_text()
    line = text[: text.index(line_of)].count("\n") + 1
    assert f"solution.yaml:{line}:" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_builtin_table_needs_dcr_input_columns(tmp_path: Path) -> None:
    text = (MANIFESTS / "s3_builtin.yaml").read_text()
    start, end = text.index("  input_columns:\n"), text.index("  transform:")
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "solution.yaml").write_text(text[:start] + text[end:])
    result = runner.invoke(app, ["build", str(folder)])
    assert result.exit_code == 1
    assert "dcr: a DCR writing to a built-in table needs 'input_columns'" in _output(result)


# --- broken upstream folders -----------------------------------------------------------------

def _edit_json(path: Path, change) -> None:
    doc = _load(path)
    change(doc)
    path.write_text(json.dumps(doc, indent=2))


@pytest.mark.parametrize("upstream", ["restapi_apikey"], indirect=True)
@pytest.mark.parametrize(("change", "kept"), [
    (lambda d: d["properties"]["auth"].update(type="JwtToken", UserToken="{{apiKey}}"),
     ("auth", {"type": "JwtToken", "ApiKey": "{{apiKey}}", "apiKeyName": "X-Api-Key", "UserToken": "{{apiKey}}"})),
    (lambda d: d["properties"].update(addOnAttributes={"x": "y"}), ("addOnAttributes", {"x": "y"})),
    (lambda d: d["properties"]["paging"].update(stopOnEmpty=True),
     ("paging", {"pagingType": "Offset", "PageSize": 100, "pageSizeParameterName": "limit",
                 "OffsetParaName": "offset", "stopOnEmpty": True})),
], ids=["auth-type", "poller-field", "paging-field"])
def test_ccf_fields_are_kept_verbatim(upstream: Path, tmp_path: Path, change, kept) -> None:
    """What sentinel-pack's own keys cannot say stays in CCF's shape, and builds back the same."""
    _edit_json(upstream / "Data Connectors/NorthwindAlerts_PollingConfig.json", change)
    imported, differences, _ = import_solution(upstream, tmp_path / "m")
    key, value = kept
    assert imported.manifest["poller"][key] == value
    poller = _load(upstream / "Data Connectors/NorthwindAlerts_PollingConfig.json")
    build(tmp_path / "m", tmp_path / "b", validate=False)
    assert _load(tmp_path / "b/Data Connectors/NorthwindAlerts_PollingConfig.json")["properties"][key] == value
    assert [d.path for d in differences if key.lower() not in d.path.lower()] == []
    assert poller["properties"][key] == value


@pytest.mark.parametrize("upstream", ["restapi_apikey"], indirect=True)
def test_a_placeholder_no_text_box_collects_becomes_a_parameter(upstream: Path, tmp_path: Path) -> None:
    _edit_json(upstream / "Data Connectors/NorthwindAlerts_PollingConfig.json",
               lambda d: d["properties"]["auth"].update(ApiKey="{{token}}"))
    import_solution(upstream, tmp_path / "m")
    build(tmp_path / "m", tmp_path / "b", validate=False)
    main = _load(tmp_path / "b/Package/mainTemplate.json")
    connections = next(r for r in main["resources"] if r["properties"].get("contentKind") == "ResourcesDataConnector")
    inner = connections["properties"]["mainTemplate"]
    assert inner["parameters"]["token"] == {"defaultValue": "Enter token value", "type": "securestring", "minLength": 1}
    assert inner["resources"][1]["properties"]["auth"]["ApiKey"] == "[[parameters('token')]"


@pytest.mark.parametrize("upstream", ["restapi_apikey"], indirect=True)
def test_broken_upstream_poller_is_a_clear_error(upstream: Path, tmp_path: Path) -> None:
    _edit_json(upstream / "Data Connectors/NorthwindAlerts_PollingConfig.json",
               lambda d: d["properties"].pop("auth"))
    result = runner.invoke(app, ["import", str(upstream), "--out", str(tmp_path / "m")])
    assert result.exit_code == 1, result.output
    assert "poller: missing required key 'auth'" in _output(result)
    assert "sentinel-pack-import-" not in result.output  # never the scratch folder's path
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("upstream", ["restapi_apikey"], indirect=True)
def test_custom_output_table_without_table_file(upstream: Path, tmp_path: Path) -> None:
    (upstream / "Data Connectors/NorthwindAlerts_Table.json").unlink()
    imported, differences, _ = import_solution(upstream, tmp_path / "m")
    assert any("no table file defines NorthwindAlerts_CL; took its schema from the published package" in n
               for n in imported.notes)
    assert differences == []
    main = _load(upstream / "Package/mainTemplate.json")
    main["resources"][0]["properties"]["mainTemplate"]["resources"].pop(3)  # the package lacks it too
    (upstream / "Package/mainTemplate.json").write_text(json.dumps(main))
    result = runner.invoke(app, ["import", str(upstream), "--out", str(tmp_path / "n")])
    assert result.exit_code == 1
    assert "no table file defines 'NorthwindAlerts_CL', an output table of the DCR" in _output(result)


# --- init --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "expected"), [
    ("rest-api", ["kind: RestApiPoller", "https://api.example.com/v1/events", "input_type: password"]),
    ("aws-s3", ["kind: AmazonWebServicesS3", 'role_name: "OIDC_ContosoEventsRole"', "cloudformation: oidc"]),
])
def test_init_scaffold_builds(tmp_path: Path, kind: str, expected: list[str]) -> None:
    target = tmp_path / "Contoso Events"
    result = runner.invoke(app, ["init", "Contoso Events", "--kind", kind, "--dir", str(target)])
    assert result.exit_code == 0, result.output
    text = (target / "solution.yaml").read_text()
    assert all(item in text for item in expected)
    assert 'name: "ContosoEvents_CL"' in text
    assert text.count("\n# ---") >= 5  # every section is introduced by a comment
    built = runner.invoke(app, ["build", str(target), "--quiet"])
    assert built.exit_code == 0, built.output
    assert (target / "Package/1.0.0.zip").is_file()
    # and the built folder imports back to the same package
    _, differences, _ = import_solution(target, tmp_path / "reimported")
    assert differences == []


def test_init_refuses_an_existing_manifest(tmp_path: Path) -> None:
    target = tmp_path / "s"
    assert runner.invoke(app, ["init", "Contoso", "--dir", str(target)]).exit_code == 0
    before = (target / "solution.yaml").read_bytes()
    again = runner.invoke(app, ["init", "Contoso", "--kind", "aws-s3", "--dir", str(target)])
    assert again.exit_code == 1
    assert "solution.yaml already exists" in again.output
    assert (target / "solution.yaml").read_bytes() == before


@pytest.mark.parametrize(("args", "message"), [
    (["init", "9 Lives"], "'9 Lives' is not a usable solution name"),
    (["init", "a/b"], "'a/b' is not a usable solution name"),
    (["init", "Contoso", "--kind", "gcp"], "'gcp' is not one of 'aws-s3', 'rest-api'"),
])
def test_init_bad_input(tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, [*args, "--dir", str(tmp_path / "x")])
    assert result.exit_code == 2  # a bad argument is a usage error, as click reports one (issue 15)
    assert message in _output(result)
    assert not (tmp_path / "x").exists()


# --- analytic rules ---------------------------------------------------------------------------

def test_import_carries_the_analytic_rules_the_data_file_lists(tmp_path: Path) -> None:
    source = FIXTURES / FOLDERS["s3_builtin"]
    rule = source / "Analytic rules/ContosoRootConsoleLogin.yaml"  # the Data file says "Analytic Rules/"
    imported, differences, _ = import_solution(source, tmp_path / "m")
    assert differences == [] and imported.notes == []
    assert imported.manifest["analytic_rules"] == ["Analytic rules/ContosoRootConsoleLogin.yaml"]
    assert (tmp_path / "m/Analytic rules/ContosoRootConsoleLogin.yaml").read_bytes() == rule.read_bytes()
    build(tmp_path / "m", tmp_path / "out")
    main = _load(tmp_path / "out/Package/mainTemplate.json")
    kinds = [r["properties"].get("contentKind") for r in main["resources"] if r["type"].endswith("contentTemplates")]
    assert kinds.count("AnalyticsRule") == 1


def test_a_listed_rule_missing_from_the_folder_is_a_note(upstream_copy: Path, tmp_path: Path) -> None:
    shutil.rmtree(upstream_copy / "Analytic rules")
    imported, differences, _ = import_solution(upstream_copy, tmp_path / "m")
    assert "Analytic Rules: 'Analytic Rules/ContosoRootConsoleLogin.yaml' is listed in the Data file but not " \
           "in the folder" in imported.notes
    assert "analytic_rules" not in imported.manifest
    assert any(d.artefact == "mainTemplate.json" and d.origin == "sentinel-pack" for d in differences)


@pytest.fixture
def upstream_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "Contoso CloudTrail"
    shutil.copytree(FIXTURES / FOLDERS["s3_builtin"], dest)
    return dest
