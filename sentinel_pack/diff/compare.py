"""Two sides -> classified changes per artefact, the bump they need and the bump NEW made."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sentinel_pack.diff import versions as semver
from sentinel_pack.diff.artefacts import Artefact, artefacts_of
from sentinel_pack.diff.classify import BUMP_FOR, CATEGORIES, Change, classify, pair_renames
from sentinel_pack.diff.semantic import diff_artefacts
from sentinel_pack.diff.sources import Side, comparable


@dataclass
class SideInfo:
    label: str
    kind: str
    version: str | None
    notes: list[str] = field(default_factory=list)


@dataclass
class ArtefactDiff:
    name: str
    status: str  # added, removed or changed
    changes: list[Change]

    def counts(self) -> dict[str, int]:
        return {c: sum(1 for ch in self.changes if ch.category == c) for c in CATEGORIES}


@dataclass
class DiffResult:
    old: SideInfo
    new: SideInfo
    artefacts: list[ArtefactDiff]
    unchanged: list[str]
    #: Errors whatever the bump: a published rule's id changed, a query changed under one version.
    problems: list[str] = field(default_factory=list)

    @property
    def changes(self) -> list[Change]:
        return [change for artefact in self.artefacts for change in artefact.changes]

    def counts(self) -> dict[str, int]:
        return {c: sum(1 for ch in self.changes if ch.category == c) for c in CATEGORIES}

    @property
    def required_bump(self) -> str:
        needed = {BUMP_FOR[change.category] for change in self.changes}
        return next((bump for bump in reversed(semver.BUMPS) if bump in needed), "none")

    @property
    def actual_bump(self) -> str | None:
        """The bump from OLD's version to NEW's; None when unknown or a downgrade."""
        if not (self.old.version and self.new.version):
            return None
        return semver.bump_between(self.old.version, self.new.version)

    @property
    def version_ok(self) -> bool:
        """NEW's bump covers the changes (nothing to cover counts as covered)."""
        return self.required_bump == "none" or semver.at_least(self.actual_bump, self.required_bump)


def solution_version(artefacts: dict[str, Artefact]) -> str | None:
    """The package version: contentPackages version, else _solutionVersion, else Data/*.json."""
    main = artefacts.get("Package/mainTemplate.json")
    if main is not None and isinstance(main.doc, dict):
        resources = main.doc.get("resources")
        if isinstance(resources, dict):
            for key, resource in resources.items():
                if key.startswith("contentPackages") and isinstance(resource, dict):
                    version = resource.get("properties", {}).get("version")
                    if isinstance(version, str) and not version.startswith("["):
                        return version
        variables = main.doc.get("variables")
        if isinstance(variables, dict) and isinstance(variables.get("_solutionVersion"), str):
            return variables["_solutionVersion"]
    for name, artefact in sorted(artefacts.items()):
        if name.startswith("Data/") and isinstance(artefact.doc, dict) and isinstance(artefact.doc.get("Version"), str):
            return artefact.doc["Version"]
    return None


def compare(old_side: Side, new_side: Side) -> DiffResult:
    old_side, new_side = comparable(old_side, new_side)
    old_artefacts = artefacts_of(old_side.files, old_side.label)
    new_artefacts = artefacts_of(new_side.files, new_side.label)
    old_info = SideInfo(old_side.label, old_side.kind, solution_version(old_artefacts), old_side.notes)
    new_info = SideInfo(new_side.label, new_side.kind, solution_version(new_artefacts), new_side.notes)
    versions = (old_info.version, new_info.version)

    diffs: list[ArtefactDiff] = []
    unchanged: list[str] = []
    for name in sorted(set(old_artefacts) | set(new_artefacts)):
        old, new = old_artefacts.get(name), new_artefacts.get(name)
        raw = diff_artefacts(old, new)
        if not raw:
            unchanged.append(name)
            continue
        status = "added" if old is None else "removed" if new is None else "changed"
        reference = _merged(old, new)
        changes = pair_renames([classify(change, reference, versions) for change in raw])
        diffs.append(ArtefactDiff(name, status, changes))
    from sentinel_pack.diff import content as other_content
    from sentinel_pack.diff import detections

    content = detections.problems(detections.detections_of(old_side.files),
                                  detections.detections_of(new_side.files))
    content += other_content.problems(other_content.content_of(old_side.files),
                                      other_content.content_of(new_side.files))
    return DiffResult(old_info, new_info, diffs, unchanged, content)


def _merged(old: Artefact | None, new: Artefact | None) -> Artefact:
    """One artefact description whose keyed paths cover both sides."""
    base = new or old
    assert base is not None
    keyed = (old.keyed if old else set()) | (new.keyed if new else set())
    sets = (old.sets if old else set()) | (new.sets if new else set())
    return Artefact(base.name, base.kind, base.doc, keyed, sets)


def as_json(result: DiffResult) -> dict[str, Any]:
    """The result as plain data (``--format json``)."""
    def side(info: SideInfo) -> dict[str, Any]:
        return {"label": info.label, "kind": info.kind, "version": info.version, "notes": info.notes}

    return {
        "old": side(result.old),
        "new": side(result.new),
        "summary": result.counts(),
        "required_bump": result.required_bump,
        "actual_bump": result.actual_bump,
        "version_ok": result.version_ok,
        "problems": result.problems,
        "artefacts": [
            {
                "name": artefact.name,
                "status": artefact.status,
                "counts": artefact.counts(),
                "changes": [
                    {"path": c.display_path, "path_parts": list(c.path), "kind": c.kind,
                     "category": c.category, "summary": c.summary, "old": c.old, "new": c.new}
                    for c in artefact.changes
                ],
            }
            for artefact in result.artefacts
        ],
        "unchanged": result.unchanged,
    }
