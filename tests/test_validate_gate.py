"""The gate cannot be fooled: whatever validate cannot read is a finding or a usage error.

Each case is one way a pull request could slip broken input past ``validate``: an unreadable
or missing file (an error finding with its own rule id), a path that is not a solution (exit
2 saying what was expected), a ``--select`` that would select nothing (exit 2).
"""

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
from sentinel_pack.validate.runner import run, selected, validate_paths

runner = CliRunner()
MAIN = "Package/mainTemplate.json"
UI = "Package/createUiDefinition.json"
ZIP = "Package/3.2.0.zip"  # the release solution/ builds (built_full)
DCR = "Data Connectors/AWSEKS_DCR.json"
TABLE = "Data Connectors/AWSEKS_Table.json"
POLLER = "Data Connectors/AWSEKS_PollingConfig.json"
DEF = "Data Connectors/AWSEKS_ConnectorDefinition.json"
CFN = "Data Connectors/CloudFormationTemplates/AWS_EKS_Resources_Deployment.json"


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _truncate(rel: str) -> Callable[[Path], None]:
    return lambda root: (root / rel).write_bytes((root / rel).read_bytes()[:300])


def _write(rel: str, data: bytes) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return apply


def _delete(rel: str) -> Callable[[Path], None]:
    return lambda root: (root / rel).unlink()


def _bad_utf8(rel: str) -> Callable[[Path], None]:
    return lambda root: (root / rel).write_bytes((root / rel).read_bytes().replace(b'"', b'"\xc3\x28', 1))


BROKEN_FILES: list[tuple[str, Callable[[Path], None], str]] = [
    ("template-truncated", _truncate(MAIN), "SP002"),
    ("template-empty", _write(MAIN, b""), "SP001"),
    ("template-whitespace-only", _write(MAIN, b"  \n"), "SP001"),
    ("template-invalid-utf8", _bad_utf8(MAIN), "SP003"),
    ("template-deleted", _delete(MAIN), "SP006"),
    ("ui-definition-truncated", _truncate(UI), "SP002"),
    ("ui-definition-deleted", _delete(UI), "SP006"),
    ("dcr-empty", _write(DCR, b""), "SP001"),
    ("dcr-deleted", _delete(DCR), "SP006"),
    ("table-deleted", _delete(TABLE), "SP006"),
    ("poller-deleted", _delete(POLLER), "SP006"),
    ("definition-deleted", _delete(DEF), "SP006"),
    ("definition-trailing-comma", lambda root: (root / DEF).write_text(
        (root / DEF).read_text(encoding="utf-8").rstrip().removesuffix("}") + ",}", encoding="utf-8"), "SP002"),
    ("cloudformation-truncated", _truncate(CFN), "SP002"),
    ("cloudformation-invalid-utf8", _bad_utf8(CFN), "SP003"),
    ("metadata-truncated", _truncate("SolutionMetadata.json"), "SP002"),
    ("data-file-truncated", _truncate("Data/Solution_AWSEKS.json"), "SP002"),
    ("version-zip-deleted", _delete(ZIP), "SP501"),
    ("version-zip-garbage", _write(ZIP, b"PK\x03\x04 not really a zip"), "SP005"),
    ("version-zip-empty", _write(ZIP, _zip({})), "SP501"),
    ("older-zip-corrupt", _write("Package/2.0.0.zip", b"garbage"), "SP005"),
    ("parser-invalid-yaml", _write("Parsers/X.yaml", b"FunctionQuery: |\n  x\n bad: [unclosed\n"), "SP004"),
    ("parser-empty", _write("Parsers/X.yaml", b""), "SP001"),
    ("unexpected-package-file", _write("Package/notes.txt", b"x"), "SP007"),
    ("unexpected-connector-json", _write("Data Connectors/Other.json", b'{"hello": "world"}'), "SP007"),
]


@pytest.mark.parametrize(("name", "breaks", "rule_id"), BROKEN_FILES, ids=[c[0] for c in BROKEN_FILES])
def test_a_file_validate_cannot_read_is_a_finding(name: str, breaks: Callable[[Path], None], rule_id: str,
                                                 built_full: Path, tmp_path: Path) -> None:
    root = tmp_path / "built"
    shutil.copytree(built_full, root)  # a build with no findings at all, so each one is the break's
    breaks(root)
    findings = validate_paths([root])
    assert rule_id in {f.rule for f in findings}, [f.render() for f in findings]
    assert not [f for f in findings if "crashed" in f.message], [f.render() for f in findings]
    if rule_id != "SP007":  # unexpected files are reported, missing and unreadable ones fail the gate
        assert runner.invoke(app, ["validate", str(root)]).exit_code == 1


