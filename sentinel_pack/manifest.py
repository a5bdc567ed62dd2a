"""Loading and checking ``solution.yaml``: the one place every fact of a solution is written.

Checks run in two passes: the JSON Schema shipped in the package (structure, types, formats),
then the rules a schema cannot express (files inside the solution folder, names that refer to
each other). Every problem is reported with file, line and column, all at once.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sentinel_pack.errors import IOFailure, Problem, SentinelPackError
from sentinel_pack.yamlsource import PathKey, YamlDocument, load_yaml

MANIFEST_NAME = "solution.yaml"
SCHEMA_NAME = "manifest.schema.json"

_TYPE_NAMES = {"string": "a string", "integer": "a whole number", "number": "a number",
               "boolean": "true or false", "array": "a list", "object": "a mapping",
               "null": "nothing"}

#: What a pattern means, for messages: keyed by the pattern text in the schema.
_PATTERN_MEANING = {
    r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$": "a version like 3.0.1",
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$": "a date like 2026-03-12 (YYYY-MM-DD)",
    r"^OIDC_[-_a-zA-Z0-9]+$": "a role name starting with OIDC_ (Sentinel only assumes such roles)",
    r"^[A-Za-z][A-Za-z0-9_]{0,60}_CL$": "a custom table name ending in _CL",
    r"^https://\S+$": "an https:// URL",
}


@dataclass
class Manifest:
    """A checked manifest and the folder it belongs to."""

    root: Path
    file: Path
    doc: YamlDocument

    @property
    def data(self) -> dict[str, Any]:
        return self.doc.data

    def resolve_path(self, relative: str) -> Path:
        return (self.root / relative).resolve()


def find_manifest(path: Path) -> Path:
    """Accept the solution folder or the manifest file itself."""
    if path.is_dir():
        candidate = path / MANIFEST_NAME
        if not candidate.is_file():
            raise IOFailure(Problem(f"no {MANIFEST_NAME} in this folder", file=str(path),
                                    hint="pass the solution folder that holds solution.yaml"))
        return candidate
    if path.is_file():
        return path
    raise IOFailure(Problem("no such file or folder", file=str(path)))


def load_manifest(path: Path) -> Manifest:
    file = find_manifest(path)
    doc = load_yaml(file, display_name=str(file))
    if not isinstance(doc.data, dict):
        raise SentinelPackError(doc.problem((), "the manifest must be a mapping of sections",
                                            hint="start from the example in the README"))
    problems = schema_problems(doc)
    if problems:
        raise SentinelPackError(problems)
    manifest = Manifest(root=file.parent.resolve(), file=file, doc=doc)
    problems = reference_problems(manifest)
    if problems:
        raise SentinelPackError(problems)
    return manifest


def schema_problems(doc: YamlDocument) -> list[Problem]:
    from jsonschema import Draft202012Validator

    from sentinel_pack.resources import schema

    validator = Draft202012Validator(schema(SCHEMA_NAME))
    problems = []
    errors = sorted(validator.iter_errors(doc.data), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    for error in errors:
        problems.extend(_explain(doc, error))
    # One cause can surface through several schema branches; report it once.
    unique: dict[tuple, Problem] = {}
    for problem in problems:
        unique.setdefault((problem.line, problem.column, problem.message), problem)
    return list(unique.values())


def _explain(doc: YamlDocument, error: Any) -> list[Problem]:
    path: PathKey = tuple(error.absolute_path)
    kind = error.validator
    schema = error.schema if isinstance(error.schema, dict) else {}
    if kind == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        extra = [k for k in error.instance if k not in schema.get("properties", {})]
        out = []
        for key in extra:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"allowed keys: {', '.join(allowed)}"
            out.append(doc.problem((*path, key), f"unknown key '{key}'", hint=hint))
        return out
    if kind == "required":
        missing = error.message.split("'")[1]
        where = f"under '{path[-1]}'" if path else "at the top level"
        return [doc.problem(path, f"missing required key '{missing}'", hint=f"add '{missing}:' {where}")]
    if kind == "type":
        expected = error.validator_value
        expected = " or ".join(_TYPE_NAMES.get(t, t) for t in ([expected] if isinstance(expected, str) else expected))
        return [doc.problem(path, f"expected {expected}, got {_describe(error.instance)}")]
    if kind == "enum":
        choices = ", ".join(str(c) for c in error.validator_value)
        return [doc.problem(path, f"{_describe(error.instance)} is not allowed", hint=f"use one of: {choices}")]
    if kind == "const":
        return [doc.problem(path, f"expected {error.validator_value!r}, got {_describe(error.instance)}")]
    if kind == "pattern":
        meaning = _PATTERN_MEANING.get(error.validator_value, f"text matching {error.validator_value}")
        return [doc.problem(path, f"{_describe(error.instance)} is not {meaning}")]
    if kind in ("minItems", "minLength"):
        what = "item" if kind == "minItems" else "character"
        return [doc.problem(path, f"needs at least {error.validator_value} {what}(s)")]
    if kind in ("maxItems", "maxLength"):
        what = "item" if kind == "maxItems" else "character"
        return [doc.problem(path, f"allows at most {error.validator_value} {what}(s)")]
    if kind in ("minimum", "maximum"):
        bound = "at least" if kind == "minimum" else "at most"
        return [doc.problem(path, f"{error.instance} must be {bound} {error.validator_value}")]
    if kind == "uniqueItems":
        return [doc.problem(path, "items must not repeat")]
    if kind == "oneOf" and isinstance(error.instance, dict) and error.instance.get("type") == "CopyableLabel":
        return [doc.problem(path, "a CopyableLabel needs exactly one of 'value' or 'cloudformation'")]
    return [doc.problem(path, error.message)]


def _describe(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return _TYPE_NAMES["object" if isinstance(value, dict) else "array"]
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    return repr(value)


def reference_problems(manifest: Manifest) -> list[Problem]:
    """What the schema cannot say: files that must exist inside the folder, names that must match."""
    data, doc = manifest.data, manifest.doc
    problems: list[Problem] = []

    def check_path(path: PathKey, relative: str, want_dir: bool) -> None:
        target = manifest.resolve_path(relative)
        if not target.is_relative_to(manifest.root):
            problems.append(doc.problem(path, f"'{relative}' leads outside the solution folder",
                                        hint="keep every file of the solution inside its folder"))
        elif want_dir and not target.is_dir():
            problems.append(doc.problem(path, f"folder '{relative}' does not exist"))
        elif not want_dir and not target.is_file():
            problems.append(doc.problem(path, f"file '{relative}' does not exist"))

    if "templates_dir" in data:
        check_path(("templates_dir",), data["templates_dir"], want_dir=True)
    pipeline = data.get("aws", {}).get("eks_audit_pipeline")
    if pipeline:
        check_path(("aws", "eks_audit_pipeline", "lambda_code"), pipeline["lambda_code"], want_dir=False)

    columns = data["table"]["columns"]
    seen: dict[str, int] = {}
    for index, column in enumerate(columns):
        key = column["name"].lower()
        if key in seen:
            problems.append(doc.problem(("table", "columns", index, "name"),
                                        f"column '{column['name']}' is defined twice (first at index {seen[key]})",
                                        hint="column names are case-insensitive in Log Analytics"))
        seen.setdefault(key, index)
    time_generated = [c for c in columns if c["name"] == "TimeGenerated"]
    if not time_generated or time_generated[0]["type"] != "datetime":
        problems.append(doc.problem(("table", "columns"), "the table needs a 'TimeGenerated' column of type datetime",
                                    hint="add {name: TimeGenerated, type: datetime}"))

    textboxes: dict[str, PathKey] = {}
    cloudformation_used = False
    for s, step in enumerate(data["connector"]["instruction_steps"]):
        for i, instruction in enumerate(step["instructions"]):
            where = ("connector", "instruction_steps", s, "instructions", i)
            if instruction["type"] == "Textbox":
                name = instruction["name"]
                if name in textboxes:
                    problems.append(doc.problem((*where, "name"), f"text box name '{name}' is used twice"))
                textboxes[name] = where
            if instruction.get("cloudformation"):
                cloudformation_used = True
    for key in ("role_arn_from", "queue_url_from"):
        name = data["poller"][key]
        if name not in textboxes:
            known = ", ".join(sorted(textboxes)) or "none"
            problems.append(doc.problem(("poller", key), f"no Textbox instruction is named '{name}'",
                                        hint=f"name one of the connector's text boxes (defined: {known})"))
    if cloudformation_used and "aws" not in data:
        problems.append(doc.problem(("connector",),
                                    "instructions embed CloudFormation templates but there is no 'aws' section",
                                    hint="add the aws section (OIDC, role, bucket, queue)"))

    versions: dict[str, int] = {}
    for index, entry in enumerate(data["release_notes"]):
        if entry["version"] in versions:
            problems.append(doc.problem(("release_notes", index, "version"),
                                        f"release notes list version {entry['version']} twice"))
        versions.setdefault(entry["version"], index)
    version = data["solution"]["version"]
    if version not in versions:
        problems.append(doc.problem(
            ("solution", "version"), f"release_notes has no entry for version {version}",
            hint="add a release_notes entry (version, date, changes) or run 'sentinel-pack release'"))
    return problems
