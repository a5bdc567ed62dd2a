"""cfn-lint on one template text: once per process, once per machine with the disk cache, and
overlapped with the rest of a run in a helper process.

Importing cfn-lint and building its rule set cost most of a cold ``validate``; they do not depend
on the solution, so on a machine with a spare core a helper process does them while the main
process renders and checks everything else (``start_helper``). The findings are the same tuples
either way: the helper runs the very same ``lint_here``.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
from functools import cache
from pathlib import Path
from typing import Any

from sentinel_pack.perf import diskcache

#: (rule id, severity, JSON path, message, line, column) of one cfn-lint match.
Match = tuple[str, str, str, str, "int | None", "int | None"]
#: cfn-lint's configuration: part of the cache key, since it changes the findings.
REGIONS = ("us-east-1",)
KIND = "cfn-lint"

_helper: Any = None  # (process, connection, owner pid)
#: How many templates this process linted itself, took from the disk cache, or sent to the helper.
stats = {"linted": 0, "cached": 0, "helper": 0}


@cache
def _runner():
    """One cfn-lint runner for the process: building its rule set is most of cfn-lint's cost."""
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner import Runner

    return Runner(ConfigMixIn(regions=list(REGIONS)))


def warm_up() -> None:
    """Import cfn-lint and build its rule set now (before forking workers that all need it)."""
    _runner()


def lint_here(text: str) -> tuple[Match, ...]:
    from cfnlint.decode.decode import decode_str

    template, errors = decode_str(text)
    matches = errors if errors else list(_runner().validate_template(template)) if template else []
    return tuple(
        (m.rule.id, m.rule.severity, ".".join(map(str, getattr(m, "path", []) or [])), m.message,
         getattr(m, "linenumber", None), getattr(m, "columnnumber", None)) for m in matches
    )


@cache
def _versions() -> str:
    from importlib.metadata import version

    from sentinel_pack import __version__

    return f"sentinel-pack {__version__}; cfn-lint {version('cfn-lint')}; python {sys.version}; regions {REGIONS}"


def _valid(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(m, list) and len(m) == 6 and all(isinstance(s, str) for s in m[:4])
        and all(n is None or (isinstance(n, int) and not isinstance(n, bool)) for n in m[4:]) for m in value)


@cache
def lint(text: str) -> tuple[Match, ...]:
    """cfn-lint's findings for one template text (the content is the key)."""
    entry = diskcache.key(KIND, _versions(), text) if diskcache.enabled() else ""
    if entry:
        stored = diskcache.get(KIND, entry, _valid)
        if stored is not None:
            stats["cached"] += 1
            return tuple(tuple(m) for m in stored)  # type: ignore[misc]
    found = _ask_helper(text)
    if found is None:
        stats["linted"] += 1
        found = lint_here(text)
    if entry:
        diskcache.put(KIND, entry, [list(m) for m in found])
    return found


def _serve(connection: Any) -> None:
    """The helper: warm cfn-lint up at once, then lint each text the parent sends."""
    try:
        _runner()
        while True:
            text = connection.recv()
            if text is None:
                return
            try:
                connection.send(("ok", lint_here(text)))
            except Exception as exc:  # the parent re-raises it as the rule crashing
                connection.send(("error", f"{type(exc).__name__}: {exc}"))
    except (EOFError, OSError, KeyboardInterrupt):
        return


def cached(text: str) -> bool:
    """Whether the disk cache holds cfn-lint's answer for this text (this process's memo aside)."""
    return diskcache.enabled() and diskcache.get(KIND, diskcache.key(KIND, _versions(), text), _valid) is not None