def test_invalid_json_names_its_line_and_column(built_full: Path, tmp_path: Path) -> None:
    root = tmp_path / "built"
    shutil.copytree(built_full, root)
    text = (root / DCR).read_text(encoding="utf-8")
    (root / DCR).write_text(text.replace('"kind": "Direct"', '"kind": Direct', 1) if '"kind": "Direct"' in text
                            else text.replace('"location"', "location", 1), encoding="utf-8")
    (finding,) = [f for f in validate_paths([root]) if f.rule == "SP002"]
    assert finding.file.endswith(DCR) and finding.line and finding.column


ZIPS: list[tuple[str, dict[str, bytes] | bytes, set[str]]] = [
    ("empty-zip", {}, {"SP006"}),
    ("readme-only", {"README.md": b"hello"}, {"SP006", "SP007"}),
    ("no-ui-definition", {"mainTemplate.json": b"{}"}, {"SP006"}),
    ("not-a-zip", b"this is text", {"SP005"}),
    ("truncated-zip", "truncate", {"SP005"}),
]


@pytest.mark.parametrize(("name", "members", "rules"), ZIPS, ids=[z[0] for z in ZIPS])
def test_a_broken_package_zip_is_a_finding(name: str, members, rules: set[str], built_full: Path,
                                           tmp_path: Path) -> None:
    path = tmp_path / "3.2.0.zip"
    if members == "truncate":
        path.write_bytes((built_full / ZIP).read_bytes()[:200])
    else:
        path.write_bytes(members if isinstance(members, bytes) else _zip(members))
    findings = validate_paths([path])
    assert rules <= {f.rule for f in findings}, [f.render() for f in findings]
    assert all(f.file == str(path) for f in findings)
    assert runner.invoke(app, ["validate", str(path)]).exit_code == 1


def _random_folder(root: Path) -> Path:
    (root / "notes").mkdir(parents=True)
    (root / "notes/todo.txt").write_text("x", encoding="utf-8")
    (root / "config.ini").write_text("[a]\n", encoding="utf-8")
    return root


WRONG_PATHS: list[tuple[str, Callable[[Path], Path]]] = [
    ("empty-folder", lambda tmp: (tmp / "empty").mkdir() or tmp / "empty"),
    ("random-folder", lambda tmp: _random_folder(tmp / "random")),
    ("missing-path", lambda tmp: tmp / "does-not-exist"),
    ("a-text-file", lambda tmp: (tmp / "README.md").write_text("x", encoding="utf-8") and tmp / "README.md"),
    ("a-json-file", lambda tmp: (tmp / "x.json").write_text("{}", encoding="utf-8") and tmp / "x.json"),
    ("system-folder", lambda tmp: Path("/etc")),
]


@pytest.mark.parametrize(("name", "make"), WRONG_PATHS, ids=[w[0] for w in WRONG_PATHS])
def test_a_path_that_is_no_solution_is_a_usage_error(name: str, make: Callable[[Path], Path], tmp_path: Path) -> None:
    path = make(tmp_path)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "expected a solution source folder" in result.output and "Traceback" not in result.output


def test_a_folder_of_solutions_validates_each_and_says_so(built_full: Path, tmp_path: Path) -> None:
    solutions = tmp_path / "Solutions"
    shutil.copytree(built_full, solutions / "Good")
    shutil.copytree(built_full, solutions / "Broken")
    (solutions / "Broken" / DCR).write_bytes(b"")
    (solutions / "not-a-solution").mkdir()
    result = run([solutions])
    assert [Path(s).name for s in result.solutions] == ["Broken", "Good"]
    assert {f.rule for f in result.findings if "/Broken/" in f.file} >= {"SP001"}
    assert not [f for f in result.findings if "/Good/" in f.file]
    cli = runner.invoke(app, ["validate", str(solutions)])
    assert cli.exit_code == 1 and "Validated 2 solutions" in cli.output
    shutil.rmtree(solutions / "Broken")
    one = runner.invoke(app, ["validate", str(solutions)])
    assert one.exit_code == 0 and f"Validated 1 solution: {(solutions / 'Good').as_posix()}." in one.output


