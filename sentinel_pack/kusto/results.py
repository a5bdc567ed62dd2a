"""Kusto's answer for a query, kept by content in memory and on disk (``perf.diskcache``).

Starting the engine and analysing a solution's queries cost about half a second of CPU;
its answer depends only on the query text, the declared tables and functions,
the vendored Kusto.Language and our own ``analyze.js``. With every answer of a target already
known the engine is never started, so a pre-commit run on unchanged queries skips V8 entirely.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from sentinel_pack.kusto.engine import HERE, VENDOR, Analysis, analysis
from sentinel_pack.kusto.schema import Database
from sentinel_pack.perf import diskcache

KIND = "kusto"
_memory: dict[str, dict[str, Any]] = {}
stats = {"analysed": 0, "cached": 0}


@cache
def _versions() -> str:
    from sentinel_pack import __version__

    digest = hashlib.sha256()
    for path in (VENDOR / "VERSION.json", HERE / "analyze.js"):
        digest.update(path.read_bytes())
    return f"sentinel-pack {__version__}; kusto {digest.hexdigest()}"


def _key(query: str, database: Database) -> str:
    return diskcache.key(KIND, _versions(), database.key(), query)


def _valid(raw: Any) -> bool:
    return (isinstance(raw, dict) and all(isinstance(raw.get(k), list) for k in
                                          ("diagnostics", "functions", "operators", "tables"))
            and (raw.get("columns") is None or isinstance(raw["columns"], list)))


def known(query: str, database: Database) -> dict[str, Any] | None:
    """The stored answer, or None; a corrupt or foreign entry is a miss, never a verdict."""
    entry = _key(query, database)
    raw = _memory.get(entry)
    if raw is None:
        raw = diskcache.get(KIND, entry, _valid)
        if raw is not None:
            try:
                analysis(raw)
            except (KeyError, TypeError, IndexError, ValueError):
                return None
            _memory[entry] = raw
    return raw


def _run_key(path: Path) -> str:
    folder = path.parent if path.name == "solution.yaml" and path.is_file() else path
    return diskcache.key(KIND, _versions(), "answered", diskcache.tree_digest(folder))


def answered_before(path: Path) -> bool:
    """Whether a run on these very files found every answer: then the engine need not start early.

    Only a hint for when to start V8 (a wrong one costs time, never a verdict: a missing answer
    still starts the engine when the queries are known).
    """
    return diskcache.enabled() and diskcache.get(KIND, _run_key(path), lambda value: value is True) is True


def remember_answered(path: Path) -> None:
    if diskcache.enabled():
        diskcache.put(KIND, _run_key(path), True)


def analyze(query: str, database: Database) -> Analysis:
    """Kusto's analysis of ``query``: from the cache, else from the engine (which must be running)."""
    raw = known(query, database)
    if raw is not None:
        stats["cached"] += 1
        return analysis(raw)
    from sentinel_pack.kusto import engine

    kusto = engine.get()
    if kusto is None:
        raise RuntimeError(f"the Kusto parser could not start ({engine.failure()})")
    raw = kusto.analyze_raw(query, database)
    stats["analysed"] += 1
    entry = _key(query, database)
    _memory[entry] = raw
    diskcache.put(KIND, entry, raw)
    return analysis(raw)
