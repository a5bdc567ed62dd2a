"""``sentinel-pack rules`` and ``sentinel-pack docs``: the documentation that ships with the package.

A rule's documentation is its section of ``docs/rules.md`` (``## SP401 Title``), the same file
the repository shows, installed inside the wheel; messages and generated files point here
instead of at files a user does not have.
"""

from __future__ import annotations

import json
import re
from difflib import get_close_matches
from pathlib import Path

from sentinel_pack.errors import EXIT_USAGE, Problem, SentinelPackError
from sentinel_pack.terminal import Output

TOPICS = {
    "manifest": "manifest.md",
    "rules": "rules.md",
    "arm-escaping": "arm-escaping.md",
    "detections": "detections.md",
    "content": "content.md",
    "differences": "differences.md",
}
_SECTION = re.compile(r"^## (SP[0-9]{3})\b.*$", re.MULTILINE)


def _read(name: str) -> str:
    from sentinel_pack.resources import docs_dir

    return (docs_dir() / name).read_text(encoding="utf-8")


def sections() -> dict[str, str]:
    """``{rule id: its section of rules.md}``."""
    text = _read("rules.md")
    marks = list(_SECTION.finditer(text))
    out = {}
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        body = text[mark.start():end]
        following = re.search(r"^#{1,2} ", body[3:], re.MULTILINE)  # a later top-level section ends it too
        out[mark.group(1)] = (body[: following.start() + 3] if following else body).rstrip() + "\n"
    return out


def rule_table() -> list[dict[str, str]]:
    from sentinel_pack.validate.finding import RULES
    from sentinel_pack.validate.runner import selected

    return [{"id": r, "severity": RULES[r].severity, "summary": RULES[r].title, "help": f"sentinel-pack rules {r}"}
            for r in selected()]


def show(rule_id: str | None, fmt: str, out: Output) -> None:
    from rich.text import Text

    table = rule_table()
    if rule_id is not None:
        wanted = rule_id.upper()
        known = [row["id"] for row in table]
        if wanted in known:
            if fmt == "json":
                row = next(row for row in table if row["id"] == wanted)
                out.write(json.dumps({**row, "docs": sections().get(wanted, "")}, indent=2, ensure_ascii=False) + "\n")
            else:
                out.write(sections().get(wanted) or f"{wanted}: no documentation\n")
            return
        table = [row for row in table if row["id"].startswith(wanted)]
        if not table:
            close = get_close_matches(wanted, known, n=1)
            raise SentinelPackError(Problem(f"no rule {rule_id!r}", hint=(f"did you mean {close[0]}? " if close else "")
                                            + "'sentinel-pack rules' lists every rule"), exit_code=EXIT_USAGE)
    if fmt == "json":
        out.write(json.dumps(table, indent=2, ensure_ascii=False) + "\n")
        return
    for row in table:
        style = "red" if row["severity"] == "error" else "yellow"
        out.line(Text.assemble((row["id"], "bold"), "  ", (f"{row['severity']:<7}", style), "  ", row["summary"]),
                 hang=18)
    if not out.quiet:
        out.line("Details of one rule: sentinel-pack rules ID (e.g. sentinel-pack rules SP401).")


def show_doc(topic: str | None, out: Output) -> None:
    if topic is None:
        for name, file in TOPICS.items():
            title = _read(file).splitlines()[0].lstrip("# ").strip()
            out.line(f"{name:<13} {title}")
        if not out.quiet:
            out.line("Read one: sentinel-pack docs TOPIC (e.g. sentinel-pack docs manifest).")
        return
    if topic not in TOPICS:
        close = get_close_matches(topic, list(TOPICS), n=1)
        raise SentinelPackError(Problem(f"no documentation topic {topic!r}",
                                        hint=f"use one of: {', '.join(TOPICS)}" + (f" (did you mean {close[0]}?)"
                                                                                   if close else "")),
                                exit_code=EXIT_USAGE)
    out.write(_read(TOPICS[topic]))


def topic_path(topic: str) -> Path:
    from sentinel_pack.resources import docs_dir

    return docs_dir() / TOPICS[topic]
