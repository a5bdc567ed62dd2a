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
from sentinel_pack.manifest.yamlsource import PathKey, YamlDocument, load_yaml

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
    r"^(?![A-Za-z0-9_]*_CL$)[A-Za-z][A-Za-z0-9_]{0,62}$":
        "a built-in table name (a table ending in _CL is custom: drop 'builtin: true')",
    r"^Custom-[A-Za-z0-9_]{1,100}$": "a stream name like Custom-MyStream",
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
    problems = ccf_problems(doc) or reference_problems(manifest)
    if problems:
        raise SentinelPackError(problems)
    return manifest


def schema_problems(doc: YamlDocument) -> list[Problem]:
    from sentinel_pack.manifest.schemacheck import validator as schema_validator
    from sentinel_pack.resources import schema

    validator = schema_validator(schema(SCHEMA_NAME))  # ECMA '$' (no trailing newline) and real dates
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
        if isinstance(expected, list) and len(expected) > 1:
            expected = [t for t in expected if t != "null"]  # null only means "leave it out"
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
    if kind == "format" and error.validator_value == "date":
        return [doc.problem(path, f"{_describe(error.instance)} is not a day of the calendar",
                            hint="check the month's length and the year (YYYY-MM-DD)")]
    if kind == "dependentRequired":
        needed, given = error.message.split("'")[1], error.message.split("'")[3]
        return [doc.problem((*path, given), f"'{given}' needs '{needed}' as well", hint=f"add '{needed}:' beside it")]
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
    if kind == "anyOf" and all(set(sub) == {"required"} for sub in error.validator_value):
        names = [sub["required"][0] for sub in error.validator_value]
        where = f"under '{path[-1]}'" if path else "at the top level"
        return [doc.problem(path, f"missing required key '{names[0]}' (or '{names[1]}')",
                            hint=f"add '{names[0]}:' {where}")]
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


#: The sections of one connector: top-level in a single-connector manifest, or items of 'connectors'.
CONNECTOR_KEYS = ("table", "tables", "dcr", "connector", "poller", "pollers", "aws")


def tables_of(item: dict[str, Any]) -> list[tuple[PathKey, dict[str, Any]]]:
    """(path, table) of every table of one connector item: 'table' or the items of 'tables'."""
    if "tables" in item:
        return [(("tables", i), table) for i, table in enumerate(item["tables"])]
    return [(("table",), item["table"])] if "table" in item else []


def pollers_of(item: dict[str, Any]) -> list[tuple[PathKey, dict[str, Any]]]:
    if "pollers" in item:
        return [(("pollers", i), poller) for i, poller in enumerate(item["pollers"])]
    return [(("poller",), item["poller"])] if "poller" in item else []


def ccf_problems(doc: YamlDocument) -> list[Problem]:
    """The sections written in CCF's own spelling, against the vendored provider schema."""
    from sentinel_pack.ccf import check

    problems: list[Problem] = []
    for prefix, item in connector_items(doc.data):
        scoped = _Scoped(doc, prefix)
        for pair in (("table", "tables"), ("poller", "pollers")):
            if all(key in item for key in pair):
                problems.append(scoped.problem((pair[1],), f"'{pair[1]}' beside '{pair[0]}'", hint="write one of them"))
        problems.extend(check.connector_problems(scoped, item["connector"]))
        for path, table in tables_of(item):
            problems.extend(check.table_problems(scoped, path, table))
        problems.extend(check.dcr_problems(scoped, item["dcr"]))
        for path, poller in pollers_of(item):
            problems.extend(check.poller_problems(scoped, path, poller))
    return problems


def connector_items(data: dict[str, Any]) -> list[tuple[PathKey, dict[str, Any]]]:
    """(path prefix, sections) of every connector; the dicts are the manifest's own."""
    if "connectors" in data:
        return [(("connectors", index), item) for index, item in enumerate(data["connectors"])]
    return [((), {key: data[key] for key in CONNECTOR_KEYS if key in data})]


class _Scoped:
    """The manifest document seen from one connector item: paths are prefixed with its place."""

    def __init__(self, doc: YamlDocument, prefix: PathKey) -> None:
        self.doc, self.prefix = doc, prefix

    def problem(self, path: PathKey, message: str, hint: str | None = None) -> Problem:
        return self.doc.problem((*self.prefix, *path), message, hint=hint)


