"""JSON read as ARM and CCF read it, with the line and column of every value.

Findings must point at the line an author edits, and ARM accepts ``//`` and ``/* */``
comments and a UTF-8 byte-order mark that ``json.loads`` rejects. The value itself is parsed
by the C-accelerated ``json`` module (fast on large templates); positions are worked out
lazily, by a token scan, only when a finding asks for one.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MAX_DEPTH", "JsonDocument", "JsonSyntaxError", "parse"]

#: Deeper nesting than any real template; beyond it ``json`` would exhaust the stack.
MAX_DEPTH = 500

PathPart = str | int

_BOM = "\ufeff"
# A string literal, a structural character, or a bare word (number, true, false, null, ...).
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]|[^\s{}\[\],:"/]+', re.S)
_SPACE = re.compile(r"\s*")
_COMMENT_OR_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|//[^\n]*|/\*.*?\*/', re.S)
_SURROGATE_PAIR = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}")


class JsonSyntaxError(ValueError):
    """Text that is not JSON (or not UTF-8), with the 1-based line and column of the fault."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"{message} (line {line}, column {column})")
        self.message = message
        self.line = line
        self.column = column


@dataclass
class JsonDocument:
    """A parsed JSON value and the text it came from (comments blanked, positions unchanged)."""

    text: str
    data: Any
    _values: dict[tuple[PathPart, ...], int] | None = field(default=None, repr=False)
    _keys: dict[tuple[PathPart, ...], int] = field(default_factory=dict, repr=False)
    _lines: list[int] | None = field(default=None, repr=False)

    def locate(self, path: Sequence[PathPart], *, key: bool = False) -> tuple[int, int]:
        """Line and column of the value at ``path`` (of its key with ``key=True``).

        A path that does not exist (a missing property a finding complains about) gives the
        position of its deepest existing ancestor, which is where the author has to add it.
        """
        values = self._index()
        parts = tuple(path)
        while parts not in values:
            parts = parts[:-1]
        offset = self._keys.get(parts) if key and parts == tuple(path) else None
        return self._line_column(values[parts] if offset is None else offset)

    def locate_in_string(self, path: Sequence[PathPart], index: int) -> tuple[int, int]:
        """Line and column of character ``index`` of the string value at ``path``.

        Escapes (``\\"``, ``\\u0041``) take more room in the text than in the value, so the
        raw literal is walked; an ARM expression error at column 12 of the value is then shown
        where the author sees it.
        """
        values = self._index()
        parts = tuple(path)
        if parts not in values or not isinstance(_at(self.data, parts), str):
            return self.locate(parts)
        start = values[parts] + 1  # after the opening quote
        raw = self.text
        position, seen = start, 0
        while seen < index and position < len(raw) and raw[position] != '"':
            position += _escape_length(raw, position) if raw[position] == "\\" else 1
            seen += 1
        return self._line_column(position)

    def _line_column(self, offset: int) -> tuple[int, int]:
        if self._lines is None:
            self._lines = [m.end() for m in re.finditer("\n", self.text)]
        line = bisect.bisect_right(self._lines, offset)
        start = self._lines[line - 1] if line else 0
        return line + 1, offset - start + 1

    def _index(self) -> dict[tuple[PathPart, ...], int]:
        if self._values is None:
            self._values, self._keys = _scan(self.text)
        return self._values


def parse(data: bytes | str, *, comments: bool = False) -> JsonDocument:
    """Parse JSON text; ``comments=True`` reads it as ARM does.

    ARM accepts ``//`` and ``/* */`` comments and raw line breaks (control characters) inside
    strings, which strict JSON forbids; connector files read without it stay strict JSON.

    Raises ``JsonSyntaxError`` with a line and column for every kind of bad input: invalid
    UTF-8, a syntax error, ``NaN``/``Infinity`` (not JSON), nesting deeper than ``MAX_DEPTH``.
    """
    text = _decode(data) if isinstance(data, bytes) else data
    text = text.removeprefix(_BOM)
    if comments and "/" in text:
        text = _blank_comments(text)
    try:
        value = json.loads(text, parse_constant=_reject_constant, parse_int=_parse_int, strict=not comments)
    except json.JSONDecodeError as exc:
        raise JsonSyntaxError(_describe(exc, text), exc.lineno, exc.colno) from None
    except _LongNumberError as exc:
        doc = JsonDocument(text, None)
        raise JsonSyntaxError(f"a number of {len(exc.name):,} digits is longer than the {_MAX_DIGITS:,} Python reads",
                              *doc._line_column(max(text.find(exc.name), 0))) from None
    except _ConstantError as exc:
        offset = text.find(exc.name)
        doc = JsonDocument(text, None)
        raise JsonSyntaxError(f"{exc.name} is not a JSON value: write a number or a string",
                              *doc._line_column(max(offset, 0))) from None
    except RecursionError:
        offset = _too_deep(text)
        raise JsonSyntaxError(f"nested more than {MAX_DEPTH} levels deep",
                              *JsonDocument(text, None)._line_column(offset)) from None
    if _depth_exceeds(text):
        offset = _too_deep(text)
        raise JsonSyntaxError(f"nested more than {MAX_DEPTH} levels deep",
                              *JsonDocument(text, None)._line_column(offset))
    return JsonDocument(text, value)


