"""The build pipeline: manifest -> rendered artefacts -> package zip -> files on disk.

``render_solution`` is pure (no writes) so tests, ``validate`` and ``diff`` can use what a
build would produce without touching the disk.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sentinel_pack.errors import Problem, SentinelPackError
from sentinel_pack.manifest.load import Manifest, load_manifest
from sentinel_pack.package.writer import Written, recover, released_zip_bytes, terminate_as_exception, write_outputs
from sentinel_pack.render import arm, jsonfmt

DATA_CONNECTORS = "Data Connectors"
CLOUDFORMATION = f"{DATA_CONNECTORS}/CloudFormationTemplates"
PACKAGE = "Package"

#: The poller file's template: the S3 one keeps upstream's key order; every other kind shares one.
POLLER_TEMPLATES = {
    "s3": "connector/PollingConfig.json.j2",
    "generic": "connector/poller_restapi.json.j2",
}


@dataclass
class Rendered:
    """Everything a build writes, as bytes by relative path, plus the parsed documents."""

    manifest: Manifest
    context: dict[str, Any]
    files: dict[str, bytes]
    documents: dict[str, Any]
    zip_name: str

    @property
    def generated(self) -> frozenset[str]:
        """Files rendered from the manifest; content files shipped as written (rules, workbooks,
        playbooks, ...) are the author's own, so validate reports findings in them there."""
        copied = {d["path"] for d in (*self.context["analytic_rules"], *self.context["hunting_queries"])}
        return frozenset(self.files) - copied - set(self.context.get("content_files", {}))


def source_date_epoch(release_date: str) -> int:
    """``SOURCE_DATE_EPOCH`` when set (reproducible-builds.org), else the release date.

    Times before 1980 (``SOURCE_DATE_EPOCH=0`` is common) are moved to 1980, the earliest a zip
    can record; a time after 2107, the latest, is refused rather than silently changed.
    """
    from sentinel_pack.package.zipper import ZIP_LATEST

    env = os.environ.get("SOURCE_DATE_EPOCH")
    if env:
        try:
            value = int(env)
        except ValueError:
            message = f"SOURCE_DATE_EPOCH must be a whole number of seconds, got {env!r}"
            raise SentinelPackError(Problem(message)) from None
        if not 0 <= value <= ZIP_LATEST:
            raise SentinelPackError(Problem(
                f"SOURCE_DATE_EPOCH={env} is outside what a zip can record (0 to {ZIP_LATEST}, 2107-12-31)",
                hint="set it to a time in seconds since 1970, e.g. $(git log -1 --format=%ct)"))
        return value
    return int(datetime.strptime(release_date, "%Y-%m-%d").replace(tzinfo=timezone.utc).timestamp())


def _zip_time(manifest: Manifest, release_date: str) -> int:
    """The zip time; a release date after 2107 is refused at its line in the manifest."""
    from sentinel_pack.package.zipper import ZIP_LATEST

    if not os.environ.get("SOURCE_DATE_EPOCH") and release_date > "2107-12-31":
        version = manifest.data["solution"]["version"]
        index = next(i for i, e in enumerate(manifest.data["release_notes"]) if e["version"] == version)
        raise SentinelPackError(manifest.doc.problem(
            ("release_notes", index, "date"), f"{release_date} is after 2107-12-31, the latest date a zip can record",
            hint="use the real release date"))
    return min(source_date_epoch(release_date), ZIP_LATEST)


