"""Speed never changes a verdict: the on-disk cache, the cfn-lint helper and --jobs give the same findings.

Timings are the benchmark's business (benchmarks/bench_validate.py); these tests assert behaviour:
hits and misses, corrupt and foreign cache entries, the order of results, what --help imports.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sentinel_pack.perf import cfnlint, diskcache
from sentinel_pack.validate.runner import run

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = "Data Connectors/CloudFormationTemplates/OIDC_Web_Identity_Provider.json"


@pytest.fixture
def broken(built_full: Path, tmp_path: Path) -> Path:
    """The built solution with a template cfn-lint objects to (a resource type that does not exist)."""
    dest = tmp_path / "AWS_EKS"
    shutil.copytree(built_full, dest)
    path = dest / TEMPLATE
    template = json.loads(path.read_text(encoding="utf-8"))
    template["Resources"]["Typo"] = {"Type": "AWS::S3::Bukket", "Properties": {}}
    path.write_text(json.dumps(template, indent=2), encoding="utf-8")
    return dest


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(diskcache.DIR_ENV, str(folder))
    monkeypatch.delenv(diskcache.OFF_ENV, raising=False)
    diskcache.set_enabled(None)
    cfnlint.lint.cache_clear()  # forget this process's answers: only the disk may remember
    yield folder
    diskcache.set_enabled(None)
    cfnlint.lint.cache_clear()


def _fresh_run(path: Path, **options):
    cfnlint.lint.cache_clear()
    before = dict(cfnlint.stats)
    result = run([path], jobs=1, **options)
    counts = {k: cfnlint.stats[k] - before[k] for k in before}
    counts["linted"] += counts.pop("helper")  # a helper another test started lints for this process
    return result, counts


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.json")) if folder.is_dir() else []


def test_second_run_is_served_from_the_cache_with_the_same_findings(broken: Path, cache_dir: Path) -> None:
    first, counts = _fresh_run(broken)
    assert counts["linted"] >= 2 and counts["cached"] == 0
    assert any(f.rule == "SP301" and "Bukket" in f.message for f in first.findings)
    assert len(_entries(cache_dir / "cfn-lint")) == counts["linted"]
    second, counts = _fresh_run(broken)
    assert counts["linted"] == 0 and counts["cached"] >= 2
    assert second.findings == first.findings


def test_no_cache_neither_reads_nor_writes(broken: Path, cache_dir: Path) -> None:
    with_cache, _ = _fresh_run(broken)
    entries = _entries(cache_dir)
    for entry in entries:
        entry.write_text("{}", encoding="utf-8")
    without, counts = _fresh_run(broken, cache=False)
    assert counts["cached"] == 0 and counts["linted"] >= 2
    assert without.findings == with_cache.findings
    assert all(entry.read_text(encoding="utf-8") == "{}" for entry in entries)  # not rewritten either


@pytest.mark.parametrize("damage", ["truncated", "garbage", "not-utf8", "wrong-shape", "edited-findings"])
def test_a_corrupt_entry_is_a_miss_and_is_rewritten(broken: Path, cache_dir: Path, damage: str) -> None:
    first, _ = _fresh_run(broken)
    damaged = 0
    for entry in _entries(cache_dir / cfnlint.KIND):
        damaged += 1
        text = entry.read_text(encoding="utf-8")
        stored = json.loads(text)
        if damage == "truncated":
            entry.write_text(text[: len(text) // 2], encoding="utf-8")
        elif damage == "garbage":
            entry.write_text("not json at all", encoding="utf-8")
        elif damage == "not-utf8":
            entry.write_bytes(b"\xff\xfe\x00")
        elif damage == "wrong-shape":
            stored["value"] = "everything is fine"
            entry.write_text(json.dumps(stored), encoding="utf-8")
        elif stored["value"]:  # findings dropped without the checksum following: a bit flip, a hand edit
            stored["value"] = stored["value"][1:]
            entry.write_text(json.dumps(stored), encoding="utf-8")
        else:
            damaged -= 1
    assert damaged >= 1
    again, counts = _fresh_run(broken)
    assert again.findings == first.findings
    assert counts["linted"] == damaged
    third, counts = _fresh_run(broken)  # the entries were rewritten whole
    assert counts["linted"] == 0 and third.findings == first.findings


def test_an_entry_of_another_version_is_never_used(broken: Path, cache_dir: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    first, _ = _fresh_run(broken)
    # what another sentinel-pack / cfn-lint / python would have stored for the same text: nothing found
    text = (broken / TEMPLATE).read_text(encoding="utf-8")
    other = "sentinel-pack 0.0.1; cfn-lint 0.1.0; python 2.7; regions ('us-east-1',)"
    diskcache.put(cfnlint.KIND, diskcache.key(cfnlint.KIND, other, text), [])
    monkeypatch.setattr(cfnlint, "_versions", lambda: other)
    cfnlint.lint.cache_clear()
    assert cfnlint.lint(text) == ()  # the other version's entry is read only under its own key
    monkeypatch.undo()
    monkeypatch.setenv(diskcache.DIR_ENV, str(cache_dir))
    again, counts = _fresh_run(broken)
    assert again.findings == first.findings and counts["cached"] >= 2


def test_the_key_covers_content_and_versions() -> None:
    base = diskcache.key("cfn-lint", "v1", "text")
    assert base == diskcache.key("cfn-lint", "v1", "text")
    assert len({base, diskcache.key("cfn-lint", "v2", "text"), diskcache.key("cfn-lint", "v1", "text "),
                diskcache.key("cfn-lint", "v1t", "ext")}) == 4


def test_the_cache_folder_follows_the_platform(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(diskcache.DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if sys.platform != "win32":
        assert diskcache.folder() == tmp_path / "xdg" / "sentinel-pack"
    monkeypatch.setenv(diskcache.DIR_ENV, str(tmp_path / "mine"))
    assert diskcache.folder() == tmp_path / "mine"
    monkeypatch.setenv(diskcache.OFF_ENV, "1")
    assert not diskcache.enabled()


def test_an_unwritable_cache_does_not_fail_the_run(broken: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv(diskcache.DIR_ENV, str(blocker / "cache"))  # below a file: cannot be created
    cfnlint.lint.cache_clear()
    result, counts = _fresh_run(broken)
    assert counts["linted"] >= 2 and any(f.rule == "SP301" for f in result.findings)


def _corpus_folder(reference_root: Path, broken: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "Solutions"
    folder.mkdir()
    for name in ("Miro", "AWS_AccessLogs", "OneTrust"):
        shutil.copytree(reference_root / "corpus" / name, folder / name)
    shutil.copytree(broken, folder / "AWS_EKS")
    return folder


def test_jobs_give_the_same_findings_in_the_same_order(reference_root: Path, broken: Path, tmp_path: Path,
                                                        cache_dir: Path) -> None:
    folder = _corpus_folder(reference_root, broken, tmp_path)
    one = run([folder], jobs=1, cache=False)
    two = run([folder], jobs=2, cache=False)
    assert one.solutions == [(folder / name).as_posix() for name in ("AWS_AccessLogs", "AWS_EKS", "Miro", "OneTrust")]
    assert two.solutions == one.solutions and two.expanded and one.expanded
    assert two.findings == one.findings
    assert {f.rule for f in one.findings} >= {"SP301"}
    # several paths: in the order given, each solution once per mention
    mixed = run([folder / "OneTrust", folder], jobs=2, cache=False)
    assert mixed.solutions[0].endswith("OneTrust") and mixed.solutions[1:] == one.solutions


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sentinel_pack", *args], capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, **(env or {})}, timeout=600, check=False)


def test_cli_jobs_and_helper_agree_with_one_process(reference_root: Path, broken: Path, tmp_path: Path) -> None:
    """Also through the command line: the pool, the cfn-lint helper (one solution, --jobs 2) and
    --jobs 1 print the same report; a CI log (not a terminal) gets one plain line per solution."""
    folder = _corpus_folder(reference_root, broken, tmp_path)
    env = {diskcache.DIR_ENV: str(tmp_path / "cli-cache")}
    one = _cli("validate", "--jobs", "1", "--no-cache", "-f", "json", str(folder), env=env)
    two = _cli("validate", "--jobs", "2", "-f", "json", str(folder), env=env)
    assert one.returncode == two.returncode == 1
    assert one.stdout == two.stdout and json.loads(one.stdout)
    progress = [line for line in two.stderr.splitlines() if line.startswith("[")]
    assert sorted(line.split("]")[0] for line in progress) == [f"[{i}/4" for i in range(1, 5)]
    assert any("AWS_EKS: " in line and "errors" in line for line in progress)
    single = [_cli("validate", "--jobs", jobs, "--no-cache", "-f", "json", str(broken), env=env)
              for jobs in ("1", "2")]
    assert single[0].stdout == single[1].stdout and "Bukket" in single[0].stdout
    assert not [line for line in single[1].stderr.splitlines() if line.startswith("[")]  # one solution: no progress


def test_help_imports_nothing_heavy() -> None:
    """--help must start fast: the commands import their heavy modules when they run."""
    code = ("import sys\nfrom sentinel_pack.cli import main\nsys.argv = ['sentinel-pack', '--help']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "heavy = ['cfnlint', 'jsonschema', 'jinja2', 'deepdiff', 'rich', 'yaml', 'multiprocessing',\n"
            "         'concurrent.futures', 'sentinel_pack.perf.cfnlint', 'sentinel_pack.validate.runner']\n"
            "print(sorted(m for m in heavy if m in sys.modules), file=sys.stderr)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=False)
    assert "Usage" in result.stdout
    assert result.stderr.strip().splitlines()[-1] == "[]"


def test_the_helper_is_started_only_for_templates_the_cache_lacks(broken: Path, reference_root: Path,
                                                                  cache_dir: Path) -> None:
    assert cfnlint.worth_a_helper(broken)  # nothing cached yet
    _fresh_run(broken)
    assert not cfnlint.worth_a_helper(broken)  # every template on disk is in the cache
    no_templates = reference_root / "corpus" / "OneTrust"
    assert not cfnlint.worth_a_helper(no_templates)
    diskcache.set_enabled(False)
    assert cfnlint.worth_a_helper(broken)  # --no-cache: the templates will be linted


def test_spawned_workers_give_the_same_findings(reference_root: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """macOS and Windows spawn their workers (nothing inherited): the task must travel by pickle."""
    import multiprocessing

    from sentinel_pack.perf import pool

    folder = tmp_path / "Solutions"
    for name in ("Miro", "OneTrust"):
        shutil.copytree(reference_root / "corpus" / name, folder / name)
    one = run([folder], jobs=1, cache=False)
    monkeypatch.setattr(pool, "_context", lambda: multiprocessing.get_context("spawn"))
    monkeypatch.setattr(pool, "forks", lambda: False)
    spawned = run([folder], jobs=2, cache=False)
    assert spawned.solutions == one.solutions and len(one.solutions) == 2
    assert spawned.findings == one.findings and one.findings


_EARLY = """
import sys
from sentinel_pack.cli import main
import sentinel_pack.validate.runner as runner
from sentinel_pack.kusto import engine
seen = []
load = runner.load_targets
def load_targets(path):
    seen.append(engine._thread is not None)  # has V8 begun loading before the solution is read?
    return load(path)
