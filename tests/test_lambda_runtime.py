"""The Lambda runtime: SP308 on cfn-lint's lifecycle dates, and the AWS EKS 3.2.0 move to python3.14.

SP308 is judged on an injected "today" (SENTINEL_PACK_TODAY), so the 90-day margin is tested on
fixed dates against cfn-lint's real data: python3.9 loses creation on 2027-02-01.
"""

from __future__ import annotations

import ast
import base64
import gzip
import importlib.util
import json
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from conftest import SOLUTION
from typer.testing import CliRunner

from sentinel_pack.cli import app
from sentinel_pack.validate import runtimes
from sentinel_pack.validate.runner import validate_paths

RUNTIME_PATH = "Resources.EKSLogTransformFunction.Properties.Runtime"
runner = CliRunner()


def _manifest_runtime() -> str:
    data = yaml.safe_load((SOLUTION / "solution.yaml").read_text(encoding="utf-8"))
    return data["aws"]["eks_audit_pipeline"]["lambda_runtime"]


def _function(runtime) -> dict:
    return {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": runtime, "Handler": "index.h"}}


# --- the data is cfn-lint's own ------------------------------------------------------------

def test_the_dates_are_the_ones_cfn_lint_rules_use() -> None:
    from cfnlint.rules.resources.lmbd.DeprecatedRuntimeCreate import DeprecatedRuntimeCreate

    theirs = DeprecatedRuntimeCreate().deprecated_runtimes
    ours = runtimes.lifecycles()
    assert set(ours) == {r for r, e in theirs.items() if e.get("create-block")}
    for runtime, entry in ours.items():
        assert entry.create_block.isoformat() == theirs[runtime]["create-block"]
    assert ours["python3.9"].create_block == date(2027, 2, 1)
    assert ours["python3.9"].successor == "python3.14"


# --- SP308 on fixed days -------------------------------------------------------------------

@pytest.mark.parametrize(("today", "expected"), [
    ("2026-11-02", None),  # 91 days before the block: cfn-lint's W2531 still says it, as a warning
    ("2026-11-03", "AWS Lambda blocks creating functions with it from 2027-02-01, in 90 days"),
    ("2026-12-01", "AWS Lambda blocks creating functions with it from 2027-02-01, in 62 days"),
    ("2027-02-01", "AWS Lambda blocked creating functions with it on 2027-02-01"),
    ("2027-06-01", "AWS Lambda blocked creating functions with it on 2027-02-01"),
])
def test_a_runtime_within_90_days_of_its_creation_block_is_an_error(
        today: str, expected: str | None, built_eks: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(runtimes.TODAY_ENV, today)
    stack = "Data Connectors/CloudFormationTemplates/AWS_EKS_Resources_Deployment.json"
    found = [f for f in validate_paths([built_eks], select=["SP308"]) if f.file.endswith(stack)]
    if expected is None:
        assert found == []
        return
    (finding,) = found
    assert finding.severity == "error"
    assert finding.path == RUNTIME_PATH
    assert finding.message == (f"Lambda runtime 'python3.9': {expected} "
                               "(deprecated 2025-12-15; updates blocked from 2027-03-03)")
    assert finding.fix == "move to 'python3.14' (in a sentinel-pack manifest: aws.eks_audit_pipeline.lambda_runtime)"


def test_cfn_lint_is_not_repeated_where_sp308_reports(built_eks: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(runtimes.TODAY_ENV, "2026-12-01")
    findings = validate_paths([built_eks], select=["SP3"])
    on_runtime = sorted((f.rule, f.severity) for f in findings if f.path == RUNTIME_PATH)
    assert on_runtime == [("SP308", "error")]  # not also cfn-lint's W2531 (or E2531 after February)


def test_the_cli_fails_on_a_fixed_day_and_names_the_date(built_eks: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "sentinel_pack", "validate", str(built_eks), "--select", "SP308"],
                            capture_output=True, text=True, env={**_env(), runtimes.TODAY_ENV: "2026-11-20"})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "error SP308: Lambda runtime 'python3.9': AWS Lambda blocks creating functions with it from " \
           "2027-02-01, in 73 days" in result.stdout
    assert "fix: move to 'python3.14'" in result.stdout


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != runtimes.TODAY_ENV}


def test_a_bad_today_is_a_finding_not_a_traceback(built_eks: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(runtimes.TODAY_ENV, "next tuesday")
    result = runner.invoke(app, ["validate", str(built_eks), "--select", "SP308"])
    assert result.exit_code == 1
    assert "SP308: SENTINEL_PACK_TODAY='next tuesday' is not a date (YYYY-MM-DD)" in result.output
    assert "Traceback" not in result.output


def test_parameters_globals_and_conditions() -> None:
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {"Rt": {"Type": "String", "Default": "python3.14",
                              "AllowedValues": ["python3.14", "python3.12", "nodejs16.x"]}},
        "Globals": {"Function": {"Runtime": "python3.8"}},
        "Resources": {"A": _function({"Ref": "Rt"}), "B": _function("python3.12"), "C": _function("go1.x"),
                      "D": _function({"Fn::If": ["c", "python3.9", "python3.14"]}), "E": _function("custom9")},
    }
    on = date(2029, 6, 1)  # python3.12 blocked since 2028-11-30; 3.13 and 3.14 from 2029-07-31
    found = {path: (message, fix) for path, message, fix in runtimes.findings(template, on)}
    # a runtime chosen by a condition, or one cfn-lint has no dates for (E3030's job), is not judged
    assert sorted(found) == ["Globals.Function.Runtime", "Parameters.Rt.AllowedValues[0]",
                             "Parameters.Rt.AllowedValues[1]", "Parameters.Rt.AllowedValues[2]",
                             "Parameters.Rt.Default", "Resources.B.Properties.Runtime", "Resources.C.Properties.Runtime"]
    # python3.14 is itself within 90 days here and names no successor: the fix points at AWS's table
    assert found["Parameters.Rt.Default"][1] == f"move to a supported runtime ({runtimes.RUNTIMES_URL})"
    assert found["Resources.B.Properties.Runtime"] == (
        "Lambda runtime 'python3.12': AWS Lambda blocked creating functions with it on 2028-11-30 "
        "(deprecated 2028-10-31; updates blocked from 2029-01-10)",
        f"move to a supported runtime ({runtimes.RUNTIMES_URL}) "
        "(in a sentinel-pack manifest: aws.eks_audit_pipeline.lambda_runtime)")
    assert [p for p, _, _ in runtimes.findings(template, date(2026, 12, 1))] == [
        "Parameters.Rt.AllowedValues[2]", "Resources.C.Properties.Runtime",
        "Globals.Function.Runtime"]  # nodejs16.x, go1.x, python3.8


def test_the_successor_is_followed_while_it_is_blocked_too(monkeypatch: pytest.MonkeyPatch) -> None:
    def entry(runtime: str, block: str, successor: str | None) -> runtimes.Lifecycle:
        return runtimes.Lifecycle(runtime, None, date.fromisoformat(block), None, successor)

    table = {"a1": entry("a1", "2027-01-01", "a2"), "a2": entry("a2", "2027-02-01", "a3"),
             "a3": entry("a3", "2030-01-01", None), "b1": entry("b1", "2027-01-01", "b2"),
             "b2": entry("b2", "2027-01-02", "b1")}
    monkeypatch.setattr(runtimes, "lifecycles", lambda: table)
    on = date(2026, 12, 1)
    assert runtimes.move_to("a1", on) == "a3"
    assert runtimes.move_to("a2", on) == "a3"
    assert runtimes.move_to("b1", on) is None  # a loop of blocked runtimes ends
    assert runtimes.move_to("a3", on) is None


def test_the_margin_is_ninety_days() -> None:
    template = {"Resources": {"F": _function("python3.14")}}
    block = runtimes.lifecycles()["python3.14"].create_block
    last_clean_day = block - runtimes.CREATE_BLOCK_MARGIN - timedelta(days=1)
    assert list(runtimes.findings(template, last_clean_day)) == []
    assert [p for p, _, _ in runtimes.findings(template, last_clean_day + timedelta(days=1))] == [
        "Resources.F.Properties.Runtime"]


# --- AWS EKS 3.2.0 -------------------------------------------------------------------------

def test_the_flagship_and_the_default_use_python3_14(built_full: Path) -> None:
    from sentinel_pack.manifest.model import _DEFAULTS

    assert _manifest_runtime() == _DEFAULTS["pipeline"]["lambda_runtime"] == "python3.14"
    stack = json.loads((built_full / "Data Connectors/CloudFormationTemplates/AWS_EKS_Resources_Deployment.json")
                       .read_text(encoding="utf-8"))
    assert stack["Resources"]["EKSLogTransformFunction"]["Properties"]["Runtime"] == "python3.14"
    oidc = json.loads((built_full / "Data Connectors/CloudFormationTemplates/OIDC_Web_Identity_Provider.json")
                      .read_text(encoding="utf-8"))
    provider = oidc["Resources"]["OIDCIdentityProvider"]
    assert provider["DeletionPolicy"] == provider["UpdateReplacePolicy"] == "Retain"
    # supported today and for the 90-day margin, by cfn-lint's dates (this is the gate's own check)
    assert runtimes.blocked_by("python3.14", date.today()) is None


def test_the_handler_imports_only_what_the_runtime_python_has() -> None:
    """Every module the Lambda imports exists in the standard library of the runtime's Python."""
    from stdlib_list import stdlib_list

    version = _manifest_runtime().removeprefix("python")
    tree = ast.parse((SOLUTION / "aws/eks_log_transform.py").read_text(encoding="utf-8"),
                     feature_version=(3, min(int(version.split(".")[1]), sys.version_info.minor)))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported == {"json", "base64", "gzip", "logging", "datetime"}
    assert imported <= set(stdlib_list(version)), f"not in the Python {version} standard library"


def test_the_handler_runs_on_the_samples_under_the_project_python(samples: Path) -> None:
    """The handler as shipped, on sample events; one without requestReceivedTimestamp takes the fallback."""
    spec = importlib.util.spec_from_file_location("eks_log_transform", SOLUTION / "aws/eks_log_transform.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    events = [json.loads((samples / name).read_text(encoding="utf-8"))
              for name in ("eks_audit_event_cloudwatch_kubelet_patch.json", "k8s_audit_event_generic_get_404.json")]
    events += [json.loads(e["message"]) for e in json.loads(
        (samples / "cwl_subscription_envelope_eks_audit_example.json").read_text(encoding="utf-8"))["logEvents"]]
    untimed = {k: v for k, v in events[0].items() if k != "requestReceivedTimestamp"}
    stamp = 1714564800000
    envelope = {"messageType": "DATA_MESSAGE", "logEvents": [
        {"id": str(i), "timestamp": stamp, "message": json.dumps(e)} for i, e in enumerate([*events, untimed])]}
    data = base64.b64encode(gzip.compress(json.dumps(envelope).encode("utf-8"))).decode("ascii")
    out = module.lambda_handler({"records": [{"recordId": "r1", "data": data}, {"recordId": "bad", "data": "!"}]},
                                None)
    ok, bad = out["records"]
    assert (ok["recordId"], ok["result"], bad) == ("r1", "Ok", {"recordId": "bad", "result": "ProcessingFailed"})
    rows = [json.loads(line) for line in base64.b64decode(ok["data"]).decode("utf-8").splitlines()]
    assert len(rows) == len(events) + 1
    assert [r["TimeGenerated"] for r in rows[:-1]] == [e["requestReceivedTimestamp"] for e in events]
    fallback = datetime.fromtimestamp(stamp / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert rows[-1]["TimeGenerated"] == rows[-1]["date"] == fallback


def test_validate_strict_of_the_build_has_no_findings(built_full: Path) -> None:
    result = runner.invoke(app, ["validate", str(built_full), "--strict"])
    assert result.exit_code == 0, result.output
    assert "No findings." in result.output


def test_init_scaffolds_the_protected_provider_and_the_supported_runtime(tmp_path: Path) -> None:
    folder = tmp_path / "new"
    assert runner.invoke(app, ["init", "Contoso Events", "--kind", "aws-s3", "--dir", str(folder)]).exit_code == 0
    (folder / "aws").mkdir()
    (folder / "aws/transform.py").write_text("def lambda_handler(event, context):\n    return event\n",
                                             encoding="utf-8")
    manifest = folder / "solution.yaml"
    text = manifest.read_text(encoding="utf-8")
    anchor = "  s3_key_prefix:"
    assert text.count(anchor) == 1
    line_end = text.index("\n", text.index(anchor)) + 1
    manifest.write_text(text[:line_end] + "  eks_audit_pipeline:\n    lambda_code: aws/transform.py\n"
                        + text[line_end:], encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["build", str(folder), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    cfn = out / "Data Connectors/CloudFormationTemplates"
    stacks = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in cfn.glob("*.json")}
    (oidc,) = [s for s in stacks.values() if "OIDCIdentityProvider" in s["Resources"]]
    assert oidc["Resources"]["OIDCIdentityProvider"]["UpdateReplacePolicy"] == "Retain"
    runtimes_used = [r["Properties"]["Runtime"] for s in stacks.values() for r in s["Resources"].values()
                     if r["Type"] == "AWS::Lambda::Function"]
    assert runtimes_used == ["python3.14"]
    strict = runner.invoke(app, ["validate", str(out), "--strict"])
    assert strict.exit_code == 0, strict.output


# --- the 3.2.0 release as diff shows it -----------------------------------------------------

OIDC_LABEL = "CloudFormation 'Template 1: OpenID Connect authentication provider deployment'"
STACK_LABEL = "CloudFormation 'Template 2: AWS EKS Resources Deployment'"


def test_diff_3_1_0_to_3_2_0_is_exactly_the_runtime_and_the_policy() -> None:
    """Pinned: `sentinel-pack diff solution/Package/3.1.0.zip solution/Package/3.2.0.zip --format json`."""
    package = SOLUTION / "Package"
    result = runner.invoke(app, ["diff", str(package / "3.1.0.zip"), str(package / "3.2.0.zip"), "--format", "json",
                                 "--check-version"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["old"]["version"], data["new"]["version"]) == ("3.1.0", "3.2.0")
    assert (data["required_bump"], data["actual_bump"], data["version_ok"], data["problems"]) == (
        "minor", "minor", True, [])
    assert data["summary"] == {"breaking": 0, "feature": 4, "fix": 0, "release": 3}
    changes = sorted((a["name"], c["path"], c["kind"], c["category"], c["summary"], c["old"], c["new"])
                     for a in data["artefacts"] for c in a["changes"])
    main = "Package/mainTemplate.json"
    runtime = ("Resources.EKSLogTransformFunction.Properties.Runtime", "changed", "feature",
               "Runtime changed: python3.9 → python3.14", "python3.9", "python3.14")
    policy = ("Resources.OIDCIdentityProvider.UpdateReplacePolicy", "added", "feature",
              "UpdateReplacePolicy added", None, "Retain")
    version = ("changed", "release", "version 3.1.0 → 3.2.0", "3.1.0", "3.2.0")
    assert changes == sorted([
        (main, "resources['contentPackages {_solutionId}'].properties.version", *version),
        (main, "variables._solutionVersion", *version),
        (main, "variables.dataConnectorCCPVersion", *version),
        *[(f"{main} > {inner}{label}", *change)
          for inner in ("", "contentTemplate AWSEKSDefinition > ")
          for label, change in ((OIDC_LABEL, policy), (STACK_LABEL, runtime))],
    ])
    assert "Package/createUiDefinition.json" in data["unchanged"]


def test_import_keeps_the_published_policy_and_runtime(reference_eks: Path, tmp_path: Path) -> None:
    """A solution published before 3.2.0 imports as it is; the manifest shows the two keys to change."""
    import shutil

    from sentinel_pack.importer.run import import_solution

    upstream = tmp_path / "AWS EKS"
    shutil.copytree(reference_eks, upstream)
    _, differences, _ = import_solution(upstream, tmp_path / "manifest")
    assert differences == []
    data = yaml.safe_load((tmp_path / "manifest/solution.yaml").read_text(encoding="utf-8"))
    assert data["aws"]["oidc"]["retain_on_replace"] is False
    assert data["aws"]["eks_audit_pipeline"]["lambda_runtime"] == "python3.9"


def test_retain_on_replace_takes_only_true_or_false(solution_copy: Path) -> None:
    manifest = solution_copy / "solution.yaml"
    anchor = "    description: This Stack creates an Open ID Connect (OIDC) web identity provider.\n"
    text = manifest.read_text(encoding="utf-8")
    assert text.count(anchor) == 1
    manifest.write_text(text.replace(anchor, anchor + "    retain_on_replace: sometimes\n"), encoding="utf-8")
    line = text[: text.index(anchor)].count("\n") + 2
    result = runner.invoke(app, ["build", str(solution_copy), "--out", str(solution_copy.parent / "out")])
    assert result.exit_code == 1
    assert (f"solution.yaml:{line}:24: aws.oidc.retain_on_replace: expected true or false, got 'sometimes'"
            in result.output)
