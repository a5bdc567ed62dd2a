"""SP81x: every query of the solution, checked by Microsoft's Kusto parser against its schema.

The queries and the tables they read come from ``validate/queries.py``; the analysis is
Kusto.Language itself (``sentinel_pack/kusto``), so a syntax error, an unknown column, a wrong
operator (``where Verb = "x"``) or a type error is reported as Azure would report it, before
anything is deployed. When the engine cannot load on this platform, SP819 says so once and
the token-level checks (SP404, SP407, SP802) run instead.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass

from sentinel_pack.validate.finding import ERROR, WARNING, rule
from sentinel_pack.validate.queries import Query, queries, unresolved, workspace
from sentinel_pack.validate.target import Target

Out = Iterator[tuple[str, str, str, str]]


@dataclass(frozen=True)
class Checked:
    query: Query
    analysis: object  # sentinel_pack.kusto.engine.Analysis, or None when it could not run
    error: str = ""


_last: tuple[Target, list[Checked]] | None = None


def prepare(rule_ids: list[str]) -> None:
    """Start loading the Kusto engine when a rule that needs it will run (before the slow work)."""
    if any(r.startswith(("SP81", "SP404", "SP407", "SP802")) for r in rule_ids):
        from sentinel_pack.kusto import engine

        engine.start()


def kusto_available() -> bool:
    """Whether the Kusto engine runs here (waits for it to load): the token-level rules ask first."""
    from sentinel_pack.kusto import engine

    return engine.get() is not None


def checked(target: Target) -> list[Checked]:
    """Every query of the target analysed once, shared by the SP81x rules."""
    global _last
    if _last is not None and _last[0] is target:
        return _last[1]
    from sentinel_pack.kusto import engine, transform

    kusto = engine.get()
    results: list[Checked] = []
    if kusto is not None:
        database = workspace(target)
        for query in queries(target):
            if unresolved(query.text):
                results.append(Checked(query, None, "placeholder"))
                continue
            db = transform.database(query.source) if query.kind == "transform" else database
            try:
                results.append(Checked(query, kusto.analyze(query.text, db)))
            except Exception as exc:  # a query Kusto cannot finish (timeout): a finding, not a crash
                results.append(Checked(query, None, f"{type(exc).__name__}: {exc}"))
    _last = (target, results)
    return results


def where(query: Query, offset: int) -> tuple[str, str]:
    """(file, path) of a position in a query, in the file the author edits.

    A rule or parser YAML gets the line itself (``rule.yaml:31``); a JSON value keeps its path,
    with the line inside a multi-line query.
    """
    line_in_query = query.text.count("\n", 0, max(offset, 0))
    if query.line is not None:
        return f"{query.file}:{query.line + line_in_query}", query.path
    if "\n" in query.text.strip():
        return query.file, f"{query.path} (line {line_in_query + 1} of the query)"
    return query.file, query.path


def _errors(item: Checked, *, syntax: bool) -> Iterator:
    if item.analysis is None:
        return
    for diagnostic in item.analysis.diagnostics:
        if diagnostic.severity == "Error" and diagnostic.syntax == syntax:
            yield diagnostic


def _name(item: Checked, diagnostic) -> str:
    return item.query.text[diagnostic.start: diagnostic.start + diagnostic.length]


def _what(query: Query) -> str:
    return {"connector": "connector query", "detection": "query", "parser": "parser",
            "transform": "transformation"}[query.kind]


@rule("SP810", ERROR, "Every query parses (Kusto syntax)")
def syntax(target: Target) -> Out:
    for item in checked(target):
        if item.error == "placeholder":
            names = ", ".join(f"{{{{{n}}}}}" for n in unresolved(item.query.text))
            yield (*where(item.query, 0), f"the {_what(item.query)} contains {names}, which CCF does not fill in "
                   "(only {{graphQueriesTableName}}, from connectorUiConfig.graphQueriesTableName)",
                   "write the table name, or set graphQueriesTableName and use {{graphQueriesTableName}}")
        elif item.error:
            yield (*where(item.query, 0), f"the Kusto parser could not analyse the {_what(item.query)}: "
                   f"{item.error}", "simplify the query; report it if it is valid KQL")
        for diagnostic in _errors(item, syntax=True):
            yield (*where(item.query, diagnostic.start),
                   f"KQL syntax error ({diagnostic.code}): {diagnostic.message}",
                   "fix the query so it parses; Sentinel rejects it as written")
            break  # the first syntax error explains the ones after it


@rule("SP811", ERROR, "Queries use only columns, variables and functions that exist")
def unknown_names(target: Target) -> Out:
    workspace_db = None
    for item in checked(target):
        if any(True for _ in _errors(item, syntax=True)):
            continue  # SP810 reports it; names after a syntax error are guesses
        for diagnostic in _errors(item, syntax=False):
            name = _name(item, diagnostic)
            if diagnostic.code == "KS204" and item.query.kind == "transform":
                yield (*where(item.query, diagnostic.start),
                       f"the transformation reads '{name}': a transformation reads only its input stream, "
                       "as 'source'", "start the transformation with 'source'")
                continue
            if diagnostic.code not in ("KS142", "KS211"):
                continue
            columns, scope = _scope(item, target, workspace_db)
            if diagnostic.code == "KS211":
                message = f"the {_what(item.query)} calls '{name}', which is not a Kusto function or one the " \
                          "solution defines"
                fix = "check the function's name; a parser must be in Parsers/ to be known"
            else:
                message = f"the {_what(item.query)} uses '{name}', which {scope} does not have" if scope else \
                    f"the {_what(item.query)} uses '{name}', which is not a column, variable or function it can see"
                close = difflib.get_close_matches(name, columns, n=1)
                fix = f"did you mean '{close[0]}'?" if close else "define it with extend, or use a column of the table"
            yield (*where(item.query, diagnostic.start), message, fix)


def _scope(item: Checked, target: Target, _db) -> tuple[list[str], str]:
    """The columns in play and how to name them: one table (or the transform's input stream)."""
    query = item.query
    if query.kind == "transform":
        return sorted(query.source), f"input stream {query.stream}"
    tables = item.analysis.tables
    if len(tables) == 1:
        return sorted(workspace(target).tables.get(tables[0], {})), f"table {tables[0]}"
    return [], ""


@rule("SP812", WARNING, "Queries read tables the solution defines or sentinel-pack knows")
def unknown_tables(target: Target) -> Out:
    known = None
    for item in checked(target):
        query = item.query
        if query.kind == "transform" and query.table_columns is None:
            yield (*where(query, 0), f"the transformation writes to table {query.table}, which is neither the "
                   "solution's nor a built-in table sentinel-pack knows, so its output is not checked",
                   "define the table (a table resource under Data Connectors/), or add its schema to "
                   "sentinel_pack/schemas/tables/<name>.json")
        if query.kind == "transform" or any(True for _ in _errors(item, syntax=True)):
            continue
        for diagnostic in _errors(item, syntax=False):
            if diagnostic.code != "KS204":
                continue
            if known is None:
                database = workspace(target)
                known = sorted({*database.tables, *database.functions})
            name = _name(item, diagnostic)
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            yield (*where(item.query, diagnostic.start),
                   f"the {_what(item.query)} reads '{name}', which is neither a table or parser of the solution "
                   "nor a built-in table sentinel-pack knows, so its columns are not checked",
                   hint + "if it is another solution's or a built-in table, add its schema (a table resource under "
                   "Data Connectors/, or sentinel_pack/schemas/tables/<name>.json); a parser goes in Parsers/")


@rule("SP813", ERROR, "Queries are well typed (Kusto semantic errors)")
def semantic_errors(target: Target) -> Out:
    for item in checked(target):
        if any(True for _ in _errors(item, syntax=True)):
            continue
        for diagnostic in _errors(item, syntax=False):
            if diagnostic.code in ("KS142", "KS211", "KS204"):
                continue  # SP811, SP812
            yield (*where(item.query, diagnostic.start),
                   f"Kusto {diagnostic.code} at '{_name(item, diagnostic)[:60]}': {diagnostic.message}",
                   "fix the expression; Sentinel rejects the query as written")


@rule("SP814", ERROR, "Transformations use only what ingestion-time KQL supports")
def transform_subset(target: Target) -> Out:
    from sentinel_pack.kusto.transform import unsupported

    for item in checked(target):
        if item.query.kind != "transform" or item.analysis is None:
            continue
        for offset, message, fix in unsupported(item.analysis):
            yield (*where(item.query, offset), message, fix)


@rule("SP815", ERROR, "A transformation's output fits the destination table")
def transform_output(target: Target) -> Out:
    from sentinel_pack.kusto.schema import kusto_type

    for item in checked(target):
        query = item.query
        if query.kind != "transform" or item.analysis is None or item.analysis.columns is None:
            continue
        if any(True for _ in _errors(item, syntax=True)) or query.table_columns is None:
            continue  # a table sentinel-pack does not know is SP401's business
        for name, kind in item.analysis.columns:
            if kind == "unknown":
                continue  # SP811 reports the name it could not resolve
            if name not in query.table_columns:
                yield (*where(query, 0), f"the transformation outputs '{name}', which table {query.table} does not "
                       "have: its values are dropped", f"add '{name}' to the table, or project it away")
            elif kusto_type(query.table_columns[name]) != kusto_type(kind):
                yield (*where(query, 0), f"the transformation outputs '{name}' as {kind}, but table {query.table} "
                       f"declares it {query.table_columns[name]}: the DCR is rejected",
                       f"convert it in the transformation (to{query.table_columns[name]}(...)), or change the "
                       "column's type")


_unavailable_reported = False


@rule("SP819", WARNING, "The Kusto parser is available")
def engine_available(target: Target) -> Out:
    global _unavailable_reported
    from sentinel_pack.kusto import engine

    if engine.get() is None and not _unavailable_reported:
        _unavailable_reported = True
        yield "", "", f"KQL is checked token by token only: the Kusto parser could not start " \
            f"({engine.failure()})", "install sentinel-pack with its mini-racer dependency on a supported platform"
