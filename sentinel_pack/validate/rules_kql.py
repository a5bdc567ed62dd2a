"""SP81x: every query of the solution, checked by Microsoft's Kusto parser against its schema.

The queries and the tables they read come from ``validate/queries.py``; the analysis is
Kusto.Language itself (``sentinel_pack/kusto``), so a syntax error, an unknown column, a wrong
operator (``where Verb = "x"``) or a type error is reported as Azure would report it, before
anything is deployed. When the engine cannot load on this platform, SP819 says so once and
the token-level checks (SP404, SP407, SP802) run instead.
"""

from __future__ import annotations

import difflib
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from sentinel_pack.validate.finding import ERROR, WARNING, rule
from sentinel_pack.validate.queries import Query, queries, unresolved, workspace
from sentinel_pack.validate.target import Target

Out = Iterator[tuple[str, str, str, str]]


@dataclass(frozen=True)
class Checked:
    query: Query
    analysis: object  # sentinel_pack.kusto.engine.Analysis, or None when it could not run
    error: str = ""
    #: a parser this query calls does not parse: its names and types are unknown, SP810 says why
    blocked_by: str = ""


_recent: list[tuple[Target, list[Checked]]] = []  # a few targets: the connector views of one check
_pending: list[tuple[Target, threading.Thread]] = []  # analyses running in the background
_lock = threading.Lock()


#: The rules that read the Kusto engine's answers.
KUSTO_RULES = ("SP81", "SP404", "SP407", "SP802")


def prepare(rule_ids: list[str], target: Target | None = None, path: Path | None = None) -> None:
    """Start the Kusto work when a rule that needs it will run, so it overlaps the slow rules.

    Without a target: load the engine now unless the answers for the solution at ``path`` are
    known to be cached (V8 then never starts). With one: collect its queries here (the target is
    not thread-safe) and analyse them on a background thread, which the first rule that needs
    them then joins (cfn-lint runs meanwhile).
    """
    if not any(r.startswith(KUSTO_RULES) for r in rule_ids):
        return
    from sentinel_pack.kusto import engine
    from sentinel_pack.kusto.results import answered_before
    from sentinel_pack.perf import diskcache

    if target is None:
        if not diskcache.enabled() or (path is not None and not answered_before(path)):
            engine.start()
        return
    if any(known is target for known, _ in _recent):
        return
    found = list(queries(target))
    if not found:
        return
    database = workspace(target, found)
    if _needs_engine(found, database):
        engine.start()
    thread = threading.Thread(target=_store, args=(target, found, database), name="kusto-queries", daemon=True)
    with _lock:
        _pending.append((target, thread))
    thread.start()


def kusto_server(rule_ids: list[str], paths: list[Path]):
    """A Kusto server for the pool workers of a many-solution run (``kusto.server``), or None when
    no rule needs Kusto or every solution's answers are known to be cached."""
    from sentinel_pack.kusto.results import answered_before
    from sentinel_pack.perf import diskcache

    if not any(r.startswith(KUSTO_RULES) for r in rule_ids):
        return None
    if diskcache.enabled() and all(answered_before(path) for path in paths):
        return None
    from sentinel_pack.kusto.server import Server

    try:
        return Server()
    except Exception:  # no process can be started here: each worker loads its own engine
        return None


def finished(rule_ids: list[str], path: Path) -> None:
    """After a run on ``path``: its answers are all stored, so the next run need not start V8 early."""
    if any(r.startswith(KUSTO_RULES) for r in rule_ids):
        from sentinel_pack.kusto import results as answers

        answers.remember_answered(path)


def _needs_engine(found: list[Query], database) -> bool:
    """Whether some query's answer is not cached yet (only then is V8 started)."""
    from sentinel_pack.kusto import results, transform

    return any(not (query.kind == "connector" and unresolved(query.text))
               and results.known(query.text, transform.database(query.source) if query.kind == "transform"
                                 else database) is None
               for query in found)


def kusto_available(target: Target | None = None) -> bool:
    """Whether the Kusto engine runs here (waits for it to load): the token-level rules ask first.

    A target without queries needs no engine, so it does not wait for one.
    """
    if target is not None:
        found = list(queries(target))
        if not found or not _needs_engine(found, workspace(target, found)):
            return True
    from sentinel_pack.kusto import engine

    return engine.get() is not None


def checked(target: Target) -> list[Checked]:
    """Every query of the target analysed once, shared by the rules that report on them."""
    with _lock:
        running = next((t for known, t in _pending if known is target), None)
    if running is not None:
        running.join()
    with _lock:
        for known, results in _recent:
            if known is target:
                return results
    found = list(queries(target))
    return _store(target, found, workspace(target, found) if found else None)


