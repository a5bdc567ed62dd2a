"""What ``validate`` looks at: a built solution folder, a solution source, or a package zip.

A source folder (one holding ``solution.yaml``) is rendered in memory first; its artefacts are
then checked exactly like a built folder's, and the files on disk are compared with them.
The connector files are found by content, as ``import`` and the official packager find them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sentinel_pack.diff.inputs import MAX_DEPTH, MAX_FILE_BYTES, first_too_deep
from sentinel_pack.errors import IOFailure, Problem, SentinelPackError
from sentinel_pack.paths import is_inside

#: What a Target is: a solution source (solution.yaml), a built folder, or a package zip.
SOURCE, BUILT, ZIP = "source", "built", "zip"
#: Entries that make a folder a built solution in the Azure-Sentinel layout (spelt as upstream
#: does: a `templates/package/` folder of Jinja templates is not a solution).
SOLUTION_PARTS = ("Package", "Data Connectors", "DataConnectors", "SolutionMetadata.json")
EXPECTED = "a solution source folder (with solution.yaml), a built solution folder (with Package/ or " \
           "Data Connectors/), a package zip, or a folder of such solutions"


@dataclass(frozen=True)
class Unreadable:
    """Why a file of the target cannot be read: the gate reports it, it never passes silently."""

    kind: str  # "empty", "json", "yaml", "utf-8", "zip", "io", "link"
    message: str
    line: int | None = None
    column: int | None = None


@dataclass
class Target:
    label: str  # the target's path as the user gave it (a folder or a zip)
    files: dict[str, bytes]  # relative path -> content
    manifest_problems: list[Problem] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # built files on disk that differ from the manifest
    kind: str = BUILT
    root: Path | None = None  # the folder on disk (the zip's path for a zip)
    generated: frozenset[str] = frozenset()  # files rendered from solution.yaml (source targets)
    on_disk: frozenset[str] = frozenset()  # files that exist on disk under root
    #: The folder of solution.yaml, when it is not ``root`` (``build --out`` checks before writing).
    source_root: Path | None = None
    #: Files that could not be read at all (an unreadable zip, a permission error).
    io_errors: dict[str, Unreadable] = field(default_factory=dict)
    _json: dict[str, Any] = field(default_factory=dict)
    _docs: dict[str, Any] = field(default_factory=dict)
    _yaml: dict[str, Unreadable | None] = field(default_factory=dict)
    _cfn: dict[str, tuple[str, dict[str, Any]]] | None = None
    _memo: dict[str, Any] = field(default_factory=dict)

    def memo(self, name: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per target: work several rules read (a connector view has its own)."""
        if name not in self._memo:
            self._memo[name] = compute()
        return self._memo[name]

    def document(self, rel: str):
        """The file parsed with positions (``jsonsource.JsonDocument``), or None when unreadable."""
        self.json(rel)
        doc = self._docs.get(rel)
        return None if isinstance(doc, Unreadable) else doc

    def json(self, rel: str) -> Any:
        if rel not in self._json:
            self._json[rel] = None
            problem = self.unreadable(rel)
            if problem is None and rel in self.files:
                self._json[rel] = self._docs[rel].data
        return self._json[rel]

    def unreadable(self, rel: str) -> Unreadable | None:
        """Why a JSON or YAML file cannot be read (empty, not UTF-8, invalid), or None."""
        if rel in self.io_errors:
            return self.io_errors[rel]
        data = self.files.get(rel)
        if data is None:
            return None
        lower = rel.lower()
        if not lower.endswith((".json", ".yaml", ".yml")):
            return None
        if not data.strip(b" \t\r\n\xef\xbb\xbf"):
            return Unreadable("empty", "the file is empty")
        if lower.endswith(".json"):
            if rel not in self._docs:
                from sentinel_pack.jsonsource import JsonSyntaxError, parse

                try:
                    self._docs[rel] = parse(data, comments=True)
                    deep = first_too_deep(self._docs[rel].data)  # the rules walk documents recursively
                    if deep is not None:
                        line, column = self._docs[rel].locate(deep)
                        self._docs[rel] = Unreadable("json", f"nested deeper than {MAX_DEPTH} levels", line, column)
                except JsonSyntaxError as error:
                    kind = "utf-8" if "UTF-8" in error.message else "json"
                    self._docs[rel] = Unreadable(kind, error.message, error.line, error.column)
            doc = self._docs[rel]
            return doc if isinstance(doc, Unreadable) else None
        if rel not in self._yaml:
            self._yaml[rel] = _yaml_problem(data)
        return self._yaml[rel]

    def json_files(self) -> list[str]:
        """Every JSON file that parsed (the gate rules report the others)."""
        return sorted(r for r in self.files if r.lower().endswith(".json") and self.json(r) is not None)

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
        return [replace(self, files={**shared, **{rel: self.files[rel] for rel in sorted(group)}},
                        _json=self._json, _docs=self._docs, _yaml=self._yaml, _cfn=None, _memo={})
                for group in groups]

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
        ui = _obj(_obj(definition.get("properties")).get("connectorUiConfig"))
        ids = {str(definition.get("name")), str(ui.get("id"))}
        group = {def_rel}
        for poller_rel, poller in kinds["/dataConnectors"]:
            properties = _obj(poller.get("properties"))
            if str(properties.get("connectorDefinitionName")) not in ids:
                continue
            group.add(poller_rel)
            stream = str(_obj(properties.get("dcrConfig")).get("streamName"))
            for dcr_rel, dcr in kinds["dataCollectionRules"]:
                dcr_properties = _obj(dcr.get("properties"))
                if stream not in _obj(dcr_properties.get("streamDeclarations")):
                    continue
                group.add(dcr_rel)
                flows = dcr_properties.get("dataFlows")
                outputs = {str(f.get("outputStream", "")).split("-", 1)[-1]
                           for f in (flows if isinstance(flows, list) else []) if isinstance(f, dict)}
                group.update(rel for rel, table in kinds["/tables"] if str(table.get("name")) in outputs)
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


