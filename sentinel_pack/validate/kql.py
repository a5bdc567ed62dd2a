"""Which column names a KQL query uses: a token-level analysis, not a parser.

The fallback where Microsoft's Kusto parser cannot run (``sentinel_pack/kusto``, rule SP819),
and SP403's "is this stream column used by the transform" question.

It finds bare identifiers that are not functions (followed by ``(``), not members
(``x.field``), not keywords, not names the query defines (``X = ...``, ``let X``) and not the
table. That is enough for the queries connectors ship (``summarize count() by QueueName``);
it does not follow joins, ``mv-expand`` aliases or ``parse`` patterns, so callers report
its findings for connector UI queries, whose tables are known.
"""

from __future__ import annotations

import re

_STRINGS = re.compile(r"@?'(?:[^'\\]|\\.)*'|@?\"(?:[^\"\\]|\\.)*\"")
_COMMENTS = re.compile(r"//[^\n]*")
_TOKENS = re.compile(r"\d[\w.]*|[A-Za-z_][A-Za-z0-9_]*|==|=~|!=|!~|\S")
KEYWORDS = frozenset(
    [
        "where",
        "project",
        "extend",
        "summarize",
        "by",
        "sort",
        "order",
        "take",
        "limit",
        "top",
        "desc",
        "asc",
        "and",
        "or",
        "not",
        "in",
        "has",
        "has_any",
        "has_all",
        "contains",
        "contains_cs",
        "startswith",
        "endswith",
        "between",
        "count",
        "distinct",
        "join",
        "on",
        "kind",
        "union",
        "let",
        "render",
        "timechart",
        "barchart",
        "piechart",
        "columnchart",
        "true",
        "false",
        "null",
        "source",
        "away",
        "rename",
        "reorder",
        "keep",
        "bin",
        "nulls",
        "last",
        "first",
        "with",
        "inner",
        "leftouter",
        "rightouter",
        "fullouter",
        "leftanti",
        "leftsemi",
        "innerunique",
        "matches",
        "regex",
        "mv",
        "expand",
        "apply",
        "parse",
        "evaluate",
        "as",
        "typeof",
        "dynamic",
        "datetime",
        "timespan",
        "string",
        "int",
        "long",
        "real",
        "bool",
        "guid",
        "decimal",
        "materialize",
        "hint",
        "strategy",
        "shuffle",
        "!in",
        "!has",
        "!contains",
        "!startswith",
        "range",
        "step",
        "invoke",
        "search",
        "lookup",
        "make",
        "series",
        "from",
        "to",
    ]
)


def blank_literals(query: str) -> str:
    """The query with comments removed and every string literal emptied (``''``)."""
    return _COMMENTS.sub(" ", _STRINGS.sub(" '' ", query))


def tokenize(query: str) -> list[str]:
    return _TOKENS.findall(blank_literals(query))


def column_references(query: str, table: str | None = None) -> set[str]:
    tokens = tokenize(query)
    defined = {tokens[i] for i in range(len(tokens) - 1) if tokens[i + 1] == "="}
    defined |= {tokens[i + 1] for i in range(len(tokens) - 1) if tokens[i] == "let"}
    used: set[str] = set()
    for i, token in enumerate(tokens):
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", token):
            continue
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        before = tokens[i - 1] if i else ""
        if after == "(" or before in (".", "-") or after == "-" or token.lower() in KEYWORDS:
            continue
        if token in defined or token == table:
            continue
        used.add(token)
    return used