def _store(target: Target, found: list[Query], database) -> list[Checked]:
    """Analyse the queries (no access to the target: this may run on a background thread)."""
    from sentinel_pack.kusto import engine, transform
    from sentinel_pack.kusto import results as answers

    results: list[Checked] = []
    runs = bool(found) and (not _needs_engine(found, database) or engine.get() is not None)
    for query in found if runs else []:
        if query.kind == "connector" and unresolved(query.text):
            results.append(Checked(query, None, "placeholder"))
            continue
        db = transform.database(query.source) if query.kind == "transform" else database
        try:
            results.append(Checked(query, answers.analyze(query.text, db)))
        except Exception as exc:  # a query Kusto cannot finish (timeout): a finding, not a crash
            results.append(Checked(query, None, f"{type(exc).__name__}: {exc}"))
    results = _blocked(results)
    with _lock:
        _recent[:] = [*_recent[-7:], (target, results)]
        _pending[:] = [(known, t) for known, t in _pending if known is not target]
    return results


def _blocked(results: list[Checked]) -> list[Checked]:
    """Mark the queries that call a parser which does not parse: their findings would be its echo."""
    broken = {name for item in results if item.query.kind == "parser" and _has_syntax_error(item)
              for name in item.query.defines}
    if not broken:
        return results
    words = re.compile(r"\b(" + "|".join(map(re.escape, sorted(broken))) + r")\b")
    return [replace(item, blocked_by=match.group(1)) if item.query.kind != "parser"
            and (match := words.search(item.query.text)) else item for item in results]


def at(query: Query, offset: int, message: str, fix: str) -> tuple[str, str, str, str]:
    """A finding at a position in a query, located in the file the author edits.

    A rule or parser YAML gets the line itself (``rule.yaml:31``); a JSON value keeps its path,
    and the message says which line of a multi-line query it is.
    """
    line_in_query = query.text.count("\n", 0, max(offset, 0))
    if query.line is not None:
        return f"{query.file}:{query.line + line_in_query}", query.path, message, fix
    if "\n" in query.text.strip():
        message += f" (line {line_in_query + 1} of the query)"
    return query.file, query.path, message, fix


def _errors(item: Checked, *, syntax: bool) -> Iterator:
    if item.analysis is None or (item.blocked_by and not syntax):
        return
    for diagnostic in item.analysis.diagnostics:
        if diagnostic.severity == "Error" and diagnostic.syntax == syntax:
            yield diagnostic


def _name(item: Checked, diagnostic) -> str:
    return item.query.text[diagnostic.start: diagnostic.start + diagnostic.length]


def _what(query: Query) -> str:
    return {"connector": "query", "detection": "query", "parser": "parser", "transform": "transformation",
            "workbook": "workbook query"}[query.kind]


@rule("SP810", ERROR, "Every query parses (Kusto syntax)", waits=True)
def syntax(target: Target) -> Out:
    package = target.package("mainTemplate.json")[0] in target.files
    for item in checked(target):
        if item.error == "placeholder" and package:
            continue  # SP406 reports it where it reaches Azure, in mainTemplate.json
        if item.error == "placeholder":
            names = ", ".join(f"{{{{{n}}}}}" for n in unresolved(item.query.text))
            yield at(item.query, 0, f"the {_what(item.query)} contains {names}, which CCF does not fill in "
                   "(only {{graphQueriesTableName}}, from connectorUiConfig.graphQueriesTableName)",
                   "write the table name, or set graphQueriesTableName and use {{graphQueriesTableName}}")
        elif item.error:
            yield at(item.query, 0, f"the Kusto parser could not analyse the {_what(item.query)}: "
                   f"{item.error}", "simplify the query; report it if it is valid KQL")
        for diagnostic in _errors(item, syntax=True):
            yield at(item.query, diagnostic.start,
                   f"KQL syntax error ({diagnostic.code}): {diagnostic.message}",
                   "fix the query so it parses; Sentinel rejects it as written")
            break  # the first syntax error explains the ones after it


def unknown_names(target: Target, kind: str) -> Out:
    """Names Kusto cannot resolve (KS142) in the queries of one kind, as "X does not have 'Name'".

    SP407 (connector queries), SP802 (detections), SP404 (transformations) and SP811 (parsers)
    report them for their own queries, so an id keeps meaning the same problem in the same place.
    """
    for item in checked(target):
        if item.query.kind != kind or _has_syntax_error(item):
            continue  # SP810 reports syntax errors; names after one are guesses
        for diagnostic in _errors(item, syntax=False):
            name = _name(item, diagnostic)
            if diagnostic.code == "KS204" and kind == "transform":
                yield at(item.query, diagnostic.start,
                       f"the transform reads '{name}': a transformation reads only its input stream, as 'source'",
                       "start the transformation with 'source'")
            elif diagnostic.code == "KS142":
                yield at(item.query, diagnostic.start, *_unknown_name(item, target, name))


