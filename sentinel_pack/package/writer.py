"""Writing a build as one transaction: the output folder holds the old files or the new ones.

Rendering and validation finish before anything is written. The new files are then written to
a staging folder inside the output folder (same file system, so renames are atomic), a journal
naming every file to switch is committed, and each file is moved into place with its old
version kept in the staging folder. An error during the switch moves everything back; an
interruption that cannot be caught (SIGKILL, power loss) leaves the journal, and the next run in
that folder finishes the switch before doing anything else. SIGINT and SIGTERM are held back
while the switch runs, so they end the run before it starts or after it is complete.

Every target is checked first: its path stays inside the output folder, no folder on the way is
a symbolic link (an in-place build must not write through a linked ``Data/`` to wherever it
points) and nothing on the way is a file. A released zip whose content would change is never
overwritten without ``force``, and one whose content is equal keeps its bytes.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sentinel_pack.errors import IOFailure, Problem, SentinelPackError

#: The staging folder inside the output folder; it exists only while a build is switching,
#: or after a run that was killed (the next run recovers it).
STAGING = ".sentinel-pack-staging"
JOURNAL = "journal.json"
_NEW, _OLD = "new", "old"
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f\\]")


@dataclass(frozen=True)
class Written:
    path: Path
    size: int
    sha256: str
    status: str  # "created", "updated" or "unchanged"


class _Disk:
    """Every file operation of a transaction, in one place (the fault-injection test fails each one)."""

    def write(self, path: Path, content: bytes) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            view = memoryview(content)
            while view:
                view = view[os.write(fd, view):]
            if hasattr(os, "fchmod"):  # the umask must not decide the mode of a release
                os.fchmod(fd, 0o644)
            os.fsync(fd)
        finally:
            os.close(fd)

    def mkdir(self, path: Path) -> None:
        os.mkdir(path)

    def replace(self, source: Path, target: Path) -> None:
        os.replace(source, target)

    def remove(self, path: Path) -> None:
        os.unlink(path)

    def rmdir(self, path: Path) -> None:
        os.rmdir(path)

    def sync_dir(self, path: Path) -> None:
        with contextlib.suppress(OSError):  # not every file system can sync a folder
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


DISK = _Disk()


def released_zip_bytes(target: Path, new_zip: bytes, force: bool) -> bytes:
    """The bytes to write for ``Package/<version>.zip``: a released package never changes.

    Equal content (same member names and bytes) keeps the zip on disk byte for byte, whatever
    timestamps the new one would carry (another release date, ``SOURCE_DATE_EPOCH``); different
    content is refused unless ``force`` (for a package that was never released).
    """
    if target.is_symlink() or not target.is_file():
        return new_zip
    old_bytes = _read_existing(target)
    if same_content(target.name, old_bytes, new_zip):
        return old_bytes
    if force:
        return new_zip
    raise SentinelPackError(Problem(
        "this version's package already exists with different content",
        file=str(target),
        hint="bump solution.version (sentinel-pack release patch -m '...'), "
             "or pass --force to replace a package that was never released"))


def same_content(rel: str, old: bytes, new: bytes) -> bool:
    """Whether ``build`` leaves ``old`` in place for ``new``: equal bytes, or zips with equal members."""
    if old == new:
        return True
    if not rel.lower().endswith(".zip"):
        return False
    from sentinel_pack.package.zipper import zip_members

    try:
        return zip_members(old) == zip_members(new)
    except Exception:  # a damaged zip is different content
        return False


def _read_existing(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise IOFailure(Problem(f"cannot read: {exc.strerror}", file=str(path))) from None


def check_relative(rel: str) -> PurePosixPath:
    """An output name: relative, forward slashes, no '..', no control characters."""
    pure = PurePosixPath(rel)
    if (not rel or pure.is_absolute() or _UNSAFE_NAME.search(rel) or any(p in ("", ".", "..") for p in rel.split("/"))
            or re.match(r"^[A-Za-z]:", rel)):
        raise SentinelPackError(Problem(f"refusing to write {rel!r}: an output name must be a plain relative path "
                                        "inside the output folder", hint="report this: the name came from the "
                                        "manifest or a template"))
    return pure


def _check_target(out_dir: Path, rel: str) -> tuple[Path, list[Path]]:
    """The target path, and the folders that must be created for it; refuses links and files on the way."""
    parts = check_relative(rel).parts
    missing: list[Path] = []
    current = out_dir
    for index, part in enumerate(parts):
        current = current / part
        last = index == len(parts) - 1
        try:
            info = current.lstat()
        except FileNotFoundError:
            if not last:
                missing.append(current)
            continue
        except OSError as exc:
            raise IOFailure(Problem(f"cannot inspect: {exc.strerror}", file=str(current))) from None
        if missing:
            continue
        if stat.S_ISLNK(info.st_mode):
            raise IOFailure(Problem(
                "this is a symbolic link: a build writes only inside the output folder, never through links",
                file=str(current), hint="replace the link by a real folder or file, or build with --out elsewhere"))
        if not last and not stat.S_ISDIR(info.st_mode):
            raise IOFailure(Problem(f"this is a file, but {rel} needs it to be a folder", file=str(current),
                                    hint="move the file away"))
        if last and not stat.S_ISREG(info.st_mode):
            raise IOFailure(Problem("this is a folder (or a special file) where the build writes a file",
                                    file=str(current), hint="move it away"))
    return current, missing


@contextlib.contextmanager
def _locked(out_dir: Path) -> Iterator[None]:
    """One writer per output folder: a second run waits for nobody and fails clearly."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks on folders
        yield
        return
    fd = os.open(out_dir, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IOFailure(Problem("another sentinel-pack run is writing this folder", file=str(out_dir),
                                    hint="wait for it to finish, then run again")) from None
        except OSError:
            pass  # a file system without locks (some network shares): write without one
        yield
    finally:
        os.close(fd)


class _Terminated(SystemExit):
    """SIGTERM as an exception, so a terminated run still cleans up."""


@contextlib.contextmanager
def terminate_as_exception() -> Iterator[None]:
    """SIGTERM raises (exit 143) instead of ending the process, so ``finally`` blocks still clean up."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: object) -> None:
        raise _Terminated(128 + signum)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the switch is complete (then they end the run as usual)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _journal_entries(staging: Path) -> list[str] | None:
    journal = staging / JOURNAL
    try:
        entries = json.loads(journal.read_text(encoding="utf-8"))["switch"]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        raise IOFailure(Problem("the journal of an interrupted build cannot be read", file=str(journal),
                                hint=f"check the folder by hand, then delete {STAGING}")) from None
    for rel in entries:
        check_relative(rel)
    return entries


def _forward(out_dir: Path, staging: Path, rel: str) -> None:
    """Move one file into place; safe to repeat after an interruption at any point."""
    new, old, target = staging / _NEW / rel, staging / _OLD / rel, out_dir / rel
    if not os.path.lexists(new):
        return  # already in place
    if os.path.lexists(target) and not os.path.lexists(old):
        _makedirs(old.parent, staging)
        DISK.replace(target, old)
    DISK.replace(new, target)


def _backward(out_dir: Path, staging: Path, rel: str) -> None:
    """Undo ``_forward`` for one file, keeping the staged copy so a later recovery can redo it."""
    new, old, target = staging / _NEW / rel, staging / _OLD / rel, out_dir / rel
    if not os.path.lexists(new) and os.path.lexists(target):
        DISK.replace(target, new)
    if os.path.lexists(old):
        DISK.replace(old, target)


def _makedirs(path: Path, root: Path) -> list[Path]:
    created: list[Path] = []
    missing = []
    while not path.exists() and path != root:
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        DISK.mkdir(folder)
        created.append(folder)
    return created


def _remove_tree(path: Path) -> None:
    """Remove the staging folder (it holds only regular files and folders the run made)."""
    if not os.path.lexists(path):
        return
    for dirpath, dirnames, filenames in os.walk(path, topdown=False):
        for name in filenames:
            DISK.remove(Path(dirpath) / name)
        for name in dirnames:
            DISK.rmdir(Path(dirpath) / name)
    DISK.rmdir(path)


def pending_switch(folder: Path) -> bool:
    """True when a killed build left ``folder`` half-switched (the next build finishes it).

    Such a folder may hold new files beside old ones; a reader (``validate``) should say so
    rather than check the mixture.
    """
    return (Path(folder) / STAGING / JOURNAL).is_file()


def recover(out_dir: Path) -> bool:
    """Finish a switch an earlier run committed but could not complete; drop an uncommitted one.

    Returns True when something was left over. Every write calls it first; ``build`` and
    ``release`` call it before they read the folder, so they never see a half-switched one.
    """
    out_dir = Path(out_dir)
    if not out_dir.is_dir() or not any(out_dir.glob(".sentinel-pack-*")):
        return False
    with _locked(out_dir):
        return _recover(out_dir)


#: The staging folders of sentinel-pack before the journal (tempfile.mkdtemp names), left by a
#: killed run; they never held the only copy of anything.
_LEGACY_STAGING = re.compile(r"\.sentinel-pack-[a-z0-9_]{8}")


def _remove_legacy(out_dir: Path) -> None:
    import shutil

    for child in out_dir.glob(".sentinel-pack-*"):
        if _LEGACY_STAGING.fullmatch(child.name) and child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)


def _recover(out_dir: Path) -> bool:
    _remove_legacy(out_dir)
    staging = out_dir / STAGING
    if not os.path.lexists(staging):
        return False
    if staging.is_symlink() or not staging.is_dir():
        raise IOFailure(Problem(f"{STAGING} is not a folder sentinel-pack made", file=str(staging),
                                hint="remove it by hand"))
    entries = _journal_entries(staging)
    try:
        with _signals_held():
            _finish(out_dir, staging, entries)
    except OSError as exc:
        raise IOFailure(Problem(f"cannot finish the interrupted build: {exc.strerror}",
                                file=str(exc.filename or staging), hint="fix the cause and run again")) from None
    return True


def _finish(out_dir: Path, staging: Path, entries: list[str] | None) -> None:
    """Roll a committed switch forward (idempotent), then drop the staging folder."""
    if entries is not None:
        for rel in entries:
            _forward(out_dir, staging, rel)
        DISK.remove(staging / JOURNAL)
        DISK.sync_dir(staging)
    _remove_tree(staging)


def write_outputs(out_dir: Path, outputs: dict[str, bytes]) -> list[Written]:
    """Write ``outputs`` (relative name -> bytes) into ``out_dir`` as one transaction."""
    import hashlib

    try:
        out_dir = out_dir.resolve()
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IOFailure(Problem(f"cannot create the output folder: {exc.strerror}", file=str(out_dir))) from None
    if not out_dir.is_dir():
        raise IOFailure(Problem("the output path is not a folder", file=str(out_dir)))
    with _locked(out_dir), terminate_as_exception():
        _recover(out_dir)
        results: list[Written] = []
        switch: list[str] = []
        folders: list[Path] = []
        for rel, content in sorted(outputs.items()):
            target, missing = _check_target(out_dir, rel)
            folders.extend(missing)
            status = "created"
            if os.path.lexists(target):
                status = "unchanged" if _read_existing(target) == content else "updated"
            if status != "unchanged":
                switch.append(rel)
            results.append(Written(target, len(content), hashlib.sha256(content).hexdigest(), status))
        if switch:
            _transaction(out_dir, {rel: outputs[rel] for rel in switch}, sorted(set(folders)))
    return results


def _transaction(out_dir: Path, changes: dict[str, bytes], folders: list[Path]) -> None:
    staging = out_dir / STAGING
    created: list[Path] = []
    committed = False
    try:
        DISK.mkdir(staging)
        for rel, content in changes.items():
            _makedirs((staging / _NEW / rel).parent, staging)
            DISK.write(staging / _NEW / rel, content)
        for folder in folders:  # the folders a new file needs exist before the switch starts
            created.extend(_makedirs(folder, out_dir))
        DISK.sync_dir(staging)
        with _signals_held():
            DISK.write(staging / f"{JOURNAL}.tmp", json.dumps({"switch": list(changes)}).encode("utf-8"))
            DISK.replace(staging / f"{JOURNAL}.tmp", staging / JOURNAL)
            DISK.sync_dir(staging)
            committed = True  # from here on, a killed run is finished by the next one
            done: list[str] = []
            try:
                for rel in changes:
                    done.append(rel)
                    _forward(out_dir, staging, rel)
                for folder in {(out_dir / rel).parent for rel in changes}:
                    DISK.sync_dir(folder)
                DISK.remove(staging / JOURNAL)
            except OSError:
                for rel in reversed(done):
                    _backward(out_dir, staging, rel)
                DISK.remove(staging / JOURNAL)  # back in the old state: nothing to finish
                committed = False
                raise
            committed = False
    except OSError as exc:
        if committed:  # the roll back failed too: leave the journal for the next run
            raise IOFailure(Problem(f"the build was interrupted while switching files ({exc.strerror}); "
                                    "the folder is recovered by the next build", file=str(exc.filename or out_dir),
                                    hint="fix the cause and run the build again")) from None
        raise IOFailure(Problem(f"cannot write output: {exc.strerror}", file=str(exc.filename or out_dir))) from None
    finally:
        if not committed:
            with _signals_held(), contextlib.suppress(OSError):  # a signal must not cut the clean-up short
                _remove_tree(staging)
                for folder in reversed(created):
                    if not any(folder.iterdir()):
                        DISK.rmdir(folder)
