"""SP9xx: workbooks, parsers, playbooks, watchlists and summary rules.

Workbook and parser queries are checked by the Kusto parser (SP810-SP813, rules_kql), not
here. The files are found by folder, as the official packager lists them (``Workbooks/*.json``,
``Parsers/*.yaml``, ``Playbooks/**/azuredeploy.json``, ``Watchlists/*.json``,
``Summary Rules/*.yaml``); each is read with positions so a finding names its line. The same
checks run in ``build`` before anything is written (content/solution_content.py). Packaged
playbooks are nested templates of mainTemplate.json, so the SP6xx arm-ttk rules check them too.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator

from sentinel_pack.content import parsers, playbooks, summary_rules, watchlists, workbooks
from sentinel_pack.content.sources import PLAIN_KQL, KqlText, Source, problems_of, read
from sentinel_pack.errors import Problem, SentinelPackError
from sentinel_pack.validate.finding import ERROR, WARNING, Location, rule
from sentinel_pack.validate.target import Target

Out = Iterator[tuple[str, str, str, str]]
FOLDERS = {"workbooks": "workbooks", "parsers": "parsers", "playbooks": "playbooks", "watchlists": "watchlists",
           "summary_rules": "summaryrules"}


def _listed(target: Target, kind: str) -> list[str]:
    """Files the Data file lists for a kind (the packager's own list; ``FunctionApp/azuredeploy.json``
    may be a playbook outside ``Playbooks/``), matched to the target's files ignoring case."""
    data_rel = next((r for r in sorted(target.files) if r.lower().startswith("data/solution_")
                     and r.lower().endswith(".json")), None)
    data = target.json(data_rel) if data_rel else None
    if not isinstance(data, dict):
        return []
    by_lower = {rel.lower(): rel for rel in target.files}
    out = []
    for key, value in data.items():
        if key.replace(" ", "").lower() != FOLDERS[kind] or not isinstance(value, list):
            continue
        for item in value:
            rel = by_lower.get(str(item).replace("\\", "/").lstrip("./").lower())
            if rel:
                out.append(rel)
    return out


def content_files(target: Target, kind: str) -> list[str]:
    """Files of one kind in the target: those the Data file lists, and those in the kind's
    upstream folder (any case, spaces ignored)."""
    suffixes = {"parsers": (".yaml", ".yml", *PLAIN_KQL), "summary_rules": (".yaml", ".yml")}.get(kind, (".json",))
    out = [rel for rel in _listed(target, kind) if rel.lower().endswith(suffixes)]
    for rel in sorted(target.files):
        folder = rel.split("/", 1)[0].replace(" ", "").lower()
        if folder != FOLDERS[kind] or "/" not in rel:
            continue
        lower = rel.lower()
        if kind == "playbooks":
            if lower.endswith("/azuredeploy.json") and rel not in out:
                out.append(rel)
        elif kind in ("parsers", "summary_rules"):
            if lower.endswith((".yaml", ".yml")):
                out.append(rel)
        elif lower.endswith(".json") and not lower.endswith("workbooksmetadata.json"):
            out.append(rel)
    return list(dict.fromkeys(out))


def _findings(problems: list[Problem], fix: str = "") -> Out:
    for problem in problems:
        yield problem.file or "", problem.path or "", problem.message, problem.hint or fix, \
            Location(line=problem.line, column=problem.column)


def _check_kind(target: Target, kind: str, check: Callable[[Source], list[Problem]]) -> Out:
    for rel in content_files(target, kind):
        yield from _findings(problems_of(rel, target.files[rel], check))


@rule("SP901", ERROR, "Workbooks are gallery templates (Notebook/1.0 JSON)")
def workbooks_well_formed(target: Target) -> Out:
    yield from _check_kind(target, "workbooks", workbooks.check)


