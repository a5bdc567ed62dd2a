"""Findings as text (rich), JSON, SARIF 2.1.0 or GitHub workflow annotations.

Every format prints ``Finding.file`` as it is (a path that exists, relative to the working
directory when below it) with the finding's line and column; related places (the generated
file behind a manifest value, the member of a zip) follow as secondary locations.
"""

from __future__ import annotations

import json
import sys
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import quote

from sentinel_pack.validate.finding import ERROR, RULES, Finding

if TYPE_CHECKING:
    from sentinel_pack.terminal import Output


def summary(solutions: list[str]) -> str:
    return f"Validated {len(solutions)} solution{'s' if len(solutions) != 1 else ''}: {', '.join(solutions)}."


def text(findings: list[Finding], solutions: list[str] | None = None, expanded: bool = False,
         out: Output | None = None) -> None:
    from rich.text import Text

    from sentinel_pack.terminal import current, plural

    out = out or current()
    for f in findings:
        colour = "red" if f.severity == ERROR else "yellow"
        out.line(Text.assemble(f"{f.where()}: ", (f"{f.severity} {f.rule}", colour), f": {f.message}"),
                 keep=(f.file, f.path))
        for other in f.related:
            out.line(Text.assemble("  ", ("see", "dim"), f": {other.render()}"), hang=7, keep=(other.file, other.path))
        if f.fix:
            out.line(Text.assemble("  ", ("fix", "cyan"), f": {f.fix}"), hang=7)
    if solutions and (len(solutions) > 1 or expanded) and not out.quiet:
        out.line(summary(solutions), keep=tuple(solutions))
    errors = sum(1 for f in findings if f.severity == ERROR)
    if findings:
        out.line(f"{plural(errors, 'error')}, {plural(len(findings) - errors, 'warning')}.")
    elif not out.quiet:
        out.line("No findings.")


def note(solutions: list[str], expanded: bool = False) -> None:
    """For machine formats the summary goes to stderr, so stdout stays one document."""
    if len(solutions) > 1 or expanded:
        print(summary(solutions), file=sys.stderr)


def as_json(findings: list[Finding]) -> str:
    return json.dumps([f.as_dict() for f in findings], indent=2, ensure_ascii=False) + "\n"


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def _message(f: Finding) -> str:
    text = f"{f.path}: {f.message}" if f.path else f.message
    for other in f.related:
        text += f" (see {other.render()})"
    return text + (f" Fix: {f.fix}" if f.fix else "")


def github(findings: list[Finding]) -> str:
    lines = []
    for f in findings:
        level = "error" if f.severity == ERROR else "warning"
        where = f"file={_escape_property(f.file)}"
        if f.line:
            where += f",line={f.line}" + (f",col={f.column}" if f.column else "")
        lines.append(f"::{level} {where},title={_escape_property(f.rule)}::{_escape_data(_message(f))}")
    return "\n".join(lines) + ("\n" if lines else "")


def uri(path: str) -> str:
    """A SARIF artifact URI: a relative reference, or a file: URI for an absolute path, percent-encoded."""
    posix = PurePosixPath(path.replace("\\", "/"))
    if posix.is_absolute():
        return "file://" + quote(posix.as_posix())
    return quote(posix.as_posix())


def _sarif_location(file: str, line: int | None, column: int | None) -> dict:
    physical: dict = {"artifactLocation": {"uri": uri(file)}}
    if line:
        physical["region"] = {"startLine": line, **({"startColumn": column} if column else {})}
    return {"physicalLocation": physical}


def sarif(findings: list[Finding]) -> str:
    from sentinel_pack import __version__

    used = sorted({f.rule for f in findings})
    results = []
    for f in findings:
        result = {
            "ruleId": f.rule,
            "level": "error" if f.severity == ERROR else "warning",
            "message": {"text": f"{f.path}: {f.message}. Fix: {f.fix}" if f.path else f"{f.message}. Fix: {f.fix}"},
            "locations": [_sarif_location(f.file, f.line, f.column)],
        }
        if f.related:
            result["relatedLocations"] = [
                {"id": index, **_sarif_location(other.file, other.line, other.column),
                 "message": {"text": other.path or other.file}}
                for index, other in enumerate(f.related)
            ]
        results.append(result)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "sentinel-pack",
                        "version": __version__,
                        "rules": [{"id": r, "shortDescription": {"text": RULES[r].title},
                                   "help": {"text": f"sentinel-pack rules {r}"}} for r in used],
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
