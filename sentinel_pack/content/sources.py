"""Reading content files (workbooks, parsers, playbooks, watchlists, summary rules) with positions.

Build and validate read the same files the same way, so a broken file gets the same
``file:line`` message from both: JSON through ``jsonsource`` (as ARM reads it), YAML through
``yamlsource``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sentinel_pack.errors import Problem, SentinelPackError, json_path


@dataclass
class Source:
    """One content file: its name in the solution, its bytes, its value and a way to place a path."""

    name: str
    raw: bytes
    data: Any
    _locate: Callable[[tuple[str | int, ...]], tuple[int | None, int | None]] | None = None

    def locate(self, path: Sequence[str | int]) -> tuple[int | None, int | None]:
        return self._locate(tuple(path)) if self._locate is not None else (None, None)

    def problem(self, path: Sequence[str | int], message: str, hint: str | None = None) -> Problem:
        line, column = self.locate(path)
        return Problem(message, file=self.name, line=line, column=column,
                       path=json_path(tuple(path)) if path else None, hint=hint)


def read_json(name: str, raw: bytes) -> Source:
    """A JSON content file; a syntax error is raised with its line and column."""
    from sentinel_pack.jsonsource import JsonSyntaxError, parse

    try:
        doc = parse(raw, comments=True)
    except JsonSyntaxError as exc:
        raise SentinelPackError(Problem(f"not valid JSON: {exc.message}", file=name, line=exc.line,
                                        column=exc.column, hint="fix the JSON syntax at this position")) from None
    return Source(name, raw, doc.data, doc.locate)


def read_yaml(name: str, raw: bytes) -> Source:
    """A YAML content file; a syntax error or a duplicate key is raised with its line."""
    import tempfile

    from sentinel_pack.manifest.yamlsource import load_yaml

    with tempfile.TemporaryDirectory(prefix="sentinel-pack-") as folder:
        path = Path(folder) / "content.yaml"
        # The packager's YAML reader (YamlDotNet) ends a block scalar that runs to the end of a
        # file without a newline with one anyway; PyYAML does so once the file ends in a newline.
        path.write_bytes(raw if raw.endswith(b"\n") else raw + b"\n")
        doc = load_yaml(path, name)
    return Source(name, raw, doc.data, lambda path: doc.position(path))


@dataclass(frozen=True)
class KqlText:
    """A parser written as plain KQL (``Parsers/X.txt`` or ``.kql``), which the packager also takes."""

    text: str


PLAIN_KQL = (".txt", ".kql")


def read(name: str, raw: bytes) -> Source:
    lower = name.lower()
    if lower.endswith((".yaml", ".yml")):
        return read_yaml(name, raw)
    if lower.endswith(PLAIN_KQL):
        try:
            return Source(name, raw, KqlText(raw.decode("utf-8-sig")))
        except UnicodeDecodeError:
            raise SentinelPackError(Problem("not UTF-8 text", file=name)) from None
    return read_json(name, raw)


def problems_of(name: str, raw: bytes, check: Callable[[Source], list[Problem]]) -> list[Problem]:
    """``check(source)`` on the file, with a file that cannot be read reported, never skipped."""
    try:
        source = read(name, raw)
    except SentinelPackError as exc:
        return list(exc.problems)
    return check(source)


def strip_quotes(text: str) -> str:
    """The packager trims a description and drops one surrounding pair of single quotes."""
    text = text.strip()
    if text.startswith("'"):
        text = text[1:]
    if text.endswith("'"):
        text = text[:-1]
    return text
