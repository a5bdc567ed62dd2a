"""SP5xx: the package zip, its version and the files beside it."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sentinel_pack.validate.finding import ERROR, rule
from sentinel_pack.validate.target import ZIP, Target

Out = Iterator[tuple[str, str, str, str]]
_ZIP = re.compile(r"^package/(\d+)\.(\d+)\.(\d+)\.zip$", re.IGNORECASE)
PACKAGE_MEMBERS = {"createUiDefinition.json", "mainTemplate.json"}


def package_version(target: Target) -> str | None:
    _, main = target.package("mainTemplate.json")
    if isinstance(main, dict):
        return str(main.get("variables", {}).get("_solutionVersion", "")) or None
    return None


def _zips(target: Target) -> dict[str, tuple[int, ...]]:
    return {rel: tuple(map(int, m.groups())) for rel in target.files if (m := _ZIP.match(rel))}


def read_members(target: Target, rel: str) -> tuple[dict[str, bytes], str | None]:
    """A zip of the target, read with diff's traversal and size-bomb checks; why, when refused."""
    from sentinel_pack.diff.safezip import read_zip
    from sentinel_pack.errors import SentinelPackError

    try:
        return read_zip(target.files[rel], label=rel), None
    except SentinelPackError as error:
        return {}, error.problems[0].message


def older_zips(target: Target, version: str) -> list[str]:
    """Zips in Package/ older than ``version``, newest first."""
    current = tuple(map(int, version.split(".")))
    return sorted((rel for rel, v in _zips(target).items() if v < current), key=_zips(target).get, reverse=True)


@rule("SP501", ERROR, "The version's zip exists and holds exactly the two package files, byte-equal")
def zip_in_sync(target: Target) -> Out:
    version = package_version(target)
    if version is None or target.kind == ZIP:
        return
    rel = f"Package/{version}.zip"
    if rel not in target.files:
        yield (
            "Package",
            "",
            f"there is no {version}.zip for the template's version {version}",
            "run 'sentinel-pack build' to write it (the zip name must equal the version)",
        )
        return
    members, refused = read_members(target, rel)
    if refused:
        return  # SP005 reports it
    if set(members) != PACKAGE_MEMBERS:
        yield (
            rel,
            "",
            f"the zip holds {sorted(members)}, not exactly {sorted(PACKAGE_MEMBERS)}",
            "rebuild the package with 'sentinel-pack build'",
        )
    for name in sorted(PACKAGE_MEMBERS & set(members)):
        beside = target.package(name)[0]
        if beside in target.files and target.files[beside] != members[name]:
            yield (
                rel,
                name,
                f"{name} in the zip differs from Package/{name} beside it",
                "rebuild so the zip and the files are the same release",
            )


@rule("SP502", ERROR, "ReleaseNotes.md has a row for the package version")
def release_notes_row(target: Target) -> Out:
    version = package_version(target)
    notes = next((r for r in target.files if r.lower() == "releasenotes.md"), None)
    if version is None or notes is None:
        return
    text = target.files[notes].decode("utf-8", "replace")
    if not re.search(rf"^\|\s*\**{re.escape(version)}\**\s*\|", text, re.MULTILINE):
        yield notes, "", f"no row for version {version}", "add a release_notes entry (sentinel-pack release)"


@rule("SP503", ERROR, "The package version is higher than every older zip")
def version_increases(target: Target) -> Out:
    version = package_version(target)
    if version is None or not re.fullmatch(r"\d+\.\d+\.\d+", version):
        return
    current = tuple(map(int, version.split(".")))
    for rel, other in sorted(_zips(target).items()):
        if other > current:
            yield (
                rel,
                "",
                f"an older release {'.'.join(map(str, other))} is newer than the package version {version}",
                "bump solution.version above every zip in Package/",
            )


@rule("SP504", ERROR, "Built files are what the manifest builds")
def built_files_current(target: Target) -> Out:
    for rel in target.stale:
        yield (
            rel,
            "",
            "this file differs from what solution.yaml builds",
            "run 'sentinel-pack build' and commit the result (do not edit generated files)",
        )