def render_solution(manifest: Manifest) -> Rendered:
    from sentinel_pack.manifest.model import build_context
    from sentinel_pack.package.zipper import deterministic_zip
    from sentinel_pack.render.engine import Renderer

    context = build_context(manifest)
    override = manifest.resolve_path(manifest.data["templates_dir"]) if "templates_dir" in manifest.data else None
    renderer = Renderer(override)
    files = context["files"]
    documents: dict[str, Any] = {}
    several = len(context["connectors"]) > 1
    for connector in context["connectors"]:
        # A connector's files are rendered with its own sections in place of the first connector's.
        scope = {**context, **connector}
        connector["arm"], connector["cloudformation"] = _render_connector(renderer, scope, documents, several,
                                                                          manifest)
    context.update(arm=context["connectors"][0]["arm"], cloudformation=context["connectors"][0]["cloudformation"])

    documents[f"Data/{files['data']}"] = renderer.render_json("solution/Solution.json.j2", context)
    documents["SolutionMetadata.json"] = renderer.render_json("solution/SolutionMetadata.json.j2", context)
    for name in ("mainTemplate.json", "createUiDefinition.json"):
        documents[f"{PACKAGE}/{name}"] = renderer.render_json(f"package/{name}.j2", context)

    out: dict[str, bytes] = {}
    for rel, doc in documents.items():
        # Package files end with a newline, connector source files do not (upstream style).
        out[rel] = jsonfmt.dumps(doc, trailing_newline=rel.startswith(PACKAGE)).encode("utf-8")
    out["ReleaseNotes.md"] = renderer.render_text("solution/ReleaseNotes.md.j2", context).encode("utf-8")
    for detection in (*context["analytic_rules"], *context["hunting_queries"]):
        out[detection["path"]] = detection["raw"]  # shipped as written, beside the package
    out.update(context["content_files"])  # workbooks, parsers, playbooks, ...: also as written

    zip_name = f"{PACKAGE}/{context['solution']['version']}.zip"
    members = {
        "createUiDefinition.json": out[f"{PACKAGE}/createUiDefinition.json"],
        "mainTemplate.json": out[f"{PACKAGE}/mainTemplate.json"],
    }
    out[zip_name] = deterministic_zip(members, _zip_time(manifest, context["release_date"]))
    return Rendered(manifest=manifest, context=context, files=out, documents=documents, zip_name=zip_name)


def _render_connector(renderer: Any, scope: dict[str, Any], documents: dict[str, Any],
                      several: bool, manifest: Manifest) -> tuple[dict[str, Any], dict[str, str]]:
    """One connector's source files into ``documents``; returns what the package templates embed."""
    files = scope["files"]
    cloudformation: dict[str, str] = {}
    if scope.get("aws") is not None:
        # One connector keeps upstream's names; with several, each stack is named after its connector.
        stem = scope["connector"]["file_prefix"] if several else scope["solution"]["name"].replace(" ", "_")
        cfn_templates = {
            "oidc": ("cloudformation/oidc_provider.json.j2",
                     f"{stem}_OIDC_Web_Identity_Provider.json" if several else "OIDC_Web_Identity_Provider.json"),
            "resources": ("cloudformation/resources.json.j2", f"{stem}_Resources_Deployment.json"),
        }
        for key, (template, filename) in cfn_templates.items():
            doc = renderer.render_json(template, scope)
            documents[f"{CLOUDFORMATION}/{filename}"] = doc
            cloudformation[key] = jsonfmt.dumps(doc, trailing_newline=False)
    scope["cloudformation"] = cloudformation
    from sentinel_pack.ccf.documents import with_cloudformation

    scope["connector"] = {**scope["connector"], "ui": with_cloudformation(scope["connector"]["ui"], cloudformation)}

    parsed: dict[str, Any] = {}
    for key, template in (("definition", "connector/ConnectorDefinition.json.j2"), ("dcr", "connector/DCR.json.j2")):
        parsed[key] = renderer.render_json(template, scope)
        documents[f"{DATA_CONNECTORS}/{files[key]}"] = parsed[key]
    # Several pollers share one file, as a top-level array (upstream's layout for them).
    pollers = [renderer.render_json(POLLER_TEMPLATES[p["template"]], {**scope, "poller": p}) for p in scope["pollers"]]
    documents[f"{DATA_CONNECTORS}/{files['poller']}"] = pollers[0] if len(pollers) == 1 else pollers
    tables = []  # Log Analytics owns a built-in table's schema: no file
    for table, filename in scope["table_files"]:
        tables.append(renderer.render_json("connector/Table.json.j2", {**scope, "table": table}))
        documents[f"{DATA_CONNECTORS}/{filename}"] = tables[-1]

    definition_file = f"{DATA_CONNECTORS}/{files['definition']}"
    ui = parsed["definition"]["properties"]["connectorUiConfig"]
    unknown = arm.placeholders(ui) - arm.UI_RUNTIME
    if unknown:
        placeholder = f"{{{{{sorted(unknown)[0]}}}}}"
        message = f"placeholder {placeholder} in the connector UI is never filled in"
        hint = "Sentinel fills only {{graphQueriesTableName}} in the connector UI"
        where = _path_of_text(manifest.data, placeholder)
        if where is not None:  # written in the manifest: point at its line
            raise SentinelPackError(manifest.doc.problem(where, message, hint=hint))
        from sentinel_pack.errors import json_path

        inside = _path_of_text(ui, placeholder) or ()
        raise SentinelPackError(Problem(message, file=definition_file, hint=hint,
                                        path=json_path(("properties", "connectorUiConfig", *inside))))
    packaged = {
        "connector_ui": ui,
        "dcr_properties": _no_blanks(arm.resolve(parsed["dcr"]["properties"], arm.install_time(scope["n"]),
                                                 f"{DATA_CONNECTORS}/{files['dcr']}", "properties")),
        "tables": [{"name": doc["name"], "properties": arm.resolve(
            doc["properties"], arm.install_time(scope["n"]), f"{DATA_CONNECTORS}/{name}", "properties")}
            for doc, (_, name) in zip(tables, scope["table_files"], strict=True)],
        "pollers": [{"name": doc["name"], "kind": doc["kind"], "properties": arm.resolve(
            doc["properties"], scope["connector"]["connect_time"],
            f"{DATA_CONNECTORS}/{files['poller']}", "properties")} for doc in pollers],
    }
    return packaged, cloudformation


