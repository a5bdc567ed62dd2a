"""``sentinel-pack diff``: what a reviewer sees for real changes to the AWS EKS solution."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import CURRENT_ZIP, SOLUTION_VERSION, bumped
from typer.testing import CliRunner

from sentinel_pack.cli import app
from sentinel_pack.diff.compare import DiffResult, compare
from sentinel_pack.diff.sources import load_side
from sentinel_pack.errors import SentinelPackError
from sentinel_pack.package.build import build

TABLE = "Data Connectors/AWSEKS_Table.json"
DCR = "Data Connectors/AWSEKS_DCR.json"
DEFINITION = "Data Connectors/AWSEKS_ConnectorDefinition.json"
INNER = "Package/mainTemplate.json > contentTemplate AWSEKSDefinition"
CFN_LABEL = "CloudFormation 'Template 2: AWS EKS Resources Deployment'"
ROLE_ACTIONS = "Resources.SentinelWebIdentityBasedRole.Properties.Policies[0].PolicyDocument.Statement[1].Action"

COLUMN_LINE = "    - {name: RawEvent, type: dynamic, description: Raw event}\n"
OLD_TABLE_TEXT = "AWS EKS Messages connector table for ingesting messages from Amazon EKS"
NEW_TABLE_TEXT = "AWS EKS audit messages connector table for ingesting messages from Amazon EKS"


def edit_manifest(solution: Path, *replacements: tuple[str, str]) -> None:
    manifest = solution / "solution.yaml"
    text = manifest.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    manifest.write_text(text, encoding="utf-8")


SOLUTION = Path(__file__).resolve().parent.parent / "solution"


def make_release(version: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """Manifest edits for a new version with its release-notes entry."""
    return (f"version: {SOLUTION_VERSION}\n  publisher_id", f"version: {version}\n  publisher_id"), (
        "release_notes:\n", f"release_notes:\n  - version: {version}\n    date: 2026-04-01\n"
                            "    changes: [Namespace column.]\n")


@pytest.fixture(scope="module")
def eks_300(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp(f"eks-{SOLUTION_VERSION}")
    build(SOLUTION, out)
    return out


PATCH = bumped("patch")
MINOR = bumped("minor")


def build_301(solution_copy: Path, out: Path, version: str = PATCH) -> Path:
    """AWS EKS with one column added and the table description changed."""
    edit_manifest(solution_copy,
                  *make_release(version),
                  (COLUMN_LINE, COLUMN_LINE + "    - {name: Namespace, type: string, description: Namespace}\n"),
                  (f"description: {OLD_TABLE_TEXT}", f"description: {NEW_TABLE_TEXT}"))
    build(solution_copy, out)
    return out


def substantive(result: DiffResult) -> set[tuple[str, str, str]]:
    return {(c.artefact, c.category, c.summary) for c in result.changes if c.category != "release"}


def test_column_added_and_description_changed_are_exactly_the_changes(eks_300: Path, solution_copy: Path,
                                                                       tmp_path: Path) -> None:
    new = build_301(solution_copy, tmp_path / "new")
    result = compare(load_side(eks_300), load_side(new))

    stream = "stream 'Custom-AWSEKSLogs_CL' column 'Namespace' added (string)"
    assert substantive(result) == {
        (TABLE, "feature", "table column 'Namespace' added (string)"),
        (TABLE, "fix", "description changed"),
        (DCR, "feature", stream),
        (INNER, "feature", "table column 'Namespace' added (string)"),
        (INNER, "fix", "description changed"),
        (INNER, "feature", stream),
    }
    description = next(c for c in result.changes if c.artefact == TABLE and c.category == "fix")
    assert (description.display_path, description.old, description.new) == (
        "properties.schema.description", OLD_TABLE_TEXT, NEW_TABLE_TEXT)
    column = next(c for c in result.changes if c.artefact == TABLE and c.category == "feature")
    assert column.display_path == "properties.schema.columns['Namespace']"
    assert column.new == {"name": "Namespace", "type": "string", "description": "Namespace"}
    # Everything else is the release itself: the version number and the release-notes row.
    release = [c for c in result.changes if c.category == "release"]
    assert {c.summary for c in release if c.artefact != "ReleaseNotes.md"} == {f"version {SOLUTION_VERSION} → {PATCH}"}
    assert [c.kind for c in release if c.artefact == "ReleaseNotes.md"] == ["added"]
    assert (result.required_bump, result.actual_bump, result.version_ok) == ("minor", "patch", False)


def test_check_version_fails_for_a_patch_bump_and_passes_for_minor(eks_300: Path, solution_copy: Path,
                                                                   tmp_path: Path) -> None:
    runner = CliRunner()
    patch = build_301(solution_copy, tmp_path / "patch")
    result = runner.invoke(app, ["diff", str(eks_300), str(patch), "--check-version"])
    assert result.exit_code == 1, result.output
    assert "these changes need a minor bump" in result.output

    edit_manifest(solution_copy, (f"version: {PATCH}\n  publisher_id", f"version: {MINOR}\n  publisher_id"),
                  (f"  - version: {PATCH}\n", f"  - version: {MINOR}\n"))
    minor = tmp_path / "minor"
    build(solution_copy, minor)
    result = runner.invoke(app, ["diff", str(eks_300), str(minor), "--check-version"])
    assert result.exit_code == 0, result.output
    assert "required bump: minor" in result.output


def test_without_check_version_a_too_small_bump_still_exits_0(eks_300: Path, solution_copy: Path,
                                                              tmp_path: Path) -> None:
    patch = build_301(solution_copy, tmp_path / "patch")
    result = CliRunner().invoke(app, ["diff", str(eks_300), str(patch)])
    assert result.exit_code == 0, result.output
    assert "table column 'Namespace' added (string)" in result.output


def _add_role_action(folder: Path, action: str) -> None:
    """Edit the CloudFormation template embedded as a string in the connector definition."""
    path = folder / DEFINITION
    definition = json.loads(path.read_text(encoding="utf-8"))
    for step in definition["properties"]["connectorUiConfig"]["instructionSteps"]:
        for instruction in step["instructions"]:
            parameters = instruction.get("parameters", {})
            if parameters.get("label", "").startswith("Template 2"):
                template = json.loads(parameters["value"])
                role = template["Resources"]["SentinelWebIdentityBasedRole"]
                role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][1]["Action"].append(action)
                parameters["value"] = json.dumps(template, indent=2)
    path.write_text(json.dumps(definition, indent=2), encoding="utf-8")


def test_embedded_cloudformation_change_is_a_property_path_and_breaking(eks_300: Path, tmp_path: Path) -> None:
    new = tmp_path / "new"
    shutil.copytree(eks_300, new)
    _add_role_action(new, "sqs:SendMessage")
    result = compare(load_side(eks_300), load_side(new))

    assert [a.name for a in result.artefacts] == [f"{DEFINITION} > {CFN_LABEL}"]
    [change] = result.changes
    assert change.display_path == f"{ROLE_ACTIONS}['sqs:SendMessage']"
    assert (change.kind, change.category, change.new) == ("added", "breaking", "sqs:SendMessage")
    assert "IAM permission widened" in change.summary
    assert result.required_bump == "major"


def test_wildcard_action_is_named_as_a_wildcard(eks_300: Path, tmp_path: Path) -> None:
    new = tmp_path / "new"
    shutil.copytree(eks_300, new)
    _add_role_action(new, "sqs:*")
    [change] = compare(load_side(eks_300), load_side(new)).changes
    assert change.category == "breaking" and "(wildcard)" in change.summary


def test_resource_replaced_by_a_wildcard_is_breaking(eks_300: Path, tmp_path: Path) -> None:
    new = tmp_path / "new"
    shutil.copytree(eks_300, new)
    path = new / DEFINITION
    definition = json.loads(path.read_text(encoding="utf-8"))
    for step in definition["properties"]["connectorUiConfig"]["instructionSteps"]:
        for instruction in step["instructions"]:
            parameters = instruction.get("parameters", {})
            if parameters.get("label", "").startswith("Template 2"):
                template = json.loads(parameters["value"])
                role = template["Resources"]["SentinelWebIdentityBasedRole"]
                role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]["Resource"] = "*"
                parameters["value"] = json.dumps(template)
    path.write_text(json.dumps(definition), encoding="utf-8")
    changes = compare(load_side(eks_300), load_side(new)).changes
    statement = "Resources.SentinelWebIdentityBasedRole.Properties.Policies[0].PolicyDocument.Statement[0]"
    assert {(c.display_path, c.category) for c in changes} == {
        (f"{statement}.Resource['*']", "breaking"),
        (f"{statement}.Resource['{{\"Fn::Sub\": \"arn:aws:s3:::${{BucketName}}/*\"}}']", "fix"),
    }
    assert any("(wildcard)" in c.summary for c in changes)


def test_reordered_actions_and_columns_are_no_change(eks_300: Path, tmp_path: Path) -> None:
    new = tmp_path / "new"
    shutil.copytree(eks_300, new)
    table = json.loads((new / TABLE).read_text(encoding="utf-8"))
    table["properties"]["schema"]["columns"].reverse()
    (new / TABLE).write_text(json.dumps(table), encoding="utf-8")
    path = new / DEFINITION
    definition = json.loads(path.read_text(encoding="utf-8"))
    for step in definition["properties"]["connectorUiConfig"]["instructionSteps"]:
        for instruction in step["instructions"]:
            value = instruction.get("parameters", {}).get("value")
            if isinstance(value, str) and value.startswith("{"):
                template = json.loads(value)
                for resource in template["Resources"].values():
                    for policy in resource.get("Properties", {}).get("Policies", []):
                        for statement in policy["PolicyDocument"]["Statement"]:
                            if isinstance(statement["Action"], list):
                                statement["Action"].reverse()
                instruction["parameters"]["value"] = json.dumps(template)
    path.write_text(json.dumps(definition), encoding="utf-8")
    result = compare(load_side(eks_300), load_side(new))
    assert result.changes == []


def test_cloudformation_from_a_template_override_changes_every_copy(solution_copy: Path, eks_300: Path,
                                                                     tmp_path: Path) -> None:
    """A real rebuild: the standalone template, the definition and the package all show the path."""
    from sentinel_pack.resources import templates_dir

    override = solution_copy / "my-templates" / "cloudformation"
    override.mkdir(parents=True)
    source = (templates_dir() / "cloudformation" / "resources.json.j2").read_text(encoding="utf-8")
    needle = '"sqs:ChangeMessageVisibility"'
    assert source.count(needle) == 1
    (override / "resources.json.j2").write_text(source.replace(needle, f'{needle}, "sqs:SendMessage"'),
                                                encoding="utf-8")
    edit_manifest(solution_copy, ("manifest_version: 1\n", "manifest_version: 1\ntemplates_dir: my-templates\n"))
    new = tmp_path / "new"
    with pytest.raises(SentinelPackError, match="SP306"):  # the validate gate refuses the widened role
        build(solution_copy, new)
    build(solution_copy, new, validate=False)

    result = compare(load_side(eks_300), load_side(new))
    changed = {c.artefact for c in result.changes}
    assert changed == {
        "Data Connectors/CloudFormationTemplates/AWS_EKS_Resources_Deployment.json",
        f"{DEFINITION} > {CFN_LABEL}",
        f"Package/mainTemplate.json > {CFN_LABEL}",
        f"{INNER} > {CFN_LABEL}",
    }
    for change in result.changes:
        assert change.display_path == f"{ROLE_ACTIONS}['sqs:SendMessage']"
        assert change.category == "breaking"


def test_package_zip_against_folder_compares_the_package(eks_300: Path, solution_copy: Path, tmp_path: Path) -> None:
    new = build_301(solution_copy, tmp_path / "new")
    result = compare(load_side(eks_300 / CURRENT_ZIP), load_side(new))
    assert {c.artefact for c in result.changes if c.category != "release"} == {INNER}
    assert result.required_bump == "minor"
    assert result.new.notes == ["only Package/ files compared: the other side is a package zip"]


def test_column_retyped_and_removed_are_breaking(eks_300: Path, solution_copy: Path, tmp_path: Path) -> None:
    edit_manifest(solution_copy,
                  ("{name: ResponseCode, type: int,", "{name: ResponseCode, type: long,"),
                  ("    - {name: Stage, type: string, description: Stage}\n", ""),
                  ("| project TimeGenerated , AwsAccountId , Region , ClusterName , Verb , User , SourceIPs ,\n"
                   "    UserAgent , ObjectRef , ResponseCode , Stage , AuthDecision , RawEvent",
                   "| project TimeGenerated , AwsAccountId , Region , ClusterName , Verb , User , SourceIPs ,\n"
                   "    UserAgent , ObjectRef , ResponseCode , AuthDecision , RawEvent"))
    new = tmp_path / "new"
    with pytest.raises(SentinelPackError, match="SP802: the query uses 'Stage'"):
        build(solution_copy, new)  # a detection still reads the removed column
    build(solution_copy, new, validate=False)
    table = [c for c in compare(load_side(eks_300), load_side(new)).changes if c.artefact == TABLE]
    assert {(c.category, c.summary) for c in table} == {
        ("breaking", "table column 'ResponseCode' retyped: int → long"),
        ("breaking", "table column 'Stage' removed (string)"),
    }


def test_column_renamed_reads_as_a_rename(eks_300: Path, solution_copy: Path, tmp_path: Path) -> None:
    edit_manifest(solution_copy, ("{name: Verb, type: string, description: Verb}",
                                  "{name: HttpVerb, type: string, description: Verb}"),
                  (", Verb ,", ", HttpVerb ,"))
    new = tmp_path / "new"
    build(solution_copy, new, validate=False)  # detections still read Verb
    table = [c for c in compare(load_side(eks_300), load_side(new)).changes if c.artefact == TABLE]
    assert [(c.kind, c.category, c.summary) for c in table] == [
        ("renamed", "breaking", "table column 'Verb' renamed to 'HttpVerb' (string)")]


def test_sample_query_added_is_a_feature(eks_300: Path, solution_copy: Path, tmp_path: Path) -> None:
    edit_manifest(solution_copy, ("  permissions:\n", "    - description: By verb\n      query: |-\n"
                                  "        {{graphQueriesTableName}}\n        | summarize count() by Verb\n"
                                  "  permissions:\n"))
    new = tmp_path / "new"
    build(solution_copy, new)
    definition = [c for c in compare(load_side(eks_300), load_side(new)).changes if c.artefact == DEFINITION]
    assert [(c.category, c.summary) for c in definition] == [("feature", "sample query 'By verb' added")]


# --- output shapes ----------------------------------------------------------------------------

def test_markdown_has_a_summary_table_then_one_details_section_per_artefact(
        eks_300: Path, solution_copy: Path, tmp_path: Path) -> None:
    new = build_301(solution_copy, tmp_path / "new")
    result = CliRunner().invoke(app, ["diff", str(eks_300), str(new), "--format", "markdown"])
    assert result.exit_code == 0, result.output
    text = result.stdout
    lines = text.splitlines()
    assert lines[0] == f"## sentinel-pack diff: `{SOLUTION_VERSION}` → `{PATCH}`"
    assert f"**Required bump: minor** · ❌ version {SOLUTION_VERSION} → {PATCH} is a patch bump: too small" in lines
    header = lines.index("| Artefact | Breaking | Feature | Fix | Release |")
    assert header < text.splitlines().index(next(line for line in lines if line.startswith("<details>")))
    rows = [line for line in lines[header + 2:] if line.startswith("| `")]
    assert f"| `{TABLE}` | 0 | 1 | 1 | 0 |" in rows
    assert "| **Total** | **0** | **4** | **2** | **5** |" in lines
    details = [line for line in lines if line.startswith("<details>")]
    assert len(details) == len(rows) == text.count("</details>") == 6
    assert f"<details><summary>{TABLE}: changed, 1 feature, 1 fix</summary>" in details
    assert "- **feature** table column 'Namespace' added (string) (`properties.schema.columns['Namespace']`)" in lines
    assert f"  - {OLD_TABLE_TEXT}" in lines and f"  + {NEW_TABLE_TEXT}" in lines


def test_markdown_escapes_what_reviewers_did_not_write_as_markup() -> None:
    from sentinel_pack.diff.output import md_code, md_text

    assert md_text("a|b <script> *x*") == "a\\|b &lt;script&gt; \\*x\\*"
    assert md_code("a`b") == "``a`b``"


def test_json_output_shape(eks_300: Path, solution_copy: Path, tmp_path: Path) -> None:
    new = build_301(solution_copy, tmp_path / "new")
    result = CliRunner().invoke(app, ["diff", str(eks_300), str(new), "-f", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"old", "new", "summary", "required_bump", "actual_bump", "version_ok", "problems", "artefacts",
                         "unchanged"}
    assert data["old"]["version"] == SOLUTION_VERSION and data["new"]["version"] == PATCH
    assert data["summary"] == {"breaking": 0, "feature": 4, "fix": 2, "release": 5}
    assert (data["required_bump"], data["actual_bump"], data["version_ok"]) == ("minor", "patch", False)
    table = next(a for a in data["artefacts"] if a["name"] == TABLE)
    assert table["status"] == "changed"
    added = next(c for c in table["changes"] if c["kind"] == "added")
    assert added == {"path": "properties.schema.columns['Namespace']",
                     "path_parts": ["properties", "schema", "columns", "Namespace"], "kind": "added",
                     "category": "feature", "summary": "table column 'Namespace' added (string)", "old": None,
                     "new": {"name": "Namespace", "type": "string", "description": "Namespace"}}
    assert DEFINITION in data["unchanged"]


def test_identical_sides_need_no_bump(eks_300: Path) -> None:
    result = CliRunner().invoke(app, ["diff", str(eks_300), str(eks_300), "--check-version"])
    assert result.exit_code == 0, result.output
    assert "required bump: none" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["diff"], "diff needs OLD and NEW"),
    (["diff", "a", "--to", "HEAD"], "--to needs --from"),
    (["diff", "does-not-exist", "also-not"], "no such file or folder"),
])
def test_usage_errors_exit_2_with_a_message(args: list[str], message: str, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_broken_json_artefact_is_named(eks_300: Path, tmp_path: Path) -> None:
    new = tmp_path / "new"
    shutil.copytree(eks_300, new)
    (new / TABLE).write_text("{not json", encoding="utf-8")
    result = CliRunner().invoke(app, ["diff", str(eks_300), str(new)])
    assert result.exit_code == 1
    assert f"{new}: {TABLE}:1:2: not valid JSON" in result.output


def _json_values():
    from hypothesis import strategies as st

    scalars = st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from([0.0, 1.0, 2.5]) | \
        st.sampled_from(["", "a", "b"])
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) |
                        st.dictionaries(st.sampled_from(["k", "l", "m", "n"]), inner, max_size=4), max_leaves=20)


def _mutated(value, draw):
    """A copy of ``value`` with a few changes somewhere inside (so that most of it is shared)."""
    from hypothesis import strategies as st

    if isinstance(value, dict) and value and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(value)))
        return {**value, key: _mutated(value[key], draw)}
    if isinstance(value, list) and value and draw(st.booleans()):
        index = draw(st.integers(0, len(value) - 1))
        return [*value[:index], _mutated(value[index], draw), *value[index + 1:]]
    return draw(_json_values())


def test_the_pruned_json_diff_is_deepdiffs_own_answer() -> None:
    """semantic._json_changes asks DeepDiff only about the subtrees that differ: on any pair of
    documents it must give exactly what DeepDiff gives on the whole pair."""
    from deepdiff import DeepDiff
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from sentinel_pack.diff import semantic

    def whole(old, new):
        changes = []
        if json.dumps(old, sort_keys=True) == json.dumps(new, sort_keys=True):
            return changes
        tree = DeepDiff(old, new, view="tree", threshold_to_diff_deeper=0, verbose_level=2)
        for report, levels in tree.items():
            kind = semantic._KINDS.get(report)
            for level in levels if kind else []:
                changes.append((tuple(level.path(output_format="list")), kind,
                                None if kind == "added" else level.t1, None if kind == "removed" else level.t2))
        return sorted(changes, key=repr)

    @settings(max_examples=300, deadline=None)
    @given(st.data())
    def check(data) -> None:
        old = data.draw(_json_values())
        new = _mutated(old, data.draw) if data.draw(st.booleans()) else data.draw(_json_values())
        pruned = sorted(((c.path, c.kind, c.old, c.new) for c in semantic._json_changes(old, new)), key=repr)
        assert pruned == whole(old, new)

    check()
