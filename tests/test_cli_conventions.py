"""The command line's conventions (issue 15): -h, metavars, exit codes, defaults, colour, --output,
-q/-v, configuration files, ``rules``, completion, init names, stale files, the pre-commit hook."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer
import yaml
from conftest import REPO, SOLUTION
from typer.testing import CliRunner, Result

from sentinel_pack.cli import app

runner = CliRunner()
COMMANDS = sorted(typer.main.get_command(app).commands)
CURRENT = yaml.safe_load((SOLUTION / "solution.yaml").read_text(encoding="utf-8"))["solution"]["version"]


def invoke(*args: str, **kwargs: object) -> Result:
    return runner.invoke(app, list(args), terminal_width=200, **kwargs)


# --- help -------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [[], *[[name] for name in COMMANDS]])
def test_dash_h_and_real_metavars(command: list[str]) -> None:
    result = invoke(*command, "-h")
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
    # Python types and typer's {required} braces are not placeholders a user can read
    assert not re.search(r"<(list\[|str>|path>|int>)|\{[A-Za-z]+\}", result.output), result.output
    assert "docs/" not in result.output  # not installed: point at 'sentinel-pack rules' / 'docs' instead


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_takes_the_output_options(command: str) -> None:
    text = invoke(command, "--help").output
    for option in ("-q, --quiet", "-v, --verbose", "--color <auto|always|never>", "--output FILE"):
        assert option in text, (command, option)


def test_kind_lists_its_choices_and_a_bad_kind_is_a_usage_error(tmp_path: Path) -> None:
    assert "--kind <aws-s3|rest-api>" in invoke("init", "-h").output
    result = invoke("init", "X", "--kind", "aws", "--dir", str(tmp_path / "x"))
    assert result.exit_code == 2
    assert "'aws' is not one of 'aws-s3', 'rest-api'" in result.output
    assert not (tmp_path / "x").exists()


def test_help_is_fast_no_heavy_import() -> None:
    code = ("import sys; from sentinel_pack.cli import app; heavy = {'rich', 'jinja2', 'jsonschema', 'yaml', "
            "'cfnlint', 'deepdiff'}; print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert proc.stdout.strip() == "[]"


# --- exit codes and defaults ------------------------------------------------------------------

@pytest.mark.parametrize("command", ["build", "import", "release", "validate"])
def test_a_missing_path_exits_2_in_every_command(command: str) -> None:
    args = [command, "/nonexistent/solution"] + (["-m", "x"] if command == "release" else [])
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert "/nonexistent/solution: no such file or folder" in result.output


def test_path_defaults_to_the_current_folder(solution_copy: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(solution_copy)
    assert invoke("build", "--out", str(tmp_path / "out"), "-q").exit_code == 0
    assert (tmp_path / "out" / "Package" / f"{CURRENT}.zip").is_file()
    assert invoke("validate", "-q", "--select", "SP1").exit_code == 0


def test_diff_text_is_the_word_validate_uses_and_tree_still_works() -> None:
    old, new = str(SOLUTION / "Package/3.0.0.zip"), str(SOLUTION / "Package/3.1.0.zip")
    text = invoke("diff", old, new, "--format", "text")
    tree = invoke("diff", old, new, "--format", "tree")
    assert text.exit_code == tree.exit_code == 0
    assert text.output == tree.output == invoke("diff", old, new).output
    assert "text (the terminal; 'tree' is the same)" in " ".join(invoke("diff", "-h").output.split())


def test_one_warning_is_singular(reference_eks: Path) -> None:
    result = invoke("validate", str(reference_eks), "--select", "SP408")
    assert result.output.splitlines()[-1] == "0 errors, 1 warning."


# --- output options ---------------------------------------------------------------------------

def test_output_file_holds_the_report_and_stdout_stays_empty(reference_eks: Path, tmp_path: Path) -> None:
    target = tmp_path / "results.sarif"
    result = invoke("validate", str(reference_eks), "--format", "sarif", "--output", str(target))
    assert result.exit_code == 1 and result.output == ""
    sarif = json.loads(target.read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    assert {r["help"]["text"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]} >= {"sentinel-pack rules SP407"}
    summary = tmp_path / "build.txt"
    assert invoke("build", str(SOLUTION), "--out", str(tmp_path / "o"), "--output", str(summary)).output == ""
    assert f"Package/{CURRENT}.zip" in summary.read_text(encoding="utf-8")
    assert "\x1b[" not in summary.read_text(encoding="utf-8")
    bad = invoke("rules", "--output", str(tmp_path / "no" / "such" / "dir.txt"))
    assert bad.exit_code == 2 and "cannot write" in bad.output


def test_color_always_never_and_no_color(reference_eks: Path) -> None:
    args = ("validate", str(reference_eks), "--select", "SP408")
    assert "\x1b[" in invoke(*args, "--color", "always").output
    assert "\x1b[" not in invoke(*args, "--color", "never").output
    assert "\x1b[" not in invoke(*args).output  # not a terminal
    assert "\x1b[" not in invoke(*args, env={"NO_COLOR": "1", "FORCE_COLOR": "1"}).output
    assert "\x1b[" in invoke(*args, "--color", "always", env={"NO_COLOR": "1"}).output  # the flag wins
    assert invoke(*args, "--color", "sometimes").exit_code == 2


def test_quiet_and_verbose(tmp_path: Path) -> None:
    assert invoke("build", str(SOLUTION), "--out", str(tmp_path), "-q").output == ""
    verbose = invoke("build", str(SOLUTION), "--out", str(tmp_path), "-v").output
    import hashlib

    assert hashlib.sha256((tmp_path / f"Package/{CURRENT}.zip").read_bytes()).hexdigest() in verbose  # full digest
    assert invoke("validate", str(SOLUTION), "-q", "--select", "SP1").output == ""
    assert invoke("rules", "-q").output.splitlines()[-1].startswith("SP")
    assert invoke("build", str(SOLUTION), "-q", "-v").exit_code == 2


def test_shell_completion() -> None:
    def complete(**env: str) -> str:
        proc = subprocess.run([sys.executable, "-c", "from sentinel_pack.cli import main; main()"],
                              env={**os.environ, **env}, capture_output=True, text=True, cwd=REPO)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    # the script --install-completion installs (--show-completion detects the shell, so not tested here)
    assert "complete -o default -F _sentinel_pack_completion sentinel-pack" in complete(
        _SENTINEL_PACK_COMPLETE="source_bash")
    words = {"_SENTINEL_PACK_COMPLETE": "complete_bash", "COMP_CWORD": "4",
             "COMP_WORDS": "sentinel-pack init x --kind "}
    assert complete(**words).split() == ["aws-s3", "rest-api"]
    assert "--install-completion" in invoke("--help").output


# --- configuration ----------------------------------------------------------------------------

@pytest.fixture
def repo_with_upstream(tmp_path: Path, reference_eks: Path) -> Path:
    (tmp_path / ".git").mkdir()  # the repository root: the search for a configuration stops here
    shutil.copytree(reference_eks, tmp_path / "Solutions" / "AWS EKS")
    return tmp_path


def test_config_file_ignores_per_rule(repo_with_upstream: Path) -> None:
    solution = repo_with_upstream / "Solutions" / "AWS EKS"
    rules = {f["rule"] for f in json.loads(invoke("validate", str(solution), "--format", "json").output)}
    assert {"SP407", "SP408"} <= rules
    (repo_with_upstream / ".sentinel-pack.toml").write_text('ignore = ["SP4", "sp3"]\n', encoding="utf-8")
    left = {f["rule"] for f in json.loads(invoke("validate", str(solution), "--format", "json").output)}
    assert left == rules - {r for r in rules if r.startswith(("SP3", "SP4"))}
    unconfigured = json.loads(invoke("validate", str(solution), "--format", "json", "--no-config").output)
    assert {f["rule"] for f in unconfigured} == rules


def test_pyproject_ignores_per_path(repo_with_upstream: Path) -> None:
    (repo_with_upstream / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.sentinel-pack.per-path-ignores]\n'
        '"Solutions/AWS EKS/Data Connectors/*_ConnectorDefinition.json" = ["SP407"]\n', encoding="utf-8")
    solution = repo_with_upstream / "Solutions" / "AWS EKS"
    findings = json.loads(invoke("validate", str(solution), "--format", "json").output)
    assert "SP407" not in {f["rule"] for f in findings}
    assert "SP408" in {f["rule"] for f in findings}  # another file: still reported


@pytest.mark.parametrize(("text", "message"), [
    ('ignores = ["SP302"]\n', "unknown key 'ignores'"),
    ('ignore = "SP302"\n', "ignore must be a list of rule ids"),
    ("ignore = [\n", "not valid TOML"),
])
def test_a_bad_config_is_a_clear_usage_error(repo_with_upstream: Path, text: str, message: str) -> None:
    (repo_with_upstream / ".sentinel-pack.toml").write_text(text, encoding="utf-8")
    result = invoke("validate", str(repo_with_upstream / "Solutions" / "AWS EKS"))
    assert result.exit_code == 2
    assert f"{repo_with_upstream / '.sentinel-pack.toml'}" in result.output and message in result.output


# --- rules and docs ---------------------------------------------------------------------------

def test_rules_lists_every_rule_with_severity_and_summary() -> None:
    from sentinel_pack.validate.finding import RULES
    from sentinel_pack.validate.runner import selected

    ids = selected()
    data = json.loads(invoke("rules", "--format", "json").output)
    assert [row["id"] for row in data] == ids
    assert all(row["severity"] == RULES[row["id"]].severity and row["summary"] == RULES[row["id"]].title
               for row in data)
    text = invoke("rules").output
    assert all(f"{r}  {RULES[r].severity:<7}  {RULES[r].title}\n" in text for r in ids)


def test_every_rule_has_shipped_documentation() -> None:
    from sentinel_pack.ruledocs import sections
    from sentinel_pack.validate.runner import selected

    docs = sections()
    assert [r for r in selected() if r not in docs] == []
    shown = invoke("rules", "SP401")
    assert shown.exit_code == 0 and shown.output.startswith("## SP401 ")
    assert "## SP402" not in shown.output
    assert invoke("rules", "sp40").output.splitlines()[0].startswith("SP401")
    unknown = invoke("rules", "SP999")
    assert unknown.exit_code == 2 and "no rule 'SP999'" in unknown.output


def test_docs_are_shipped_in_the_wheel() -> None:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]["docs"] == "sentinel_pack/docs"
    result = invoke("docs", "manifest")
    assert result.exit_code == 0 and result.output == (REPO / "docs/manifest.md").read_text(encoding="utf-8")
    assert invoke("docs", "manifests").exit_code == 2


# --- init -------------------------------------------------------------------------------------

def test_init_transliterates_a_non_ascii_name(tmp_path: Path) -> None:
    result = invoke("init", "Café Événements", "--dir", str(tmp_path / "cafe"))
    assert result.exit_code == 0, result.output
    data = yaml.safe_load((tmp_path / "cafe" / "solution.yaml").read_text(encoding="utf-8"))
    assert data["solution"]["name"] == "Cafe Evenements"
    assert data["table"]["name"] == "CafeEvenements_CL"
    assert invoke("build", str(tmp_path / "cafe"), "-q").exit_code == 0


def test_init_explains_a_name_without_latin_letters(tmp_path: Path) -> None:
    result = invoke("init", "日本語", "--dir", str(tmp_path / "x"))
    assert result.exit_code == 2
    assert "has no letters that can be written in ASCII" in " ".join(result.output.split())
    assert "[A-Za-z" not in result.output  # words, not a regular expression


def test_the_manifest_header_command_can_be_pasted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert invoke("init", "Contoso Events").exit_code == 0
    text = (tmp_path / "Contoso Events" / "solution.yaml").read_text(encoding="utf-8")
    assert "docs/" not in text and "sentinel-pack docs manifest" in text
    command = next(line for line in text.splitlines() if line.startswith("#   sentinel-pack build"))
    argv = shlex.split(command.lstrip("# "))
    assert argv == ["sentinel-pack", "build", "Contoso Events"]
    assert invoke(*argv[1:], "-q").exit_code == 0
    next_step = invoke("init", "Other Name").output
    assert "then run: sentinel-pack build 'Other Name'" in next_step


# --- stale generated files --------------------------------------------------------------------

def test_stale_files_after_a_file_prefix_change_are_listed_and_cleaned(solution_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert invoke("build", str(solution_copy), "--out", str(out), "-q").exit_code == 0
    manifest = solution_copy / "solution.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("file_prefix: AWSEKS", "file_prefix: EKSAudit"),
                        encoding="utf-8")
    (out / "Data Connectors" / "AWSEKS_Table.json").write_text("{}", encoding="utf-8")  # edited by hand: kept
    (out / "Data Connectors" / "Notes.json").write_text("{}", encoding="utf-8")  # never generated: not ours
    result = invoke("build", str(solution_copy), "--out", str(out), "--force")
    assert result.exit_code == 0, result.output
    old = ["Data Connectors/AWSEKS_ConnectorDefinition.json", "Data Connectors/AWSEKS_DCR.json",
           "Data Connectors/AWSEKS_PollingConfig.json"]
    assert "3 files an earlier build generated, no longer built (remove with 'sentinel-pack build --clean')" \
        in result.output
    assert all(f"  {rel}\n" in result.output for rel in old)
    assert "AWSEKS_Table.json" in result.output and "edited since" in result.output
    assert "Notes.json" not in result.output

    again = invoke("build", str(solution_copy), "--out", str(out), "--clean")
    assert again.exit_code == 0, again.output
    assert not any((out / rel).exists() for rel in old)
    assert (out / "Data Connectors" / "AWSEKS_Table.json").exists() and (out / "Data Connectors/Notes.json").exists()
    assert (out / "Data Connectors" / "EKSAudit_DCR.json").exists() and (out / f"Package/{CURRENT}.zip").exists()
    assert "no longer built (remove" not in invoke("build", str(solution_copy), "--out", str(out)).output


# --- pre-commit -------------------------------------------------------------------------------

def test_pre_commit_hook_validates_only_the_solutions_whose_files_changed(tmp_path: Path, reference_eks: Path) -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert all(hook["pass_filenames"] is True and hook["entry"].startswith("sentinel-pack pre-commit")
               for hook in hooks)
    shutil.copytree(SOLUTION, tmp_path / "Solutions" / "Good One")
    shutil.copytree(reference_eks, tmp_path / "Solutions" / "Broken One")
    (tmp_path / "README.md").write_text("x", encoding="utf-8")
    changed = [str(tmp_path / "Solutions/Good One/solution.yaml"), str(tmp_path / "README.md"),
               str(tmp_path / "Solutions/Good One/Data Connectors/AWSEKS_DCR.json")]
    result = invoke("pre-commit", "-v", "--ignore", "SP302", *changed)
    assert result.exit_code == 0, result.output
    assert result.output.count("checking ") == 1 and "Good One" in result.output and "Broken One" not in result.output
    broken = invoke("pre-commit", str(tmp_path / "Solutions/Broken One/Data Connectors/AWSEKS_DCR.json"))
    assert broken.exit_code == 1 and "error SP407" in broken.output
    assert invoke("pre-commit", str(tmp_path / "README.md")).exit_code == 0  # no solution touched


# --- one finding per problem ------------------------------------------------------------------

def test_a_broken_analytic_rule_gives_one_finding_per_problem(solution_copy: Path) -> None:
    rule = solution_copy / "Analytic Rules" / "EKSAccessEntryModified.yaml"
    text = rule.read_text(encoding="utf-8")
    for old, new in (("queryFrequency: 1h", "queryFrequency: soon"), ("  - Persistence", "  - Persistance"),
                     ("severity: Medium", "severity: Huge")):
        assert old in text
        text = text.replace(old, new, 1)
    rule.write_text(text, encoding="utf-8")
    findings = json.loads(invoke("validate", str(solution_copy), "--format", "json", "--select", "SP1",
                                 "--select", "SP8").output)
    mine = [f for f in findings if "EKSAccessEntryModified.yaml" in f["file"]]
    assert sorted((f["rule"], f["path"]) for f in mine) == [
        ("SP801", "queryFrequency"), ("SP801", "severity"), ("SP801", "tactics[0]")]
    # with the specific rule not selected, the manifest rule still reports them
    alone = json.loads(invoke("validate", str(solution_copy), "--format", "json", "--select", "SP101").output)
    assert len([f for f in alone if "EKSAccessEntryModified.yaml" in f["file"]]) == 3


@pytest.mark.parametrize(("argv", "code"), [
    (["validate", "SOLUTION"], 130),  # Ctrl-C: the shell's convention, not click's "Aborted!" and 1
    (["validate", "--no-such-option"], 2),
    (["--version"], 0),
])
def test_main_exit_codes(argv: list[str], code: int, monkeypatch: pytest.MonkeyPatch,
                         capfd: pytest.CaptureFixture[str]) -> None:
    import sys

    from sentinel_pack import cli
    from sentinel_pack.validate import runner

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "run", interrupted)
    monkeypatch.setattr(sys, "argv", ["sentinel-pack", *[str(SOLUTION) if a == "SOLUTION" else a for a in argv]])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == code
    if code == 130:
        assert "interrupted" in capfd.readouterr().err
