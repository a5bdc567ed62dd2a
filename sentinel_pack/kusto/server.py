"""One Kusto engine for all the pool workers of a many-solution run, in a process of its own.

Each worker would otherwise load V8 itself (a third of a second of CPU each, on cores the
workers need) and analyse again the queries its siblings already analysed. The server is a
fresh interpreter (V8 never survives a fork), started before the pool's cfn-lint warm-up, so
it loads on the core that would sit idle meanwhile. Workers ask it over an authenticated
local connection (``multiprocessing.connection``: a socket in a private temporary folder, or
a named pipe on Windows); a worker that cannot reach it loads its own engine, so the server
can only save time, never change an answer.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from typing import Any

#: Seconds the main process waits for the server's address before the pool starts without it.
READY_TIMEOUT = 10.0


class _Declared:
    """A database as the worker declared it: what ``Engine.analyze_raw`` reads of a Database."""

    def __init__(self, key: str, spec: dict[str, Any]) -> None:
        self._key, self._spec = key, spec

    def key(self) -> str:
        return self._key

    def spec(self) -> dict[str, Any]:
        return self._spec


def _serve_connection(connection: Any, loaded: threading.Event, state: dict[str, Any]) -> None:
    """One worker's requests. Answers are kept for the whole run: sibling workers checking copies
    of one solution, or one parser, ask the same questions."""
    databases: dict[str, _Declared] = {}
    answers: dict[tuple[str, str], Any] = state.setdefault("answers", {})
    try:
        while True:
            request = connection.recv()
            loaded.wait()
            engine = state.get("engine")
            if engine is None:
                connection.send(("failed", state.get("failure") or "the engine did not start"))
                continue
            _, key, spec, query = request
            if spec is not None:
                databases[key] = _Declared(key, spec)
            if key not in databases:
                connection.send(("declare", key))
                continue
            try:
                if (key, query) not in answers:
                    answers[key, query] = engine.analyze_raw(query, databases[key])
                connection.send(("ok", answers[key, query]))
            except Exception as exc:  # the worker reports it as it would a local failure
                connection.send(("error", f"{type(exc).__name__}: {exc}"))
    except (EOFError, OSError):
        pass
    finally:
        connection.close()


def _main(pipe: Any, authkey: bytes) -> None:
    """The server process: listen at once, load the engine meanwhile, answer every worker.

    It ends when the main process says so or goes away (killed included: its end of ``pipe``
    closes), closing the listener first so that no socket file is left behind.
    """
    from multiprocessing.connection import Listener

    from sentinel_pack.kusto import engine
    from sentinel_pack.perf import collector

    collector.tune()

    folder = tempfile.mkdtemp(prefix="sentinel-pack-kusto-") if os.name == "posix" else None
    listener = Listener(os.path.join(folder, "socket") if folder else None, authkey=authkey)
    pipe.send(listener.address)
    loaded = threading.Event()
    state: dict[str, Any] = {}

    def load() -> None:
        try:
            state["engine"] = engine.load()
        except Exception as exc:
            state["failure"] = engine.why(exc)
        finally:
            loaded.set()

    def accept() -> None:
        from multiprocessing import AuthenticationError

        while True:
            try:
                connection = listener.accept()
            except AuthenticationError:
                continue  # not one of our workers
            except (OSError, EOFError):
                return
            threading.Thread(target=_serve_connection, args=(connection, loaded, state), daemon=True).start()

    threading.Thread(target=load, name="kusto-engine", daemon=True).start()
    threading.Thread(target=accept, name="kusto-accept", daemon=True).start()
    with contextlib.suppress(EOFError, OSError):
        pipe.recv()  # "stop", or EOF: the main process ended, however it ended
    listener.close()  # removes the socket file
    if folder:
        with contextlib.suppress(OSError):
            os.rmdir(folder)
    with contextlib.suppress(OSError):
        pipe.send("stopped")  # nothing left on disk: the main process need not wait for the rest
    if loaded.wait(5) and "engine" in state:
        state["engine"].close()


class Server:
    """The main process's handle: start, the address for the workers, stop."""

    def __init__(self) -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self.authkey = os.urandom(32)
        ours, theirs = context.Pipe()
        self._pipe = ours
        self._process = context.Process(target=_main, args=(theirs, self.authkey), daemon=True,
                                        name="sentinel-pack kusto")
        self._process.start()
        theirs.close()
        self._address: Any = None

    def address(self) -> Any:
        """Where workers connect, or None when the server did not come up in time."""
        try:
            if self._address is None and self._pipe.poll(READY_TIMEOUT):
                self._address = self._pipe.recv()
        except (EOFError, OSError):
            return None
        return self._address

    def stop(self) -> None:
        """Ask the server to end, and wait until its socket is gone (not for V8's teardown: the
        process then ends by itself, or is ended with this one)."""
        try:
            self._pipe.send("stop")
            while self._pipe.poll(5):
                if self._pipe.recv() == "stopped":
                    break
            else:
                self._process.terminate()
        except (EOFError, OSError):
            pass
        self._pipe.close()


class RemoteEngine:
    """``Engine.analyze_raw`` answered by the server (one connection per worker)."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection
        self._declared: set[str] = set()
        self._lock = threading.Lock()

    def analyze_raw(self, query: str, database: Any) -> dict[str, Any]:
        from sentinel_pack.kusto.engine import TIMEOUT

        key = database.key()
        with self._lock:
            spec = None if key in self._declared else database.spec()
            for _ in range(2):
                self._connection.send(("analyze", key, spec, query))
                if not self._connection.poll(TIMEOUT * 2):
                    raise TimeoutError("the Kusto server did not answer")
                status, value = self._connection.recv()
                if status == "declare":  # the server lost the declaration: send it again
                    spec = database.spec()
                    continue
                break
            self._declared.add(key)
        if status == "ok":
            return value
        raise RuntimeError(value)

    def analyze(self, query: str, database: Any):
        from sentinel_pack.kusto.engine import analysis

        return analysis(self.analyze_raw(query, database))

    def close(self) -> None:
        self._connection.close()


def connect(address: Any, authkey: bytes) -> RemoteEngine | str | None:
    """The server's engine; its failure text when V8 cannot run there (nor, then, here); None when
    the server cannot be reached (the worker loads its own engine)."""
    from multiprocessing import AuthenticationError
    from multiprocessing.connection import Client

    from sentinel_pack.kusto.schema import Database

    try:
        remote = RemoteEngine(Client(address, authkey=authkey))
        remote.analyze_raw("print x = 1", Database())  # waits for the server's engine to load
        return remote
    except RuntimeError as exc:
        return str(exc)
    except (OSError, EOFError, TimeoutError, ValueError, AuthenticationError):
        return None