def worth_a_helper(path: Path) -> bool:
    """Whether checking the solution at ``path`` is likely to lint a template the cache does not hold.

    A guess from the files on disk, made before loading the solution, that only decides whether a
    helper warms cfn-lint up: a wrong guess costs time, never a finding. A zip, or a source
    folder without built templates, may render templates: start one.
    """
    import json

    if path.is_file() and path.name != "solution.yaml":
        return True
    folder = path.parent if path.is_file() else path
    templates, mentioned = [], False
    for file in sorted(folder.rglob("*.json")):
        if any(part.startswith(".") for part in file.relative_to(folder).parts):
            continue
        try:
            data = file.read_bytes()
        except OSError:
            continue
        if b"AWSTemplateFormatVersion" not in data:
            continue
        mentioned = True
        try:
            text = data.decode("utf-8-sig")
            doc = json.loads(text)
        except ValueError:
            continue
        if isinstance(doc, dict) and "AWSTemplateFormatVersion" in doc:
            templates.append(text)
    if templates:
        return not all(cached(text) for text in templates)
    return mentioned or (folder / "solution.yaml").is_file()


def start_helper() -> None:
    """Start warming cfn-lint up in a helper process, if this process has not done it already.

    Only worth it with a spare core and before anything has imported cfn-lint here; the helper
    is a daemon, ended with the process.
    """
    global _helper
    if _helper is not None and _helper[2] == os.getpid():
        return
    if "cfnlint" in sys.modules or (os.cpu_count() or 1) < 2:
        return
    from sentinel_pack.perf.pool import v8_started

    if v8_started():  # the Kusto engine's threads do not survive a fork
        return
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods and sys.platform == "linux" else None)
    parent, child = context.Pipe()
    process = context.Process(target=_serve, args=(child,), daemon=True, name="sentinel-pack cfn-lint")
    process.start()
    child.close()
    _helper = (process, parent, os.getpid())
    atexit.register(stop_helper)


def stop_helper() -> None:
    global _helper
    if _helper is None or _helper[2] != os.getpid():
        _helper = None
        return
    process, connection, _ = _helper
    _helper = None
    with contextlib.suppress(OSError):
        connection.close()
    process.terminate()  # it holds nothing to save; a helper still warming up must not delay the exit
    process.join(timeout=1)


#: Texts sent ahead to the helper (``prefetch``) whose answers are not read yet, in sending order.
_sent: dict[str, None] = {}
#: Answers read off the pipe before they were asked for: (status, value).
_read: dict[str, tuple[str, Any]] = {}
_sender: threading.Thread | None = None


def prefetch(texts: list[str]) -> None:
    """Send the templates to the helper now, so that it lints them as soon as it is warm while
    this process runs the other rules; ``lint`` then only reads the answers.

    A thread sends them: the helper reads nothing while it warms up, and a large template would
    otherwise block this process on a full pipe.
    """
    global _sender
    if _helper is None or _helper[2] != os.getpid():
        return
    todo = [t for t in dict.fromkeys(texts) if t not in _sent and t not in _read and not cached(t)]
    if not todo:
        return
    _join_sender()
    for text in todo:
        _sent[text] = None
    connection = _helper[1]

    def send() -> None:
        with contextlib.suppress(OSError):  # a dead helper: the reader finds out and lints here
            for text in todo:
                connection.send(text)

    _sender = threading.Thread(target=send, name="cfn-lint-prefetch", daemon=True)
    _sender.start()


def _join_sender() -> None:
    global _sender
    if _sender is not None:
        _sender.join()
        _sender = None


def _ask_helper(text: str) -> tuple[Match, ...] | None:
    """The helper's findings, or None to lint here (no helper in this process, or it died)."""
    global _helper
    if _helper is None or _helper[2] != os.getpid():  # a forked pool worker does not share the pipe
        return None
    _, connection, _ = _helper
    try:
        _join_sender()
        if text not in _sent and text not in _read:
            connection.send(text)
            _sent[text] = None
        while text not in _read:  # answers come in the order the texts were sent
            sent = next(iter(_sent))
            _read[sent] = connection.recv()
            del _sent[sent]
    except (EOFError, OSError):
        stop_helper()
        _sent.clear()
        _read.clear()
        return None
    status, value = _read.pop(text)
    if status != "ok":
        raise RuntimeError(f"cfn-lint failed: {value}")
    stats["helper"] += 1
    return value
