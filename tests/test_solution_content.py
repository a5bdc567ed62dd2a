"""Workbooks, parsers, playbooks, watchlists and summary rules: packaged as the official packager does.

Two goldens: Bitwarden's published package (3 workbooks, 1 parser) rebuilt from Bitwarden's own
source files with a hand-written manifest section, and the Woodgrove fixture (one playbook, one
watchlist, one summary rule) against the resources the packager's PowerShell builds
(Tools/Create-Azure-Sentinel-Solution/common/commonFunctions.ps1 and summaryRules.ps1).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from sentinel_pack.errors import SentinelPackError
from sentinel_pack.manifest.load import load_manifest
from sentinel_pack.package.build import build, render_solution

FIXTURES = Path(__file__).parent / "fixtures"
WOODGROVE = FIXTURES / "Woodgrove Response"
DEPENDS = ("[extensionResourceId(resourceId('Microsoft.OperationalInsights/workspaces', parameters('workspace')), "
           "'Microsoft.SecurityInsights/contentPackages', variables('_solutionId'))]")
PACKAGE_PROPERTIES = {"packageKind": "Solution", "packageVersion": "[variables('_solutionVersion')]",
                      "packageName": "[variables('_solutionName')]", "packageId": "[variables('_solutionId')]",
                      "contentSchemaVersion": "3.0.0"}
WORKBOOKS = {"BitwardenEventLogsOrganization": "Organizations", "BitwardenEventLogsAuthentication": "Authentication",
             "BitwardenEventLogsVaultItems": "Vault Items"}


# --- Bitwarden: workbooks and parser against the published package -----------------------------

def bitwarden_source(dest: Path, reference_root: Path) -> Path:
    """A manifest with Bitwarden's identity, its Workbooks/ and Parsers/ files and a hand-written
    content section; the connector is another fixture's (the connector import is issue 10's)."""
    corpus = reference_root / "corpus" / "Bitwarden"
    data = yaml.safe_load((FIXTURES / "manifests" / "restapi_oauth.yaml").read_text(encoding="utf-8"))
    data["solution"].update(
        name="Bitwarden", version="3.0.1", publisher_id="bitwarden",
        offer_id="azure-sentinel-solution-bitwarden-event-logs", author={"name": "mzieniuk@bitwarden.com"},
        support={"name": "Bitwarden Inc", "email": "support@bitwarden.com", "tier": "Partner",
                 "link": "https://bitwarden.com"})
    data["release_notes"] = [{"version": "3.0.1", "date": "2024-10-02", "changes": ["Workbooks and parser."]}]
    for folder in ("Workbooks", "Parsers"):
        shutil.copytree(corpus / folder, dest / folder)
    # What Bitwarden's WorkbooksMetadata.json entries say, typo in the first data type included.
    data["workbooks"] = [{
        "file": f"Workbooks/{key}.json",
        "description": f"This workbook provides insights on Bitwarden {label} Event Logs.",
        "version": "1.0.0",
        "data_types": ["BitwardenEventLog_CL", "BitwardenGroups_CL", "BitwardenMembers_CL"],
        "data_connectors": ["BitwardenEventLogs"],
    } for key, label in WORKBOOKS.items()]
    data["parsers"] = ["Parsers/BitwardenEventLogs.yaml"]
    (dest / "solution.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return dest


@pytest.fixture(scope="module")
def bitwarden(tmp_path_factory, reference_root):
    source = bitwarden_source(tmp_path_factory.mktemp("bitwarden"), reference_root)
    rendered = render_solution(load_manifest(source))
    published = reference_root / "corpus" / "Bitwarden" / "Package"
    return (rendered.documents, json.loads((published / "mainTemplate.json").read_text(encoding="utf-8")),
            json.loads((published / "createUiDefinition.json").read_text(encoding="utf-8")))


def _content(main: dict, kind: str) -> list[dict]:
    return [r for r in main["resources"] if r["properties"].get("contentKind") == kind]


def test_bitwarden_workbook_resources_equal_the_published_ones_field_by_field(bitwarden):
    documents, published, _ = bitwarden
    ours, theirs = _content(documents["Package/mainTemplate.json"], "Workbook"), _content(published, "Workbook")
    assert len(ours) == len(theirs) == 3
    for mine, pub in zip(ours, theirs, strict=True):
        assert mine.keys() == pub.keys()
        for key in ("type", "apiVersion", "name", "location", "dependsOn"):
            assert mine[key] == pub[key], key
        props, pub_props = mine["properties"], pub["properties"]
        assert props.keys() == pub_props.keys()
        for key in props:
            if key != "mainTemplate":
                assert props[key] == pub_props[key], key
        (workbook, metadata), (pub_workbook, pub_metadata) = (props["mainTemplate"]["resources"],
                                                              pub_props["mainTemplate"]["resources"])
        assert {k: v for k, v in props["mainTemplate"].items() if k != "resources"} == \
            {k: v for k, v in pub_props["mainTemplate"].items() if k != "resources"}
        assert workbook == pub_workbook  # serializedData included: compact JSON + "\n"
        # The one difference: the packager interpolates "$dependencies.description" in a string,
        # which writes the whole metadata entry ("@{workbookKey=...}.description"); we write the text.
        assert pub_metadata["properties"]["description"].startswith("@{workbookKey=")
        assert metadata["properties"]["description"] == pub_workbook["metadata"]["description"]
        assert {k: v for k, v in metadata["properties"].items() if k != "description"} == \
            {k: v for k, v in pub_metadata["properties"].items() if k != "description"}
        assert {k: v for k, v in metadata.items() if k != "properties"} == \
            {k: v for k, v in pub_metadata.items() if k != "properties"}


def test_bitwarden_parser_resources_equal_the_published_ones_field_by_field(bitwarden):
    documents, published, _ = bitwarden
    main = documents["Package/mainTemplate.json"]

    def parser_resources(template: dict) -> list[dict]:
        start = next(i for i, r in enumerate(template["resources"]) if r["properties"].get("contentKind") == "Parser")
        return template["resources"][start:start + 3]  # content template, saved search, metadata

    def blank(resource: dict) -> dict:
        """The only difference: functionParameters "" (a blank property, SP606) is the blanks variable."""
        text = json.dumps(resource).replace('"functionParameters": "[variables(\'blanks\')]"',
                                            '"functionParameters": ""')
        return json.loads(text)

    ours, theirs = parser_resources(main), parser_resources(published)
    assert ours[1]["properties"]["functionParameters"] == "[variables('blanks')]"
    for mine, pub in zip(ours, theirs, strict=True):
        assert blank(mine) == pub
    query = ours[1]["properties"]["query"]
    assert query.endswith("| project-away groupId2\n")  # the YAML reader's final newline, as upstream
    assert '\\"0\\":\\"Android\\"' in query  # literal \" escapes kept verbatim
    for key in ("parserObject1",):
        assert main["variables"][key] == published["variables"][key]


def test_bitwarden_variables_parameters_dependencies_and_wizard(bitwarden):
    documents, published, ui = bitwarden
    main = documents["Package/mainTemplate.json"]
    ours = {k: v for k, v in main["variables"].items() if "workbook" in k.lower() or "parser" in k.lower()}
    theirs = {k: v for k, v in published["variables"].items() if "workbook" in k.lower() or "parser" in k.lower()}
    assert ours == theirs
    for n in (1, 2, 3):
        assert main["parameters"][f"workbook{n}-name"] == published["parameters"][f"workbook{n}-name"]
    criteria = main["resources"][-1]["properties"]["dependencies"]["criteria"]
    pub_criteria = published["resources"][-1]["properties"]["dependencies"]["criteria"]
    assert [c for c in criteria if c["kind"] != "DataConnector"] == \
        [c for c in pub_criteria if c["kind"] != "DataConnector"]
    our_ui = documents["Package/createUiDefinition.json"]["parameters"]
    assert [s["name"] for s in our_ui["steps"]] == ["dataconnectors", "workbooks"]  # no parser step upstream
    assert our_ui["steps"][1] == ui["parameters"]["steps"][1]
    assert "**Data Connectors:** 1, **Parsers:** 1, **Workbooks:** 3" in our_ui["config"]["basics"]["description"]


def test_bitwarden_workbook_typo_is_reported(bitwarden, tmp_path, reference_root):
    """The published dependency 'BitwardenEventLog_CL' names no table: SP903 says so (a warning)."""
    from sentinel_pack.validate.runner import check, selected
    from sentinel_pack.validate.target import load_target

    findings = check(load_target(reference_root / "corpus" / "Bitwarden"), selected(select=("SP9",)))
    assert {(f.rule, f.severity) for f in findings} == {("SP903", "warning")}
    assert all("BitwardenEventLog_CL" in f.message and "BitwardenEventLogs_CL" in f.fix for f in findings)


# --- Woodgrove: a playbook, a watchlist and a summary rule ---------------------------------------

@pytest.fixture(scope="module")
def woodgrove(tmp_path_factory):
    out = tmp_path_factory.mktemp("woodgrove")
    build(WOODGROVE, out)
    return out, json.loads((out / "Package/mainTemplate.json").read_text(encoding="utf-8")), \
        json.loads((out / "Package/createUiDefinition.json").read_text(encoding="utf-8"))


def test_woodgrove_builds_and_validates_clean(woodgrove):
    from sentinel_pack.validate.runner import validate_paths

    out, _, _ = woodgrove
    assert validate_paths([out]) == []
    assert validate_paths([WOODGROVE]) == []
    for rel in ("Playbooks/Woodgrove-BlockIP/azuredeploy.json", "Watchlists/WoodgroveCriticalHosts.json",
                "Summary Rules/WoodgroveSignInSummary.yaml"):
        assert (out / rel).read_bytes() == (WOODGROVE / rel).read_bytes()  # shipped as written


def test_watchlist_is_its_resource_renamed_after_a_parameter(woodgrove):
    _, main, ui = woodgrove
    source = json.loads((WOODGROVE / "Watchlists/WoodgroveCriticalHosts.json").read_text(encoding="utf-8"))
    resource = next(r for r in main["resources"] if r["type"].endswith("/Watchlists"))
    # GenerateWatchList: resources[0] as it is, its name replaced
    assert resource == {**source["resources"][0],
                        "name": "[concat(parameters('workspace'),'/Microsoft.SecurityInsights/',"
                                "parameters('watchlist1-id'))]"}
    assert main["parameters"]["watchlist1-id"] == {"type": "string", "defaultValue": "WoodgroveCriticalHosts",
                                                   "minLength": 1,
                                                   "metadata": {"description": "Unique id for the watchlist"}}
    assert main["variables"]["Woodgrove Critical Hosts"] == "Woodgrove Critical Hosts"
    assert main["variables"]["_Woodgrove Critical Hosts"] == "[variables('Woodgrove Critical Hosts')]"
    criteria = main["resources"][-1]["properties"]["dependencies"]["criteria"]
    assert {"kind": "Watchlist", "contentId": "[variables('_Woodgrove Critical Hosts')]", "version": "3.0.0"} \
        in criteria
    step = next(s for s in ui["parameters"]["steps"] if s["name"] == "watchlists")
    assert step["subLabel"] == {"preValidation": "Configure the watchlists", "postValidation": "Done"}
    assert step["elements"][0]["options"]["link"] == {"label": "Learn more", "uri": "https://aka.ms/sentinelwatchlists"}
    assert step["elements"][1] == {
        "name": "watchlist1", "type": "Microsoft.Common.Section", "label": "Woodgrove Critical Hosts",
        "elements": [{"name": "watchlist1-text", "type": "Microsoft.Common.TextBlock",
                      "options": {"text": "Hosts whose sign-ins are always reviewed."}}]}


def test_summary_rule_content_template_is_the_packagers(woodgrove):
    _, main, ui = woodgrove
    rule_id = "7d4f1c8e-2b6a-4e39-9c51-3f0a8d2e6b17"
    obj = "variables('summaryRuleObject1')"
    assert main["variables"]["summaryRuleObject1"] == {
        "summaryRuleName1": "[concat(parameters('workspace'),'/','Woodgrove sign-ins by user and result')]",
        "summaryRuleVersion1": "1.0.0",
        "_summaryRuleContentId1": rule_id,
        "summaryRuleTemplateSpecName1": "[concat(parameters('workspace'),'/Microsoft.SecurityInsights/',"
                                        f"concat(parameters('workspace'),'-sr-',uniquestring('{rule_id}')))]",
    }
    template = next(r for r in main["resources"] if r["properties"].get("contentKind") == "SummaryRule")
    product_id = ("[concat(take(variables('_solutionId'),50),'-','sr','-', uniqueString(concat("
                  f"variables('_solutionId'),'-','SummaryRule','-',{obj}._summaryRuleContentId1,'-', '1.0.0')))]")
    support = {"name": "Woodgrove", "tier": "Partner", "email": "soc@woodgrove.example",
               "link": "https://woodgrove.example/help"}
    summary_type = "Microsoft.OperationalInsights/workspaces/summaryLogs"
    rule_resource_id = f"resourceId('{summary_type}', parameters('workspace'), 'Woodgrove sign-ins by user and result')"
    assert template == {
        "type": "Microsoft.OperationalInsights/workspaces/providers/contentTemplates",
        "apiVersion": "2023-04-01-preview",
        "name": f"[{obj}.summaryRuleTemplateSpecName1]",
        "location": "[parameters('workspace-location')]",
        "dependsOn": [DEPENDS],
        "properties": {
            "description": "Description about Woodgrove sign-ins by user and result - contentTemplate properties",
            "mainTemplate": {
                "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                "contentVersion": f"[{obj}.summaryRuleVersion1]",
                "parameters": {}, "variables": {},
                "resources": [
                    {"type": summary_type, "apiVersion": "2023-01-01-preview",
                     "name": f"[{obj}.summaryRuleName1]", "location": "[parameters('workspace-location')]",
                     "properties": {
                         "displayName": "Woodgrove sign-ins by user and result",
                         "ruleType": "User",
                         # trimmed, the surrounding single quotes dropped
                         "description": "Counts Woodgrove sign-ins per user, source IP and result every hour, so "
                                        "long-term trends stay queryable cheaply.",
                         "ruleDefinition": {
                             "query": "WoodgroveSignIns_CL\n| summarize Count = count() by UserName, SourceIP, "
                                      "Result, bin(TimeGenerated, 1h)\n",
                             "binSize": 60, "destinationTable": "WoodgroveSignInSummary_CL"},
                         "requiredDataConnectors": [{"connectorId": "WoodgroveSignInsCCP",
                                                     "dataTypes": ["WoodgroveSignIns_CL"]}]}},
                    {"type": "Microsoft.OperationalInsights/workspaces/providers/metadata",
                     "apiVersion": "2022-01-01-preview",
                     # the one difference: the packager writes "[[concat(parameters('workspaceName'),...
                     # variables('resourceId')...", names the content template does not declare (SP610)
                     "name": "[concat(parameters('workspace'),'/Microsoft.SecurityInsights/',"
                             f"concat('SummaryRule-', last(split({rule_resource_id},'/'))))]",
                     "properties": {
                         "description": "Description about Woodgrove sign-ins by user and result - metadata",
                         "parentId": f"[{rule_resource_id}]",
                         "contentId": f"[{obj}._summaryRuleContentId1]",
                         "kind": "SummaryRule",
                         "version": f"[{obj}.summaryRuleVersion1]",
                         "source": {"kind": "Solution", "name": "Woodgrove Response",
                                    "sourceId": "[variables('_solutionId')]"},
                         "author": {"name": "Woodgrove"},
                         "support": support,
                         "dependencies": {"operator": "AND", "criteria": [
                             {"contentId": "WoodgroveSignIns_CL", "kind": "DataType"}]}}},
                ],
            },
            **PACKAGE_PROPERTIES,
            "contentId": f"[{obj}._summaryRuleContentId1]",
            "contentKind": "SummaryRule",
            "displayName": "Woodgrove sign-ins by user and result",
            "contentProductId": product_id,
            "id": product_id,
            "version": f"[{obj}.summaryRuleVersion1]",
            "isDeprecated": False,
            "dependencies": {"operator": "AND", "criteria": [{"contentId": f"[{obj}._summaryRuleContentId1]",
                                                              "kind": "SummaryRule"}]},
        },
    }
    criteria = main["resources"][-1]["properties"]["dependencies"]["criteria"]
    # the packager's own spelling of the member ("contentId" lower-case c); ARM reads members case-insensitively
    assert {"kind": "SummaryRule", "contentId": f"[{obj}._summaryRulecontentId1]",
            "version": f"[{obj}.summaryRuleVersion1]"} in criteria
    assert "summaryrules" not in [s["name"] for s in ui["parameters"]["steps"]]  # no wizard step upstream


def test_playbook_content_template_is_the_packagers(woodgrove):
    _, main, ui = woodgrove
    variables = main["variables"]
    assert {k: variables[k] for k in ("Woodgrove-BlockIP", "_Woodgrove-BlockIP", "playbookVersion1",
                                      "playbookContentId1", "_playbookContentId1", "playbookId1",
                                      "playbookTemplateSpecName1", "_playbookcontentProductId1")} == {
        "Woodgrove-BlockIP": "Woodgrove-BlockIP",
        "_Woodgrove-BlockIP": "[variables('Woodgrove-BlockIP')]",
        "playbookVersion1": "1.1",  # the workflow's hidden-SentinelTemplateVersion tag
        "playbookContentId1": "Woodgrove-BlockIP",
        "_playbookContentId1": "[variables('playbookContentId1')]",
        "playbookId1": "[resourceId('Microsoft.Logic/workflows', variables('playbookContentId1'))]",
        "playbookTemplateSpecName1": "[concat(parameters('workspace'),'/Microsoft.SecurityInsights/',"
                                     "concat(parameters('workspace'),'-pl-',uniquestring(variables('_playbookContentId1'))))]",
        "_playbookcontentProductId1": "[concat(take(variables('_solutionId'),50),'-','pl','-', uniqueString(concat("
                                      "variables('_solutionId'),'-','Playbook','-',variables('_playbookContentId1'),"
                                      "'-', variables('playbookVersion1'))))]",
    }
    template = next(r for r in main["resources"] if r["properties"].get("contentKind") == "Playbook")
    assert {k: v for k, v in template.items() if k != "properties"} == {
        "type": "Microsoft.OperationalInsights/workspaces/providers/contentTemplates",
        "apiVersion": "2023-04-01-preview", "name": "[variables('playbookTemplateSpecName1')]",
        "location": "[parameters('workspace-location')]", "dependsOn": [DEPENDS]}
    properties = template["properties"]
    assert {k: v for k, v in properties.items() if k != "mainTemplate"} == {
        "description": "Woodgrove-BlockIP Playbook with template version 3.0.0",
        **PACKAGE_PROPERTIES,
        "contentId": "[variables('_playbookContentId1')]",
        "contentKind": "Playbook",
        "displayName": "Woodgrove-BlockIP",  # the PlaybookName parameter's default
        "contentProductId": "[variables('_playbookcontentProductId1')]",
        "id": "[variables('_playbookcontentProductId1')]",
        "version": "[variables('playbookVersion1')]",
    }
    source = json.loads((WOODGROVE / "Playbooks/Woodgrove-BlockIP/azuredeploy.json").read_text(encoding="utf-8"))
    inner = properties["mainTemplate"]
    assert inner["contentVersion"] == "[variables('playbookVersion1')]"
    assert inner["parameters"] == source["parameters"]  # the playbook's own parameters, untouched
    managed_api = ("[[subscriptionResourceId('Microsoft.Web/locations/managedApis', "
                   "variables('workspace-location-inline'), 'azuresentinel')]")
    assert inner["variables"] == {
        "AzureSentinelConnectionName": "[[concat('azuresentinel-', parameters('PlaybookName'))]",
        "connection-1": managed_api,
        "_connection-1": "[[variables('connection-1')]",
        "workspace-location-inline": "[concat('[resourceGroup().locatio', 'n]')]",
        "workspace-name": "[parameters('workspace')]",
        "workspaceResourceId": "[[resourceId('microsoft.OperationalInsights/Workspaces', variables('workspace-name'))]",
    }
    connection, workflow, metadata = inner["resources"]
    assert connection == {
        "type": "Microsoft.Web/connections", "apiVersion": "2016-06-01",
        "name": "[[variables('AzureSentinelConnectionName')]", "location": "[[variables('workspace-location-inline')]",
        "kind": "V1",
        # customParameterValues {} is removed; the api id moves into the connection-1 variable
        "properties": {"displayName": "[[variables('AzureSentinelConnectionName')]",
                       "parameterValueType": "Alternative", "api": {"id": "[[variables('_connection-1')]"}},
    }
    assert workflow["tags"] == {"hidden-SentinelTemplateName": "Woodgrove-BlockIP",
                                "hidden-SentinelTemplateVersion": "1.1",
                                "hidden-SentinelWorkspaceId": "[[variables('workspaceResourceId')]"}
    definition = workflow["properties"]["definition"]
    assert definition["parameters"] == {"$connections": {"type": "Object"}}  # the empty defaultValue removed
    assert "outputs" not in definition
    block = definition["actions"]["Block_each_IP"]["actions"]["Block_IP"]
    assert "runAfter" not in block and block["inputs"]["uri"] == "[[uri(parameters('FirewallEndpoint'), 'block')]"
    assert workflow["properties"]["parameters"]["$connections"]["value"]["azuresentinel"]["id"] == managed_api
    assert workflow["dependsOn"] == ["[[resourceId('Microsoft.Web/connections', variables('AzureSentinelConnectionName'))]"]
    assert metadata == {
        "type": "Microsoft.OperationalInsights/workspaces/providers/metadata", "apiVersion": "2022-01-01-preview",
        "name": "[concat(parameters('workspace'),'/Microsoft.SecurityInsights/',concat('Playbook-', "
                "last(split(variables('playbookId1'),'/'))))]",
        "properties": {"parentId": "[variables('playbookId1')]", "contentId": "[variables('_playbookContentId1')]",
                       "kind": "Playbook", "version": "[variables('playbookVersion1')]",
                       "source": {"kind": "Solution", "name": "Woodgrove Response",
                                  "sourceId": "[variables('_solutionId')]"},
                       "author": {"name": "Woodgrove"},
                       "support": {"name": "Woodgrove", "tier": "Partner", "email": "soc@woodgrove.example",
                                   "link": "https://woodgrove.example/help"}},
    }
    # metadata without author/support, empty tags and prerequisites dropped, default release notes added
    assert inner["metadata"] == {
        "title": "Woodgrove - Block IP",
        "description": "Blocks the IP addresses of an incident at the Woodgrove firewall.",
        "lastUpdateTime": "2026-03-02T00:00:00.000Z",
        "entities": ["Ip"],
        "releaseNotes": {"version": "1.1", "title": "[variables('blanks')]", "notes": ["Initial version"]},
    }
    criteria = main["resources"][-1]["properties"]["dependencies"]["criteria"]
    assert {"kind": "Playbook", "contentId": "[variables('_Woodgrove-BlockIP')]",
            "version": "[variables('playbookVersion1')]"} in criteria
    steps = ui["parameters"]["steps"]
    assert [s["name"] for s in steps] == ["dataconnectors", "watchlists", "playbooks"]
    assert [e["name"] for e in steps[2]["elements"]] == ["playbooks-text", "playbooks-link"]
    assert "**Data Connectors:** 1, **Watchlists:** 1, **Summary Rules:** 1, **Playbooks:** 1" in \
        ui["parameters"]["config"]["basics"]["description"]


def test_custom_connector_and_function_app_kinds():
    from sentinel_pack.content import playbooks
    from sentinel_pack.content.sources import Source

    solution = {"name": "S", "author_object": {"name": "A"}, "support": {"tier": "Partner"}}
    connector = {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                 "parameters": {"CustomConnectorName": {"defaultValue": "WoodgroveConnector", "type": "string"}},
                 "resources": [{"type": "Microsoft.Web/customApis", "name": "[parameters('CustomConnectorName')]",
                                "apiVersion": "2016-06-01", "properties": {"displayName": "x"}}]}
    user = {"$schema": connector["$schema"],
            "parameters": {"PlaybookName": {"defaultValue": "P"},
                           "CustomConnectorName": {"defaultValue": "WoodgroveConnector"}},
            "resources": [{"type": "Microsoft.Web/connections", "name": "c", "properties": {"api": {
                "id": "[concat('/subscriptions/', subscription().subscriptionId, '/resourceGroups/', "
                      "resourceGroup().name, '/providers/Microsoft.Web/customApis/', "
                      "parameters('CustomConnectorName'))]"}}},
                {"type": "Microsoft.Logic/workflows", "name": "[parameters('PlaybookName')]", "properties": {}}]}
    items = playbooks.package([Source("Playbooks/CustomConnector/azuredeploy.json", b"", connector),
                               Source("Playbooks/Block/incident-trigger/azuredeploy.json", b"", user)],
                              solution, "2026-01-01")
    lc, pl = items
    assert (lc.kind, lc.name, pl.kind, pl.name) == ("LogicAppsCustomConnector", "CustomConnector", "Playbook",
                                                   "Block-incident-trigger")
    lc_metadata = lc.template["resources"][-1]
    assert lc_metadata["name"].startswith("[[concat(variables('workspace-name'),'/Microsoft.SecurityInsights/',"
                                          "concat('LogicAppsCustomConnector-'")
    assert lc.template["variables"]["playbookId1"] == \
        "[[resourceId('Microsoft.Web/customApis', parameters('CustomConnectorName'))]"
    # the playbook using the custom connector depends on it, as the packager's customConnectorsList makes it
    assert pl.template["resources"][-1]["properties"]["dependencies"] == {"criteria": [
        {"kind": "LogicAppsCustomConnector", "contentId": "[variables('_CustomConnector')]",
         "version": "[variables('playbookVersion1')]"}]}


def test_function_parameters_string():
    from sentinel_pack.content.parsers import function_parameters

    assert function_parameters([{"Name": "starttime", "Type": "datetime", "Default": "datetime(null)"},
                                {"Name": "srcipaddr", "Type": "string", "Default": "*"},
                                {"Name": "disabled", "Type": "bool", "Default": False},
                                {"Name": "eventtype", "Type": "string"}]) == \
        "starttime:datetime=datetime(null),srcipaddr:string='*',disabled:bool=False,eventtype:string"


def test_serialized_data_drops_empty_properties():
    from sentinel_pack.content.workbooks import serialized_data

    workbook = {"version": "Notebook/1.0", "items": [{"type": 3, "content": {"query": "T", "crossComponentResources":
                [], "gridSettings": {}, "size": None}, "name": "q"}],
                "fallbackResourceIds": [], "styleSettings": {"x": {}}}
    assert serialized_data(workbook) == '{"version":"Notebook/1.0","items":[{"type":3,"content":{"query":"T"},' \
                                        '"name":"q"}]}\n'


# --- broken content files: file:line errors, in build and in validate ----------------------------

def _broken(tmp_path: Path, rel: str, text: str) -> Path:
    source = tmp_path / "src"
    shutil.copytree(WOODGROVE, source)
    (source / rel).parent.mkdir(parents=True, exist_ok=True)
    (source / rel).write_text(text, encoding="utf-8")
    return source


@pytest.mark.parametrize(("rel", "text", "rule", "expected"), [
    ("Playbooks/Woodgrove-BlockIP/azuredeploy.json", '{\n  "resources": [\n    {"type": }\n  ]\n}',
     "SP906", "Playbooks/Woodgrove-BlockIP/azuredeploy.json:3:"),
    ("Summary Rules/WoodgroveSignInSummary.yaml",
     (WOODGROVE / "Summary Rules/WoodgroveSignInSummary.yaml").read_text().replace("binSize: 60", "binSize: 45"),
     "SP908", "Summary Rules/WoodgroveSignInSummary.yaml:13:"),
    ("Watchlists/WoodgroveCriticalHosts.json",
     (WOODGROVE / "Watchlists/WoodgroveCriticalHosts.json").read_text().replace('"HostName",', '"Host",'),
     "SP907", "Watchlists/WoodgroveCriticalHosts.json:21:"),
])
def test_broken_content_file_names_file_and_line(tmp_path, rel, text, rule, expected):
    from sentinel_pack.validate.runner import check, selected
    from sentinel_pack.validate.target import Target

    source = _broken(tmp_path, rel, text)
    with pytest.raises(SentinelPackError) as error:
        build(source, tmp_path / "out")
    assert expected in error.value.render()
    assert not (tmp_path / "out").exists()  # nothing written
    files = {p.relative_to(source).as_posix(): p.read_bytes() for p in source.rglob("*") if p.is_file()}
    findings = check(Target("t", files), selected(select=(rule,)))
    assert findings and all(f.rule == rule for f in findings)
    file, line = expected[:-1].rsplit(":", 1)
    assert any(f.file == f"t/{file}" and f.line == int(line) for f in findings)


def test_summary_rule_bin_size_message_lists_the_allowed_values(tmp_path):
    text = (WOODGROVE / "Summary Rules/WoodgroveSignInSummary.yaml").read_text().replace("binSize: 60", "binSize: 45")
    with pytest.raises(SentinelPackError) as error:
        build(_broken(tmp_path, "Summary Rules/WoodgroveSignInSummary.yaml", text), tmp_path / "out")
    assert "binSize 45 is not allowed" in error.value.render()
    assert "20, 30, 60, 120, 180, 360, 720, 1440" in error.value.render()


def test_parser_fields_and_types_are_checked(tmp_path, reference_root):
    source = bitwarden_source(tmp_path / "bw", reference_root)
    parser = source / "Parsers/BitwardenEventLogs.yaml"
    text = parser.read_text(encoding="utf-8").replace("FunctionName: BitwardenEventLogs\n", "")
    parser.write_text(text + "\nFunctionParams:\n  - {Name: since, Type: timestamp}\n", encoding="utf-8")
    with pytest.raises(SentinelPackError) as error:
        render_solution(load_manifest(source))
    rendered = error.value.render()
    assert "Parsers/BitwardenEventLogs.yaml:1:1: missing required field 'FunctionName'" in rendered
    assert "'timestamp' is not a KQL type" in rendered
    assert "FunctionParams[0].Type" in rendered


def test_missing_content_file_points_at_the_manifest(tmp_path):
    source = tmp_path / "src"
    shutil.copytree(WOODGROVE, source)
    (source / "Watchlists/WoodgroveCriticalHosts.json").unlink()
    with pytest.raises(SentinelPackError) as error:
        load_manifest(source) and render_solution(load_manifest(source))
    assert "solution.yaml:" in error.value.render()
    assert "watchlists[0]: file 'Watchlists/WoodgroveCriticalHosts.json' does not exist" in error.value.render()


# --- diff and releases ---------------------------------------------------------------------------

def _change_first_query(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    item = next(i for i in data["items"] if i.get("content", {}).get("version") == "KqlItem/1.0")
    item["content"]["query"] = item["content"]["query"] + "\n| where isnotempty(actingUserId)"
    path.write_text(json.dumps(data, indent=4), encoding="utf-8")


def test_diff_reports_the_changed_workbook_query(tmp_path, reference_root):
    from sentinel_pack.diff.run import run_diff

    old = bitwarden_source(tmp_path / "old", reference_root)
    new = bitwarden_source(tmp_path / "new", reference_root)
    _change_first_query(new / "Workbooks/BitwardenEventLogsAuthentication.json")
    result = run_diff(old / "solution.yaml", new / "solution.yaml")
    packaged = next(d for d in result.artefacts
                    if d.name == "Package/mainTemplate.json > contentTemplate BitwardenEventLogsAuthentication")
    paths = [c.display_path for c in packaged.changes]
    assert len(paths) == 1 and paths[0].endswith(".properties.serializedData.items[1].content.query"), paths
    change = packaged.changes[0]
    assert change.path[-3:] == (1, "content", "query")
    assert change.new.endswith("| where isnotempty(actingUserId)") and not change.old.endswith("actingUserId)")
    assert any("workbook 'BitwardenEventLogsAuthentication': it changed but its version stayed 1.0.0" in p
               for p in result.problems)


def _fix_bitwarden_kql(source: Path) -> None:
    """Bitwarden's real KQL defects (SP810, see test_validate_corpus): the parser's JSON-escaped
    quotes in dynamic() and a literal backslash-n in two workbook queries. Fixed, so it builds."""
    from sentinel_pack.content.workbooks import queries

    parser = source / "Parsers/BitwardenEventLogs.yaml"
    parser.write_text(parser.read_text(encoding="utf-8").replace('\\"', '"'), encoding="utf-8")
    for path in sorted((source / "Workbooks").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for where, query in queries(data):
            node = data
            for key in where[:-1]:
                node = node[key]
            node[where[-1]] = query.replace("\\n", "\n")
        path.write_text(json.dumps(data, indent=4), encoding="utf-8")


def test_release_refuses_a_changed_workbook_under_the_same_version(tmp_path, reference_root):
    source = bitwarden_source(tmp_path / "src", reference_root)
    _fix_bitwarden_kql(source)
    out = tmp_path / "out"
    build(source, out)
    _change_first_query(source / "Workbooks/BitwardenEventLogsOrganization.json")
    manifest = source / "solution.yaml"
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    data["solution"]["version"] = "3.0.2"
    data["release_notes"].insert(0, {"version": "3.0.2", "date": "2024-10-03", "changes": ["Query."]})
    manifest.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(SentinelPackError) as error:
        build(source, out)
    assert "SP909" in error.value.render() and "BitwardenEventLogsOrganization" in error.value.render()
    data["workbooks"][0]["version"] = "1.0.1"
    manifest.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    build(source, out)  # a raised workbook version is a proper update


# --- import ----------------------------------------------------------------------------------------

def test_import_reads_bitwarden_content_from_its_data_file_and_package(reference_root, tmp_path):
    """Bitwarden's Data file lists the workbooks and the parser; their metadata comes from the package
    (WorkbooksMetadata.json is repository-wide). The import gives the hand-written manifest section."""
    from sentinel_pack.importer.content import import_content
    from sentinel_pack.importer.manifest_from import Imported

    corpus = reference_root / "corpus" / "Bitwarden"
    data = json.loads((corpus / "Data/Solution_Bitwarden.json").read_text(encoding="utf-8"))
    package = json.loads((corpus / "Package/mainTemplate.json").read_text(encoding="utf-8"))
    imported = Imported(manifest={})
    import_content(corpus, data, imported, package)
    expected = yaml.safe_load((bitwarden_source(tmp_path, reference_root) / "solution.yaml").read_text())
    by_file = {e["file"]: e for e in expected["workbooks"]}
    assert [e["file"] for e in imported.manifest["workbooks"]] == data["Workbooks"]  # Data file order
    assert all(entry == by_file[entry["file"]] for entry in imported.manifest["workbooks"])
    assert imported.manifest["parsers"] == ["Parsers/BitwardenEventLogs.yaml"]
    assert set(imported.files) == {*data["Workbooks"], *data["Parsers"]}
    assert imported.files["Parsers/BitwardenEventLogs.yaml"] == (corpus / "Parsers/BitwardenEventLogs.yaml").read_bytes()


def test_import_explains_every_workbook_and_parser_difference_from_bitwarden(bitwarden):
    from deepdiff import DeepDiff

    from sentinel_pack.importer.known import FIX, classify

    documents, published, _ = bitwarden
    main = documents["Package/mainTemplate.json"]
    ours = [r for r in main["resources"] if r["properties"].get("contentKind") in ("Workbook", "Parser")
            or r["type"].endswith("/savedSearches") or "'Parser-'" in r["name"]]
    theirs = [r for r in published["resources"] if r["properties"].get("contentKind") in ("Workbook", "Parser")
              or r["type"].endswith("/savedSearches") or "'Parser-'" in r["name"]]
    tree = DeepDiff(theirs, ours, view="tree")
    changes = [item for items in tree.values() for item in items]
    assert len(changes) == 5  # three workbook metadata descriptions, two functionParameters
    for item in changes:
        path = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in item.path(output_format="list"))
        assert classify("mainTemplate.json", path, item.t1, item.t2)[0] == FIX, path


def test_import_round_trip_of_a_built_solution_with_every_content_kind(tmp_path):
    from sentinel_pack.importer.run import import_solution

    built = tmp_path / "built"
    build(WOODGROVE, built)
    _, differences, _ = import_solution(built, tmp_path / "imported")
    assert differences == []
    manifest = yaml.safe_load((tmp_path / "imported/solution.yaml").read_text(encoding="utf-8"))
    assert manifest["playbooks"] == ["Playbooks/Woodgrove-BlockIP/azuredeploy.json"]
    assert manifest["watchlists"] == ["Watchlists/WoodgroveCriticalHosts.json"]
    assert manifest["summary_rules"] == ["Summary Rules/WoodgroveSignInSummary.yaml"]
    for rel in manifest["playbooks"] + manifest["watchlists"] + manifest["summary_rules"]:
        assert (tmp_path / "imported" / rel).read_bytes() == (WOODGROVE / rel).read_bytes()


# --- init ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["rest-api", "aws-s3"])
def test_init_writes_one_example_of_each_kind_that_builds_and_validates_clean(tmp_path, kind):
    import re

    from sentinel_pack.scaffold import init_solution
    from sentinel_pack.validate.runner import validate_paths

    folder = tmp_path / "Contoso Events"
    init_solution("Contoso Events", kind, folder)
    examples = ["Workbooks/ContosoEventsOverview.json", "Parsers/ContosoEvents.yaml",
                "Playbooks/ContosoEvents-Comment/azuredeploy.json", "Watchlists/ContosoEventsAssets.json",
                "Summary Rules/ContosoEventsHourlySummary.yaml"]
    assert all((folder / rel).is_file() for rel in examples)
    text = (folder / "solution.yaml").read_text(encoding="utf-8")
    assert "# parsers:" in text and "\nparsers:" not in text  # commented out: the package has none yet
    assert render_solution(load_manifest(folder)).context["parsers"] == []
    start, end = text.index("# workbooks:"), text.index("# --- Release history")
    (folder / "solution.yaml").write_text(text[:start] + re.sub(r"^# ", "", text[start:end], flags=re.M)
                                          + text[end:], encoding="utf-8")
    out = tmp_path / "out"
    rendered, _ = build(folder, out)
    assert [len(rendered.context[k]) for k in ("workbooks", "parsers", "playbooks", "watchlists",
                                               "summary_rules")] == [1, 1, 1, 1, 1]
    # (the aws-s3 scaffold's CloudFormation has cfn-lint warnings of its own, not the examples')
    assert [f for f in validate_paths([out]) if f.severity == "error" or not f.rule.startswith("SP3")] == []


def test_build_is_byte_identical_twice_and_cli_reports_a_broken_parser(tmp_path):
    from typer.testing import CliRunner

    from sentinel_pack.cli import app

    first, second = render_solution(load_manifest(WOODGROVE)), render_solution(load_manifest(WOODGROVE))
    assert first.files == second.files
    source = _broken(tmp_path, "Parsers/Broken.yaml", "id: x\nFunctionName: [\n")
    text = (source / "solution.yaml").read_text(encoding="utf-8")
    (source / "solution.yaml").write_text(text.replace("playbooks:", "parsers:\n  - Parsers/Broken.yaml\nplaybooks:"),
                                          encoding="utf-8")
    result = CliRunner().invoke(app, ["build", str(source), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "Parsers/Broken.yaml:" in result.output and "invalid YAML" in result.output
    assert "Traceback" not in result.output


def test_validate_finds_content_the_data_file_lists_outside_its_folder(tmp_path):
    """The packager takes the Data file's list: a function app template in FunctionApp/ is a playbook."""
    from sentinel_pack.validate.runner import check, selected
    from sentinel_pack.validate.target import Target

    data = {"Name": "X", "Playbooks": ["FunctionApp/azuredeploy.json"], "Parsers": ["Parsers/Old.txt"]}
    files = {"Data/Solution_X.json": json.dumps(data).encode(), "FunctionApp/azuredeploy.json": b'{"resources": []}',
             "Parsers/Old.txt": b"T | take 10"}
    findings = check(Target("t", files), selected(select=("SP9",)))
    assert {(f.rule, f.file) for f in findings} == {("SP906", "t/FunctionApp/azuredeploy.json")}


