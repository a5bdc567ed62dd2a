"""Fault injection: ``build`` and ``release`` fail, are killed or are signalled at every file operation.

Each file operation of a write goes through ``writer.DISK``. For every n, the n-th operation
fails with an I/O error (in this process), kills the process without any clean-up (a forked
child ends with ``os._exit``, as after SIGKILL), or sends SIGTERM or SIGINT to it. Whatever
happens, the output folder and the manifest hold the old state or the new one: at once for
errors and signals (and no staging folder stays behind), after the next run's recovery for a
kill. Rendering is done once and cached, so each run costs only its file operations.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SOLUTION, SOLUTION_VERSION, bumped

from sentinel_pack.errors import SentinelPackError
from sentinel_pack.package import build as build_module
from sentinel_pack.package import writer

OPERATIONS = ("write", "mkdir", "replace", "remove", "rmdir", "sync_dir")

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the kill test forks")


def snapshot(root: Path, *, staging: bool = True) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and (staging or writer.STAGING not in p.relative_to(root).parts)}


class Faults:
    """Counts DISK operations and runs ``action`` at the n-th one."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        self.at: int | None = None
        self.action: Callable[[], None] = lambda: None
        for name in OPERATIONS:
            real = getattr(writer.DISK, name)
            monkeypatch.setattr(writer.DISK, name, self._wrap(real))

    def _wrap(self, real: Callable) -> Callable:
        def operation(*args):
            self.count += 1
            if self.count == self.at:
                self.action()
            return real(*args)
        return operation

    def arm(self, at: int | None, action: Callable[[], None]) -> None:
        self.count, self.at, self.action = 0, at, action


def _io_error() -> None:
    raise OSError(5, "Input/output error (injected)")


def _kill() -> None:
    os._exit(137)  # no finally, no handler: what SIGKILL leaves


def _signal(signum: int) -> Callable[[], None]:
    return lambda: os.kill(os.getpid(), signum)


def in_child(run: Callable[[Path], None], case: Path) -> int:
    """``run(case)`` in a forked child; its exit status (the child never returns into pytest)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 0
        try:
            run(case)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except KeyboardInterrupt:
            code = 130
        except BaseException:
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


@pytest.fixture
def cached_prepare(monkeypatch: pytest.MonkeyPatch) -> None:
    """Load, render and validate each manifest once; the runs below repeat only the writes."""
    from sentinel_pack.manifest import load as manifest_module

    loaded: dict[bytes, manifest_module.Manifest] = {}
    real_load = manifest_module.load_manifest

    def load_manifest(path: Path) -> manifest_module.Manifest:
        file = manifest_module.find_manifest(path)
        key = file.read_bytes()
        if key not in loaded:
            loaded[key] = real_load(path)
        return dataclasses.replace(loaded[key], root=file.parent.resolve(), file=file)

    monkeypatch.setattr(manifest_module, "load_manifest", load_manifest)
    monkeypatch.setattr(build_module, "load_manifest", load_manifest)

    cache: dict[str, build_module.Rendered] = {}
    real = build_module.prepare

    def prepare(manifest, target_dir, **kwargs):
        key = json.dumps(manifest.data, sort_keys=True) + str(kwargs.get("force"))
        if key not in cache:
            cache[key] = real(manifest, target_dir, **kwargs)
        return dataclasses.replace(cache[key], manifest=manifest, files=dict(cache[key].files))

    monkeypatch.setattr(build_module, "prepare", prepare)


def _check_all_points(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setup: Callable[[Path], None],
                      run: Callable[[Path], None]) -> int:
    """Every fault at every operation; returns the number of operations of one clean run."""
    template = tmp_path / "template"
    setup(template)
    old = snapshot(template)
    faults = Faults(monkeypatch)
    monkeypatch.setattr(os, "fsync", lambda fd: None)  # durability is not under test here; speed is

    def fresh(name: str) -> Path:
        case = tmp_path / name
        shutil.rmtree(case, ignore_errors=True)
        # hard links: the writer never writes into an existing file (it renames new ones over them)
        shutil.copytree(template, case, symlinks=True, copy_function=os.link)
        return case

    clean = fresh("clean")
    faults.arm(None, lambda: None)
    run(clean)
    operations = faults.count
    new = snapshot(clean)
    assert new != old and writer.STAGING not in {p.name for p in clean.iterdir()}
    states = {"old": old, "new": new}

    def state(root: Path) -> str:
        found = [name for name, files in states.items() if files == snapshot(root)]
        now = snapshot(root)
        assert found, f"mixed state: {sorted(k for k in {*now, *old} if now.get(k) != old.get(k))}"
        return found[0]

    seen = set()
    for n in range(1, operations + 1):
        # an I/O error at operation n, in this process: old or new at once
        case = fresh("error")
        faults.arm(n, _io_error)
        try:
            run(case)
        except SentinelPackError as error:
            assert error.exit_code == 2 and "Input/output error (injected)" in error.render()
        out = case
        if (out / writer.STAGING).exists():  # only when the clean-up itself failed: dropped by the next run
            assert not (out / writer.STAGING / writer.JOURNAL).exists() or state(out) == "old"
            writer.recover(out)
        seen.add(state(out))

        # killed at operation n: the next run's recovery gives old or new
        case = fresh("kill")
        faults.arm(n, _kill)
        assert in_child(run, case) == 137
        out = case
        if snapshot(out, staging=False) not in (old, new):
            assert (out / writer.STAGING / writer.JOURNAL).is_file(), "a mixed folder must carry the journal"
        faults.arm(None, lambda: None)
        writer.recover(out)
        seen.add(state(out))
        assert not (out / writer.STAGING).exists()

        # SIGTERM / SIGINT at operation n: old or new at once, no staging folder
        for signum in (signal.SIGTERM, signal.SIGINT):
            case = fresh("signal")
            faults.arm(n, _signal(signum))
            assert in_child(run, case) in (0, 130, 128 + signal.SIGTERM)
            out = case
            assert not (out / writer.STAGING).exists(), (n, signum)
            seen.add(state(out))
    assert seen == {"old", "new"}
    return operations


def test_build_is_old_or_new_at_every_operation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                cached_prepare: None) -> None:
    source = tmp_path / "solution"
    shutil.copytree(SOLUTION, source)
    manifest = source / "solution.yaml"
    writer.write_outputs(tmp_path / "unused", {})  # warm up imports outside the counted runs
    text = manifest.read_text(encoding="utf-8")
    old, new = SOLUTION_VERSION, bumped("patch")
    manifest.write_text(text.replace("title: AWS EKS Data Connector (via", "title: AWS EKS Connector (via", 1)
                        .replace(f"  - version: {old}\n", f"  - version: {new}\n    date: 2026-12-01\n    changes: [x]\n"
                                 f"  - version: {old}\n", 1).replace(f"  version: {old}\n", f"  version: {new}\n", 1),
                        encoding="utf-8")

    def setup(template: Path) -> None:
        build_module.build(SOLUTION, template, validate=False)

    operations = _check_all_points(tmp_path, monkeypatch, setup,
                                   lambda case: build_module.build(source, case))
    assert operations >= 20


def test_release_is_old_or_new_at_every_operation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  cached_prepare: None) -> None:
    from sentinel_pack.package.release import release

    def setup(template: Path) -> None:
        shutil.copytree(SOLUTION, template)

    operations = _check_all_points(tmp_path, monkeypatch, setup,
                                   lambda case: release(case, "patch", "Fault injection.", "2026-12-01"))
    assert operations >= 20