def _obj(value: Any) -> dict[str, Any]:
    """Hand-edited files put lists or strings where objects belong: such a value groups nothing."""
    return value if isinstance(value, dict) else {}


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
        properties = resource.get("properties")
        nested = properties.get("mainTemplate") if isinstance(properties, dict) else None
        if isinstance(nested, dict):
            out.append((f"{path}.properties.mainTemplate.", nested))
    return out


def _yaml_problem(data: bytes) -> Unreadable | None:
    import yaml

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        before = data[: error.start]
        return Unreadable("utf-8", f"byte 0x{data[error.start]:02x} is not valid UTF-8: save the file as UTF-8",
                          before.count(b"\n") + 1, len(before) - (before.rfind(b"\n") + 1) + 1)
    from sentinel_pack.manifest.yamlsource import plain_data

    try:
        plain_data(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        return Unreadable("yaml", f"invalid YAML: {error.problem or error.context}",
                          mark.line + 1 if mark else None, mark.column + 1 if mark else None)
    except yaml.YAMLError as error:
        return Unreadable("yaml", f"invalid YAML: {error}")
    return None


def _read_tree(root: Path) -> tuple[dict[str, bytes], dict[str, Unreadable]]:
    files: dict[str, bytes] = {}
    errors: dict[str, Unreadable] = {}
    for path in sorted(root.rglob("*")):
        parts = path.relative_to(root).parts
        if any(part.startswith(".") for part in parts):
            continue
        rel = path.relative_to(root).as_posix()
        if path.is_symlink() and path.is_dir():  # never walked into: its files would come from elsewhere
            if not is_inside(path, root):
                errors[rel] = Unreadable("link", "a link to a folder outside the solution: its files are not read")
            continue
        if not path.is_file():
            continue
        if not is_inside(path, root):  # the file, or a folder on its way, links out (whatever rglob follows)
            errors[rel] = Unreadable("link", "a link to a file outside the folder: not read")
            continue
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:  # refused before reading: a 200 MB mainTemplate took minutes
                errors[rel] = Unreadable("io", f"the file is {size:,} bytes, more than the {MAX_FILE_BYTES:,} a "
                                               "solution file may hold: not read")
                continue
            files[rel] = path.read_bytes()
        except OSError as error:
            errors[rel] = Unreadable("io", f"cannot read the file: {error.strerror or error}")
    return files, errors


def _is_solution(folder: Path) -> str | None:
    """SOURCE or BUILT when the folder is one solution, else None."""
    if (folder / "solution.yaml").is_file():
        return SOURCE
    try:
        names = {child.name for child in folder.iterdir()}
    except OSError:
        return None
    return BUILT if any(part in names for part in SOLUTION_PARTS) else None


def load_targets(path: Path) -> list[Target]:
    """The solutions at ``path``: one, or each solution of a folder of solutions.

    Anything else is a usage error (exit 2) saying what was expected, so that a typo in a CI
    path cannot turn the gate into a silent pass.
    """
    if path.is_file():
        if path.suffix.lower() == ".zip":
            return [_load_zip(path)]
        if path.name == "solution.yaml":
            return [load_target(path.parent)]
        raise IOFailure(Problem(f"not something validate can check: expected {EXPECTED}", file=str(path),
                                hint="pass the solution folder, or the package zip"))
    if not path.is_dir():
        raise IOFailure(Problem(f"no such file or folder: expected {EXPECTED}", file=str(path)))
    if _is_solution(path):
        return [load_target(path)]
    try:
        children = sorted(child for child in path.iterdir() if child.is_dir() and not child.name.startswith("."))
    except OSError as error:
        raise IOFailure(Problem(f"cannot read the folder: {error.strerror or error}", file=str(path))) from None
    solutions = [child for child in children if _is_solution(child)]
    if not solutions:
        raise IOFailure(Problem(f"no solution here: expected {EXPECTED}", file=str(path),
                                hint="a solution folder holds solution.yaml, or Package/ and Data Connectors/"))
    return [load_target(child) for child in solutions]


def _load_zip(path: Path) -> Target:
    from sentinel_pack.diff.safezip import read_zip

    try:
        data = path.read_bytes()
    except OSError as error:
        raise IOFailure(Problem(f"cannot read the file: {error.strerror or error}", file=str(path))) from None
    try:
        members = read_zip(data, label=str(path))
    except SentinelPackError as error:
        return Target(label=str(path), files={}, kind=ZIP, root=path,
                      io_errors={"": Unreadable("zip", error.problems[0].message)})
    return Target(label=str(path), files={f"Package/{k}": v for k, v in members.items()}, kind=ZIP, root=path)


def load_target(path: Path) -> Target:
    """One solution: a zip, a source folder (rendered in memory) or a built folder."""
    if path.is_file() and path.suffix.lower() == ".zip":
        return _load_zip(path)
    if path.is_file() and path.name == "solution.yaml":
        path = path.parent
    if not path.is_dir():
        raise IOFailure(Problem(f"no such file or folder: expected {EXPECTED}", file=str(path)))
    on_disk, errors = _read_tree(path)
    base = {"label": str(path), "root": path, "on_disk": frozenset(on_disk), "io_errors": errors}
    if "solution.yaml" not in on_disk:
        return Target(files=on_disk, kind=BUILT, **base)

    from sentinel_pack.manifest.load import load_manifest
    from sentinel_pack.package.build import render_solution

    try:
        rendered = render_solution(load_manifest(path))
    except SentinelPackError as error:
        return Target(files=on_disk, manifest_problems=error.problems, kind=SOURCE, **base)
    from sentinel_pack.package.writer import same_content  # a released zip keeps its bytes when its content is equal

    stale = sorted(rel for rel, content in rendered.files.items()
                   if rel in on_disk and not same_content(rel, on_disk[rel], content))
    files = {**on_disk, **rendered.files}
    return Target(files=files, stale=stale, kind=SOURCE, generated=rendered.generated, **base)