def test_import_without_a_published_package_notes_the_missing_workbook_metadata(tmp_path):
    from sentinel_pack.importer.content import import_content
    from sentinel_pack.importer.manifest_from import Imported

    (tmp_path / "Workbooks").mkdir()
    (tmp_path / "Workbooks/My(Workbook).json").write_text('{"version": "Notebook/1.0", "items": [{}]}')
    imported = Imported(manifest={})
    import_content(tmp_path, {"Workbooks": ["Workbooks/My(Workbook).json"], "Summary Rules": ["Missing.yaml"],
                              "WorkbookBladeDescription": "Our workbooks."}, imported, None)
    assert imported.manifest["workbooks"] == [{"file": "Workbooks/My(Workbook).json", "description": "My(Workbook)"}]  # "(" after the start: kept
    assert imported.manifest["blade_descriptions"] == {"workbooks": "Our workbooks."}
    assert any("no gallery metadata" in note for note in imported.notes)
    assert any("'Missing.yaml' is listed in the Data file but not in the folder" in note for note in imported.notes)


def test_workbook_and_parser_rules_on_crafted_files(reference_root):
    from sentinel_pack.content.workbooks import queries
    from sentinel_pack.validate.runner import check, selected
    from sentinel_pack.validate.target import Target

    corpus = reference_root / "corpus" / "Bitwarden"
    workbook = json.loads((corpus / "Workbooks/BitwardenEventLogsVaultItems.json").read_text(encoding="utf-8"))
    for path, _ in queries(workbook)[:1]:
        node = workbook
        for key in path[:-1]:
            node = node[key]
        node["query"] = "BitwardenEventLog\n| take 10"  # the parser's function is BitwardenEventLogs
    parser = (corpus / "Parsers/BitwardenEventLogs.yaml").read_bytes().replace(
        b"FunctionAlias: BitwardenEventLogs", b"FunctionAlias: Bitwarden")
    files = {"Workbooks/VaultItems.json": json.dumps(workbook, indent=2).encode(),
             "Workbooks/Arm.json": b'{"$schema": "x", "resources": []}',
             "Parsers/BitwardenEventLogs.yaml": parser}
    findings = check(Target("t", files), selected(select=("SP9",)))
    by_rule = {}
    for finding in findings:
        by_rule.setdefault(finding.rule, []).append(finding)
    assert set(by_rule) == {"SP901", "SP905"}  # the workbook query's unknown table is SP812's (Kusto)
    assert by_rule["SP901"][0].file == "t/Workbooks/Arm.json" and "Notebook/1.0" in by_rule["SP901"][0].message
    assert by_rule["SP905"][0].severity == "warning"


