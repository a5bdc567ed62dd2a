"""Which files form the connector: found by content, as the official packager finds them.

The definition by its type; the poller by ``connectorDefinitionName``; the DCR by the input
stream the poller sends to; the table by the DCR's output stream. When a folder holds several
connector sets, the one the Data file names wins and the others are reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sentinel_pack.errors import Problem, SentinelPackError
from sentinel_pack.importer.layout import Resource


@dataclass
class ConnectorSet:
    definition: Resource
    poller: Resource
    dcr: Resource
    table: Resource | None
    notes: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return definition_id(self.definition)


def definition_id(resource: Resource) -> str:
    ui = resource.body.get("properties", {}).get("connectorUiConfig", {})
    return str(ui.get("id") or resource.body.get("name", ""))


def _is(resource: Resource, suffix: str) -> bool:
    return resource.type.lower().endswith(suffix.lower())


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


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
    for resource in (by_path[w] for w in wanted if w in by_path):
        if all(resource is not c for c in chosen):
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
    sets = [_complete(root, resources, definition, []) for definition in chosen]
    sets[0].notes[:0] = notes
    return sets


def _complete(root: Path, resources: list[Resource], chosen: Resource, notes: list[str]) -> ConnectorSet:
    """The poller, DCR and table that belong to one definition."""
    connector_id = definition_id(chosen)
    pollers = [r for r in resources if _is(r, "/dataConnectors")
               and r.body.get("properties", {}).get("connectorDefinitionName") == connector_id]
    if not pollers:
        raise SentinelPackError(Problem(f"no poller has connectorDefinitionName '{connector_id}'",
                                        file=str(chosen.file)))
    poller = pollers[0]
    for extra in pollers[1:]:
        notes.append(f"ignored a second poller for {connector_id} in {_rel(root, extra.file)}")

    stream = poller.body["properties"].get("dcrConfig", {}).get("streamName")
    dcrs = [r for r in resources if _is(r, "Microsoft.Insights/dataCollectionRules")
            and stream in r.body.get("properties", {}).get("streamDeclarations", {})]
    if not dcrs:
        raise SentinelPackError(Problem(f"no data collection rule declares the poller's stream '{stream}'",
                                        file=str(poller.file), path="properties.dcrConfig.streamName"))
    dcr = dcrs[0]
    flows = [f for f in dcr.body["properties"].get("dataFlows", []) if stream in f.get("streams", [])]
    output = flows[0].get("outputStream", "") if flows else ""
    table_name = output.removeprefix("Custom-")
    tables = [r for r in resources if _is(r, "/tables") and r.body.get("name") == table_name]
    table = tables[0] if tables else None
    return ConnectorSet(definition=chosen, poller=poller, dcr=dcr, table=table, notes=notes)
