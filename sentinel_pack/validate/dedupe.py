"""One finding per problem: the same message at the same place from two rules is reported once.

The manifest rule SP101 repeats what loading found, and some of that is also checked by a rule
of its own (an analytic rule's unknown tactic is SP101 while loading and SP801 as content); the
specific rule's finding is kept, since its id is the one to look up and to ignore.
"""

from __future__ import annotations

from sentinel_pack.validate.finding import Finding

GENERIC = ("SP101",)


def _place(finding: Finding) -> tuple[str, int | None, str, str, str]:
    """Where and what, without the column (rules report a line, the loader a line and a column)."""
    return finding.file, finding.line, finding.path, finding.severity, finding.message


def one_per_problem(findings: list[Finding]) -> list[Finding]:
    specific = {_place(f) for f in findings if f.rule not in GENERIC}
    return [f for f in findings if f.rule not in GENERIC or _place(f) not in specific]
