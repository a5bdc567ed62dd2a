"""One answer to "which version bump do these changes need?", for release, build and validate.

The answer is ``diff``'s: the package as it is now compared with the last released zip in
``Package/``, classified by ``sentinel_pack.diff``. ``release`` without a level uses it and
refuses a smaller level unless forced, ``build`` names it in its advice, and rule SP510 of
``validate`` reports what ``diff --check-version`` would, so the tool never advises a release
its own check rejects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sentinel_pack.diff import versions as semver
from sentinel_pack.errors import EXIT_USAGE, IOFailure, Problem, SentinelPackError

if TYPE_CHECKING:
    from sentinel_pack.diff.compare import DiffResult

LEVELS = ("patch", "minor", "major")
_ZIP = re.compile(r"^Package/((?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*))\.zip$", re.IGNORECASE)


def released_versions(files: dict[str, bytes] | list[str]) -> dict[str, str]:
    """``{version: 'Package/<version>.zip'}`` for the versioned zips among ``files``."""
    return {m.group(1): rel for rel in files if (m := _ZIP.match(rel))}


def baseline(versions: list[str], current: str, *, inclusive: bool) -> str | None:
    """The newest released version before ``current`` (or equal to it, when ``inclusive``)."""
    key = semver.parse(current)
    older = [v for v in versions if semver.parse(v) < key or (inclusive and semver.parse(v) == key)]
    return max(older, key=semver.parse, default=None)


def compare_with_release(zip_bytes: bytes, zip_label: str, files: dict[str, bytes], label: str) -> DiffResult:
    """``diff ZIP NEW`` with NEW's files in memory (only its ``Package/`` files count)."""
    from sentinel_pack.diff.compare import compare
    from sentinel_pack.diff.safezip import read_zip
    from sentinel_pack.diff.sources import Side

    members = read_zip(zip_bytes, label=zip_label)
    old = Side(zip_label, "package", {f"Package/{name}": data for name, data in members.items()})
    new = Side(label, "folder", {rel: data for rel, data in files.items() if not rel.lower().endswith(".zip")})
    return compare(old, new)


@dataclass(frozen=True)
class Need:
    """What the changes since the last release need."""

    since: str  # the last released version
    required: str  # none, patch, minor or major
    reasons: tuple[str, ...]  # the most severe changes, for the message

    def smallest_level(self, current: str) -> str | None:
        """The smallest ``release`` level from ``current`` that covers the changes; None: nothing to release."""
        for level in LEVELS:
            if self.covers(current, level):
                if level == "patch" and self.required == "none" and current == self.since:
                    return None
                return level
        return "major"

    def covers(self, current: str, level: str) -> bool:
        actual = semver.bump_between(self.since, semver.bump(current, level))
        return self.required == "none" or semver.at_least(actual, self.required)


def need_since_release(root: Path, files: dict[str, bytes], current: str, *, inclusive: bool = True) -> Need | None:
    """The bump the built ``files`` need over the newest zip in ``root/Package``; None without one."""
    package = root / "Package"
    try:
        on_disk = [f"Package/{p.name}" for p in package.iterdir()] if package.is_dir() else []
    except OSError as exc:
        raise IOFailure(Problem(f"cannot read: {exc.strerror}", file=str(package))) from None
    versions = released_versions(on_disk)
    since = baseline(list(versions), current, inclusive=inclusive)
    if since is None:
        return None
    zip_file = root / versions[since]
    try:
        data = zip_file.read_bytes()
    except OSError as exc:
        raise IOFailure(Problem(f"cannot read: {exc.strerror}", file=str(zip_file))) from None
    result = compare_with_release(data, str(zip_file), files, str(root))
    return Need(since, result.required_bump, _reasons(result))


def _reasons(result: DiffResult, limit: int = 3) -> tuple[str, ...]:
    from sentinel_pack.diff.classify import BUMP_FOR

    worst = [c for c in result.changes if BUMP_FOR[c.category] == result.required_bump]
    return tuple(f"{c.artefact}: {c.summary}" for c in worst[:limit])


def choose_level(root: Path, files: dict[str, bytes], current: str, level: str | None, *,
                 force: bool = False) -> tuple[str, Need | None]:
    """The level ``release`` uses: the required one when ``level`` is None; a smaller one only forced."""
    need = need_since_release(root, files, current)
    if need is None:
        if level is None:
            raise SentinelPackError(Problem(
                "there is no released zip in Package/ to work out the bump from", file=str(root / "Package"),
                hint="pass the level: sentinel-pack release major|minor|patch -m '...'"), exit_code=EXIT_USAGE)
        return level, None
    if level is None:
        chosen = need.smallest_level(current)
        if chosen is None:
            raise SentinelPackError(Problem(
                f"nothing changed since the release {need.since} (Package/{need.since}.zip)",
                file=str(root), hint="pass a level to release anyway: sentinel-pack release patch -m '...'"))
        return chosen, need
    if not force and not need.covers(current, level):
        new = semver.bump(current, level)
        reasons = "; ".join(need.reasons)
        raise SentinelPackError(Problem(
            f"a {level} release ({current} -> {new}) is too small: the changes since {need.since} need a "
            f"{need.required} bump ({reasons})", file=str(root),
            hint=f"run 'sentinel-pack release -m ...' (it picks {need.smallest_level(current)}), "
                 "or pass --force to release anyway"))
    return level, need


def advice(root: Path, files: dict[str, bytes], current: str) -> str:
    """The fix for "this version's package already exists with different content"."""
    try:
        need = need_since_release(root, files, current)
    except SentinelPackError:
        need = None
    level = need.smallest_level(current) if need is not None else None
    if need is None or level is None:
        return ("bump the version with 'sentinel-pack release -m ...', "
                "or pass --force to replace a package that was never released")
    return (f"the changes since {need.since} need a {need.required} bump: run 'sentinel-pack release {level} -m ...' "
            "(or 'sentinel-pack release -m ...', which works it out), "
            "or pass --force to replace a package that was never released")
