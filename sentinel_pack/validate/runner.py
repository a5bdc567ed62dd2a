"""Running the rules over targets, with --select/--ignore and --strict."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sentinel_pack.validate.finding import ERROR, RULES, Finding
from sentinel_pack.validate.target import Target, load_target


def _load_rules() -> None:
    from sentinel_pack.validate import (  # noqa: F401 - importing registers the rules
        rules_armttk,
        rules_cloudformation,
        rules_content,
        rules_crossfile,
        rules_detections,
        rules_package,
        rules_schemas,
    )


def selected(select: Iterable[str] = (), ignore: Iterable[str] = ()) -> list[str]:
    _load_rules()
    select, ignore = tuple(select), tuple(ignore)
    return sorted(r for r in RULES if (not select or r.startswith(select)) and not (ignore and r.startswith(ignore)))


def check(target: Target, rule_ids: list[str]) -> list[Finding]:
    findings: list[Finding] = []
    views = target.connector_views()
    for rule_id in rule_ids:
        rule = RULES[rule_id]
        try:
            for view in views if rule.per_connector else [target]:
                for file, path, message, fix in rule.check(view):
                    finding = Finding(rule_id, rule.severity, f"{target.label}/{file}" if file else target.label,
                                      path, message, fix)
                    if finding not in findings:
                        findings.append(finding)
        except Exception as exc:  # a rule must never take the run down: report it as a finding
            findings.append(
                Finding(
                    rule_id,
                    ERROR,
                    target.label,
                    "",
                    f"the rule crashed: {type(exc).__name__}: {exc}",
                    "please report this with the file that caused it",
                )
            )
    return findings


def validate_paths(paths: Iterable[Path], select: Iterable[str] = (), ignore: Iterable[str] = ()) -> list[Finding]:
    rule_ids = selected(select, ignore)
    findings: list[Finding] = []
    for path in paths:
        findings.extend(check(load_target(path), rule_ids))
    return findings


def failed(findings: list[Finding], strict: bool) -> bool:
    return any(f.severity == ERROR or strict for f in findings)
