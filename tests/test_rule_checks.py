"""Rule-YAML checks: the shipped content is clean; each kind of breakage is reported at its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from sentinel_pack.content.analytic_rules import check_file, duration_minutes

SOLUTION = Path(__file__).resolve().parents[1] / "solution"
SHIPPED_RULE = SOLUTION / "Analytic Rules" / "EKSAccessEntryModified.yaml"


@pytest.mark.parametrize("path", sorted((SOLUTION / "Analytic Rules").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_rules_are_clean(path: Path) -> None:
    assert check_file(path) == []


@pytest.mark.parametrize("path", sorted((SOLUTION / "Hunting Queries").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_hunting_queries_are_clean(path: Path) -> None:
    assert check_file(path, hunting=True) == []


def test_duration_minutes() -> None:
    assert duration_minutes("5m") == 5 and duration_minutes("1d") == 1440 and duration_minutes("PT1H") == 60
    assert duration_minutes("1 hour") is None and duration_minutes("PT") is None


@pytest.mark.parametrize(("old", "new", "message", "line"), [
    ("id: bd645bd8-b0da-44cc-a850-ef5420727878", "id: not-a-guid", "is not a GUID", 1),
    ("queryPeriod: 1h", "queryPeriod: 5m", "queryPeriod is shorter than queryFrequency", 0),
    ("queryPeriod: 1h", "queryPeriod: soon", "is not a duration", 0),
    ("  - Persistence", "  - Persistance", "unknown tactic 'Persistance'", 0),
    ("  - T1098", "  - 1098", "is not like T1098", 0),
    ("  - T1098", "  - T1562.008", "T1562.008 (Impair Defenses) belongs to DefenseEvasion; the rule lists none", 0),
    ("      - identifier: Address", "      - identifier: Hostname", "'Hostname' is not an identifier of IP", 0),
    ("severity: Medium", "severity: Urgent", "severity must be one of", 0),
    ("kind: Scheduled\n", "", "missing required field 'kind'", None),
])
def test_broken_rule_reported_with_line(tmp_path: Path, old: str, new: str, message: str, line: int | None) -> None:
    text = SHIPPED_RULE.read_text(encoding="utf-8")
    assert old in text
    bad = tmp_path / "bad.yaml"
    edited = text.replace(old, new, 1)
    bad.write_text(edited, encoding="utf-8")
    if line == 0:  # the line the edit landed on
        line = edited[: edited.index(new)].count("\n") + 1
    problems = check_file(bad)
    assert len(problems) == 1, problems
    assert message in problems[0].message
    if line is not None:
        assert problems[0].line == line and problems[0].file == str(bad)


def test_invalid_yaml_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: [unclosed\n", encoding="utf-8")
    problems = check_file(bad)
    assert problems and "invalid YAML" in problems[0].message
