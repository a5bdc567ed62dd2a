"""The run's shared Kusto engine (``kusto.server``): same answers as a local engine, and a worker
that cannot use it falls back to its own, so it can only ever save time."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from sentinel_pack.kusto import engine, server
from sentinel_pack.kusto.schema import Database

REPO = Path(__file__).resolve().parent.parent
QUERY = "T | where Verb == 'get' | summarize count() by bin(TimeGenerated, 1h) | where Nope > 1"


@pytest.fixture(scope="module")
def running():
    shared = server.Server()
    assert shared.address() is not None
    yield shared
    shared.stop()


def _database() -> Database:
    return Database({"T": {"TimeGenerated": "datetime", "Verb": "string"}})


def test_the_server_answers_as_the_local_engine_does(running: server.Server) -> None:
    remote = server.connect(running.address(), running.authkey)
    assert isinstance(remote, server.RemoteEngine)
    try:
        local = engine.get().analyze_raw(QUERY, _database())
        assert remote.analyze_raw(QUERY, _database()) == local
        assert [d["code"] for d in local["diagnostics"]] == ["KS142"]  # Nope: not a column
        assert remote.analyze(QUERY, _database()) == engine.analysis(local)
    finally:
        remote.close()


def test_a_declaration_the_server_lacks_is_sent_again(running: server.Server) -> None:
    remote = server.connect(running.address(), running.authkey)
    database = Database({"Other": {"TimeGenerated": "datetime", "Name": "string"}})
    remote._declared.add(database.key())  # as if declared, but this connection never sent it
    try:
        answer = remote.analyze_raw("Other | project Name", database)
        assert answer["diagnostics"] == [] and answer["columns"] == [["Name", "string"]]
    finally:
        remote.close()


def test_a_wrong_key_or_no_server_means_no_connection(running: server.Server, tmp_path: Path) -> None:
    assert server.connect(running.address(), b"not the key") is None
    assert server.connect(str(tmp_path / "nobody-listens"), running.authkey) is None


def test_a_server_without_v8_says_why() -> None:
    """The worker then reports the server's reason (SP819) instead of loading V8 itself."""
    ours, theirs = multiprocessing.Pipe()
    loaded = threading.Event()
    loaded.set()
    thread = threading.Thread(target=server._serve_connection,
                              args=(theirs, loaded, {"failure": "ImportError: no mini-racer wheel"}), daemon=True)
    thread.start()
    with pytest.raises(RuntimeError, match="no mini-racer wheel"):
        server.RemoteEngine(ours).analyze_raw("print 1", _database())
    ours.close()
    thread.join(timeout=5)


_WORKER = """
import json, os, sys
from pathlib import Path
import sentinel_pack.validate.runner as runner
from sentinel_pack.kusto import engine
check = runner._check_solution
def recording(unit, *args, **kwargs):
    result = check(unit, *args, **kwargs)
    Path(sys.argv[2], f"{os.getpid()}-{unit[1].name}.json").write_text(json.dumps(
        {"v8_here": type(engine._engine).__name__ == "Engine", "remote": engine._server is not None}))
    return result
runner._check_solution = recording
if sys.argv[3] == "unreachable":
    from sentinel_pack.kusto import server
    server.Server.address = lambda self: "/nonexistent/kusto.sock"
found = runner.run([Path(sys.argv[1])], jobs=2, cache=False).findings
print(json.dumps(sorted(f"{f.rule} {f.file} {f.message}" for f in found)))
"""


def _pool_run(folder: Path, marks: Path, mode: str) -> tuple[list[str], list[dict]]:
    marks.mkdir()
    done = subprocess.run([sys.executable, "-c", _WORKER, str(folder), str(marks), mode], capture_output=True,
                          text=True, timeout=600, cwd=REPO, env=os.environ.copy())
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1]), [json.loads(p.read_text()) for p in sorted(marks.iterdir())]


def test_pool_workers_share_the_server_and_fall_back_without_it(reference_root: Path, tmp_path: Path) -> None:
    folder = tmp_path / "Solutions"
    for name in ("Miro", "OneTrust", "Bitwarden"):
        shutil.copytree(reference_root / "corpus" / name, folder / name)
    shared, marks = _pool_run(folder, tmp_path / "shared", "server")
    assert len(marks) == 3 and all(m["remote"] and not m["v8_here"] for m in marks)
    alone, marks = _pool_run(folder, tmp_path / "alone", "unreachable")
    assert all(m["v8_here"] for m in marks)  # each worker loaded its own engine
    assert shared == alone and any(" SP81" in f or f.startswith("SP81") for f in shared)


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_the_server_ends_and_cleans_up_when_the_main_process_is_killed(tmp_path: Path) -> None:
    """A killed ``validate`` must not leave a server running, nor its socket file behind."""
    code = ("import sys, time\nfrom sentinel_pack.kusto import server\n"
            "s = server.Server()\nprint(s._process.pid, s.address(), flush=True)\ntime.sleep(600)\n")
    main = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=REPO)
    pid, address = main.stdout.readline().split()
    assert Path(address).exists()
    main.kill()
    main.wait(timeout=30)
    for _ in range(100):
        if not Path(f"/proc/{pid}").exists() or "zombie" in _state(pid):
            break
        threading.Event().wait(0.1)
    assert not Path(f"/proc/{pid}").exists() or "zombie" in _state(pid)
    assert not Path(address).exists() and not Path(address).parent.exists()


def _state(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().lower()
    except OSError:
        return "zombie"


def test_stop_ends_the_server_and_removes_its_socket() -> None:
    shared = server.Server()
    address = shared.address()
    assert Path(address).exists()
    shared.stop()
    assert not Path(address).exists() and not Path(address).parent.exists()  # gone once stop() returns
    shared._process.join(timeout=30)  # and the process ends by itself
    assert shared._process.exitcode == 0