def test_a_folder_of_templates_named_package_is_no_solution(tmp_path: Path) -> None:
    (tmp_path / "templates/package").mkdir(parents=True)
    (tmp_path / "templates/package/mainTemplate.json.j2").write_text("{}", encoding="utf-8")
    assert runner.invoke(app, ["validate", str(tmp_path / "templates")]).exit_code == 2


BAD_SELECTIONS = [["--select", "XYZ"], ["--select", "SP99"], ["--ignore", "nonsense"], ["--select", ""],
                  ["--select", "SP4", "--select", "SP40x"], ["--select", "SP401,SP40x"], ["--select", "SP401,"]]


@pytest.mark.parametrize("options", BAD_SELECTIONS, ids=[" ".join(o) or "empty" for o in BAD_SELECTIONS])
def test_a_selection_that_matches_no_rule_is_a_usage_error(options: list[str], built_eks: Path) -> None:
    result = runner.invoke(app, ["validate", str(built_eks), *options])
    assert result.exit_code == 2 and "no rule id starts with" in result.output


def test_select_takes_prefixes_case_insensitively() -> None:
    assert selected(["sp3"]) == selected(["SP3"]) and all(r.startswith("SP3") for r in selected(["sp3"]))
    assert selected(["SP30"]) == [r for r in selected() if r.startswith("SP30")]
    assert "SP302" not in selected(ignore=["sp302"])
    assert selected(["sp401"]) == ["SP401"]
    assert selected(["SP401, sp402"]) == ["SP401", "SP402"] == selected(["SP401", "SP402"])


def test_built_eks_is_clean_and_fully_accounted_for(built_full: Path) -> None:
    assert validate_paths([built_full]) == []  # AWS EKS as released (3.2.0): no finding, warnings included


def test_a_stale_package_names_what_differs(built_full: Path, tmp_path: Path) -> None:
    root = tmp_path / "built"
    shutil.copytree(built_full, root)
    doc = json.loads((root / DEF).read_text(encoding="utf-8"))
    doc["properties"]["connectorUiConfig"]["sampleQueries"][1]["query"] += "\n| take 5"
    (root / DEF).write_text(json.dumps(doc, indent=2), encoding="utf-8")
    found = [f for f in validate_paths([root]) if f.rule == "SP505"]
    assert len(found) == 2  # the package carries the definition twice (its contentTemplate, and itself)
    for finding in found:
        assert finding.path == "properties.connectorUiConfig.sampleQueries[1].query"
        assert "take 5" in finding.message and "Package/mainTemplate.json" in finding.message
        assert finding.file.endswith(DEF) and finding.line


@pytest.mark.parametrize(("text", "line"), [("", None), ("solution: [unclosed\n", 2), ("\xff", None)],
                         ids=["manifest-empty", "manifest-invalid-yaml", "manifest-not-utf8"])
def test_an_unreadable_manifest_is_a_finding(text: str, line: int | None, solution_copy: Path) -> None:
    (solution_copy / "solution.yaml").write_bytes(text.encode("latin-1"))
    findings = [f for f in validate_paths([solution_copy]) if f.rule == "SP101"]
    assert findings and findings[0].file.endswith("solution/solution.yaml")
    assert line is None or findings[0].line == line
    assert runner.invoke(app, ["validate", str(solution_copy)]).exit_code == 1


@pytest.mark.parametrize("properties", [
    {"dataFlows": {"outputStream": "Custom-X"}},
    {"dataFlows": ["Custom-X"], "streamDeclarations": ["Custom-X"]},
    {"streamDeclarations": "Custom-X"},
    {"dataFlows": [{"outputStream": {"a": 1}}], "streamDeclarations": {"Custom-X": {"columns": "none"}}},
])
def test_hand_edited_shapes_in_connector_files_are_findings_not_crashes(properties: dict, reference_root: Path,
                                                                        tmp_path: Path) -> None:
    folder = tmp_path / "Miro"
    shutil.copytree(reference_root / "corpus" / "Miro", folder)
    dcr_file = folder / "Data Connectors" / "MiroAuditLogs_CCF" / "MiroAuditLogs_DCR.json"
    document = json.loads(dcr_file.read_text(encoding="utf-8"))
    dcr = document[0] if isinstance(document, list) else document
    dcr["properties"].update(properties)
    dcr_file.write_text(json.dumps(document), encoding="utf-8")
    findings = validate_paths([folder])
    assert not [f.render() for f in findings if "crashed" in f.message]
    assert any(f.rule.startswith("SP2") for f in findings)  # the provider schema names the bad shape
