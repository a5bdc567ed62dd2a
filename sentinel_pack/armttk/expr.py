"""The ARM template expression language: ``[function(args).property[index]]`` as ARM parses it.

The SP6xx rules read expressions through this parser, not regular expressions: ARM function
names are case-insensitive, whitespace is allowed between tokens, strings escape ``'`` as
``''``, and a value starting with ``[[`` is a literal string, not an expression. Each distinct
string is parsed once (``parse`` is cached), which keeps whole-template rules cheap.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "Call", "ExprError", "Index", "Literal", "Member", "Node", "is_expression", "iter_nodes",
    "parse", "parse_string", "unescape",
]


@dataclass(frozen=True)
class Literal:
    """A string, integer, or ``true``/``false``/``null`` constant."""

    value: str | int | float | bool | None
    pos: int


@dataclass(frozen=True)
class Call:
    """``name(args)``; ``lname`` is the lower-cased name, for ARM's case-insensitive lookup."""

    name: str
    args: tuple[Node, ...]
    pos: int

    @property
    def lname(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Member:
    """``target.name``."""

    target: Node
    name: str
    pos: int


@dataclass(frozen=True)
class Index:
    """``target[index]``."""

    target: Node
    index: Node
    pos: int


Node = Literal | Call | Member | Index


class ExprError(ValueError):
    """An expression ARM cannot parse; ``column`` is 1-based, inside the JSON string value."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"{message} at column {column}")
        self.message = message
        self.column = column


def is_expression(value: object) -> bool:
    """ARM evaluates a string as an expression when it is ``[...]`` and does not start ``[[``."""
    return isinstance(value, str) and value.startswith("[") and value.endswith("]") \
        and not value.startswith("[[")


def unescape(value: str) -> str:
    """What a ``[[...`` literal becomes after one evaluation: ``[...``; any other string unchanged."""
    return value[1:] if value.startswith("[[") else value


_SPACE = frozenset(" \t\r\n")
_IDENT_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$")
_IDENT = _IDENT_START | frozenset("0123456789-")
_DIGITS = frozenset("0123456789")
_KEYWORDS = {"true": True, "false": False, "null": None}


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0

    def error(self, message: str, at: int | None = None) -> ExprError:
        return ExprError(message, (self.i if at is None else at) + 1)

    def skip(self) -> None:
        text, i = self.text, self.i
        while i < len(text) and text[i] in _SPACE:
            i += 1
        self.i = i

    def peek(self) -> str:
        self.skip()
        return self.text[self.i] if self.i < len(self.text) else ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            found = repr(self.text[self.i]) if self.i < len(self.text) else "the end"
            raise self.error(f"expected '{char}', found {found}")
        self.i += 1

    def ident(self) -> str:
        start = self.i
        while self.i < len(self.text) and self.text[self.i] in _IDENT:
            self.i += 1
        return self.text[start:self.i]

    def expression(self) -> Node:
        node = self.primary()
        while True:
            char = self.peek()
            if char == ".":
                self.i += 1
                self.skip()
                pos = self.i
                if self.peek() not in _IDENT_START:
                    raise self.error("expected a property name after '.'")
                node = Member(node, self.ident(), pos)
            elif char == "[":
                pos = self.i
                self.i += 1
                index = self.expression()
                self.expect("]")
                node = Index(node, index, pos)
            else:
                return node

    def primary(self) -> Node:
        char = self.peek()
        pos = self.i
        if char == "'":
            return self.string()
        if char in _DIGITS or (char == "-" and self.text[self.i + 1:self.i + 2] in _DIGITS):
            return self.number()
        if char and char in _IDENT_START:
            name = self.ident()
            # user-defined functions are namespace.name(...)
            if self.text[self.i:self.i + 1] == "." and self.text[self.i + 1:self.i + 2] in _IDENT_START:
                save = self.i
                self.i += 1
                member = self.ident()
                if self.peek() == "(":
                    name = f"{name}.{member}"
                else:
                    self.i = save
            if self.peek() == "(":
                return self.call(name, pos)
            if name.lower() in _KEYWORDS:
                return Literal(_KEYWORDS[name.lower()], pos)
            raise self.error(f"'{name}' is not a function call (expected '(' after it)", pos)
        if not char:
            raise self.error("expected a value, found the end of the expression")
        raise self.error(f"unexpected {char!r}")

    def call(self, name: str, pos: int) -> Call:
        self.expect("(")
        args: list[Node] = []
        if self.peek() != ")":
            args.append(self.expression())
            while self.peek() == ",":
                self.i += 1
                args.append(self.expression())
        if self.peek() != ")":
            found = repr(self.peek()) if self.peek() else "the end"
            raise self.error(f"expected ',' or ')' in the arguments of {name}(), found {found}")
        self.i += 1
        return Call(name, tuple(args), pos)

    def string(self) -> Literal:
        pos = self.i
        text = self.text
        self.i += 1
        parts = []
        while True:
            end = text.find("'", self.i)
            if end < 0:
                raise self.error("unterminated string (a ' inside a string is written '')", pos)
            parts.append(text[self.i:end])
            if text[end + 1:end + 2] == "'":
                parts.append("'")
                self.i = end + 2
            else:
                self.i = end + 1
                return Literal("".join(parts), pos)

    def number(self) -> Literal:
        start = self.i
        self.i += 1
        while self.i < len(self.text) and self.text[self.i] in _DIGITS:
            self.i += 1
        if self.text[self.i:self.i + 1] == "." and self.text[self.i + 1:self.i + 2] in _DIGITS:
            self.i += 1
            while self.i < len(self.text) and self.text[self.i] in _DIGITS:
                self.i += 1
            return Literal(float(self.text[start:self.i]), start)
        return Literal(int(self.text[start:self.i]), start)


#: ARM rejects longer expressions (Microsoft Learn, "Syntax and expressions in ARM templates").
MAX_LENGTH = 24576


@lru_cache(maxsize=65536)
def _parse_cached(text: str) -> Node | ExprError:
    if len(text) - 2 > MAX_LENGTH:
        return ExprError(f"the expression is {len(text) - 2} characters long, over ARM's limit of {MAX_LENGTH}", 1)
    parser = _Parser(text)
    parser.i = 1  # after '['
    if parser.peek() == "]":
        return parser.error("empty expression")
    try:
        node = parser.expression()
        if parser.peek() != "]" or parser.i != len(text) - 1:
            if parser.i >= len(text):  # '[0[0]': the closing bracket was taken by an index
                return parser.error("expected ']' to end the expression", at=len(text) - 1)
            rest = parser.text[parser.i:]
            return parser.error(f"unexpected {rest[:20]!r} after the expression")
    except ExprError as error:
        return error
    except RecursionError:
        return ExprError("expression nested too deeply", 1)
    return node


def parse(text: str) -> Node | None:
    """The syntax tree of an ARM expression string, or None for a literal; raises ExprError."""
    if not is_expression(text):
        return None
    result = _parse_cached(text)
    if isinstance(result, ExprError):
        raise result
    return result


def parse_string(text: str) -> Node | ExprError | None:
    """Like ``parse``, but returns the error instead of raising it."""
    return _parse_cached(text) if is_expression(text) else None


def iter_nodes(node: Node) -> Iterator[Node]:
    """Every node of a tree, parents before children."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, Call):
            stack.extend(reversed(current.args))
        elif isinstance(current, Member):
            stack.append(current.target)
        elif isinstance(current, Index):
            stack.extend((current.index, current.target))