def _path_of_text(value: Any, text: str, path: tuple[str | int, ...] = ()) -> tuple[str | int, ...] | None:
    """The path of the first string holding ``text``, or None."""
    if isinstance(value, str):
        return path if text in value else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found = _path_of_text(item, text, (*path, key))
        if found is not None:
            return found
    return None


#: The rules a build does not run: comparisons with what is already on disk.
BUILD_IGNORES = ("SP504", "SP510")


def check_rendered(rendered: Rendered, label: str, released: dict[str, bytes] | None = None) -> None:
    """The validate rules over what is about to be written; error findings stop the build.

    ``released`` holds the zips already in the output's ``Package/``, so that rules comparing a
    release with the previous one (SP503, SP803) see them as ``validate`` would.
    """
    from sentinel_pack.validate.finding import ERROR
    from sentinel_pack.validate.rules_kql import finished
    from sentinel_pack.validate.runner import check, selected
    from sentinel_pack.validate.target import SOURCE, Target

    files = {**(released or {}), **rendered.files}
    # a source target: findings on values written in solution.yaml point at its lines
    target = Target(label=label, files=files, kind=SOURCE, generated=rendered.generated,
                    source_root=rendered.manifest.root)
    rule_ids = selected(ignore=BUILD_IGNORES)
    findings = check(target, rule_ids)
    finished(rule_ids, rendered.manifest.root)
    errors = [f for f in findings if f.severity == ERROR]
    if errors:
        raise SentinelPackError([Problem(f"{f.rule}: {f.message}", file=f.file, line=f.line, column=f.column,
                                         path=f.path or None, hint=f.fix or None) for f in errors])


def _released_zips(target_dir: Path) -> dict[str, bytes]:
    """``Package/<version>.zip`` files already in the output folder (earlier releases)."""
    package = target_dir / PACKAGE
    if not package.is_dir():
        return {}
    return {f"{PACKAGE}/{zip_file.name}": zip_file.read_bytes() for zip_file in sorted(package.glob("*.zip"))}


def prepare(manifest: Manifest, target_dir: Path, *, force: bool = False, validate: bool = True) -> Rendered:
    """Render, keep an equal released zip's bytes (or refuse a different one), validate; writes nothing."""
    rendered = render_solution(manifest)
    zip_name = rendered.zip_name
    try:
        rendered.files[zip_name] = released_zip_bytes(target_dir / zip_name, rendered.files[zip_name], force)
    except SentinelPackError as error:  # name the bump diff --check-version will ask for
        from sentinel_pack.package.versioning import advice

        error.problems[0] = replace(error.problems[0], hint=advice(target_dir, rendered.files,
                                                                    rendered.context["solution"]["version"]))
        raise
    if validate:
        check_rendered(rendered, str(target_dir), _released_zips(target_dir))
    return rendered


def _no_blanks(value: Any) -> Any:
    """Empty objects and lists as ``[json('{}')]``/``[json('[]')]``, as the official packager writes them.

    A DCR's ``"dataSources": {}`` is meaningful to Azure Monitor but a blank to arm-ttk (SP606);
    the expression gives ARM the same empty value.
    """
    if isinstance(value, dict):
        return {k: "[json('{}')]" if v == {} else "[json('[]')]" if v == [] else _no_blanks(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_no_blanks(item) for item in value]
    return value


def build(path: Path, out_dir: Path | None = None, *, force: bool = False,
          validate: bool = True) -> tuple[Rendered, list[Written]]:
    """Render everything, validate it, check the released zip, then switch the files into place."""
    from sentinel_pack.manifest.load import find_manifest

    with terminate_as_exception():
        target_dir = out_dir if out_dir is not None else find_manifest(path).parent
        recover(target_dir)  # an earlier build killed mid-switch is finished first
        manifest = load_manifest(path)
        rendered = prepare(manifest, target_dir, force=force, validate=validate)
        written = write_outputs(target_dir, rendered.files)
    return rendered, written