def known_tables(target: Target) -> set[str]:
    """Tables and functions a query may read: built-in tables, the solution's own tables, its
    parsers' functions and its summary rules' destination tables."""
    from sentinel_pack.kusto.schema import builtin_tables

    names = set(builtin_tables())
    names.update(str(t.get("name")) for _, t in target.resources("/tables"))
    for rel in content_files(target, "parsers"):
        try:
            data = read(rel, target.files[rel]).data
        except SentinelPackError:
            continue
        if isinstance(data, KqlText):
            names.add(parsers.plain_name(rel))
        elif isinstance(data, dict):
            names.update(str(data[k]) for k in ("FunctionName", "FunctionAlias") if isinstance(data.get(k), str))
    for rel in content_files(target, "summary_rules"):
        try:
            data = read(rel, target.files[rel]).data
        except SentinelPackError:
            continue
        if isinstance(data, dict) and isinstance(data.get("destinationTable"), str):
            names.add(data["destinationTable"])
    return names


@rule("SP903", WARNING, "Workbook dependencies name tables that exist")
def workbook_data_types(target: Target) -> Out:
    """The gallery's data type dependencies (the manifest's data_types) must name real tables."""
    rel, main = target.package("mainTemplate.json")
    if not isinstance(main, dict):
        return
    tables = None
    for index, resource in enumerate(main.get("resources") or []):
        properties = resource.get("properties") if isinstance(resource, dict) else None
        if not isinstance(properties, dict) or properties.get("contentKind") != "Workbook":
            continue
        inner = (properties.get("mainTemplate") or {}).get("resources") or []
        for inner_index, item in enumerate(inner):
            criteria = ((item.get("properties") or {}).get("dependencies") or {}).get("criteria") \
                if isinstance(item, dict) else None
            for c_index, criterion in enumerate(criteria or []):
                if not isinstance(criterion, dict) or criterion.get("kind") != "DataType":
                    continue
                tables = tables if tables is not None else known_tables(target)
                name = str(criterion.get("contentId"))
                if name not in tables:
                    close = difflib.get_close_matches(name, tables, n=1)
                    yield rel, f"resources[{index}].properties.mainTemplate.resources[{inner_index}].properties." \
                               f"dependencies.criteria[{c_index}].contentId", \
                        f"the workbook depends on data type '{name}', which is no known table", \
                        f"did you mean '{close[0]}'? (the manifest's workbooks[].data_types)" if close else \
                        "list the tables the workbook reads in the manifest's workbooks[].data_types"


@rule("SP904", ERROR, "Parsers have FunctionName, FunctionAlias, FunctionQuery and typed FunctionParams")
def parsers_well_formed(target: Target) -> Out:
    yield from _check_kind(target, "parsers", parsers.check)


@rule("SP905", WARNING, "A parser's FunctionAlias is its FunctionName")
def parser_alias(target: Target) -> Out:
    for rel in content_files(target, "parsers"):
        try:
            source = read(rel, target.files[rel])
        except SentinelPackError:
            continue
        yield from _findings(parsers.alias_differs(source))


@rule("SP906", ERROR, "Playbooks are ARM templates of a Logic App, custom connector or function app")
def playbooks_well_formed(target: Target) -> Out:
    yield from _check_kind(target, "playbooks", playbooks.check)


@rule("SP907", ERROR, "Watchlists have their required properties and a search key among their columns")
def watchlists_well_formed(target: Target) -> Out:
    yield from _check_kind(target, "watchlists", watchlists.check)


@rule("SP908", ERROR, "Summary rules have their fields, a GUID id and an allowed binSize")
def summary_rules_well_formed(target: Target) -> Out:
    yield from _check_kind(target, "summary_rules", summary_rules.check)


@rule("SP909", ERROR, "Published workbooks, parsers, playbooks and summary rules keep their id and raise their "
                      "version when they change")
def content_follows_the_last_release(target: Target) -> Out:
    """The check of SP803, for the other content kinds, against the newest older zip in Package/."""
    from sentinel_pack.diff.content import content_of, problems
    from sentinel_pack.validate.rules_package import against_last_release

    yield from against_last_release(target, content_of, problems)


def _json_path(path: tuple[str | int, ...]) -> str:
    from sentinel_pack.errors import json_path

    return json_path(path)

