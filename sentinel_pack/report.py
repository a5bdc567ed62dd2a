"""Terminal output of build, release and import.

One line per file with the path last: a path is never cut or padded, whatever the width, and
the columns before it have fixed widths so the lines still read as a table.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sentinel_pack.terminal import Output, plural

if TYPE_CHECKING:
    from sentinel_pack.importer.manifest_from import Imported
    from sentinel_pack.importer.run import Difference
    from sentinel_pack.package.build import Rendered
    from sentinel_pack.package.stale import Leftovers
    from sentinel_pack.package.writer import Written
    from sentinel_pack.validate.finding import Finding

_STATUS_STYLE = {"created": "green", "updated": "yellow", "unchanged": "dim"}


def _size(n: int) -> str:
    return f"{n:,} B" if n < 10_000 else f"{n / 1024:,.1f} KiB"


def print_build_summary(rendered: Rendered, written: list[Written], out_dir: Path, out: Output) -> None:
    from rich.text import Text

    if out.quiet:
        return
    out_dir = out_dir.resolve()  # written paths are absolute; --out may be relative
    solution = rendered.context["solution"]
    out.line(Text.assemble((f"{solution['name']} {solution['version']}", "bold"), f" -> {out_dir}"),
             keep=(str(out_dir),))
    digits = 64 if out.verbose else 12
    for item in written:
        rel = item.path.relative_to(out_dir).as_posix()
        out.line(Text.assemble(
            "  ", (f"{item.status:<9}", _STATUS_STYLE[item.status]), f" {_size(item.size):>10}  ",
            (item.sha256[:digits], "dim"), "  ", rel), hang=4, keep=(rel,))
    changed = sum(1 for w in written if w.status != "unchanged")
    out.line(f"{plural(len(written), 'file')}, {changed} changed.")


def print_leftovers(leftovers: Leftovers, out: Output) -> None:
    """Files an earlier build generated that this one does not: on stderr, so they are seen."""
    from rich.text import Text

    for files, state in ((leftovers.removable, "(remove with 'sentinel-pack build --clean')"),
                         (leftovers.edited, "and edited since (not removed; delete by hand)")):
        if files:
            out.line(Text.assemble(("warning", "yellow"), f": {plural(len(files), 'file')} an earlier build "
                                   f"generated, no longer built {state}:"), stderr=True)
            for rel in files:
                out.line(f"  {rel}", stderr=True, keep=(rel,))
    if leftovers.removed and not out.quiet:
        out.line(f"removed {plural(len(leftovers.removed), 'file')} no longer built:")
        for rel in leftovers.removed:
            out.line(f"  {rel}", keep=(rel,))


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def print_import_report(imported: Imported, differences: list[Difference], written: list[Written],
                        out: Output) -> None:
    from rich.text import Text

    if out.quiet:
        return
    for item in written:
        out.line(Text.assemble(("wrote", "green"), f" {item.path}"), keep=(str(item.path),))
    for note in imported.notes:
        out.line(Text.assemble(("note", "yellow"), f": {note}"), hang=6)
    if not differences and any(n.startswith("no Package/") for n in imported.notes):
        return
    if not differences:
        out.line("The rebuilt package equals the original package (after parsing).")
        return
    out.line("Rebuilt package vs original:")
    for d in differences:
        out.line(Text.assemble("  ", (d.artefact, "bold"), ": ", d.path), hang=4, keep=(d.artefact, d.path))
        out.line(f"    original {_short(d.original)}", hang=13)
        out.line(f"    rebuilt  {_short(d.rebuilt)}", hang=13)
        out.line(f"    from {d.origin}: {d.reason}", hang=9)
    counts = {origin: sum(1 for d in differences if d.origin == origin)
              for origin in ("original", "sentinel-pack", "not-packaged")}
    unexplained = sum(1 for d in differences if d.reason.startswith("unexplained"))
    out.line(f"{plural(len(differences), 'difference')}: {counts['original']} from the original, "
             f"{counts['sentinel-pack']} from sentinel-pack ({unexplained} unexplained), "
             f"{counts['not-packaged']} in content sentinel-pack does not package yet.")


def print_import_findings(findings: list[Finding], out: Output) -> None:
    """What ``build`` will say about the imported manifest."""
    from sentinel_pack.validate import output
    from sentinel_pack.validate.finding import ERROR

    errors = sum(1 for f in findings if f.severity == ERROR)
    if not findings:
        if not out.quiet:
            out.line("Validation (as build runs it): no findings.")
        return
    out.line("Validation (as build runs it) of the imported solution:")
    output.text(findings, out=out)
    if errors:
        which = "the error above is" if errors == 1 else f"the {errors} errors above are"
        out.line(f"'sentinel-pack build' refuses this solution until {which} fixed in the manifest or its files "
                 "('sentinel-pack rules ID' explains each rule).")