runner.load_targets = load_targets
sys.argv = ['sentinel-pack', 'validate', sys.argv[1], '-q']
try:
    main()
except SystemExit:
    pass
print('EARLY', seen, 'py_mini_racer' in sys.modules)
"""


def _validate_in_a_process(path: Path, cache: Path) -> str:
    env = {**os.environ, diskcache.DIR_ENV: str(cache)}
    env.pop(diskcache.OFF_ENV, None)
    done = subprocess.run([sys.executable, "-c", _EARLY, str(path)], capture_output=True, text=True, timeout=300,
                          env=env, cwd=REPO)
    return done.stdout.rsplit("EARLY", 1)[1].strip()


def test_a_cold_run_starts_the_kusto_engine_before_loading_and_a_warm_one_never(built_full: Path,
                                                                                tmp_path: Path) -> None:
    """The cache remembers that a run on these very files found every Kusto answer: only then
    does validate skip loading V8 ahead of the solution (and, all answers cached, at all)."""
    solution = tmp_path / "AWS_EKS"
    shutil.copytree(built_full, solution)
    cache = tmp_path / "cache"
    assert _validate_in_a_process(solution, cache) == "[True] True"  # cold: V8 loads while the solution is read
    assert _validate_in_a_process(solution, cache) == "[False] False"  # warm: never loaded
    rule = solution / "Analytic Rules" / sorted(p.name for p in (solution / "Analytic Rules").iterdir())[0]
    rule.write_text(rule.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert _validate_in_a_process(solution, cache) == "[True] True"  # a changed file: early again


def test_a_damaged_run_marker_only_costs_time(built_full: Path, tmp_path: Path) -> None:
    from sentinel_pack.kusto import results

    solution = tmp_path / "AWS_EKS"
    shutil.copytree(built_full, solution)
    cache = tmp_path / "cache"
    _validate_in_a_process(solution, cache)
    markers = [p for p in (cache / results.KIND).rglob("*.json") if json.loads(p.read_text())["value"] is True]
    assert len(markers) == 1
    markers[0].write_text(markers[0].read_text().replace("true", "false"), encoding="utf-8")  # checksum fails
    assert _validate_in_a_process(solution, cache) == "[True] True"  # a miss: V8 loads early again, as when cold
    assert json.loads(markers[0].read_text())["value"] is True  # and the marker is written whole again
    assert _validate_in_a_process(solution, cache) == "[False] False"


def test_rules_that_wait_on_background_answers_run_last_but_report_in_rule_order(built_full: Path) -> None:
    from sentinel_pack.validate import runner
    from sentinel_pack.validate.finding import RULES
    from sentinel_pack.validate.target import load_target

    target = load_target(built_full)
    order: list[str] = []
    rule_ids = runner.selected(select=("SP301", "SP401", "SP810", "SP9"))
    originals = {rule_id: RULES[rule_id].check for rule_id in rule_ids}

    def recording(rule_id):
        def check(view):
            order.append(rule_id)
            yield (f"file-of-{rule_id}", "", f"message of {rule_id}", "")
        return check

    try:
        for rule_id in rule_ids:
            object.__setattr__(RULES[rule_id], "check", recording(rule_id))
        findings = runner.check(target, rule_ids)
    finally:
        for rule_id, check in originals.items():
            object.__setattr__(RULES[rule_id], "check", check)
    waiting = [r for r in rule_ids if RULES[r].waits]
    assert waiting and set(waiting) >= {"SP301", "SP810"}
    assert order[-len(waiting):] == waiting  # the others first, meanwhile cfn-lint and Kusto work
    assert list(dict.fromkeys(f.rule for f in findings)) == rule_ids  # reported as before: in rule order


def test_the_version_bump_verdict_is_cached_by_content_and_never_stale(built_full: Path, tmp_path: Path,
                                                                       cache_dir: Path) -> None:
    """SP510 diffs the package against the last release: its verdict is kept by the bytes of
    both; an edit that needs a bigger bump is judged afresh, a damaged entry is a miss."""
    from sentinel_pack.validate import rules_versioning

    solution = tmp_path / "AWS_EKS"
    shutil.copytree(built_full, solution)
    for release in (REPO / "solution" / "Package").glob("*.zip"):  # the releases before this one
        shutil.copy(release, solution / "Package" / release.name)
    template = solution / "Package" / "mainTemplate.json"
    assert [f.rule for f in run([solution], select=["SP510"], jobs=1).findings] == []
    entries = _entries(cache_dir / rules_versioning.KIND)
    assert len(entries) == 1
    assert [f.rule for f in run([solution], select=["SP510"], jobs=1).findings] == []
    assert _entries(cache_dir / rules_versioning.KIND) == entries  # served, not recomputed under a new key

    text = template.read_text(encoding="utf-8")
    assert '"name": "Verb"' in text  # (the table and the DCR's stream)
    # the table loses a column: a breaking change, which needs a major bump
    template.write_text(text.replace('"name": "Verb"', '"name": "Verb2"'), encoding="utf-8")
    found = run([solution], select=["SP510"], jobs=1).findings
    assert [f.rule for f in found] == ["SP510"] and "need a major bump" in found[0].message
    assert len(_entries(cache_dir / rules_versioning.KIND)) == 2

    for entry in _entries(cache_dir / rules_versioning.KIND):
        stored = json.loads(entry.read_text(encoding="utf-8"))
        stored["value"]["ok"] = not stored["value"]["ok"]  # a flipped verdict without its checksum
        entry.write_text(json.dumps(stored), encoding="utf-8")
    assert [f.message for f in run([solution], select=["SP510"], jobs=1).findings] == [found[0].message]


_PREFETCH = """
import json, sys
from pathlib import Path
from sentinel_pack.perf import cfnlint, diskcache
diskcache.set_enabled(False)
texts = [p.read_text(encoding="utf-8") for p in sorted(Path(sys.argv[1]).rglob("*.json"))
         if "AWSTemplateFormatVersion" in p.read_text(encoding="utf-8")]
