"""``import`` ends with the checks ``build`` makes, so an import that the next build refuses says so."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sentinel_pack.errors import SentinelPackError

if TYPE_CHECKING:
    from sentinel_pack.validate.finding import Finding


def check_imported(folder: Path) -> list[Finding]:
    """The findings ``build`` would act on for the manifest just written into ``folder``."""
    from sentinel_pack.importer.layout import inside
    from sentinel_pack.manifest.load import load_manifest
    from sentinel_pack.package.build import render_solution
    from sentinel_pack.validate.finding import ERROR, Finding
    from sentinel_pack.validate.runner import check, selected
    from sentinel_pack.validate.target import SOURCE, Target

    try:
        rendered = render_solution(load_manifest(folder))
    except SentinelPackError as error:
        return [Finding("SP101", ERROR, p.where() or str(folder), "", p.message, p.hint or "")
                for p in error.problems]
    package = folder / "Package"
    released = {f"Package/{z.name}": inside(folder, z).read_bytes() for z in sorted(package.glob("*.zip"))} \
        if package.is_dir() else {}
    # As build: the files on disk are the original's, not generated yet (no SP504), no release yet (SP510).
    target = Target(label=str(folder), files={**released, **rendered.files}, kind=SOURCE,
                    generated=rendered.generated, source_root=rendered.manifest.root)
    return check(target, selected(ignore=("SP504", "SP510")))
