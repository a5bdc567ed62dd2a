"""The diff for people: a rich tree in the terminal, Markdown for a pull-request comment, JSON."""

from __future__ import annotations

import difflib
import html
import json
import re
from typing import TYPE_CHECKING

from sentinel_pack.diff.classify import CATEGORIES, Change, short
from sentinel_pack.diff.compare import ArtefactDiff, DiffResult, as_json

if TYPE_CHECKING:
    from sentinel_pack.terminal import Output

_STYLE = {"breaking": "bold red", "feature": "green", "fix": "cyan", "release": "dim"}
_MAX_DIFF_LINES = 30


def value_lines(change: Change) -> list[tuple[str, str]]:
    """Old and new values as ``('-', text)`` / ``('+', text)`` lines; text blocks as a line diff."""
    if change.category == "release" or change.artefact.lower().endswith(".md") or change.path == ():
        return []
    if change.kind in ("changed", "renamed"):
        old, new = change.old, change.new
        if isinstance(old, str) and isinstance(new, str) and ("\n" in old or "\n" in new):
            lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=1))[2:]
            out = [(line[:1] if line[:1] in "+-" else " ", line[1:]) for line in lines if not line.startswith("@@")]
            if len(out) > _MAX_DIFF_LINES:
                out = [*out[:_MAX_DIFF_LINES], (" ", f"… {len(out) - _MAX_DIFF_LINES} more lines")]
            return out
        return [("-", short(old, 300)), ("+", short(new, 300))]
    if change.kind == "added":
        return [("+", short(change.new, 300))]
    return [("-", short(change.old, 300))]


def bump_verdict(result: DiffResult) -> str:
    old, new = result.old.version or "?", result.new.version or "?"
    actual = result.actual_bump
    if result.old.version is None or result.new.version is None:
        return f"version {old} → {new}: cannot tell the bump"
    if actual is None:
        return f"version {old} → {new} goes backwards"
    state = "enough" if result.version_ok else "too small"
    return f"version {old} → {new} is a {actual} bump: {state}" if actual != "none" else \
        f"version {old} → {new} is unchanged: {state}"


def _counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {c}" for c, n in counts.items() if n) or "no changes"


# --- terminal ---------------------------------------------------------------------------------

def print_tree(result: DiffResult, out: Output | None = None) -> None:
    """An indented outline, one line per fact; paths and values are never cut (see ``terminal``)."""
    from rich.text import Text

    from sentinel_pack.terminal import current

    out = out or current()
    old_label = f"{result.old.label} ({result.old.version or '?'})"
    new_label = f"{result.new.label} ({result.new.version or '?'})"
    if not out.quiet:
        out.line(Text.assemble(("diff ", "bold"), old_label, " → ", new_label), keep=(old_label, new_label))
        for artefact in result.artefacts:
            out.line(Text.assemble((artefact.name, "bold"), f": {artefact.status}, ", _counts_text(artefact.counts())),
                     keep=(artefact.name,))
            for change in artefact.changes:
                out.line(Text.assemble("  ", (f"{change.category:<8}", _STYLE[change.category]), " ", change.summary),
                         hang=11)
                if change.display_path and not change.artefact.lower().endswith(".md") and change.path:
                    out.line(Text(f"{' ' * 11}{change.display_path}", style="dim"), hang=13,
                             keep=(change.display_path,))
                for sign, text in value_lines(change):
                    out.line(Text(f"{' ' * 11}{sign} {text}", style={"-": "red", "+": "green"}.get(sign, "")),
                             hang=13)
        for note in [*result.old.notes, *result.new.notes]:
            out.line(Text(f"note: {note}", style="yellow"), hang=6)
        if out.verbose:
            for name in result.unchanged:
                out.line(Text(f"{name}: unchanged", style="dim"), keep=(name,))
        out.line(Text(f"{len(result.artefacts)} artefacts changed, {len(result.unchanged)} unchanged: "
                      f"{_counts_text(result.counts())}"))
    out.line(Text.assemble("required bump: ", (result.required_bump, "bold"), f" ({bump_verdict(result)})"))
    for problem in result.problems:
        out.line(Text.assemble(("error: ", "bold red"), problem), hang=7)


# --- Markdown ---------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#~])")


def md_text(text: str) -> str:
    """Plain text that Markdown and HTML render as written."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def md_code(text: str) -> str:
    """An inline code span that survives backticks and table pipes in ``text``."""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _cell(text: str) -> str:
    """Table cells end at ``|`` even inside code spans; GFM reads ``\\|`` as a literal pipe."""
    return md_code(text).replace("|", "\\|")


def _fenced(lines: list[tuple[str, str]]) -> list[str]:
    body = [f"{sign} {text}".rstrip() for sign, text in lines]
    longest = max((len(run) for line in body for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}diff", *body, fence]


def markdown(result: DiffResult) -> str:
    old, new = result.old.version or "?", result.new.version or "?"
    out = [f"## sentinel-pack diff: {md_code(old)} → {md_code(new)}", ""]
    mark = "✅" if result.version_ok else "❌"
    out += [f"**Required bump: {result.required_bump}** · {mark} {md_text(bump_verdict(result))}", ""]
    out += [f"❌ {md_text(problem)}" for problem in result.problems] + ([""] if result.problems else [])
    out += ["| Artefact | " + " | ".join(c.capitalize() for c in CATEGORIES) + " |",
            "|---|" + "---:|" * len(CATEGORIES)]
    for artefact in result.artefacts:
        counts = artefact.counts()
        out.append(f"| {_cell(artefact.name)} | " + " | ".join(str(counts[c]) for c in CATEGORIES) + " |")
    totals = result.counts()
    out.append("| **Total** | " + " | ".join(f"**{totals[c]}**" for c in CATEGORIES) + " |")
    out.append("")
    if result.unchanged:
        out += [f"{len(result.unchanged)} artefacts unchanged.", ""]
    for note in [*result.old.notes, *result.new.notes]:
        out += [f"> {md_text(note)}", ""]
    for artefact in result.artefacts:
        out += _details(artefact)
    return "\n".join(out).rstrip() + "\n"


def _details(artefact: ArtefactDiff) -> list[str]:
    head = f"<details><summary>{html.escape(artefact.name)}: {artefact.status}, " \
           f"{html.escape(_counts_text(artefact.counts()))}</summary>"
    out = [head, ""]
    for change in artefact.changes:
        line = f"- **{change.category}** {md_text(change.summary)}"
        if change.path and not change.artefact.lower().endswith(".md"):
            line += f" ({md_code(change.display_path)})"
        out.append(line)
        values = value_lines(change)
        if values:
            out += ["", *(f"  {line}" for line in _fenced(values)), ""]
    out += ["", "</details>", ""]
    return out


# --- JSON -------------------------------------------------------------------------------------

def json_text(result: DiffResult) -> str:
    return json.dumps(as_json(result), indent=2, ensure_ascii=False, default=str) + "\n"
