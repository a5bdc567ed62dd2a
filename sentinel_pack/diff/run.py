"""``sentinel-pack diff`` without the printing: which two sides, loaded and compared."""

from __future__ import annotations

from pathlib import Path

from sentinel_pack.diff.compare import DiffResult, compare
from sentinel_pack.errors import EXIT_USAGE, Problem, SentinelPackError


def _usage(message: str, hint: str) -> SentinelPackError:
    return SentinelPackError(Problem(message, hint=hint), exit_code=EXIT_USAGE)


def run_diff(old: Path | None, new: Path | None, from_rev: str | None = None,
             to_rev: str | None = None) -> DiffResult:
    """OLD and NEW as paths, or with ``from_rev`` the solution at two git revisions."""
    from sentinel_pack.diff.sources import load_side, render_side

    if from_rev is None:
        if to_rev is not None:
            raise _usage("--to needs --from", hint="sentinel-pack diff --from REV [--to REV] [SOLUTION]")
        if old is None or new is None:
            raise _usage("diff needs OLD and NEW", hint="sentinel-pack diff OLD NEW (package zips or built "
                         "solution folders), or sentinel-pack diff --from REV [--to REV] [SOLUTION]")
        return compare(load_side(old), load_side(new))

    from sentinel_pack.diff.gitrev import revision_side

    if new is not None:
        raise _usage("with --from, pass only the solution folder",
                     hint="sentinel-pack diff --from REV [--to REV] [SOLUTION]")
    solution = old or Path(".")
    old_side = revision_side(solution, from_rev)
    if to_rev is None:
        new_side = render_side(solution, f"working tree ({solution})", "manifest")
    else:
        new_side = revision_side(solution, to_rev)
    return compare(old_side, new_side)