def _unique_across_connectors(doc: YamlDocument, items: list[tuple[PathKey, dict[str, Any]]]) -> list[Problem]:
    """Connector ids, file prefixes, tables and poller names name one connector each."""
    problems = []
    for what in ("connector id", "file_prefix", "table", "poller name"):
        seen: dict[str, PathKey] = {}
        for prefix, item in items:
            if what in ("connector id", "file_prefix"):
                key = "id" if what == "connector id" else "file_prefix"
                named = [(("connector", key), item["connector"][key])]
            elif what == "table":  # several connectors may feed one built-in table
                named = [((*path, "name"), t["name"]) for path, t in tables_of(item) if not t.get("builtin")]
            else:
                named = [((*path, "name"), p["name"]) for path, p in pollers_of(item)]
            for path, value in named:
                if value in seen:
                    problems.append(doc.problem((*prefix, *path), f"{what} '{value}' is already used by another "
                                                "connector", hint="each connector of a solution needs its own"))
                seen.setdefault(value, prefix)
    return problems


def reference_problems(manifest: Manifest) -> list[Problem]:
    """What the schema cannot say: files that must exist inside the folder, names that must match."""
    data, doc = manifest.data, manifest.doc
    problems: list[Problem] = []

    def check_path(path: PathKey, relative: str, want_dir: bool) -> None:
        target = manifest.resolve_path(relative)
        if not target.is_relative_to(manifest.root):
            problems.append(doc.problem(path, f"'{relative}' leads outside the solution folder",
                                        hint="keep every file of the solution inside its folder"))
        elif Path(relative).is_absolute() or ".." in relative.replace("\\", "/").split("/"):
            # It names a file inside, but the output tree would carry the '..' (and write outside --out).
            problems.append(doc.problem(path, f"'{relative}' goes through '..' or starts at the root",
                                        hint="write the path relative to the solution folder, without '..'"))
        elif want_dir and not target.is_dir():
            problems.append(doc.problem(path, f"folder '{relative}' does not exist"))
        elif not want_dir and not target.is_file():
            problems.append(doc.problem(path, f"file '{relative}' does not exist"))

    if "templates_dir" in data:
        check_path(("templates_dir",), data["templates_dir"], want_dir=True)
    single = [key for key in CONNECTOR_KEYS if key in data]
    if "connectors" in data and single:
        problems.append(doc.problem((single[0],), f"'{single[0]}' beside 'connectors'",
                                    hint="move it into an item of 'connectors', or drop 'connectors'"))
        return problems
    items = connector_items(data)
    for prefix, item in items:
        pipeline = item.get("aws", {}).get("eks_audit_pipeline")
        if pipeline:
            check_path((*prefix, "aws", "eks_audit_pipeline", "lambda_code"), pipeline["lambda_code"], want_dir=False)

    for key in ("analytic_rules", "hunting_queries"):
        for index, relative in enumerate(data.get(key) or []):
            check_path((key, index), relative, want_dir=False)

    for prefix, item in items:
        scoped = _Scoped(doc, prefix)
        problems.extend(_table_problems(scoped, item))
        problems.extend(_connector_problems(scoped, item))
    problems.extend(_unique_across_connectors(doc, items))

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


def _duplicate_columns(doc: YamlDocument | _Scoped, columns: list[dict[str, Any]], where: PathKey) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for index, column in enumerate(columns):
        key = column["name"].lower()
        if key in seen:
            problems.append(doc.problem((*where, index, "name"),
                                        f"column '{column['name']}' is defined twice (first at index {seen[key]})",
                                        hint="column names are case-insensitive in Log Analytics"))
        seen.setdefault(key, index)
    return problems


def _table_problems(doc: YamlDocument | _Scoped, data: dict[str, Any]) -> list[Problem]:
    """A custom table declares its schema; a built-in one must not, and the DCR declares its input."""
    from sentinel_pack.ccf import streams

    dcr = data["dcr"]
    problems: list[Problem] = []
    if "input_columns" in dcr:
        problems.extend(_duplicate_columns(doc, dcr["input_columns"], ("dcr", "input_columns")))
    for name, columns in dcr.get("streams", {}).items():
        problems.extend(_duplicate_columns(doc, columns, ("dcr", "streams", name)))
    tables = tables_of(data)
    for path, table in tables:
        if table.get("builtin"):
            for key in ("description", "columns", "retention_in_days", "tags"):
                if key in table:
                    problems.append(doc.problem((*path, key), f"a built-in table takes no '{key}': "
                                                "Log Analytics defines it and the solution ships no table file",
                                                hint="remove it; declare the poller's input under dcr.input_columns"))
            continue
        columns = table["columns"]
        problems.extend(_duplicate_columns(doc, columns, (*path, "columns")))
        from sentinel_pack.manifest.columns import column_name_problem

        for index, column in enumerate(columns):
            if found := column_name_problem(column["name"]):
                problems.append(doc.problem((*path, "columns", index, "name"), found[0], hint=found[1]))
        time_generated = [c for c in columns if c["name"] == "TimeGenerated"]
        if not time_generated or time_generated[0]["type"].lower() != "datetime":
            problems.append(doc.problem((*path, "columns"), "the table needs a 'TimeGenerated' column of type datetime",
                                        hint="add {name: TimeGenerated, type: datetime}"))
    problems.extend(streams.problems(doc, data, tables, pollers_of(data)))
    if problems:
        return problems
    flows = streams.flows(data, [t for _, t in tables])
    declared = streams.declarations(data, flows)
    for flow in flows:
        if flow["table"].get("builtin") and flow["stream"].startswith("Custom-") and not declared.get(flow["stream"]):
            problems.append(doc.problem(("dcr",), "a DCR writing to a built-in table needs 'input_columns'",
                                        hint="list the columns the poller sends: {name, type}"))
    return problems


