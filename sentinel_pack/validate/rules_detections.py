"""SP802: detection queries read tables and columns that exist.

With the Kusto parser (the normal case) SP802 reports its unknown-column findings on detections
(``rules_kql.unknown_names``); what follows is the token-level fallback for platforms without it.

A rule that names a missing column fails only when Sentinel first runs it, usually in the
customer's workspace. Known tables: the solution's own table (from its table file or resource)
and the built-in tables vendored in ``schemas/tables/`` (``kusto.schema.builtin_tables``; provenance in
``schemas/vendor/PROVENANCE.md``).

The analysis is token-level (``validate/kql.py``): tables are the identifiers in source position
(a statement's start, after ``let X =``, ``union``, ``join``, an opening parenthesis); columns are
checked only when every source is one known table, so joins of different tables are not guessed at.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator

from sentinel_pack.kusto.schema import builtin_tables
from sentinel_pack.validate.finding import ERROR, rule
from sentinel_pack.validate.kql import KEYWORDS, blank_literals, column_references, tokenize
from sentinel_pack.validate.target import Target

Out = Iterator[tuple[str, str, str, str]]
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")
#: Tabular operators and functions that may start a pipeline without being a table.
_NOT_TABLES = frozenset({"datatable", "print", "range", "union", "find", "search", "externaldata", "materialize",
                         "view", "toscalar", "let", "set", "declare", "pattern", "alias", "evaluate",
                         "true", "false", "null"})
_JOIN_OPTION_NAMES = frozenset({"kind", "hint", "withsource", "isfuzzy"})


def source_tables(query: str) -> list[str]:
    """Identifiers the query reads as tables, in order (let-bound names excluded)."""
    tokens = tokenize(query)
    defined = {tokens[i + 1] for i in range(len(tokens) - 1) if tokens[i] == "let"}
    found: list[str] = []
    expect = True  # at a position where a tabular source may start
    i = 0
    while i < len(tokens):
        token = tokens[i]
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        is_source = expect and _IDENT.match(token) and after != "(" and token.lower() not in _NOT_TABLES
        if is_source and token not in defined and token not in found:
            found.append(token)
        if token == "let" and i + 2 < len(tokens) and tokens[i + 2] == "=":
            i += 3
            continue
        if token.lower() in ("union", "join", "lookup"):
            i = _skip_options(tokens, i + 1)
            expect = True
            continue
        expect = token == ";" or (token == "(" and expect) or (token == "," and _in_union(tokens, i))
        i += 1
    return found


def _skip_options(tokens: list[str], index: int) -> int:
    """Past ``kind=inner``, ``hint.strategy=shuffle``, ``withsource=T``, ``isfuzzy=true``."""
    while index < len(tokens) and tokens[index].lower() in _JOIN_OPTION_NAMES:
        k = index + 1
        while k + 1 < len(tokens) and tokens[k] == ".":
            k += 2
        if k < len(tokens) and tokens[k] == "=":
            index = k + 2
        else:
            break
    return index


_EVALUATE = re.compile(r"\|\s*evaluate\b")
_PARSE_WITH = re.compile(r"\bparse(?:-where|-kv)?\b[^|]*?\bwith\b([^|]*)")


def parse_outputs(query: str) -> set[str]:
    """Columns a ``parse ... with`` clause creates (``with * "id=" Id:string``)."""
    return {name for clause in _PARSE_WITH.findall(blank_literals(query))
            for name in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", clause) if name.lower() not in KEYWORDS}


def _in_union(tokens: list[str], index: int) -> bool:
    """Whether the comma at ``index`` separates the tables of a union (before its first pipe)."""
    depth = 0
    for j in range(index - 1, -1, -1):
        token = tokens[j]
        if token == ")":
            depth += 1
        elif token == "(":
            if depth == 0:
                return False
            depth -= 1
        elif depth == 0 and token in ("|", ";"):
            return False
        elif depth == 0 and token.lower() == "union":
            return True
    return False


def _query_line(text: str) -> int | None:
    match = re.search(r"^query:", text, flags=re.MULTILINE)
    return text[: match.start()].count("\n") + 1 if match else None


def _detections(target: Target) -> Iterator[tuple[str, str, str]]:
    """(file, text, query) for every analytic rule and hunting query in the target."""
    from sentinel_pack.validate.queries import yaml_files

    for rel, data, text in yaml_files(target, ("analyticrules", "huntingqueries")):
        if isinstance(data.get("query"), str):
            yield rel, text, data["query"]


@rule("SP802", ERROR, "Detection queries use only tables and columns that exist", waits=True)
def detection_tables_and_columns(target: Target) -> Out:
    """Unknown columns, by the Kusto parser (unknown tables: SP812); token by token where it cannot run."""
    from sentinel_pack.validate.rules_kql import kusto_available, unknown_names

    if kusto_available(target):
        yield from unknown_names(target, "detection")
        return
    tables = dict(builtin_tables())
    for _rel, table in target.resources("/tables"):  # every connector's own table
        columns = (table.get("properties") or {}).get("schema", {}).get("columns") or []
        tables[str(table.get("name"))] = {c.get("name"): c.get("type") for c in columns if isinstance(c, dict)}
    for rel, text, query in _detections(target):
        line = _query_line(text)
        where = f"{rel}:{line}" if line else rel
        sources = source_tables(query)
        for name in sources:
            if name not in tables:
                close = difflib.get_close_matches(name, tables, n=1)
                yield where, "query", f"the query reads table '{name}', which is neither the solution's table " \
                    "nor a known built-in table", f"did you mean '{close[0]}'?" if close else \
                    f"known tables: {', '.join(sorted(tables))}"
        if len(sources) != 1 or sources[0] not in tables or _EVALUATE.search(blank_literals(query)):
            continue  # joins of several tables, and plugins that add columns, are not second-guessed
        table = sources[0]
        columns = tables[table]
        for name in sorted(column_references(query, table) - columns.keys() - parse_outputs(query)):
            close = difflib.get_close_matches(name, columns, n=1)
            yield where, "query", f"the query uses '{name}', which table {table} does not have", \
                f"did you mean '{close[0]}'?" if close else "define it with extend, or use a column of the table"


@rule("SP803", ERROR, "Published detections keep their id, and a changed query raises the rule's version")
def detections_follow_the_last_release(target: Target) -> Out:
    """The checks of ``diff`` against the newest older zip in Package/, so a pull request sees them."""
    from sentinel_pack.diff.detections import detections_of, problems
    from sentinel_pack.validate.rules_package import against_last_release

    yield from against_last_release(target, detections_of, problems)
