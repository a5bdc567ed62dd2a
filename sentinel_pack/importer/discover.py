"""Which files form each connector: found by content, as the official packager finds them.

The definition by its type; its pollers by ``connectorDefinitionName``; the DCR by the streams
the pollers send to (or, for a stream the service names itself such as
``SENTINEL_AWSS3SERVERACCESS``, the one DCR beside the definition); the tables by the DCR's
output streams. When a folder holds several connector sets, the ones the Data file names win
and the others are reported; connector files that no connector uses are reported too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sentinel_pack.errors import Problem, SentinelPackError
from sentinel_pack.importer.layout import Resource


def ci(mapping: Any, key: str, default: Any = None) -> Any:
    """``mapping[key]`` ignoring case, as ARM and CCF read property names."""
    if not isinstance(mapping, dict):
        return default
    if key in mapping:
        return mapping[key]
    return next((v for k, v in mapping.items() if str(k).lower() == key.lower()), default)


@dataclass
class ConnectorSet:
    definition: Resource
    pollers: list[Resource]
    dcr: Resource
    tables: dict[str, Resource | None]  # output table name -> its file (None: built-in, or not found)
    notes: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return definition_id(self.definition)

    @property
    def poller(self) -> Resource:
        return self.pollers[0]


def definition_id(resource: Resource) -> str:
    ui = ci(ci(resource.body, "properties", {}), "connectorUiConfig", {})
    return str(ci(ui, "id") or resource.body.get("name", ""))


def _is(resource: Resource, suffix: str) -> bool:
    return resource.type.lower().endswith(suffix.lower())


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def stream_of(poller: Resource) -> str:
    return str(ci(ci(ci(poller.body, "properties", {}), "dcrConfig", {}), "streamName", ""))


def flows_of(dcr: Resource) -> list[dict[str, Any]]:
    flows = ci(ci(dcr.body, "properties", {}), "dataFlows", [])
    return [f for f in flows if isinstance(f, dict)] if isinstance(flows, list) else []


def output_of(flow: dict[str, Any]) -> str:
    """A flow's output stream; without one, its input stream is also its output (Microsoft-<table>)."""
    output = ci(flow, "outputStream")
    if output:
        return str(output)
    streams = ci(flow, "streams", [])
    return str(streams[0]) if streams else ""


def discover(root: Path, resources: list[Resource], named_in_data_file: list[str]) -> list[ConnectorSet]:
    """Every connector the Data file names (all of them: a solution may carry several)."""
    definitions = [r for r in resources if _is(r, "dataConnectorDefinitions")]
    if not definitions:
        raise SentinelPackError(Problem("no CCF connector definition (type dataConnectorDefinitions) found",
                                        file=str(root / "Data Connectors")))
    notes: list[str] = []
    wanted = [n.replace("\\", "/").replace(" ", "").lower() for n in named_in_data_file]
    by_path = {_rel(root, d.file).replace(" ", "").lower(): d for d in definitions}
    chosen: list[Resource] = []
    for name in wanted:
        # Data files name connectors relative to the solution, or prefixed with its folder name.
        resource = by_path.get(name) or next((d for p, d in by_path.items() if name.endswith("/" + p)), None)
        if resource is not None and all(resource is not c for c in chosen):
            chosen.append(resource)
    if not chosen and len(definitions) == 1:
        chosen = [definitions[0]]
        if named_in_data_file:
            notes.append(f"the Data file names {', '.join(named_in_data_file)}, which holds no connector "
                         f"definition; using {_rel(root, chosen[0].file)} (original inconsistency)")
    elif not chosen:
        listed = ", ".join(_rel(root, d.file) for d in definitions)
        raise SentinelPackError(Problem(
            f"several connector definitions and the Data file names none of them: {listed}",
            file=str(root), hint="list the connector to import under 'Data Connectors' in Data/Solution_*.json"))
    for other in definitions:
        if all(other is not c for c in chosen):
            notes.append(f"ignored connector definition {definition_id(other)} in {_rel(root, other.file)}")
    sets = [_complete(root, resources, definition) for definition in chosen]
    sets[0].notes[:0] = notes
    used = {id(r) for s in sets for r in (s.definition, s.dcr, *s.pollers, *(t for t in s.tables.values() if t))}
    used |= {id(r) for r in resources if _is(r, "dataConnectorDefinitions")}
    folders = {s.definition.file.parent for s in sets}
    for resource in resources:
        if id(resource) not in used and resource.file.parent in folders and resource.type:
            name = resource.body.get("name", "")
            sets[0].notes.append(f"{_rel(root, resource.file)}: {resource.type.rsplit('/', 1)[-1]} '{name}' is used "
                                 "by no connector of the Data file; left out, as the official packager leaves it")
    return sets


def _complete(root: Path, resources: list[Resource], chosen: Resource) -> ConnectorSet:
    """The pollers, DCR and tables that belong to one definition."""
    connector_id = definition_id(chosen)
    notes: list[str] = []
    pollers = [r for r in resources if _is(r, "/dataConnectors")
               and str(ci(ci(r.body, "properties", {}), "connectorDefinitionName", "")).lower() == connector_id.lower()]
    if not pollers:
        raise SentinelPackError(Problem(f"no poller has connectorDefinitionName '{connector_id}'",
                                        file=str(chosen.file),
                                        hint="the poller file's properties.connectorDefinitionName "
                                        "must be the definition's connectorUiConfig.id"))
    streams = [stream_of(p) for p in pollers]
    rules = [r for r in resources if _is(r, "Microsoft.Insights/dataCollectionRules")]

    def reads(dcr: Resource) -> set[str]:
        declared = set(ci(ci(dcr.body, "properties", {}), "streamDeclarations", {}) or {})
        return declared | {s for f in flows_of(dcr) for s in ci(f, "streams", []) or []}

    dcrs = [r for r in rules if set(streams) & reads(r)]
    if not dcrs:
        beside = [r for r in rules if r.file.parent == chosen.file.parent]
        if len(beside) != 1:
            raise SentinelPackError(Problem(f"no data collection rule reads the poller's stream '{streams[0]}'",
                                            file=str(pollers[0].file), path="properties.dcrConfig.streamName"))
        dcrs = beside
        notes.append(f"no DCR declares the stream '{streams[0]}' (the service names it); using the DCR "
                     f"beside the definition, {_rel(root, beside[0].file)}")
    dcr = dcrs[0]
    if not flows_of(dcr):
        raise SentinelPackError(Problem("the data collection rule has no dataFlows", file=str(dcr.file),
                                        path="properties.dataFlows"))
    tables: dict[str, Resource | None] = {}
    for flow in flows_of(dcr):
        output = output_of(flow)
        if output.startswith("Custom-"):
            name = output.removeprefix("Custom-")
            found = [r for r in resources if _is(r, "/tables") and str(r.body.get("name")) == name]
            tables.setdefault(name, found[0] if found else None)
        elif output.startswith("Microsoft-"):
            tables.setdefault(output.removeprefix("Microsoft-"), None)
    return ConnectorSet(definition=chosen, pollers=pollers, dcr=dcr, tables=tables, notes=notes)
