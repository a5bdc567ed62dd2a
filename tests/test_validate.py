"""``validate``: the known upstream defects, a clean build, and single-fault mutations."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sentinel_pack.cli import app
from sentinel_pack.validate.finding import RULES
from sentinel_pack.validate.runner import check, selected, validate_paths
from sentinel_pack.validate.target import load_target

runner = CliRunner()
DEF = "Data Connectors/AWSEKS_ConnectorDefinition.json"
DCR = "Data Connectors/AWSEKS_DCR.json"
TABLE = "Data Connectors/AWSEKS_Table.json"
POLLER = "Data Connectors/AWSEKS_PollingConfig.json"
CFN = "Data Connectors/CloudFormationTemplates/AWS_EKS_Resources_Deployment.json"
OIDC = "Data Connectors/CloudFormationTemplates/OIDC_Web_Identity_Provider.json"
MAIN = "Package/mainTemplate.json"
META = "SolutionMetadata.json"
UI = "Package/createUiDefinition.json"
ROLE = ("Resources", "SentinelWebIdentityBasedRole", "Properties")


def _errors(findings) -> set[str]:
    return {f.rule for f in findings if f.severity == "error"}


def test_the_built_solution_has_no_errors(built_eks: Path, built_full: Path) -> None:
    assert validate_paths([built_full]) == []  # the current release: not even a warning
    # the 3.0.0 build keeps the published stack (docs/rules.md): python3.9 and W3011, fixed in 3.2.0
    findings = validate_paths([built_eks])
    assert _errors(findings) == {"SP308"}
    assert {f.rule for f in findings} == {"SP302", "SP308"}


def test_the_source_folder_validates_clean_and_is_not_stale() -> None:
    from conftest import SOLUTION

    assert _errors(validate_paths([SOLUTION])) == set()


def test_the_published_files_show_their_known_defects(reference_eks: Path) -> None:
    findings = validate_paths([reference_eks])
    by_rule = {f.rule: f for f in findings}
    # SP501: the reference copy omits Package/3.0.0.zip, and a missing zip is never a silent pass
    assert _errors(findings) == {"SP308", "SP407", "SP501", "SP606", "SP607"}
    assert "'QueueName'" in by_rule["SP407"].message
    assert by_rule["SP606"].path == "resources[0].properties.mainTemplate.resources[3].kind"  # D7
    assert by_rule["SP607"].path.endswith(".dataCollectionEndpointId")  # D8
    assert by_rule["SP407"].path == "properties.connectorUiConfig.sampleQueries[2].query"
    assert "SP408" in by_rule  # TimeGenerated = now()


def test_a_package_zip_can_be_validated(built_eks: Path) -> None:
    findings = validate_paths([built_eks / "Package/3.0.0.zip"])
    assert _errors(findings) == {"SP308"}  # the published python3.9, embedded in the connector definition


def _set(doc, path, value):
    for key in path[:-1]:
        doc = doc[key]
    doc[path[-1]] = value


def _json_edit(rel: str, change: Callable[[dict], None]) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        doc = json.loads((root / rel).read_text(encoding="utf-8"))
        change(doc)
        (root / rel).write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return apply


def _trust(change: Callable[[dict], None]) -> Callable[[dict], None]:
    def apply(doc: dict) -> None:
        holder = doc
        for key in ROLE:
            holder = holder[key]
        policy = json.loads(holder["AssumeRolePolicyDocument"]["Fn::Sub"])
        change(policy["Statement"][0])
        holder["AssumeRolePolicyDocument"]["Fn::Sub"] = json.dumps(policy)
    return apply


def _policy_statement(index: int) -> Callable[[dict], dict]:
    return lambda doc: doc["Resources"]["SentinelWebIdentityBasedRole"]["Properties"]["Policies"][0][
        "PolicyDocument"]["Statement"][index]


def _text_edit(rel: str, old: str, new: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        text = (root / rel).read_text(encoding="utf-8")
        assert old in text, f"mutation setup: {old!r} not in {rel}"
        (root / rel).write_text(text.replace(old, new, 1), encoding="utf-8")
    return apply


def _rezip(extra: dict[str, bytes] | None = None, drop: str | None = None) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / "Package/3.0.0.zip"
        with zipfile.ZipFile(path) as archive:
            members = {i.filename: archive.read(i) for i in archive.infolist()}
        members.update(extra or {})
        members.pop(drop, None)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, content in members.items():
                archive.writestr(name, content)
        path.write_bytes(buffer.getvalue())
    return apply


def _columns(doc: dict) -> list:
    return doc["properties"]["streamDeclarations"]["Custom-AWSEKSLogs_CL"]["columns"]


def _embedded(index: int, change: Callable[[dict], None]) -> Callable[[dict], None]:
    """Edit the CloudFormation template embedded as the definition's CopyableLabel ``index``."""
    def apply(doc: dict) -> None:
        label = _ui(doc)["instructionSteps"][0]["instructions"][index]["parameters"]
        template = json.loads(label["value"])
        change(template)
        label["value"] = json.dumps(template, indent=2)
    return apply


