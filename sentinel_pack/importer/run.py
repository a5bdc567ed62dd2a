"""``import``: read an upstream solution folder, write its manifest, prove the rebuild.

The rebuild is compared with the folder's own package; each difference is attributed to the
original (a package that is stale against its own source files) or to sentinel-pack (its
packaging differs), so an author can see exactly what switching changes.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from sentinel_pack.errors import Problem, SentinelPackError
from sentinel_pack.importer import cloudformation as cfn
from sentinel_pack.importer.discover import ConnectorSet, discover
from sentinel_pack.importer.layout import (
    connector_resources,
    copy_listed,
    find_child,
    find_data_file,
    inside,
    read_json,
)
from sentinel_pack.importer.manifest_from import (
    Imported,
    connector_section,
    dcr_section,
    poller_section,
    release_notes_section,
    solution_section,
    table_sections,
)
from sentinel_pack.manifest.load import MANIFEST_NAME

HEADER = ("# sentinel-pack manifest, written by 'sentinel-pack import'.\n"
          "# Edit this file, then run 'sentinel-pack build' to regenerate the solution's files.\n")


def read_solution(source: Path) -> tuple[Imported, list[ConnectorSet]]:
    data_file = find_data_file(source)
    if data_file is None:
        raise SentinelPackError(Problem("no Data/Solution_*.json file", file=str(source),
                                        hint="import expects the Azure-Sentinel solution layout"))
    data = read_json(data_file, source)
    if not isinstance(data, dict):
        raise SentinelPackError(Problem("expected a JSON object", file=str(data_file)))
    package = _package_facts(source)
    notes: list[str] = []
    version = str(package.get("version") or data.get("Version") or "")
    if not version:
        raise SentinelPackError(Problem("missing required key 'Version'", file=str(data_file), path="Version"))
    if data.get("Version") and str(data["Version"]) != version:
        notes.append(f"the Data file says version {data['Version']}, the published package {version}; "
                     f"imported as {version} (original inconsistency)")
    connectors = discover(source, connector_resources(source), list(data.get("Data Connectors") or []))
    solution = solution_section(source, data, data_file, version, package, notes)
    if package.get("data_connector_version") not in (None, version):
        solution = {**solution, "data_connector_version": package["data_connector_version"]}
        solution = {k: solution[k] for k in ("name", "version", "data_connector_version", *solution) if k in solution}
    imported = Imported(manifest={}, notes=[*notes, *(note for c in connectors for note in c.notes)])
    items = []
    for connector in connectors:
        tables = table_sections(connector, package.get("tables", {}), imported.notes)
        dcr = dcr_section(connector, tables)
        definition = connector_section(connector, tables, imported.notes)
        steps = definition["instruction_steps"]
        oauth_form = any(i["type"] == "OAuthForm" for step in steps for i in step.get("instructions", []))
        textboxes = [i.get("name") or i.get("parameters", {}).get("name") for step in steps
                     for i in step.get("instructions", []) if i["type"] == "Textbox"]
        default_stream = dcr["flows"][0].get("stream", f"Custom-{dcr['flows'][0]['table']}") if "flows" in dcr \
            else dcr.get("input_stream", f"Custom-{tables[0]['name']}")
        if len(connector.pollers) > 1:
            default_stream = ""  # several pollers: each names its stream
        pollers = [poller_section(connector, n, tables, default_stream, oauth_form, textboxes)
                   for n in range(len(connector.pollers))]
        item: dict[str, Any] = {}
        item.update({"table": tables[0]} if len(tables) == 1 else {"tables": tables})
        item["dcr"] = dcr
        item["connector"] = definition
        item.update({"poller": pollers[0]} if len(pollers) == 1 else {"pollers": pollers})
        items.append(item)
    imported.manifest = {"manifest_version": 1, "solution": solution}
    if len(items) == 1:
        imported.manifest.update(items[0])
    else:
        imported.manifest["connectors"] = items
    for item in items:
        _recognise_cloudformation(imported, item)
    if len(items) == 1 and "aws" in items[0]:
        imported.manifest["aws"] = items[0]["aws"]
    _import_detections(source, data, imported)
    imported.manifest["release_notes"] = release_notes_section(source, version, solution.get("first_publish_date"),
                                                               imported.notes)
    return imported, connectors


def _package_facts(source: Path) -> dict[str, Any]:
    """What the published package says that a source file may have lost: version, dates, table schemas."""
    main = original_package(source).get("mainTemplate.json")
    facts: dict[str, Any] = {"tables": {}}
    if not isinstance(main, dict):
        return facts
    variables = main.get("variables") or {}
    for key, name in (("version", "_solutionVersion"), ("data_connector_version", "dataConnectorCCPVersion")):
        if isinstance(variables.get(name), str):
            facts[key] = variables[name]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            kind = str(node.get("type", "")).lower()
            props = node.get("properties")
            if kind.endswith("contentpackages") and isinstance(props, dict) and props.get("firstPublishDate"):
                facts.setdefault("firstPublishDate", props["firstPublishDate"])
            if kind.endswith("workspaces/tables") and isinstance(node.get("name"), str) and isinstance(props, dict):
                facts["tables"].setdefault(node["name"], props)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(main)
    return facts


def _items(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return manifest.get("connectors", [manifest])


def _labels(item: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for step in item["connector"]["instruction_steps"] for i in step.get("instructions", [])
            if i["type"] == "CopyableLabel" and "parameters" not in i]


def _recognise_cloudformation(imported: Imported, item: dict[str, Any]) -> None:
    found: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    files: dict[str, str] = {}
    for label in _labels(item):
        template = cfn.parse_template(label.get("value", ""))
        if template is None:
            continue
        oidc = cfn.oidc_values(template)
        if oidc is not None:
            found["oidc"] = (label, oidc)
            continue
        resources = cfn.resources_values(template)
        if resources is not None:
            found["resources"] = (label, resources[0])
            files.update(resources[1])
    if set(found) != {"oidc", "resources"}:
        return
    oidc, resources = found["oidc"][1], dict(found["resources"][1])
    trust = resources.pop("_trust")
    if (trust["tenant"], trust["client_id"]) != (oidc["tenant_id"], oidc["client_id"]):
        imported.notes.append("the role trusts a different OIDC issuer than Template 1 creates; "
                              "both templates kept as written (original inconsistency)")
        return
    item["aws"] = {"oidc": oidc, **resources}
    for key, (label, _) in found.items():
        label["cloudformation"] = key
        label["original_value"] = label.pop("value")
    imported.files.update({path: code.encode("utf-8") for path, code in files.items()})


#: Data file key -> manifest key, for the content sentinel-pack packages besides the connector.
DETECTION_KEYS = {"Analytic Rules": "analytic_rules", "Hunting Queries": "hunting_queries"}


def _import_detections(source: Path, data: dict[str, Any], imported: Imported) -> None:
    """Rule files the Data file lists: copied as they are, listed in the manifest."""
    for data_key, manifest_key in DETECTION_KEYS.items():
        listed = [str(p) for p in data.get(data_key) or []]
        paths = copy_listed(source, data_key, listed, imported.files, imported.notes)
        if paths:
            imported.manifest[manifest_key] = paths
    from sentinel_pack.importer.content import import_content

    import_content(source, data, imported, original_package(source).get("mainTemplate.json"))


def to_yaml(manifest: dict[str, Any]) -> str:
    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
        style = "|" if "\n" in value and not any(line != line.rstrip() for line in value.splitlines()) else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    return HEADER + yaml.dump(manifest, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=110)


def _render(manifest: dict[str, Any], files: dict[str, bytes], folder: Path):
    from sentinel_pack.manifest.load import load_manifest
    from sentinel_pack.package.build import render_solution

    (folder / MANIFEST_NAME).write_text(to_yaml(manifest), encoding="utf-8")
    for rel, content in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(content)
    return render_solution(load_manifest(folder))


def finalise(imported: Imported, workdir: Path):
    """Render once; embedded templates that do not come back byte-identical stay literal."""
    items = _items(imported.manifest)
    labels = [lab for item in items for lab in _labels(item) if "original_value" in lab]
    originals = {id(lab): lab.pop("original_value") for lab in labels}
    rendered = _render(imported.manifest, imported.files, workdir)
    if labels:
        built = [i["parameters"]["value"] for name, doc in rendered.documents.items()
                 if name.endswith("_ConnectorDefinition.json")
                 for s in doc["properties"]["connectorUiConfig"]["instructionSteps"]
                 for i in s["instructions"] if i["type"] == "CopyableLabel" and i["parameters"].get("value")]
        if any(originals[id(lab)] not in built for lab in labels):
            for lab in labels:
                lab.pop("cloudformation")
                lab["value"] = originals[id(lab)]
            for item in items:
                item.pop("aws", None)
            imported.files = {k: v for k, v in imported.files.items() if not k.startswith("aws/")}
            imported.notes.append("the embedded CloudFormation templates differ from sentinel-pack's; "
                                  "kept as literal values")
            rendered = _render(imported.manifest, imported.files, workdir)
    return rendered


@dataclass(frozen=True)
class Difference:
    artefact: str
    path: str
    original: Any
    rebuilt: Any
    origin: str  # "original" or "sentinel-pack"
    reason: str


def import_solution(source: Path, out_dir: Path | None = None, *, force: bool = False):
    """Write the manifest (and extracted files) and return the notes and package differences."""
    from sentinel_pack.importer.compare import compare_packages
    from sentinel_pack.package.writer import write_outputs

    imported, connectors = read_solution(source)
    target = out_dir if out_dir is not None else source
    if out_dir is None:  # the checks after the import read these released zips: refuse a link before writing
        for released in sorted((source / "Package").glob("*.zip")):
            inside(source, released)
    if (target / MANIFEST_NAME).exists() and not force:
        raise SentinelPackError(Problem(f"{MANIFEST_NAME} already exists", file=str(target / MANIFEST_NAME),
                                        hint="pass --force to replace it, or --out to write elsewhere"))
    workdir = Path(tempfile.mkdtemp(prefix="sentinel-pack-import-"))
    try:
        try:
            rendered = finalise(imported, workdir)
        except SentinelPackError as error:
            raise _as_imported(error, workdir, target / MANIFEST_NAME) from None
        differences = compare_packages(source, connectors, rendered)
        if not original_package(source):
            imported.notes.append("no Package/mainTemplate.json or createUiDefinition.json in the folder: "
                                  "nothing to compare the rebuild with")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    outputs = {MANIFEST_NAME: to_yaml(imported.manifest).encode("utf-8"), **imported.files}
    written = write_outputs(target, outputs)
    return imported, differences, written


def _as_imported(error: SentinelPackError, workdir: Path, manifest: Path) -> SentinelPackError:
    """A check failing on the imported manifest: name the manifest import would write, not the scratch copy."""
    problems = []
    for problem in error.problems:
        file = problem.file
        if file and Path(file).resolve().is_relative_to(workdir.resolve()):
            file = f"{manifest} (as imported)" if Path(file).name == MANIFEST_NAME else Path(file).name
        problems.append(replace(problem, file=file))
    problems.append(Problem("the solution's files say something the manifest checks reject; nothing was written",
                            hint="fix the original connector files, then import again"))
    return SentinelPackError(problems, exit_code=error.exit_code)


def original_package(source: Path) -> dict[str, Any]:
    package = find_child(source, "Package")
    docs: dict[str, Any] = {}
    for name in ("mainTemplate.json", "createUiDefinition.json"):
        path = find_child(package, name) if package else None
        if path is not None:
            docs[name] = read_json(path, source)
    return docs