class _ConstantError(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _reject_constant(name: str) -> Any:
    raise _ConstantError(name)


class _LongNumberError(_ConstantError):
    pass


_MAX_DIGITS = 4300  # sys.get_int_max_str_digits(): int() refuses longer numbers with a bare ValueError


def _parse_int(digits: str) -> int:
    if len(digits) > _MAX_DIGITS:
        raise _LongNumberError(digits)
    return int(digits)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        raise JsonSyntaxError(f"byte 0x{data[exc.start]:02x} is not valid UTF-8: save the file as UTF-8",
                              line, column) from None


def _describe(exc: json.JSONDecodeError, text: str) -> str:
    if not text.strip():
        return "the file is empty: expected a JSON value"
    if exc.msg.startswith("Expecting property name") and text[exc.pos:exc.pos + 1] == "}":
        return "a trailing comma before '}' is not JSON: remove it"
    if exc.msg.startswith("Expecting value") and text[exc.pos:exc.pos + 1] == "]":
        return "a trailing comma before ']' is not JSON: remove it"
    if exc.msg.startswith("Expecting") and exc.pos >= len(text.rstrip()):
        return f"the text ends too early ({exc.msg.lower()}): the file looks truncated"
    return exc.msg


def _blank_comments(text: str) -> str:
    """Replace comments by spaces (newlines kept), so every offset stays where it was."""

    def blank(match: re.Match[str]) -> str:
        token = match.group()
        if token.startswith('"'):
            return token
        return re.sub(r"[^\n]", " ", token)

    return _COMMENT_OR_STRING.sub(blank, text)


def _depth_exceeds(text: str) -> bool:
    # Cheap upper bound first: a document with few brackets cannot be deep.
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False
    return _too_deep(text) >= 0


def _too_deep(text: str) -> int:
    """Offset of the first bracket that opens level ``MAX_DEPTH + 1``, or -1."""
    depth = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token in "{[":
            depth += 1
            if depth > MAX_DEPTH:
                return match.start()
        elif token in "}]":
            depth -= 1
    return -1


def _scan(text: str) -> tuple[dict[tuple[PathPart, ...], int], dict[tuple[PathPart, ...], int]]:
    """Offsets of every value (and of every object member's key), keyed by JSON path.

    Only runs on text ``json.loads`` accepted, so the token stream is well formed.
    """
    values: dict[tuple[PathPart, ...], int] = {}
    keys: dict[tuple[PathPart, ...], int] = {}
    # Each frame: [path of the container, is_object, next array index, pending key, key offset]
    stack: list[list[Any]] = []
    position = _SPACE.match(text).end()
    expect_key = False
    for match in _TOKEN.finditer(text, position):
        token, start = match.group(), match.start()
        if token in ",:":
            if token == "," and stack and stack[-1][1]:
                expect_key = True
            continue
        if token in "}]":
            stack.pop()
            expect_key = False
            continue
        if expect_key:
            frame = stack[-1]
            frame[3], frame[4] = json.loads(token), start
            expect_key = False
            continue
        if stack:
            frame = stack[-1]
            if frame[1]:
                path = (*frame[0], frame[3])
                keys[path] = frame[4]
            else:
                path = (*frame[0], frame[2])
                frame[2] += 1
        else:
            path = ()
        values[path] = start
        if token in "{[":
            stack.append([path, token == "{", 0, None, 0])
            expect_key = token == "{"
    return values, keys


def _escape_length(raw: str, position: int) -> int:
    """Characters of the text taken by the escape at ``position`` (one character of the value)."""
    if raw[position + 1] != "u":
        return 2
    return 12 if _SURROGATE_PAIR.match(raw, position) else 6


def _at(data: Any, path: tuple[PathPart, ...]) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data
