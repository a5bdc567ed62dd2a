"""Terminal output of the commands, with rich."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sentinel_pack.build import Rendered
    from sentinel_pack.importer.manifest_from import Imported
    from sentinel_pack.importer.run import Difference
    from sentinel_pack.writer import Written


def _size(n: int) -> str:
    return f"{n:,} B" if n < 10_000 else f"{n / 1024:,.1f} KiB"


def print_build_summary(rendered: Rendered, written: list[Written], out_dir: Path) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    out_dir = out_dir.resolve()  # written paths are absolute; --out may be relative
    solution = rendered.context["solution"]
    table = Table(title=f"{solution['name']} {solution['version']} -> {out_dir}", title_justify="left",
                  box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("file", overflow="fold")
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("sha256", no_wrap=True)
    table.add_column("status", no_wrap=True)
    styles = {"created": "green", "updated": "yellow", "unchanged": "dim"}
    for item in written:
        status = f"[{styles[item.status]}]{item.status}[/]"
        table.add_row(item.path.relative_to(out_dir).as_posix(), _size(item.size), item.sha256[:12], status)
    console.print(table)
    changed = sum(1 for w in written if w.status != "unchanged")
    console.print(f"{len(written)} files, {changed} changed.")


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def print_import_report(imported: Imported, differences: list[Difference], written: list[Written]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    for item in written:
        console.print(f"[green]wrote[/] {item.path}")
    for note in imported.notes:
        console.print(f"[yellow]note[/]: {note}")
    if not differences:
        console.print("The rebuilt package equals the original package (after parsing).")
        return
    table = Table(title="Rebuilt package vs original", title_justify="left")
    for column in ("file", "JSON path", "original", "rebuilt", "comes from"):
        table.add_column(column)
    for d in differences:
        table.add_row(d.artefact, d.path, _short(d.original), _short(d.rebuilt), f"{d.origin}: {d.reason}")
    console.print(table)
    mine = sum(1 for d in differences if d.origin == "sentinel-pack")
    console.print(f"{len(differences)} differences: {len(differences) - mine} from the original, "
                  f"{mine} from sentinel-pack.")
