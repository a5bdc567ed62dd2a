"""SP510: the version bump covers the changes since the previous release, as ``diff --check-version`` says."""

from __future__ import annotations

from collections.abc import Iterator

from sentinel_pack.errors import SentinelPackError
from sentinel_pack.validate.finding import ERROR, rule
from sentinel_pack.validate.target import Target

Out = Iterator[tuple[str, str, str, str]]


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
    try:
        result = compare_with_release(target.files[zips[since]], zips[since], target.files, target.label)
    except SentinelPackError:
        return  # a refused zip is SP501's finding
    if not result.version_ok:
        yield (
            "Package/mainTemplate.json",
            "",
            f"{bump_verdict(result)}; the changes since {since} need a {result.required_bump} bump",
            f"release with 'sentinel-pack release -m ...', which works out the bump (here "
            f"{result.required_bump}) from {zips[since]}",
        )
