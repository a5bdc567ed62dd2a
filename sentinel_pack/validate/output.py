"""Findings as text (rich), JSON, SARIF 2.1.0 or GitHub workflow annotations."""

from __future__ import annotations

import json
import re

from sentinel_pack.validate.finding import ERROR, RULES, Finding


def text(findings: list[Finding]) -> None:
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False, soft_wrap=True)
    for f in findings:
        colour = "red" if f.severity == ERROR else "yellow"
        where = f"{f.file}: {f.path}" if f.path else f.file
        console.print(f"{escape(where)}: [{colour}]{f.severity} {f.rule}[/]: {escape(f.message)}")
        if f.fix:
            console.print(f"  [cyan]fix[/]: {escape(f.fix)}")
    errors = sum(1 for f in findings if f.severity == ERROR)
    console.print(f"{errors} errors, {len(findings) - errors} warnings." if findings else "No findings.")


def as_json(findings: list[Finding]) -> str:
    return json.dumps([f.__dict__ for f in findings], indent=2, ensure_ascii=False) + "\n"


_WHERE = re.compile(r"^(?P<file>.*?)(?::(?P<line>\d+)(?::\d+)?)?(?: \((?P<inside>[^()]*)\))?$")


def location(file: str) -> tuple[str, int | None, str | None]:
    """``a.yaml:27`` -> (``a.yaml``, 27, None); ``x.json (path)`` -> (``x.json``, None, ``path``)."""
    match = _WHERE.match(file)
    assert match is not None  # the pattern matches any string
    line = match.group("line")
    return match.group("file"), int(line) if line else None, match.group("inside")


def github(findings: list[Finding]) -> str:
    def esc(value: str) -> str:
        return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    lines = []
    for f in findings:
        level = "error" if f.severity == ERROR else "warning"
        file, line, inside = location(f.file)
        message = f"{f.path}: {f.message}" if f.path else f.message
        message = f"{inside}: {message}" if inside else message
        where = f"file={esc(file)}" + (f",line={line}" if line else "")
        lines.append(f"::{level} {where},title={f.rule}::{esc(message + (' Fix: ' + f.fix if f.fix else ''))}")
    return "\n".join(lines) + ("\n" if lines else "")


def _sarif_location(file: str) -> dict:
    path, line, _inside = location(file)
    physical: dict = {"artifactLocation": {"uri": path}}
    if line:
        physical["region"] = {"startLine": line}
    return {"physicalLocation": physical}


def sarif(findings: list[Finding]) -> str:
    from sentinel_pack import __version__

    used = sorted({f.rule for f in findings})
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "sentinel-pack",
                        "version": __version__,
                        "rules": [{"id": r, "shortDescription": {"text": RULES[r].title}} for r in used],
                    }
                },
                "results": [
                    {
                        "ruleId": f.rule,
                        "level": "error" if f.severity == ERROR else "warning",
                        "message": {
                            "text": f"{f.path}: {f.message}. Fix: {f.fix}" if f.path else f"{f.message}. Fix: {f.fix}"
                        },
                        "locations": [_sarif_location(f.file)],
                    }
                    for f in findings
                ],
            }
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