def _inner(doc: dict, template: int, resource: int) -> dict:
    return doc["resources"][template]["properties"]["mainTemplate"]["resources"][resource]


def _ui(doc: dict) -> dict:
    return doc["properties"]["connectorUiConfig"]


MUTATIONS: list[tuple[str, Callable[[Path], None], str]] = [
    ("dcr-column-renamed", _json_edit(DCR, lambda d: _set(_columns(d)[2], ["name"], "Regoin")), "SP403"),
    ("dcr-column-renamed-transform", _json_edit(DCR, lambda d: _set(_columns(d)[2], ["name"], "Regoin")), "SP404"),
    ("dcr-column-retyped", _json_edit(DCR, lambda d: _set(_columns(d)[9], ["type"], "string")), "SP403"),
    ("dcr-output-stream", _text_edit(DCR, '"outputStream": "Custom-AWSEKSLogs_CL"', '"outputStream": "Custom-EKS_CL"'), "SP401"),
    ("poller-stream-name", _json_edit(POLLER, lambda d: _set(d, ["properties", "dcrConfig", "streamName"], "Custom-EKS")), "SP402"),
    ("dcr-flow-stream", _text_edit(DCR, '"streams": [\n          "Custom-AWSEKSLogs_CL"', '"streams": [\n          "Custom-Other"'), "SP402"),
    ("poller-destination", _json_edit(POLLER, lambda d: _set(d, ["properties", "destinationTable"], "EKS_CL")), "SP401"),
    ("graph-table-name", _json_edit(DEF, lambda d: _set(_ui(d), ["graphQueriesTableName"], "EKS_CL")), "SP401"),
    ("table-renamed", _json_edit(TABLE, lambda d: _set(d, ["name"], "EKS_CL")), "SP401"),
    ("transform-projects-unknown", _text_edit(DCR, ", RawEvent\"", ", RawEvnt\""), "SP404"),
    ("time-generated-string", _json_edit(TABLE, lambda d: _set(d["properties"]["schema"]["columns"][0], ["type"], "string")), "SP404"),
    ("connector-definition-name", _json_edit(POLLER, lambda d: _set(d, ["properties", "connectorDefinitionName"], "Other")), "SP405"),
    ("sample-query-column", _json_edit(DEF, lambda d: _set(_ui(d)["sampleQueries"][1], ["query"], "{{graphQueriesTableName}} | project QueueName")), "SP407"),
    ("graph-query-column", _json_edit(DEF, lambda d: _set(_ui(d)["graphQueries"][0], ["baseQuery"], "{{graphQueriesTableName}} | where Queue == 1")), "SP407"),
    ("last-data-query-column", _text_edit(DEF, "summarize Time = max(TimeGenerated)", "summarize Time = max(IngestTime)"), "SP407"),
    ("transform-now", _text_edit(DCR, "iif(isnull(TimeGenerated), now(), TimeGenerated)", "now()"), "SP408"),
    ("unresolved-placeholder", _text_edit(MAIN, "\"[variables('dataCollectionEndpointId1')]\"", "\"{{dataCollectionEndpointId}}\""), "SP406"),
    ("wildcard-action", _json_edit(CFN, lambda d: _set(_policy_statement(1)(d), ["Action"], ["sqs:*"])), "SP303"),
    ("wildcard-resource", _json_edit(CFN, lambda d: _set(_policy_statement(0)(d), ["Resource"], "*")), "SP303"),
    ("star-principal", _json_edit(CFN, lambda d: _set(d["Resources"]["S3BucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0], ["Principal"], "*")), "SP303"),
    ("trust-no-audience", _json_edit(CFN, _trust(lambda s: s["Condition"]["StringEquals"].pop(
        "sts.windows.net/33e01921-4d64-4f8c-a055-5bdaffd5e33d/:aud"))), "SP304"),
    ("trust-no-session-name", _json_edit(CFN, _trust(lambda s: s["Condition"]["StringEquals"].pop("sts:RoleSessionName"))), "SP304"),
    ("trust-wrong-action", _json_edit(CFN, _trust(lambda s: s.update(Action="sts:AssumeRole"))), "SP304"),
    ("trust-wrong-issuer", _json_edit(CFN, _trust(lambda s: s["Principal"].update(
        Federated="arn:aws:iam::${AWS::AccountId}:oidc-provider/accounts.google.com"))), "SP304"),
    ("trust-other-tenant", _json_edit(CFN, _trust(lambda s: s["Principal"].update(
        Federated="arn:aws:iam::${AWS::AccountId}:oidc-provider/sts.windows.net/00000000-0000-0000-0000-000000000000/"))),
     "SP304"),
    ("trust-other-audience", _json_edit(CFN, _trust(lambda s: s["Condition"]["StringEquals"].update(
        {"sts.windows.net/33e01921-4d64-4f8c-a055-5bdaffd5e33d/:aud": "api://00000000-0000-0000-0000-000000000000"}))),
     "SP304"),
    ("role-prefix-default", _json_edit(CFN, lambda d: _set(d["Parameters"]["AwsRoleName"], ["Default"], "SentinelRole")), "SP305"),
    ("role-prefix-pattern", _json_edit(CFN, lambda d: _set(d["Parameters"]["AwsRoleName"], ["AllowedPattern"], "[-_a-zA-Z0-9]+")), "SP305"),
    ("role-may-write", _json_edit(CFN, lambda d: _policy_statement(0)(d)["Action"].append("s3:PutObject")), "SP306"),
    ("role-may-send", _json_edit(CFN, lambda d: _policy_statement(1)(d)["Action"].append("sqs:SendMessage")), "SP306"),
    ("no-notification", _json_edit(CFN, lambda d: d["Resources"]["S3Bucket"]["Properties"].pop("NotificationConfiguration")), "SP307"),
    ("queue-policy-any-account", _json_edit(CFN, lambda d: d["Resources"]["SentinelSQSQueuePolicyForS3"]["Properties"][
        "PolicyDocument"]["Statement"][0]["Condition"].pop("StringEquals")), "SP307"),
    ("queue-policy-any-bucket", _json_edit(CFN, lambda d: d["Resources"]["SentinelSQSQueuePolicyForS3"]["Properties"][
        "PolicyDocument"]["Statement"][0]["Condition"].pop("ArnLike")), "SP307"),
    ("oidc-issuer", _json_edit(OIDC, lambda d: _set(d["Resources"]["OIDCIdentityProvider"]["Properties"], ["Url"],
                                                    "https://token.actions.githubusercontent.com")), "SP309"),
    ("oidc-audience", _json_edit(OIDC, lambda d: _set(d["Resources"]["OIDCIdentityProvider"]["Properties"],
                                                      ["ClientIdList"], ["sts.amazonaws.com"])), "SP309"),
    ("embedded-oidc-issuer", _json_edit(DEF, _embedded(1, lambda t: _set(t["Resources"]["OIDCIdentityProvider"][
        "Properties"], ["Url"], "https://sts.windows.net/00000000-0000-0000-0000-000000000000/"))), "SP309"),
    ("stale-package-sample-query", _json_edit(DEF, lambda d: _set(_ui(d)["sampleQueries"][1], ["description"],
                                                                  "Ten messages")), "SP505"),
    ("stale-package-column", _json_edit(TABLE, lambda d: _set(d["properties"]["schema"]["columns"][2],
                                                              ["description"], "AWS region")), "SP505"),
    ("connector-file-deleted", lambda root: (root / DCR).unlink(), "SP006"),
    ("connector-file-empty", lambda root: (root / DCR).write_bytes(b""), "SP001"),
    ("template-truncated", lambda root: (root / MAIN).write_bytes((root / MAIN).read_bytes()[:4000]), "SP002"),
    ("template-not-utf8", lambda root: (root / MAIN).write_bytes((root / MAIN).read_bytes().replace(
        b"AWS EKS", b"AWS \xff EKS", 1)), "SP003"),
    ("cfn-invalid-type", _json_edit(CFN, lambda d: _set(d["Resources"]["S3Bucket"], ["Type"], "AWS::S3::Buckett")), "SP301"),
    ("zip-out-of-sync", _text_edit(MAIN, '"contentVersion": "1.0.0.0"', '"contentVersion": "1.0.0.1"'), "SP501"),
    ("zip-extra-member", _rezip(extra={"notes.txt": b"x"}), "SP501"),
    ("zip-missing-member", _rezip(drop="createUiDefinition.json"), "SP501"),
    ("zip-missing", lambda root: (root / "Package/3.0.0.zip").rename(root / "Package/2.9.0.zip"), "SP501"),
    ("zip-path-traversal", _rezip(extra={"../evil.json": b"{}"}), "SP005"),
    ("release-notes-row", _text_edit("ReleaseNotes.md", "| 3.0.0       |", "| 2.0.0       |"), "SP502"),
    ("older-zip-newer", lambda root: shutil.copy(root / "Package/3.0.0.zip", root / "Package/9.0.0.zip"), "SP503"),
    ("dcr-streams-not-a-list", _json_edit(DCR, lambda d: _set(d["properties"]["dataFlows"][0], ["streams"], "Custom-AWSEKSLogs_CL")), "SP201"),
    ("table-retention-text", _json_edit(TABLE, lambda d: _set(d["properties"], ["retentionInDays"], "long")), "SP201"),
    ("definition-without-ui-config", _json_edit(DEF, lambda d: d["properties"].pop("connectorUiConfig")), "SP201"),
    ("poller-without-role-arn", _json_edit(POLLER, lambda d: d["properties"].pop("roleArn")), "SP201"),
    ("poller-kind-misspelt", _json_edit(POLLER, lambda d: _set(d, ["kind"], "AmazonWebServiceS3")), "SP202"),
    ("package-poller-sqs-not-a-list", _json_edit(MAIN, lambda d: _set(_inner(d, 3, 1)["properties"], ["sqsUrls"], 5)), "SP201"),
    ("package-metadata-without-parent", _json_edit(MAIN, lambda d: d["resources"][2]["properties"].pop("parentId")), "SP201"),
    ("package-table-columns-not-a-list", _json_edit(MAIN, lambda d: _set(_inner(d, 0, 3)["properties"]["schema"], ["columns"], {})), "SP201"),
    ("template-resource-without-name", _json_edit(MAIN, lambda d: d["resources"][2].pop("name")), "SP203"),
    ("template-parameter-type", _json_edit(MAIN, lambda d: _set(d["parameters"]["workspace"], ["type"], "text")), "SP203"),
    ("nested-template-without-resources", _json_edit(MAIN, lambda d: d["resources"][3]["properties"]["mainTemplate"].pop("resources")), "SP203"),
    ("ui-textblock-without-options", _json_edit(UI, lambda d: d["parameters"]["steps"][0]["elements"][0].pop("options")), "SP204"),
    ("ui-dropdown-without-label", _json_edit(UI, lambda d: d["parameters"]["basics"][1].pop("label")), "SP204"),
    ("ui-unknown-config-key", _json_edit(UI, lambda d: d["parameters"]["config"].update(wizard=True)), "SP204"),
    ("ui-armapi-without-request", _json_edit(UI, lambda d: d["parameters"]["basics"][0].pop("request")), "SP204"),
    ("ui-control-type-misspelt", _json_edit(UI, lambda d: _set(d["parameters"]["steps"][0]["elements"][0], ["type"], "Microsoft.Common.TextBlok")), "SP205"),
    ("blank-string", _json_edit(MAIN, lambda d: _set(d["resources"][4]["properties"], ["description"], "")), "SP606"),
    ("blank-array", _json_edit(MAIN, lambda d: _set(d["resources"][2]["properties"], ["providers"], [])), "SP606"),
    ("id-not-from-resource-id", _json_edit(MAIN, lambda d: _set(d["resources"][2]["properties"], ["workspaceResourceId"], "AWSEKS")), "SP607"),
    ("id-variable-literal", _json_edit(MAIN, lambda d: (d["variables"].update(spareId="AWSEKS"), _set(
        _inner(d, 0, 2)["properties"], ["dataCollectionEndpointId"], "[variables('spareId')]"))), "SP607"),
    ("embedded-template-wildcard", _json_edit(DEF, _embedded(2, lambda t: _set(t["Resources"]["SentinelWebIdentityBasedRole"][
        "Properties"]["Policies"][0]["PolicyDocument"]["Statement"][1], ["Action"], ["sqs:*"]))), "SP303"),
    ("embedded-template-invalid-type", _json_edit(DEF, _embedded(1, lambda t: _set(
        t["Resources"]["OIDCIdentityProvider"], ["Type"], "AWS::IAM::OIDCProvidr"))), "SP301"),
    ("unused-parameter", _json_edit(MAIN, lambda d: d["parameters"].update(spare={"type": "string", "defaultValue": "x"})), "SP601"),
    ("unused-variable", _json_edit(MAIN, lambda d: d["variables"].update(spare="x")), "SP602"),
    ("hardcoded-location", _json_edit(MAIN, lambda d: _set(d["resources"][1], ["location"], "eastus")), "SP603"),
    ("ui-output-not-a-parameter", _json_edit("Package/createUiDefinition.json", lambda d: d["parameters"]["outputs"].update(region="[location()]")), "SP604"),
    ("parameter-without-default-or-output", _json_edit(MAIN, lambda d: d["parameters"]["resourceGroupName"].pop("defaultValue")), "SP629"),
    ("content-version", _json_edit(MAIN, lambda d: _set(d, ["contentVersion"], "1.0")), "SP605"),
    ("azure-sentinel-wording", _json_edit(DEF, lambda d: _set(_ui(d), ["descriptionMarkdown"], "Ingests EKS logs into Azure Sentinel.")), "SP701"),
    ("id-whitespace", _json_edit(DCR, lambda d: _set(d, ["name"], "AWS EKS DCR")), "SP702"),
    ("support-no-tier", _json_edit(META, lambda d: d["support"].pop("tier")), "SP704"),
    ("support-unreachable", _json_edit(META, lambda d: [d["support"].pop(k) for k in ("email", "link")]), "SP704"),
    ("bad-domain", _json_edit(META, lambda d: d["categories"]["domains"].append("Kubernetes")), "SP704"),
]


def test_at_least_forty_mutations() -> None:
    assert len(MUTATIONS) >= 40


@pytest.mark.parametrize(("name", "mutate", "rule_id"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_mutation_is_caught(name: str, mutate: Callable[[Path], None], rule_id: str, built_eks: Path,
                            tmp_path: Path) -> None:
    root = tmp_path / "built"
    shutil.copytree(built_eks, root)
    mutate(root)
    findings = check(load_target(root), selected())
    assert rule_id in {f.rule for f in findings}, [f.render() for f in findings]
    assert not [f for f in findings if "the rule crashed" in f.message]
    mine = next(f for f in findings if f.rule == rule_id)
    assert mine.message and mine.file.startswith(str(root))


def test_unknown_column_type_is_a_schema_warning(built_eks: Path, tmp_path: Path) -> None:
    root = tmp_path / "built"
    shutil.copytree(built_eks, root)
    _json_edit(TABLE, lambda d: _set(d["properties"]["schema"]["columns"][3], ["type"], "text"))(root)
    found = [f for f in validate_paths([root], select=["SP2"])]
    assert [(f.rule, f.severity, f.path) for f in found] == [("SP202", "warning", "properties.schema.columns[3].type")]


def test_non_ascii_query_is_a_warning(built_eks: Path, tmp_path: Path) -> None:
    root = tmp_path / "built"
    shutil.copytree(built_eks, root)
    _json_edit(DEF, lambda d: _set(_ui(d)["sampleQueries"][1], ["query"], "{{graphQueriesTableName}}\n| where User == \u201cx\u201d"))(root)
    (finding,) = [f for f in validate_paths([root]) if f.rule == "SP703"]
    assert finding.severity == "warning"


def test_every_rule_is_documented() -> None:
    selected()
    doc = (Path(__file__).resolve().parent.parent / "docs/rules.md").read_text(encoding="utf-8")
    assert [r for r in RULES if f"## {r}" not in doc] == []


def test_cli_exit_codes_and_formats(reference_eks: Path, built_eks: Path) -> None:
    assert runner.invoke(app, ["validate", str(built_eks)]).exit_code == 1  # SP308: 3.0.0's python3.9
    assert runner.invoke(app, ["validate", str(built_eks), "--ignore", "SP308"]).exit_code == 0
    assert runner.invoke(app, ["validate", str(built_eks), "--strict", "--ignore", "SP308"]).exit_code == 1  # W3011
    assert runner.invoke(app, ["validate", str(built_eks), "--strict", "--ignore", "SP302",
                               "--ignore", "SP308"]).exit_code == 0
    result = runner.invoke(app, ["validate", str(reference_eks), "--format", "json", "--select", "SP4"])
    assert result.exit_code == 1
    assert {f["rule"] for f in json.loads(result.output)} == {"SP407", "SP408"}
    github = runner.invoke(app, ["validate", str(reference_eks), "--format", "github", "--select", "SP407"]).output
    assert github.startswith("::error file=") and ",title=SP407::" in github
    sarif = json.loads(runner.invoke(app, ["validate", str(reference_eks), "--format", "sarif"]).output)
    assert sarif["version"] == "2.1.0"
    assert "SP407" in {r["ruleId"] for r in sarif["runs"][0]["results"]}
    missing = runner.invoke(app, ["validate", "/nonexistent"])
    assert missing.exit_code == 2


def test_broken_analytic_rule_is_a_finding_with_its_line(solution_copy: Path) -> None:
    rule = solution_copy / "Analytic Rules" / "EKSAccessEntryModified.yaml"
    text = rule.read_text(encoding="utf-8")
    rule.write_text(text.replace("severity: Medium", "severity: Urgent", 1), encoding="utf-8")
    line = text[: text.index("severity: Medium")].count("\n") + 1
    (finding,) = [f for f in validate_paths([solution_copy]) if f.rule == "SP801"]
    assert finding.file.endswith("Analytic Rules/EKSAccessEntryModified.yaml") and finding.line == line
    assert "severity must be one of" in finding.message


def test_stale_built_files_are_reported(solution_copy: Path) -> None:
    _text_edit(DCR, "AWSEKSDCR", "AWSEKSDCR2")(solution_copy)
    assert "SP504" in {f.rule for f in validate_paths([solution_copy])}


def test_a_broken_manifest_is_a_finding(solution_copy: Path) -> None:
    _text_edit("solution.yaml", "retention_in_days: 180", "retention_in_days: soon")(solution_copy)
    (finding,) = [f for f in validate_paths([solution_copy]) if f.rule == "SP101"]
    assert finding.file.endswith("solution/solution.yaml") and finding.line == 34
    assert "expected a whole number" in finding.message


def test_build_refuses_to_write_a_package_with_errors(solution_copy: Path, tmp_path: Path) -> None:
    _text_edit("solution.yaml", "| take 10", "| project QueueName")(solution_copy)
    result = runner.invoke(app, ["build", str(solution_copy), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "SP407" in result.output and not (tmp_path / "out").exists()
    loud = runner.invoke(app, ["build", str(solution_copy), "--out", str(tmp_path / "out"), "--no-validate", "-q"])
    assert loud.exit_code == 0 and "WITHOUT validation" in loud.output


@pytest.mark.parametrize("kind", ["aws-s3", "rest-api"])
def test_init_scaffolds_build_and_validate_without_errors(kind: str, tmp_path: Path) -> None:
    folder = tmp_path / "new"
    assert runner.invoke(app, ["init", "Contoso Events", "--kind", kind, "--dir", str(folder)]).exit_code == 0
    assert runner.invoke(app, ["build", str(folder), "-q"]).exit_code == 0
    result = runner.invoke(app, ["validate", str(folder)])
    assert result.exit_code == 0, result.output
    assert _errors(validate_paths([folder])) == set()


def _poller_folder(root: Path, poller: dict) -> Path:
    (root / "Data Connectors").mkdir(parents=True)
    (root / "Data Connectors/X_PollingConfig.json").write_text(json.dumps(poller), encoding="utf-8")
    return root


DCR_CONFIG = {"streamName": "Custom-X_CL", "dataCollectionEndpoint": "[[parameters('dce')]",
              "dataCollectionRuleImmutableId": "[[parameters('dcr')]"}


@pytest.mark.parametrize(("poller", "expected"), [
    ({"kind": "Push", "properties": {"connectorDefinitionName": "X", "dcrConfig": DCR_CONFIG,
                                     "auth": {"type": "Push", "AppId": "a", "ServicePrincipalId": "b"}}}, []),
    ({"kind": "Push", "properties": {"connectorDefinitionName": "X", "auth": {"type": "Push"}}},
     [("SP201", "properties", "'dcrConfig' is a required property")]),
    ({"kind": "GCP", "properties": {"connectorDefinitionName": "X", "dcrConfig": DCR_CONFIG,
                                    "auth": {"serviceAccountEmail": "s", "projectNumber": "1", "workloadIdentityProviderId": "w"},
                                    "request": {"projectId": "p", "subscriptionNames": ["s"]}}}, []),
    ({"kind": "GCP", "properties": {"connectorDefinitionName": "X", "dcrConfig": DCR_CONFIG,
                                    "auth": {"serviceAccountEmail": "s", "projectNumber": "1", "workloadIdentityProviderId": "w"}}},
     [("SP201", "properties", "'request' is a required property")]),
], ids=["push-ok", "push-without-dcr-config", "gcp-ok", "gcp-without-request"])
def test_gcp_and_push_pollers_are_validated(poller: dict, expected: list, tmp_path: Path) -> None:
    poller = {"name": "X", "apiVersion": "2025-03-01", "type": "Microsoft.SecurityInsights/dataConnectors", **poller}
    findings = validate_paths([_poller_folder(tmp_path, poller)], select=["SP2"])
    assert [(f.rule, f.path, f.message.split(": ", 1)[1]) for f in findings] == expected


def test_embedded_templates_are_linted_once(built_eks: Path, reference_eks: Path) -> None:
    """Embedded copies equal to a standalone file are not linted twice; a zip's are linted."""
    from_folder = [f for f in validate_paths([built_eks]) if f.rule in ("SP302", "SP308")]
    from_zip = [f for f in validate_paths([built_eks / "Package/3.0.0.zip"]) if f.rule in ("SP302", "SP308")]
    assert len(from_folder) == len(from_zip) == 2
    assert all("connectorUiConfig.instructionSteps[0].instructions[" in f.path for f in from_zip)


def test_annotations_carry_the_line_of_a_yaml_finding(solution_copy: Path) -> None:
    rule = solution_copy / "Analytic Rules" / "EKSAccessEntryModified.yaml"
    text = rule.read_text(encoding="utf-8")
    rule.write_text(text.replace("severity: Medium", "severity: Urgent", 1), encoding="utf-8")
    line = text[: text.index("severity: Medium")].count("\n") + 1
    github = runner.invoke(app, ["validate", str(solution_copy), "--format", "github", "--select", "SP801"]).output
    assert f"EKSAccessEntryModified.yaml,line={line},title=SP801::" in github
    sarif = json.loads(runner.invoke(app, ["validate", str(solution_copy), "--format", "sarif", "--select", "SP801"]).output)
    (result,) = sarif["runs"][0]["results"]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].endswith("EKSAccessEntryModified.yaml")
    assert location["region"] == {"startLine": line}
