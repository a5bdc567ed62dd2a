"""Findings and the rule registry, in the style of cfn-lint: every check has an id of its own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sentinel_pack.validate.target import Target

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    file: str
    path: str
    message: str
    fix: str = ""

    def render(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        text = f"{where}: {self.severity} {self.rule}: {self.message}"
        return text + (f"\n  fix: {self.fix}" if self.fix else "")


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    title: str
    check: Callable[[Target], Iterator[tuple[str, str, str, str]]]
    #: Compares the files of one connector: run once per connector of the solution.
    per_connector: bool = False


RULES: dict[str, Rule] = {}


def rule(rule_id: str, severity: str, title: str, *, per_connector: bool = False):
    """Register a check yielding ``(file, json_path, message, fix)`` tuples."""

    def register(check: Callable[[Target], Iterator[tuple[str, str, str, str]]]):
        if rule_id in RULES:
            raise ValueError(f"duplicate rule id {rule_id}")
        RULES[rule_id] = Rule(rule_id, severity, title, check, per_connector)
        return check

    return register
