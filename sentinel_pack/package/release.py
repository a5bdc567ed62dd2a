"""``sentinel-pack release``: bump the version, add the release-notes entry, rebuild.

The manifest is edited as text at the positions the YAML loader recorded, so comments, key
order and layout stay as the author wrote them (a YAML round trip would drop the comments).
The edit is checked by loading the result and comparing it with the intended data; nothing is
written until the new manifest loads, renders and validates, and then the manifest, the zip and the
release notes are written as one transaction (see ``writer``).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import date as Date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sentinel_pack.errors import EXIT_USAGE, IOFailure, Problem, SentinelPackError

if TYPE_CHECKING:
    from sentinel_pack.manifest.load import Manifest
    from sentinel_pack.package.build import Rendered
    from sentinel_pack.package.writer import Written

PARTS = ("major", "minor", "patch")
_LINE_BREAK = re.compile(r"\r\n|\r|\n|\x85|\u2028|\u2029")  # what PyYAML counts as a line break
_DATE = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")
_BLOCK_ITEM = re.compile(r"^(\s*)-\s+$")


@dataclass(frozen=True)
class ReleasePlan:
    manifest_file: Path
    old_version: str
    new_version: str
    date: str
    message: str
    text: str
    #: The data the edited manifest must load as: anything else means the edit went wrong.
    expected: dict[str, Any]


def _usage(message: str, hint: str | None = None) -> SentinelPackError:
    return SentinelPackError(Problem(message, hint=hint), exit_code=EXIT_USAGE)


class _Text:
    """The manifest text with (line, column) -> offset as the YAML loader counts them."""

    def __init__(self, text: str):
        self.text = text
        self.starts = [0] + [m.end() for m in _LINE_BREAK.finditer(text)]
        first = _LINE_BREAK.search(text)
        self.newline = first.group(0) if first else "\n"

    def offset(self, line: int, column: int) -> int:
        return self.starts[line - 1] + column - 1

    def line_prefix(self, line: int, column: int) -> str:
        return self.text[self.starts[line - 1]:self.offset(line, column)]


def _scalar(value: str) -> str:
    """``value`` as a YAML scalar: plain when that reads back unchanged, else double-quoted."""
    import yaml

    plain_ok = (value == value.strip() and value and not re.search(r":\s|\s#|^[-?:,\[\]{}#&*!|>'\"%@`]", value))
    if plain_ok:
        try:
            if yaml.safe_load(f"- {value}") == [value]:
                return value
        except yaml.YAMLError:
            pass
    return json.dumps(value, ensure_ascii=False)


def plan(manifest: Manifest, part: str, message: str, on: str | None = None) -> ReleasePlan:
    """The edited manifest text for this release; raises before anything is written."""
    from sentinel_pack.diff.versions import bump

    if part not in PARTS:
        raise _usage(f"unknown release part {part!r}", hint="use major, minor or patch")
    message = message.strip()
    if not message:
        raise _usage("the release message is empty", hint="pass -m 'what changed'")
    if _LINE_BREAK.search(message):
        raise _usage("the release message must be one line", hint="run release once, then add more "
                     "lines under changes: in solution.yaml")
    day = on or Date.today().isoformat()
    if not _DATE.match(day):
        raise _usage(f"{day!r} is not a date like 2026-03-12 (YYYY-MM-DD)")
    try:
        Date.fromisoformat(day)
    except ValueError:
        raise _usage(f"{day} is not a day of the calendar", hint="check the month's length and the year") from None
    if day > "2107-12-31":
        raise _usage(f"{day} is after 2107-12-31, the latest date a zip can record")

    doc, data = manifest.doc, manifest.data
    old_version = data["solution"]["version"]
    new_version = bump(old_version, part)
    if any(entry["version"] == new_version for entry in data["release_notes"]):
        raise SentinelPackError(doc.problem(("release_notes",), f"release_notes already has an entry for {new_version}",
                                            hint="edit that entry, or release the next version"))
    text = _Text(_read(manifest.file))

    edits: list[tuple[int, int, str]] = []  # (start, end, replacement), applied back to front
    line, column = doc.positions[("solution", "version")]
    start = text.offset(line, column)
    for quote in ("", '"', "'"):
        token = f"{quote}{old_version}{quote}"
        after = text.text[start + len(token):start + len(token) + 1]
        if text.text.startswith(token, start) and (not after or after in " \t\r\n#,}"):
            edits.append((start, start + len(token), f"{quote}{new_version}{quote}"))
            break
    else:
        raise _cannot_edit(doc.problem(("solution", "version"), "the version is not written as a plain "
                                       "or quoted scalar"))

    line, column = doc.positions[("release_notes", 0)]
    prefix = text.line_prefix(line, column)
    item = _BLOCK_ITEM.match(prefix)
    if not item:
        raise _cannot_edit(doc.problem(("release_notes", 0), "release_notes is not a block list "
                                       "('- version: ...' on its own line)"))
    nl = text.newline
    if text.text.startswith("{", text.offset(line, column)):
        quoted = json.dumps(message, ensure_ascii=False)
        entry = f"{prefix}{{version: {new_version}, date: {day}, changes: [{quoted}]}}{nl}"
    else:
        keys = " " * len(prefix)
        change_line, change_column = doc.positions.get(("release_notes", 0, "changes", 0), (None, None))
        dash = text.line_prefix(change_line, change_column) if change_line else ""
        dash = dash if _BLOCK_ITEM.match(dash) else f"{keys}  - "
        entry = (f"{prefix}version: {new_version}{nl}{keys}date: {day}{nl}{keys}changes:{nl}"
                 f"{dash}{_scalar(message)}{nl}")
    insert_at = text.starts[line - 1]
    edits.append((insert_at, insert_at, entry))

    new_text = text.text
    for begin, end, replacement in sorted(edits, reverse=True):
        new_text = new_text[:begin] + replacement + new_text[end:]

    expected = copy.deepcopy(data)
    expected["solution"]["version"] = new_version
    expected["release_notes"].insert(0, {"version": new_version, "date": day, "changes": [message]})
    return ReleasePlan(manifest.file, old_version, new_version, day, message, new_text, expected)


def _read(file: Path) -> str:
    try:
        with file.open(encoding="utf-8", newline="") as handle:
            return handle.read()
    except OSError as exc:
        raise IOFailure(Problem(f"cannot read: {exc.strerror}", file=str(file))) from None


def _cannot_edit(problem: Problem) -> SentinelPackError:
    hint = ("bump solution.version and add the release_notes entry by hand, then run "
            "'sentinel-pack build'")
    return SentinelPackError(Problem(f"cannot edit the manifest safely: {problem.message}", file=problem.file,
                                     line=problem.line, column=problem.column, path=problem.path, hint=hint))


def release(path: Path, part: str, message: str, on: str | None = None
            ) -> tuple[ReleasePlan, Rendered, list[Written]]:
    """Edit the manifest and rebuild as one transaction: manifest, zip and notes switch together.

    The edited manifest is checked from a temporary copy beside the original (so its relative
    paths resolve), rendered and validated; then the new manifest and every output are written
    by one ``write_outputs``, which leaves the folder in the old or the new state whatever
    interrupts it.
    """
    from sentinel_pack.manifest.load import find_manifest, load_manifest
    from sentinel_pack.package.build import prepare
    from sentinel_pack.package.writer import recover, terminate_as_exception, write_outputs

    with terminate_as_exception():
        file = find_manifest(path)
        recover(file.parent)  # a release killed mid-switch is finished first
        _remove_stale_copies(file)
        manifest = load_manifest(path)
        release_plan = plan(manifest, part, message, on)
        target = manifest.file
        staged = _stage(target, release_plan.text)
        try:
            checked = load_manifest(staged)
            if checked.data != release_plan.expected:
                raise _cannot_edit(Problem("the edited manifest does not read back as intended", file=str(target)))
            rendered = prepare(checked, manifest.root)
        finally:
            staged.unlink(missing_ok=True)
        rendered.manifest = dataclasses.replace(checked, file=target)  # the report names the real manifest
        outputs = {**rendered.files, target.name: release_plan.text.encode("utf-8")}
        written = write_outputs(manifest.root, outputs)
    return release_plan, rendered, written


def _remove_stale_copies(target: Path) -> None:
    """Temporary manifests of a release that was killed (SIGKILL) before it could remove them."""
    for stale in target.parent.glob(f".{target.name}.*.release"):
        if stale.is_file() and not stale.is_symlink():
            stale.unlink(missing_ok=True)


def _stage(target: Path, text: str) -> Path:
    """The new manifest beside the old one (same folder: relative paths and os.replace work)."""
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".release", dir=target.parent)
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.chmod(name, target.stat().st_mode & 0o7777)
    except OSError as exc:
        raise IOFailure(Problem(f"cannot write beside the manifest: {exc.strerror}", file=str(target))) from None
    return Path(name)
