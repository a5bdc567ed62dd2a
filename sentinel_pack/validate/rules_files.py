"""SP0xx: the gate itself. A file validate cannot read is a finding, never a silent pass.

Every other rule skips what it cannot parse; these rules say so, with the line and column
of the fault, and account for every file a solution must have (and those it should not).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from sentinel_pack.validate.finding import ERROR, WARNING, Location, Yielded, rule
from sentinel_pack.validate.packaged import connector_files, package_copies
from sentinel_pack.validate.target import ZIP, Target

Out = Iterator[Yielded]
PACKAGE_FILES = ("mainTemplate.json", "createUiDefinition.json")
_VERSION_ZIP = re.compile(r"^\d+\.\d+\.\d+\.zip$", re.IGNORECASE)
#: Files other rules read and report themselves, with their lines: the manifest (SP101),
#: analytic rules and hunting queries (SP801).
_OWN_RULE = {"solution.yaml"}
_OWN_FOLDERS = ("analytic rules/", "hunting queries/")


def _unreadable(target: Target, kinds: tuple[str, ...]) -> Iterator[tuple[str, object]]:
    for rel in sorted(set(target.files) | set(target.io_errors)):
        if rel in _OWN_RULE or (rel in target.generated and rel not in target.on_disk):
            continue
        if rel.lower().startswith(_OWN_FOLDERS) and rel.lower().endswith((".yaml", ".yml")):
            continue
        problem = target.unreadable(rel)
        if problem is not None and problem.kind in kinds:
            yield rel, problem


@rule("SP001", ERROR, "Every file can be read and is not empty")
def empty_files(target: Target) -> Out:
    for rel, problem in _unreadable(target, ("empty", "io", "link")):
        yield rel, "", f"{problem.message}: validate cannot check it", \
            ("replace the link by a copy of what it points to, or remove it: nothing outside the solution is read"
             if problem.kind == "link" else
             "restore the file (rebuild it with 'sentinel-pack build'), or delete it if it does not belong")


@rule("SP002", ERROR, "Every JSON file is valid JSON")
def invalid_json(target: Target) -> Out:
    for rel, problem in _unreadable(target, ("json",)):
        yield rel, "", f"invalid JSON: {problem.message}", \
            "fix the syntax at this line and column (or rebuild the file)", \
            Location(line=problem.line, column=problem.column)


@rule("SP003", ERROR, "Every file is UTF-8")
def invalid_utf8(target: Target) -> Out:
    for rel, problem in _unreadable(target, ("utf-8",)):
        yield rel, "", problem.message, "save the file as UTF-8", Location(line=problem.line, column=problem.column)


@rule("SP004", ERROR, "Every YAML file is valid YAML")
def invalid_yaml(target: Target) -> Out:
    for rel, problem in _unreadable(target, ("yaml",)):
        yield rel, "", problem.message, "check indentation and quoting at this position", \
            Location(line=problem.line, column=problem.column)


@rule("SP005", ERROR, "Every package zip can be read")
def unreadable_zips(target: Target) -> Out:
    from sentinel_pack.validate.rules_package import read_members

    for rel, problem in _unreadable(target, ("zip",)):
        yield rel, "", f"the zip cannot be read: {problem.message}", "rebuild the package with 'sentinel-pack build'"
    for rel in sorted(r for r in target.files if r.lower().startswith("package/") and r.lower().endswith(".zip")):
        _members, refused = read_members(target, rel)
        if refused:
            yield rel, "", f"the zip cannot be read: {refused}", "rebuild the package with 'sentinel-pack build'"


def _package_dir(target: Target) -> str:
    return next((r.split("/", 1)[0] for r in target.files if r.lower().startswith("package/")), "Package")


@rule("SP006", ERROR, "Every file the solution needs is there")
def missing_files(target: Target) -> Out:
    if "" in target.io_errors:
        return  # an unreadable zip: SP005
    package = _package_dir(target)
    for name in PACKAGE_FILES:
        rel, _ = target.package(name)
        if rel not in target.files:
            where = "the zip" if target.kind == ZIP else package
            yield ("" if target.kind == ZIP else package), "", f"{name} is missing from {where}", \
                "rebuild the package with 'sentinel-pack build'"
    if target.kind == ZIP:
        return
    copies = package_copies(target)
    files = connector_files(target)
    have = {(c.kind, c.key.lower()) for c in files}
    reported = set()
    for copy in copies:
        if (copy.kind, copy.key.lower()) not in have and (copy.kind, copy.key) not in reported:
            reported.add((copy.kind, copy.key))
            yield copy.file, copy.path, \
                f"the package carries the {copy.kind} '{copy.key}', but no file in Data Connectors/ has it", \
                "restore the connector file (or rebuild: 'sentinel-pack build' writes both)"


@rule("SP007", WARNING, "No unexpected files in Package/ and Data Connectors/")
def unexpected_files(target: Target) -> Out:
    expected_package = {name.lower() for name in PACKAGE_FILES}
    for rel in sorted(target.files):
        folder, _, name = rel.partition("/")
        if folder.lower() == "package" and "/" not in name and name.lower() not in expected_package \
                and not _VERSION_ZIP.match(name):
            where = "the zip" if target.kind == ZIP else "Package/"
            yield ("" if target.kind == ZIP else rel), "", f"unexpected file {name!r} in {where}", \
                "a package holds mainTemplate.json, createUiDefinition.json and <version>.zip files only"
    if target.kind == ZIP:
        return
    known = {c.file for c in connector_files(target)} | {rel.split(" (", 1)[0] for rel, _ in target.cloudformation()}
    for rel in target.json_files():
        if rel.lower().startswith("data connectors/") and rel not in known:
            yield rel, "", "this file holds no connector resource (definition, poller, DCR, table) " \
                "nor a CloudFormation template", "remove it, or fix its 'type'"
    _main_rel, main = target.package("mainTemplate.json")
    if not isinstance(main, dict):
        return
    packaged = {(c.kind, c.key.lower()) for c in package_copies(target)}
    for copy in connector_files(target):
        if (copy.kind, copy.key.lower()) not in packaged:
            yield copy.file, copy.path, f"the {copy.kind} '{copy.key}' is not in the package", \
                "remove the file if it is obsolete, or rebuild the package so that it ships"


@rule("SP008", ERROR, "The folder is not half-switched by an interrupted build")
def interrupted_build(target: Target) -> Out:
    from sentinel_pack.package.writer import JOURNAL, STAGING, pending_switch

    if target.kind != ZIP and target.root is not None and pending_switch(target.root):
        yield f"{STAGING}/{JOURNAL}", "", "a build was killed while switching files into place: old and new files " \
            "may be mixed here", "run 'sentinel-pack build' (or 'release') again: it finishes the switch first"
