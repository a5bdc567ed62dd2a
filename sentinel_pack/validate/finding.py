"""Findings and the rule registry, in the style of cfn-lint: every check has an id of its own.

A rule is a generator registered with ``@rule``. It yields one tuple per finding::

    (file, json_path, message, fix)               # the runner finds the line of json_path in file
    (file, json_path, message, fix, Location(...)) # the rule knows better: a line, a column

``file`` is relative to the solution folder (``Package/mainTemplate.json``). With the 4-tuple
the runner reads ``file`` with positions (``jsonsource``) and puts the finding on the line of
``json_path`` (or of its deepest existing ancestor), so rules that only know JSON paths get
lines for free. A rule that knows a more precise place (a column inside a query string, a
cfn-lint line) adds a ``Location``: its ``file`` may be left empty to mean "the same file".
In a source folder, a finding on a generated file whose value the author wrote in
``solution.yaml`` (or an analytic rule's YAML) is moved there by the runner; the generated
file is kept as ``Finding.related``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sentinel_pack.validate.target import Target

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Location:
    """A place in a file: ``file`` as printed (or relative to the target inside a rule)."""

    file: str = ""
    line: int | None = None
    column: int | None = None
    path: str = ""  # a JSON path inside the file, when it adds something to the line

    def render(self) -> str:
        text = self.file
        if self.line:
            text += f":{self.line}" + (f":{self.column}" if self.column else "")
        return f"{text}: {self.path}" if self.path else text


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    file: str  # a path that exists, relative to the working directory when it lies below it
    path: str  # JSON path (or CloudFormation path) inside ``file``; "" for the whole file
    message: str
    fix: str = ""
    line: int | None = None
    column: int | None = None
    #: Secondary places: the generated file a manifest value ends up in, a member of a zip.
    related: tuple[Location, ...] = ()

    def where(self) -> str:
        text = self.file
        if self.line:
            text += f":{self.line}" + (f":{self.column}" if self.column else "")
        return f"{text}: {self.path}" if self.path else text

    def render(self) -> str:
        text = f"{self.where()}: {self.severity} {self.rule}: {self.message}"
        for other in self.related:
            text += f"\n  see: {other.render()}"
        return text + (f"\n  fix: {self.fix}" if self.fix else "")

    def as_dict(self) -> dict:
        return {
            "rule": self.rule, "severity": self.severity, "file": self.file, "line": self.line,
            "column": self.column, "path": self.path, "message": self.message, "fix": self.fix,
            "related": [{"file": r.file, "line": r.line, "column": r.column, "path": r.path} for r in self.related],
        }


#: What a rule yields: see the module docstring.
Yielded = tuple[str, str, str, str] | tuple[str, str, str, str, Location]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    title: str
    check: Callable[[Target], Iterator[Yielded]]
    #: Compares the files of one connector: run once per connector of the solution.
    per_connector: bool = False
    #: Reads an answer computed in the background (cfn-lint's helper, the Kusto engine): the runner
    #: runs it after the other rules, so that the main process does not wait while they work.
    waits: bool = False


RULES: dict[str, Rule] = {}


def rule(rule_id: str, severity: str, title: str, *, per_connector: bool = False, waits: bool = False):
    """Register a check yielding ``(file, json_path, message, fix[, Location])`` tuples."""

    def register(check: Callable[[Target], Iterator[Yielded]]):
        if rule_id in RULES:
            raise ValueError(f"duplicate rule id {rule_id}")
        RULES[rule_id] = Rule(rule_id, severity, title, check, per_connector, waits)
        return check

    return register
