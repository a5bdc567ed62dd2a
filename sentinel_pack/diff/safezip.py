"""Reading untrusted zips in memory: every entry is checked before a single byte is inflated.

A package zip under review may come from anywhere (a pull request, a download). Nothing is
extracted to disk; members are read into memory only after the whole central directory passed
the checks below, and reads are capped so a forged size field cannot inflate more than allowed.
"""

from __future__ import annotations

import io
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from sentinel_pack.errors import EXIT_USAGE, IOFailure, Problem, SentinelPackError

_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class ZipLimits:
    """What a solution package may reasonably hold (real ones: 2 entries, well under 1 MiB)."""

    max_entries: int = 1000
    max_total_bytes: int = 64 * 1024 * 1024
    #: Inflated/compressed size above which an entry counts as a bomb ...
    max_ratio: int = 100
    #: ... once it is at least this large. Below it the size alone is harmless, and generated
    #: JSON compresses very well (a 2 MB description repeated in mainTemplate reaches 200:1).
    ratio_floor_bytes: int = 16 * 1024 * 1024


class UnsafeZip(SentinelPackError):
    """A zip refused before reading: exit code 2, like any input that cannot be read."""

    def __init__(self, file: str, message: str, entry: str | None = None):
        super().__init__(Problem(message, file=file, path=entry,
                                 hint="only diff package zips you trust to be well-formed; "
                                      "this one was not opened"),
                         exit_code=EXIT_USAGE)


def entry_problem(info: zipfile.ZipInfo, limits: ZipLimits) -> str | None:
    """Why one central-directory entry is unsafe, or None."""
    name = info.filename
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return "absolute path in the zip"
    if ".." in re.split(r"[\\/]", name):
        return "'..' in an entry path (would write outside the target folder)"
    if "\x00" in name:
        return "NUL byte in an entry name"
    mode = info.external_attr >> 16
    if info.create_system == 3 and mode and stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
        kind = "symbolic link" if stat.S_ISLNK(mode) else "special file"
        return f"{kind} entry (only regular files are allowed)"
    if info.flag_bits & 0x1:
        return "encrypted entry"
    if info.file_size > limits.max_total_bytes:
        return f"entry inflates to {info.file_size:,} bytes (limit {limits.max_total_bytes:,})"
    if info.file_size >= limits.ratio_floor_bytes:
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > limits.max_ratio:
            return (f"compression ratio {ratio:,.0f}:1 looks like a zip bomb "
                    f"(limit {limits.max_ratio}:1 for entries over {limits.ratio_floor_bytes:,} bytes)")
    return None


def check_archive(archive: zipfile.ZipFile, file: str, limits: ZipLimits) -> list[zipfile.ZipInfo]:
    """All regular-file entries, or UnsafeZip naming the first problem."""
    infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise UnsafeZip(file, f"the zip has {len(infos):,} entries (limit {limits.max_entries:,})")
    seen: set[str] = set()
    total = 0
    for info in infos:
        problem = entry_problem(info, limits)
        if problem:
            raise UnsafeZip(file, problem, entry=info.filename)
        if info.filename in seen:
            raise UnsafeZip(file, "the same entry name appears twice", entry=info.filename)
        seen.add(info.filename)
        total += info.file_size
        if total > limits.max_total_bytes:
            raise UnsafeZip(file, f"entries inflate to more than {limits.max_total_bytes:,} bytes in total")
    return [info for info in infos if not info.is_dir()]


def _read_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int, file: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    with archive.open(info) as member:
        while chunk := member.read(64 * 1024):
            size += len(chunk)
            if size > cap:
                raise UnsafeZip(file, "entry inflates to more than its declared size", entry=info.filename)
            chunks.append(chunk)
    return b"".join(chunks)


def read_zip(path: Path | bytes, limits: ZipLimits | None = None, label: str | None = None) -> dict[str, bytes]:
    """Member name -> content for a zip (a file, or its bytes) that passed every check; nothing touches the disk."""
    limits = limits or ZipLimits()
    file = label or ("zip" if isinstance(path, bytes) else str(path))
    try:
        with zipfile.ZipFile(io.BytesIO(path) if isinstance(path, bytes) else path) as archive:
            infos = check_archive(archive, file, limits)
            budget = limits.max_total_bytes
            members: dict[str, bytes] = {}
            for info in infos:
                data = _read_capped(archive, info, min(info.file_size, budget), file)
                budget -= len(data)
                members[info.filename] = data
            return members
    except FileNotFoundError:
        raise IOFailure(Problem("file not found", file=file)) from None
    except zipfile.BadZipFile as exc:
        raise IOFailure(Problem(f"not a readable zip file: {exc}", file=file)) from None
    except (OSError, EOFError, NotImplementedError, RuntimeError, ValueError, zlib.error) as exc:
        # zlib errors, unsupported compression methods and truncated data end up here.
        raise IOFailure(Problem(f"cannot read the zip: {exc}", file=file)) from None