def _connector_problems(doc: YamlDocument | _Scoped, data: dict[str, Any]) -> list[Problem]:
    """Names the poller takes from the connector UI must exist there, and fit the poller kind."""
    from sentinel_pack.manifest import restapi

    problems: list[Problem] = []
    textboxes: dict[str, PathKey] = {}
    oauth_forms: list[PathKey] = []
    cloudformation_used = False
    for s, step in enumerate(data["connector"]["instruction_steps"]):
        for i, instruction in enumerate(step.get("instructions", [])):
            where = ("connector", "instruction_steps", s, "instructions", i)
            native = instruction.get("parameters")
            if instruction["type"] == "Textbox" and (native is None or "name" in native):
                name = instruction["name"] if native is None else native["name"]
                if name in textboxes:
                    problems.append(doc.problem((*where, "name"), f"text box name '{name}' is used twice"))
                textboxes[name] = where
            elif instruction["type"] == "OAuthForm" and native is None:
                oauth_forms.append(where)
            if instruction.get("cloudformation"):
                cloudformation_used = True

    def need_textbox(path: PathKey, name: str) -> None:
        if name not in textboxes:
            known = ", ".join(sorted(textboxes)) or "none"
            problems.append(doc.problem(path, f"no Textbox instruction is named '{name}'",
                                        hint=f"name one of the connector's text boxes (defined: {known})"))

    from sentinel_pack.ccf import check

    sugar_auths = []
    for path, poller in pollers_of(data):
        if check.is_s3_sugar(poller):
            for key in ("role_arn_from", "queue_url_from"):
                need_textbox((*path, key), poller[key])
        elif poller["kind"] == "RestApiPoller" and check.is_sugar("auth", poller.get("auth")):
            sugar_auths.append((path, poller["auth"]))
    for path, auth in sugar_auths:
        for key in ("api_key_from", "username_from", "password_from", "client_id_from", "client_secret_from"):
            if key in auth:
                need_textbox((*path, "auth", key), auth[key])
        oauth = auth["type"] == "OAuth2"
        if oauth and auth["grant_type"] == "authorization_code":
            for key in ("client_id_from", "client_secret_from"):
                if key in auth:
                    problems.append(doc.problem((*path, "auth", key),
                                                f"'{key}' does not apply to the authorization code grant",
                                                hint="remove it: the connector's OAuthForm collects the client id "
                                                     "and secret"))
        elif oauth and ("client_id_from" in auth) != ("client_secret_from" in auth):
            missing = "client_secret_from" if "client_id_from" in auth else "client_id_from"
            problems.append(doc.problem((*path, "auth"), f"missing required key '{missing}'",
                                        hint="name the text boxes of both the client id and the client secret"))
        if oauth and restapi.uses_oauth_form(auth) and not oauth_forms:
            problems.append(doc.problem((*path, "auth"), "this OAuth2 auth takes the client id and secret from an "
                                        "OAuthForm instruction, and the connector has none",
                                        hint="add {type: OAuthForm} to an instruction step"
                                             + ("" if auth["grant_type"] == "authorization_code"
                                                else ", or name text boxes with client_id_from/client_secret_from")))
    if oauth_forms:
        verbatim_auth = [p for _, p in pollers_of(data) if not check.is_s3_sugar(p)
                         and not check.is_sugar("auth", p.get("auth"))]
        if not verbatim_auth and not any(restapi.uses_oauth_form(auth) for _, auth in sugar_auths):
            problems.append(doc.problem(oauth_forms[0], "an OAuthForm instruction needs an OAuth2 poller that takes "
                                        "the client id and secret from it",
                                        hint="use poller.auth type OAuth2 without client_id_from, or remove the "
                                             "OAuthForm"))
        for name in restapi.OAUTH_FORM_PARAMETERS:
            if name in textboxes:
                problems.append(doc.problem((*textboxes[name], "name"),
                                            f"text box name '{name}' is taken by the OAuthForm's parameter"))
    if cloudformation_used and "aws" not in data:
        problems.append(doc.problem(("connector",),
                                    "instructions embed CloudFormation templates but there is no 'aws' section",
                                    hint="add the aws section (OIDC, role, bucket, queue)"))
    return problems
