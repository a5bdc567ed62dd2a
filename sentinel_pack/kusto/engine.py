"""The one V8 context of the process, running Microsoft's Kusto.Language.

Loading it costs about 0.3 s of CPU (5 MB of JavaScript, then the first analysis warms the
parser), so ``start()`` loads it on a background thread while the other rules run, and
``get()`` waits for it; a pool worker may get the run's shared engine instead (``server``).
A platform where it cannot load (no mini-racer wheel, a broken vendored file) gets ``None``
and the reason from ``failure()``: callers then fall back to the token-level checks instead
of failing.
"""

from __future__ import annotations

import atexit
import gzip
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sentinel_pack.kusto.schema import Database

if TYPE_CHECKING:
    from sentinel_pack.kusto.server import RemoteEngine

HERE = Path(__file__).resolve().parent
VENDOR = HERE / "vendor"
SCRIPTS = ("bridge.min.js.gz", "Kusto.Language.Bridge.min.js.gz")
#: Seconds one query may take; a query that runs longer is reported, not waited for.
TIMEOUT = 20.0


@dataclass(frozen=True)
class Diagnostic:
    code: str  # KS005, KS142, ...
    start: int  # offset in the query text
    length: int
    message: str
    severity: str  # Error, Warning, Suggestion
    syntax: bool  # found by the parser (the query does not parse), not by the semantic analysis


@dataclass(frozen=True)
class Call:
    name: str
    start: int
    builtin: bool  # a Kusto function or aggregate, not a let-bound or database function


@dataclass(frozen=True)
class Analysis:
    diagnostics: tuple[Diagnostic, ...]
    functions: tuple[Call, ...]
    operators: tuple[tuple[str, int], ...]  # (SyntaxKind name, offset): FilterOperator, SummarizeOperator, ...
    tables: tuple[str, ...]  # database tables the query reads
    columns: tuple[tuple[str, str], ...] | None  # the result's columns and types, when tabular


#: mini-racer's own flag, and no TurboFan: optimising the 5 MB parser costs more CPU than it saves,
#: even over hundreds of queries (measured: 640 queries 9% faster without it, the load 3%).
V8_FLAGS = ("--single-threaded", "--no-opt")


class Engine:
    def __init__(self) -> None:
        from py_mini_racer import MiniRacer, init_mini_racer

        init_mini_racer(flags=V8_FLAGS, ignore_duplicate_init=True)  # a no-op if V8 already runs here
        self._ctx = MiniRacer()
        for name in SCRIPTS:
            self._ctx.eval(gzip.decompress((VENDOR / name).read_bytes()).decode("utf-8"))
        self._ctx.eval((HERE / "analyze.js").read_text(encoding="utf-8"))
        self._declared: set[str] = set()
        self._lock = threading.Lock()  # one V8 isolate: one call at a time

    def analyze(self, query: str, database: Database) -> Analysis:
        return analysis(self.analyze_raw(query, database))

    def analyze_raw(self, query: str, database: Database) -> dict[str, Any]:
        """The engine's answer as JSON data (what the result cache stores)."""
        key = database.key()
        with self._lock:
            if key not in self._declared:
                self._ctx.call("spDeclare", key, json.dumps(database.spec()), timeout_sec=TIMEOUT)
                self._declared.add(key)
            return json.loads(self._ctx.call("spAnalyze", key, query, timeout_sec=TIMEOUT))

    def close(self) -> None:
        with self._lock:
            self._ctx.close()


def analysis(raw: dict[str, Any]) -> Analysis:
    """An ``Analysis`` from the engine's JSON answer (fresh or cached)."""
    columns = raw["columns"]
    return Analysis(
        tuple(Diagnostic(d["code"], d["start"], d["length"], d["message"], d["severity"], d["syntax"])
              for d in raw["diagnostics"]),
        tuple(Call(f["name"], f["start"], f["builtin"]) for f in raw["functions"]),
        tuple((o["kind"], o["start"]) for o in raw["operators"]),
        tuple(raw["tables"]),
        None if columns is None else tuple((c[0], c[1]) for c in columns),
    )


_lock = threading.Lock()
_loaded = threading.Event()
_thread: threading.Thread | None = None
_engine: Any = None  # an Engine, or the pool's shared one (kusto.server.RemoteEngine)
_failure: str | None = None
_server: tuple[Any, bytes] | None = None  # (address, authkey) of the run's Kusto server


def use_server(address: Any, authkey: bytes) -> None:
    """In a pool worker: ask the run's Kusto server (``kusto.server``) instead of loading V8 here."""
    global _server
    _server = (address, authkey)


def _load() -> None:
    global _engine, _failure
    try:
        if _server is not None:
            from sentinel_pack.kusto import server

            remote = server.connect(*_server)
            if isinstance(remote, str):  # V8 cannot run on this machine: the server found out
                _failure = remote
                return
            if remote is not None:
                _engine = remote
                return
        _engine = load()
    except Exception as exc:  # any failure means "not available here", reported once by SP819
        _failure = why(exc)
    finally:
        _loaded.set()


def load() -> Engine:
    """A new engine, its parser warmed up by a first analysis."""
    engine = Engine()
    engine.analyze("print x = 1 | extend y = strlen('warm')", Database())
    return engine


def why(exc: Exception) -> str:
    """The reason an engine could not load, as SP819 reports it."""
    return f"{type(exc).__name__}: {exc}".strip()


def _shutdown() -> None:
    """Close V8 before the interpreter finalises: a context used from two threads can hang exit."""
    _loaded.wait(TIMEOUT)
    if _engine is not None:
        _engine.close()


def start() -> None:
    """Begin loading the engine in the background (idempotent, cheap)."""
    global _thread
    with _lock:
        if _thread is None:
            atexit.register(_shutdown)
            _thread = threading.Thread(target=_load, name="kusto-engine", daemon=True)
            _thread.start()


def get() -> Engine | RemoteEngine | None:
    """The engine, once loaded; ``None`` when it cannot run on this platform."""
    start()
    _loaded.wait()
    return _engine


def failure() -> str | None:
    """Why the engine is unavailable (after ``get()`` returned ``None``)."""
    get()
    return _failure