def _unknown_name(item: Checked, target: Target, name: str) -> tuple[str, str]:
    query = item.query
    if query.kind == "transform":
        return f"the transform reads '{name}', which stream {query.stream} does not declare", \
            _closest(name, query.source, "declare the column in the stream or fix its name in the transform")
    tables = item.analysis.tables
    what = _what(query)
    if len(tables) == 1:
        columns = workspace(target).tables.get(tables[0], {})
        return f"the {what} uses '{name}', which table {tables[0]} does not have", \
            _closest(name, columns, "define it with extend, or use a column of the table")
    return f"the {what} uses '{name}', which is not a column, variable or function it can see", \
        "define it with extend or let, or use a column of the tables it reads"


def _closest(name: str, candidates, otherwise: str) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1)
    return f"did you mean '{close[0]}'?" if close else otherwise


def _has_syntax_error(item: Checked) -> bool:
    return any(True for _ in _errors(item, syntax=True))


@rule("SP811", ERROR, "Parsers and workbook queries use only columns, variables and functions that exist", waits=True)
def parser_names(target: Target) -> Out:
    yield from unknown_names(target, "parser")
    yield from unknown_names(target, "workbook")


@rule("SP812", WARNING, "Queries read tables the solution defines or sentinel-pack knows", waits=True)
def unknown_tables(target: Target) -> Out:
    known = None
    for item in checked(target):
        query = item.query
        if query.kind == "transform" and query.table_columns is None:
            yield at(query, 0, f"the transformation writes to table {query.table}, which is neither the "
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
            yield at(item.query, diagnostic.start,
                   f"the {_what(item.query)} reads '{name}', which is neither a table or parser of the solution "
                   "nor a built-in table sentinel-pack knows, so its columns are not checked",
                   hint + "if it is another solution's or a built-in table, add its schema (a table resource under "
                   "Data Connectors/, or sentinel_pack/schemas/tables/<name>.json); a parser goes in Parsers/")


@rule("SP813", ERROR, "Queries are well typed (Kusto semantic errors)", waits=True)
def semantic_errors(target: Target) -> Out:
    for item in checked(target):
        if _has_syntax_error(item):
            continue
        for diagnostic in _errors(item, syntax=False):
            if diagnostic.code in ("KS142", "KS204"):
                continue  # unknown names and tables: SP404/SP407/SP802/SP811, SP812
            name = _name(item, diagnostic)
            if diagnostic.code == "KS211":
                yield at(item.query, diagnostic.start,
                       f"the {_what(item.query)} calls '{name}', which is neither a Kusto function nor a parser "
                       "of the solution", "check the name; a parser is known when it is in Parsers/")
                continue
            assigns = diagnostic.code == "KS141" and re.search(r"(?<![=!<>~])=(?![=~])", name)
            yield at(item.query, diagnostic.start,
                     f"Kusto {diagnostic.code} at '{name[:60]}': {diagnostic.message}",
                     "use == to compare; = only names a column (in extend, project, summarize)" if assigns
                     else "fix the expression; Sentinel rejects the query as written")


@rule("SP814", ERROR, "Transformations use only what ingestion-time KQL supports", waits=True)
def transform_subset(target: Target) -> Out:
    from sentinel_pack.kusto.transform import unsupported

    for item in checked(target):
        if item.query.kind != "transform" or item.analysis is None:
            continue
        for offset, message, fix in unsupported(item.analysis):
            yield at(item.query, offset, message, fix)


@rule("SP815", ERROR, "A transformation's output fits the destination table", waits=True)
def transform_output(target: Target) -> Out:
    from sentinel_pack.kusto.schema import kusto_type
    from sentinel_pack.validate.kql import column_references

    for item in checked(target):
        query = item.query
        if query.kind != "transform" or item.analysis is None or item.analysis.columns is None:
            continue
        if _has_syntax_error(item) or query.table_columns is None:
            continue  # a table sentinel-pack does not know is SP812's
        mentioned = column_references(query.text)
        for name, kind in item.analysis.columns:
            if kind == "unknown":
                continue  # SP404 reports the name it could not resolve
            if name not in query.table_columns and name in query.source and name not in mentioned:
                continue  # a stream column passed through unnamed: SP403 reports it as dropped
            if name not in query.table_columns:
                yield at(query, 0, f"the transformation outputs '{name}', which table {query.table} does not "
                       "have: its values are dropped", f"add '{name}' to the table, or project it away")
            elif kusto_type(query.table_columns[name]) != kusto_type(kind):
                yield at(query, 0, f"the transformation outputs '{name}' as {kind}, but table {query.table} "
                       f"declares it {query.table_columns[name]}: the DCR is rejected",
                       f"convert it in the transformation (to{query.table_columns[name]}(...)), or change the "
                       "column's type")


_unavailable_reported = False


@rule("SP819", WARNING, "The Kusto parser is available", waits=True)
def engine_available(target: Target) -> Out:
    global _unavailable_reported
    from sentinel_pack.kusto import engine

    if kusto_available(target):
        return  # nothing to check, every answer cached, or the engine runs
    if not _unavailable_reported:
        _unavailable_reported = True
        yield "", "", f"KQL is checked token by token only: the Kusto parser could not start " \
            f"({engine.failure()})", "install sentinel-pack with its mini-racer dependency on a supported platform"