texts.append(texts[0].replace("Resources", "Resources", 1) + " ")  # a third text, the same template
cfnlint.start_helper()
cfnlint.prefetch(texts)
cfnlint.prefetch(texts)  # again: nothing is sent twice
asked = [cfnlint.lint(text) for text in reversed(texts)]  # answers read in sending order, kept until asked
helper = cfnlint.stats["helper"]
if sys.argv[2] == "kill":
    cfnlint._helper[0].kill()
    cfnlint._helper[0].join()
cfnlint.lint.cache_clear()
cfnlint.prefetch(texts)
again = [cfnlint.lint(text) for text in texts]
print(json.dumps({"same": asked[::-1] == again == [cfnlint.lint_here(t) for t in texts],
                  "helper": helper, "linted": cfnlint.stats["linted"], "n": len(texts),
                  "found": sum(len(a) for a in again)}))
"""


@pytest.mark.parametrize("helper", ["alive", "kill"])
def test_templates_sent_ahead_to_the_helper_get_their_own_answers(broken: Path, helper: str) -> None:
    """The templates go to cfn-lint's helper before their rules run; each answer goes to its
    text, whatever the order they are asked in, and a helper that dies means linting here."""
    done = subprocess.run([sys.executable, "-c", _PREFETCH, str(broken), helper], capture_output=True, text=True,
                          timeout=300, cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["same"] and result["found"] >= 1 and result["helper"] == result["n"] >= 3
    assert result["linted"] == (result["n"] if helper == "kill" else 0)


def test_the_command_line_tunes_the_collector_and_workers_inherit_it(tmp_path: Path) -> None:
    import gc

    from sentinel_pack.perf import collector

    code = ("import gc, sys\nfrom sentinel_pack.cli import main\nsys.argv = ['sentinel-pack', '--version']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\nprint(gc.get_threshold())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.stdout.strip().splitlines()[-1] == str(collector.THRESHOLDS)
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        from sentinel_pack.validate.runner import _check_solution

        _check_solution((tmp_path, tmp_path / "nothing-here"), [])  # a spawned worker tunes itself
        assert gc.get_threshold() == collector.THRESHOLDS
    finally:
        gc.set_threshold(*before)
