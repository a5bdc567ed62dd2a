"""SP510: the version bump covers the changes since the previous release, as ``diff --check-version`` says."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from sentinel_pack.errors import SentinelPackError
from sentinel_pack.validate.finding import ERROR, rule
from sentinel_pack.validate.target import Target

Out = Iterator[tuple[str, str, str, str]]
KIND = "version-bump"


@rule("SP510", ERROR, "The version bump covers the changes since the previous release")
def bump_covers_changes(target: Target) -> Out:
    from sentinel_pack.diff import versions as semver
    from sentinel_pack.diff.output import bump_verdict
    from sentinel_pack.package.versioning import baseline, compare_with_release, released_versions
    from sentinel_pack.validate.rules_package import package_version

    version = package_version(target)
    try:
        semver.parse(version or "")
    except SentinelPackError:
        return  # SP201/SP503 report a version that is not MAJOR.MINOR.PATCH
    zips = released_versions(target.files)
    since = baseline(list(zips), version, inclusive=False)
    if since is None:
        return
    def verdict() -> dict[str, object] | None:
        try:
            result = compare_with_release(target.files[zips[since]], zips[since], target.files, target.label)
        except SentinelPackError:
            return None  # a refused zip is SP501's finding
        return {"ok": result.version_ok, "verdict": bump_verdict(result), "bump": result.required_bump}

    found = _remembered(target, zips[since], verdict)
    if found is not None and not found["ok"]:
        yield (
            "Package/mainTemplate.json",
            "",
            f"{found['verdict']}; the changes since {since} need a {found['bump']} bump",
            f"release with 'sentinel-pack release -m ...', which works out the bump (here "
            f"{found['bump']}) from {zips[since]}",
        )


def _valid(value: object) -> bool:
    return value is None or (isinstance(value, dict) and isinstance(value.get("ok"), bool)
                             and isinstance(value.get("verdict"), str) and isinstance(value.get("bump"), str))


def _remembered(target: Target, release: str, compute):
    """The comparison with the last release (a whole diff), once per content in the disk cache:
    the release's bytes and every other file of the target, with the code that compares them."""
    from importlib.metadata import version

    from sentinel_pack.perf import diskcache

    if not diskcache.enabled():
        return compute()
    files = sorted((rel, data) for rel, data in target.files.items() if not rel.lower().endswith(".zip"))
    entry = diskcache.key(
        KIND, diskcache.code_version("sentinel_pack.diff", "sentinel_pack.package.versioning", __name__),
        f"deepdiff {version('deepdiff')}", target.label, release, hashlib.sha256(target.files[release]).hexdigest(),
        *(part for rel, data in files for part in (rel, hashlib.sha256(data).hexdigest())))
    stored = diskcache.get(KIND, entry, _valid)
    if stored is not None:
        return stored
    found = compute()
    if found is not None:
        diskcache.put(KIND, entry, found)
    return found
