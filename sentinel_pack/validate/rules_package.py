"""SP5xx: the package zip, its version and the files beside it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

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


def _differences(source: object, packaged: object, path: str) -> Iterator[tuple[str, str]]:
    """(JSON path, what differs) between a connector file's value and its copy in the package.

    A value resolved at deployment on either side (an ARM expression, a ``{{placeholder}}``)
    is what the packager substitutes, not a difference; property names compare as ARM reads them.
    """
    from sentinel_pack.validate.schemastore import resolved_later

    if isinstance(source, str) and isinstance(packaged, str):
        if not _same_text(source.replace("\r\n", "\n"), packaged.replace("\r\n", "\n")):
            yield path, f"is {_short(source)} here but {_short(packaged)} in the package"
        return
    if resolved_later(source) or resolved_later(packaged):
        return
    if isinstance(source, dict) and isinstance(packaged, dict):
        names = {str(k).lower(): k for k in packaged}
        for key, value in source.items():
            here = f"{path}.{key}"
            if str(key).lower() in names:
                yield from _differences(value, packaged[names[str(key).lower()]], here)
            elif value not in (None, "", [], {}):
                yield here, "is not in the package"
        return
    if isinstance(source, list) and isinstance(packaged, list):
        for index, (a, b) in enumerate(zip(source, packaged, strict=False)):
            yield from _differences(a, b, f"{path}[{index}]")
        if len(source) != len(packaged):
            yield path, f"has {len(source)} items here but {len(packaged)} in the package"
        return
    if source != packaged and not (isinstance(source, (int, float)) and str(source) == str(packaged)):
        yield path, f"is {_short(source)} here but {_short(packaged)} in the package"


_PLACEHOLDER = re.compile(r"\{\{\s*[A-Za-z_][\w.]*\s*\}\}")


def _same_text(source: str, packaged: str) -> bool:
    """Equal, or equal once the packager's substitutions are allowed for.

    ``{{placeholders}}`` become ARM expressions (``[[parameters('x')]``, or a ``concat`` of the
    literal parts): the literal text around them must survive. An ARM expression in the source
    is the packager's to rewrite. Sentinel fills ``{{graphQueriesTableName}}`` itself, so a
    sample query keeps it in the package and is compared as text.
    """
    if source == packaged or source.strip().startswith("["):
        return True
    pieces = [piece for piece in _PLACEHOLDER.split(source)]
    if len(pieces) == 1:
        return packaged.strip().startswith("[")  # a literal turned into an expression by the packager
    if packaged.strip().startswith("["):
        return all(piece in packaged for piece in pieces if piece)
    pattern = ".*?".join(re.escape(piece) for piece in pieces)
    return re.fullmatch(pattern, packaged, re.DOTALL) is not None


def _short(value: object) -> str:
    import json

    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


@rule("SP505", ERROR, "The connector files and their copies in mainTemplate.json agree")
def package_matches_connector_files(target: Target) -> Out:
    """A sample query edited in the connector definition but not in the package is a stale package."""
    from sentinel_pack.validate.packaged import connector_files, package_copies

    copies: dict[tuple[str, str], list] = {}
    for copy in package_copies(target):
        copies.setdefault((copy.kind, copy.key.lower()), []).append(copy)
    for source in connector_files(target):
        for packaged in copies.get((source.kind, source.key.lower()), []):
            base = f"{source.path}.properties" if source.path else "properties"
            found = list(_differences(source.resource.get("properties"), packaged.resource.get("properties"), base))
            for path, what in found[:10]:
                yield source.file, path, f"stale package: {what} ({packaged.file}: {packaged.path})", \
                    "rebuild the package so that it carries the connector files as they are"
            if len(found) > 10:
                yield source.file, base, f"and {len(found) - 10} more differences from the package copy " \
                    f"({packaged.path})", "rebuild the package"


def against_last_release(target: Target, items_of: Callable[[dict[str, bytes]], list],
                         problems: Callable[[list, list], list[str]]) -> Out:
    """``problems(old, new)`` of the package against the newest older zip in Package/ (SP803, SP909).

    The same checks ``diff`` makes between two releases, so a pull request sees them before the
    release is cut; unreadable zips are SP501/SP503's.
    """
    version = package_version(target)
    main_rel, _ = target.package("mainTemplate.json")
    if version is None or main_rel not in target.files:
        return
    for previous in older_zips(target, version)[:1]:
        members, refused = read_members(target, previous)
        if refused:
            continue
        for problem in problems(items_of(members), items_of({main_rel: target.files[main_rel]})):
            yield main_rel, "", f"compared with {previous}: {problem}", \
                "published content is matched by id and updated by version"
