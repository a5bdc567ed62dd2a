"""Terminal output of the commands, with rich."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sentinel_pack.build import Rendered
    from sentinel_pack.writer import Written


def _size(n: int) -> str:
    return f"{n:,} B" if n < 10_000 else f"{n / 1024:,.1f} KiB"


def print_build_summary(rendered: Rendered, written: list[Written], out_dir: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    solution = rendered.context["solution"]
    table = Table(title=f"{solution['name']} {solution['version']} -> {out_dir}", title_justify="left")
    table.add_column("file")
    table.add_column("size", justify="right")
    table.add_column("sha256")
    table.add_column("status")
    styles = {"created": "green", "updated": "yellow", "unchanged": "dim"}
    for item in written:
        status = f"[{styles[item.status]}]{item.status}[/]"
        table.add_row(item.path.relative_to(out_dir).as_posix(), _size(item.size), item.sha256[:16], status)
    console.print(table)
    changed = sum(1 for w in written if w.status != "unchanged")
    console.print(f"{len(written)} files, {changed} changed.")