def test_a_plain_kql_parser_is_packaged_as_the_packager_does(tmp_path):
    """``Parsers/X.txt``: the function is named after the file, comment lines are dropped."""
    source = _broken(tmp_path, "Parsers/WoodgroveSignIns.txt",
                     "// Woodgrove sign-ins, normalised\nWoodgroveSignIns_CL\n| extend Ok = Result == 'success'\n")
    text = (source / "solution.yaml").read_text(encoding="utf-8")
    (source / "solution.yaml").write_text(text.replace("playbooks:", "parsers:\n  - Parsers/WoodgroveSignIns.txt\n"
                                                                     "playbooks:"), encoding="utf-8")
    main = render_solution(load_manifest(source)).documents["Package/mainTemplate.json"]
    search = next(r for r in main["resources"] if r["type"] == "Microsoft.OperationalInsights/workspaces/savedSearches")
    assert search["properties"] == {
        "eTag": "*", "displayName": "WoodgroveSignIns", "category": "Samples", "functionAlias": "WoodgroveSignIns",
        "query": "\nWoodgroveSignIns_CL\n| extend Ok = Result == 'success'\n",
        "functionParameters": "[variables('blanks')]", "version": 1,
        "tags": [{"name": "description", "value": "WoodgroveSignIns"}]}
    assert main["variables"]["parserObject1"]["parserContentId1"] == "WoodgroveSignIns-Parser"


def test_bitwarden_imports_with_its_workbooks_and_parser(tmp_path, reference_root):
    """The full round trip: Bitwarden's manifest holds its content, and every wb/pr difference from
    the published package is one of the two deliberate ones."""
    from sentinel_pack.importer.run import import_solution

    _, differences, _ = import_solution(reference_root / "corpus" / "Bitwarden", tmp_path / "imported")
    manifest = yaml.safe_load((tmp_path / "imported/solution.yaml").read_text(encoding="utf-8"))
    expected = yaml.safe_load((bitwarden_source(tmp_path / "hand", reference_root) / "solution.yaml").read_text())
    assert sorted(manifest["workbooks"], key=lambda e: e["file"]) == sorted(expected["workbooks"],
                                                                           key=lambda e: e["file"])
    assert manifest["parsers"] == ["Parsers/BitwardenEventLogs.yaml"]
    assert not [d for d in differences if d.origin == "not-packaged" or d.reason.startswith("unexplained")]
    content = [d for d in differences if d.path.endswith((".functionParameters", ".description"))
               and ("workbookKey" in str(d.original) or d.original == "")]
    assert len(content) == 5 and all(d.origin == "sentinel-pack" for d in content)
