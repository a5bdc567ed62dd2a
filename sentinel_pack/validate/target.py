"""What ``validate`` looks at: a built solution folder, a solution source, or a package zip.

A source folder (one holding ``solution.yaml``) is rendered in memory first; its artefacts are
then checked exactly like a built folder's, and the files on disk are compared with them.
The connector files are found by content, as ``import`` and the official packager find them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sentinel_pack.errors import IOFailure, Problem, SentinelPackError


@dataclass
class Target:
    label: str
    files: dict[str, bytes]  # relative path -> content
    manifest_problems: list[Problem] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # built files on disk that differ from the manifest
    _json: dict[str, Any] = field(default_factory=dict)
    _cfn: dict[str, tuple[str, dict[str, Any]]] | None = None

    def json(self, rel: str) -> Any:
        if rel not in self._json:
            try:
                self._json[rel] = json.loads(self.files[rel].decode("utf-8-sig"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                self._json[rel] = None
        return self._json[rel]

    def json_files(self) -> list[str]:
        return sorted(r for r in self.files if r.lower().endswith(".json"))

    def resources(self, type_suffix: str, under: str = "data connectors/") -> list[tuple[str, dict[str, Any]]]:
        """Connector resources of a type, from single-object or array files under ``under``."""
        found = []
        for rel in self.json_files():
            if not rel.lower().startswith(under):
                continue
            doc = self.json(rel)
            for item in doc if isinstance(doc, list) else [doc]:
                if isinstance(item, dict) and str(item.get("type", "")).lower().endswith(type_suffix.lower()):
                    found.append((rel, item))
        return found

    def first(self, type_suffix: str) -> tuple[str, dict[str, Any]] | tuple[None, None]:
        found = self.resources(type_suffix)
        return found[0] if found else (None, None)

    def connector_views(self) -> list[Target]:
        """One view per connector (definition, poller, DCR, table), sharing every other file.

        Cross-file rules compare the files of one connector; with several connectors in a
        solution they run once per view. Files are grouped by content: the poller names its
        definition, sends to a stream a DCR declares, and the DCR writes the table.
        """
        groups = _connector_groups(self)
        if len(groups) <= 1:
            return [self]
        grouped = set().union(*groups)
        shared = {rel: data for rel, data in self.files.items() if rel not in grouped}
        return [Target(self.label, {**shared, **{rel: self.files[rel] for rel in sorted(group)}},
                       self.manifest_problems, self.stale, dict(self._json)) for group in groups]

    def package(self, name: str) -> tuple[str, Any]:
        rel = next((r for r in self.files if r.lower() == f"package/{name.lower()}"), f"Package/{name}")
        return rel, (self.json(rel) if rel in self.files else None)

    def cloudformation(self) -> list[tuple[str, dict[str, Any]]]:
        """CloudFormation templates: standalone files, then those embedded as CopyableLabel values.

        An embedded template equal to one already found is the same template and is skipped;
        the others are labelled with the file and the instruction that carries them.
        """
        if self._cfn is None:
            self._cfn = {}
            for rel in self.json_files():
                doc = self.json(rel)
                if isinstance(doc, dict) and "AWSTemplateFormatVersion" in doc:
                    self._cfn[rel] = (self.files[rel].decode("utf-8-sig"), doc)
            for rel, where, text, doc in self._embedded_cloudformation():
                if all(doc != known for _, known in self._cfn.values()):
                    self._cfn[f"{rel} ({where})"] = (text, doc)
        return [(label, doc) for label, (_, doc) in self._cfn.items()]

    def cloudformation_text(self, label: str) -> str:
        self.cloudformation()
        return self._cfn[label][0]

    def _embedded_cloudformation(self) -> list[tuple[str, str, str, dict[str, Any]]]:
        found = []
        main_rel, main = self.package("mainTemplate.json")
        sources = [(rel, "", item) for rel, item in self.resources("dataConnectorDefinitions")]
        sources += [(main_rel, f"{path}.", item) for path, item in template_resources(main)
                    if str(item.get("type", "")).lower().endswith("dataconnectordefinitions")]
        for rel, prefix, definition in sources:
            ui = (definition.get("properties") or {}).get("connectorUiConfig") or {}
            for i, step in enumerate(ui.get("instructionSteps") or []):
                for j, instruction in enumerate((step or {}).get("instructions") or []):
                    value = ((instruction or {}).get("parameters") or {}).get("value")
                    if not (isinstance(value, str) and "AWSTemplateFormatVersion" in value):
                        continue
                    try:
                        doc = json.loads(value)
                    except json.JSONDecodeError:
                        continue
                    where = (f"{prefix}properties.connectorUiConfig.instructionSteps[{i}]"
                             f".instructions[{j}].parameters.value")
                    if isinstance(doc, dict):
                        found.append((rel, where, value, doc))
        return found


def _connector_groups(target: Target) -> list[set[str]]:
    """Files of each connector; empty when a connector file holds several resources."""
    kinds: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for suffix in ("dataConnectorDefinitions", "/dataConnectors", "dataCollectionRules", "/tables"):
        found = target.resources(suffix)
        if len({rel for rel, _ in found}) != len(found):
            return []
        kinds[suffix] = found
    groups: list[set[str]] = []
    for def_rel, definition in kinds["dataConnectorDefinitions"]:
        ids = {definition.get("name"), ((definition.get("properties") or {}).get("connectorUiConfig") or {}).get("id")}
        group = {def_rel}
        for poller_rel, poller in kinds["/dataConnectors"]:
            properties = poller.get("properties") or {}
            if properties.get("connectorDefinitionName") not in ids:
                continue
            group.add(poller_rel)
            stream = (properties.get("dcrConfig") or {}).get("streamName")
            for dcr_rel, dcr in kinds["dataCollectionRules"]:
                dcr_properties = dcr.get("properties") or {}
                if stream not in (dcr_properties.get("streamDeclarations") or {}):
                    continue
                group.add(dcr_rel)
                flows = dcr_properties.get("dataFlows") or []
                outputs = {str(f.get("outputStream", "")).split("-", 1)[-1] for f in flows}
                group.update(rel for rel, table in kinds["/tables"] if table.get("name") in outputs)
        groups.append(group)
    # A file the links do not reach (a broken stream name, say) goes with the connector whose
    # definition shares its file-name prefix, so its own view reports the break.
    placed = set().union(*groups) if groups else set()
    for found in kinds.values():
        for rel, _ in found:
            prefix = rel.rsplit("/", 1)[-1].split("_", 1)[0]
            home = [g for g in groups if any(r.rsplit("/", 1)[-1].startswith(f"{prefix}_") for r in g)]
            if rel not in placed and len(home) == 1:
                home[0].add(rel)
    return groups


def template_resources(template: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """(JSON path, resource) for every resource of a template, nested content templates included."""
    out: list[tuple[str, dict[str, Any]]] = []
    resources = template.get("resources") if isinstance(template, dict) else None
    for index, resource in enumerate(resources if isinstance(resources, list) else []):
        if isinstance(resource, dict):
            here = f"{path}resources[{index}]"
            out.append((here, resource))
            nested = resource.get("properties")
            if isinstance(nested, dict) and isinstance(nested.get("mainTemplate"), dict):
                out.extend(template_resources(nested["mainTemplate"], f"{here}.properties.mainTemplate."))
    return out


def nested_templates(template: Any) -> list[tuple[str, dict[str, Any]]]:
    """(JSON path prefix, template): the template itself ("") and every nested content template."""
    out: list[tuple[str, dict[str, Any]]] = [("", template)] if isinstance(template, dict) else []
    for path, resource in template_resources(template):
        nested = (resource.get("properties") or {}).get("mainTemplate")
        if isinstance(nested, dict):
            out.append((f"{path}.properties.mainTemplate.", nested))
    return out


def _read_tree(root: Path) -> dict[str, bytes]:
    files = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts):
            files[rel] = path.read_bytes()
    return files


def load_target(path: Path) -> Target:
    if path.is_file() and path.suffix.lower() == ".zip":
        from sentinel_pack.diff.safezip import read_zip

        members = read_zip(path)
        return Target(label=str(path), files={f"Package/{k}": v for k, v in members.items()})
    if path.is_file() and path.name == "solution.yaml":
        path = path.parent
    if not path.is_dir():
        raise IOFailure(Problem("no such file or folder", file=str(path)))
    on_disk = _read_tree(path)
    if "solution.yaml" not in on_disk:
        return Target(label=str(path), files=on_disk)

    from sentinel_pack.build import render_solution
    from sentinel_pack.manifest import load_manifest

    try:
        rendered = render_solution(load_manifest(path))
    except SentinelPackError as error:
        return Target(label=str(path), files=on_disk, manifest_problems=error.problems)
    stale = sorted(rel for rel, content in rendered.files.items() if rel in on_disk and on_disk[rel] != content)
    files = {**on_disk, **rendered.files}
    return Target(label=str(path), files=files, stale=stale)
