"""Many solutions over the machine's cores: one task per solution, results in the order given.

Each worker loads (renders) and checks whole solutions, so the only thing sent back is the list
of findings. ``--jobs 1`` runs everything in this process. A terminal gets a progress bar on
stderr; a CI log (not a terminal) gets one plain line per solution.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def default_jobs() -> int:
    """The cores this process may use (the affinity mask where the platform has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def solution_paths(path: Path) -> list[Path]:
    """The solutions ``load_targets(path)`` would load, one path each, without loading them.

    Anything that is not a folder of solutions stays as given, so ``load_targets`` reports
    the same usage errors it always did.
    """
    from sentinel_pack.validate.target import _is_solution

    if not path.is_dir() or _is_solution(path):
        return [path]
    try:
        children = sorted(child for child in path.iterdir() if child.is_dir() and not child.name.startswith("."))
    except OSError:
        return [path]
    solutions = [child for child in children if _is_solution(child)]
    return solutions or [path]


def forks() -> bool:
    """Whether workers are forked, and so start with what this process has already loaded.

    Not once the Kusto engine (V8, with its own threads) has started here: it does not survive
    a fork, so the workers are then spawned.
    """
    import multiprocessing

    return sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods() and not v8_started()


def v8_started() -> bool:
    engine = sys.modules.get("sentinel_pack.kusto.engine")
    return engine is not None and getattr(engine, "_thread", None) is not None


def _context():
    import multiprocessing

    # fork: a worker starts with this process's imports; elsewhere the platform's default
    if forks():
        return multiprocessing.get_context("fork")
    if sys.platform == "linux":
        return multiprocessing.get_context("spawn")  # V8 runs here: never fork it
    return multiprocessing.get_context()


def run_all(task: Callable[[T], R], items: Sequence[T], jobs: int, label: Callable[[T], str],
            describe: Callable[[R], str], initializer: Callable[..., None] | None = None,
            initargs: tuple = ()) -> list[R]:
    """``[task(item) for item in items]``, over ``jobs`` processes, reporting progress on stderr.

    ``initializer(*initargs)`` runs first in each worker process (not with one job).
    """
    jobs = max(1, min(jobs, len(items)))
    report = _Progress(len(items)) if len(items) > 1 else None
    results: list[Any] = [None] * len(items)
    if jobs == 1:
        for index, item in enumerate(items):
            results[index] = task(item)
            if report:
                report.done(label(item), describe(results[index]))
    else:
        import gc
        from concurrent.futures import ProcessPoolExecutor, as_completed

        gc.freeze()  # forked workers neither copy nor re-scan what this process already holds
        with ProcessPoolExecutor(max_workers=jobs, mp_context=_context(), initializer=initializer,
                                 initargs=initargs) as executor:
            futures = {executor.submit(task, item): index for index, item in enumerate(items)}
            if report:
                report.start()  # after the workers are forked: the bar's refresh thread is not copied
            try:
                for future in as_completed(futures):
                    index = futures[future]
                    results[index] = future.result()
                    if report:
                        report.done(label(items[index]), describe(results[index]))
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
            finally:
                gc.unfreeze()
    if report:
        report.stop()
    return results


class _Progress:
    """A rich progress bar on a terminal's stderr, plain lines otherwise; nothing with --quiet."""

    def __init__(self, total: int) -> None:
        from sentinel_pack import terminal

        self.out = terminal.current()
        self.total = total
        self.count = 0
        self.bar: Any = None
        self.task: Any = None
        self.tty = sys.stderr.isatty()

    def start(self) -> None:
        if self.tty and self.bar is None and not self.out.quiet:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("validating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                TextColumn("{task.description}"), console=self.out.console(stderr=True),
                                transient=True)
            self.bar.start()
            self.task = self.bar.add_task("", total=self.total)

    def done(self, name: str, outcome: str) -> None:
        self.count += 1
        if self.out.quiet:
            return
        if self.tty:
            self.start()
            self.bar.update(self.task, advance=1, description=name)
        else:
            self.out.line(f"[{self.count}/{self.total}] {name}: {outcome}", stderr=True, keep=(name,))

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
