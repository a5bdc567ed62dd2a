"""The database a query runs against: tables with typed columns, and functions (parsers).

Kusto.Language resolves names only against what it is told exists, so every check builds one
of these from the solution (its tables, its parsers) and the vendored built-in tables.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

TABLES_DIR = Path(__file__).resolve().parent.parent / "schemas" / "tables"
#: Column types as Log Analytics, DCR stream declarations and Kusto write them -> Kusto's name.
_TYPES = {"string": "string", "int": "int", "long": "long", "real": "real", "double": "real",
          "bool": "bool", "boolean": "bool", "datetime": "datetime", "date": "datetime",
          "dynamic": "dynamic", "guid": "guid", "uniqueid": "guid", "timespan": "timespan",
          "time": "timespan", "decimal": "decimal", "int32": "int", "int64": "long",
          "bigint": "long", "float": "real"}


def known_type(name: object) -> str | None:
    """The Kusto scalar type for a declared column type, or None if it is not one."""
    return _TYPES.get(str(name).strip().lower())


def kusto_type(name: object) -> str:
    """The Kusto scalar type for a declared column type; an unknown type reads as ``dynamic``.

    Declared types are checked by the schema rules (SP2xx); here an odd one must not turn
    every query on the table into a cascade of errors.
    """
    return known_type(name) or "dynamic"


def quote(name: str) -> str:
    """A column name as a schema declares it: always ``['name']``, so keywords (``date``, ``type``) stay names."""
    return "['" + name.replace("\\", "\\\\").replace("'", "\\'") + "']"


@dataclass(frozen=True)
class Function:
    name: str
    parameters: str  # "(starttime:datetime=datetime(null), ...)"
    body: str  # "{ ... }"


@dataclass
class Database:
    tables: dict[str, dict[str, str]] = field(default_factory=dict)  # table -> column -> Kusto type
    functions: dict[str, Function] = field(default_factory=dict)
    _key: str | None = field(default=None, repr=False, compare=False)

    def with_table(self, name: str, columns: dict[str, str]) -> Database:
        return Database({**self.tables, name: columns}, dict(self.functions))

    def spec(self) -> dict:
        return {
            "database": "solution",
            "tables": [{"name": name, "schema": "(" + ", ".join(f"{quote(c)}:{t}" for c, t in cols.items()) + ")"}
                       for name, cols in sorted(self.tables.items())],
            "functions": [{"name": f.name, "parameters": f.parameters, "body": f.body}
                          for _, f in sorted(self.functions.items())],
        }

    def key(self) -> str:
        """Identifies the declaration in the engine (computed once: a database is not changed after use)."""
        if self._key is None:
            self._key = hashlib.sha256(json.dumps(self.spec(), sort_keys=True).encode()).hexdigest()[:16]
        return self._key


def columns_of(declared: object) -> dict[str, str]:
    """``[{name, type}, ...]`` (a table schema or a stream declaration) as column -> Kusto type."""
    out: dict[str, str] = {}
    for column in declared if isinstance(declared, list) else []:
        if isinstance(column, dict) and isinstance(column.get("name"), str) and column["name"]:
            out[column["name"]] = kusto_type(column.get("type"))
    return out


@cache
def builtin_tables() -> dict[str, dict[str, str]]:
    """The vendored built-in Log Analytics and Sentinel tables (``schemas/tables/``)."""
    tables = {}
    for path in sorted(TABLES_DIR.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        tables[doc["name"]] = columns_of(doc["columns"])
    return tables
