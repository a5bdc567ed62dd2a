"""Safe YAML loading that remembers where every value came from.

Manifest errors must name the line and column, so loading keeps a map from each
value's path to its position. Dates stay strings (JSON Schema checks their format)
and duplicate keys are an error rather than a silent last-one-wins.

The input is untrusted: the file size, the nesting depth and what aliases expand to are
bounded before anything walks the data ("billion laughs"), keys must be text, and bytes that
are not UTF-8 or characters YAML forbids are reported with their line and column (exit 1).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from sentinel_pack.errors import IOFailure, Problem, SentinelPackError

PathKey = tuple[str | int, ...]


#: Larger inputs are refused before parsing (a real manifest or rule is well under 1 MiB).
MAX_BYTES = 16 * 1024 * 1024
#: Deeper nesting is refused while composing (real manifests nest about 10 levels).
MAX_DEPTH = 100
#: Values a document may hold once its aliases are expanded.
MAX_NODES = 200_000

_STR = "tag:yaml.org,2002:str"
_FLOAT = "tag:yaml.org,2002:float"
_NOT_JSON_NUMBER = re.compile(r"[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)")
_MERGE = "tag:yaml.org,2002:merge"
_KEY_KINDS = {"tag:yaml.org,2002:int": "a number", "tag:yaml.org,2002:float": "a number",
              "tag:yaml.org,2002:bool": "true/false", "tag:yaml.org,2002:null": "an empty value"}


class _Loader(yaml.SafeLoader):
    """SafeLoader without the implicit timestamp type: dates are kept as written.

    Composing is recursive in PyYAML, so the depth is counted and capped here, before Python's
    own recursion limit turns deep input into a RecursionError.
    """

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"the document nests deeper than {MAX_DEPTH} levels", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_OPENS = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSES = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
if getattr(yaml, "__with_libyaml__", False):
    class _CLoader(yaml.CSafeLoader):
        """libyaml's parser with the same resolvers and constructors as ``_Loader``."""
else:  # PyYAML built without libyaml: the Python loader reads everything
    _CLoader = None

_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
if _CLoader is not None:
    _CLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers


@dataclass
class YamlDocument:
    data: Any
    file: str
    positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def position(self, path: PathKey) -> tuple[int | None, int | None]:
        """Line and column (1-based) of the value at ``path`` or of its closest parent."""
        path = tuple(path)
        while True:
            if path in self.positions:
                return self.positions[path]
            if not path:
                return None, None
            path = path[:-1]

    def problem(self, path: PathKey, message: str, hint: str | None = None) -> Problem:
        from sentinel_pack.errors import json_path

        line, column = self.position(path)
        return Problem(message, file=self.file, line=line, column=column,
                       path=json_path(path) if path else None, hint=hint)


def _problem_at(node: yaml.Node, file: str, message: str, hint: str | None = None) -> Problem:
    return Problem(message, file=file, line=node.start_mark.line + 1, column=node.start_mark.column + 1, hint=hint)


def _check_expansion(root: yaml.Node, file: str) -> None:
    """Count the values the document holds with every alias expanded, in linear time.

    Aliases share one node, so the count is memoized per node; a node met again on the current
    path is a recursive alias. Both the size and the expanded depth are capped, so nothing later
    (the walk below, jsonschema, json.dumps) can be sent into an exponential or endless loop.
    """
    memo: dict[int, tuple[int, int]] = {}  # id(node) -> (values, depth)
    active: set[int] = set()

    def measure(node: yaml.Node, depth: int) -> tuple[int, int]:
        key = id(node)
        if key in memo:
            if depth + memo[key][1] - 1 > MAX_DEPTH:  # a shared subtree, met again deeper down
                raise SentinelPackError(_problem_at(node, file, f"with its aliases expanded, the document nests "
                                                    f"deeper than {MAX_DEPTH} levels",
                                                    "write the values out without aliases"))
            return memo[key]
        if key in active:
            raise SentinelPackError(_problem_at(node, file, "an alias refers to the collection it is part of "
                                                "(a recursive structure)", "replace the alias by the values"))
        if depth > MAX_DEPTH:
            raise SentinelPackError(_problem_at(node, file, f"with its aliases expanded, the document nests deeper "
                                                f"than {MAX_DEPTH} levels", "write the values out without aliases"))
        active.add(key)
        values, deepest = 1, 0
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        for child in children:
            count, child_depth = measure(child, depth + 1)
            values += count
            deepest = max(deepest, child_depth)
            if values > MAX_NODES:
                raise SentinelPackError(_problem_at(
                    node, file, f"with its aliases expanded, the document holds more than {MAX_NODES:,} values",
                    "write the values out without aliases (a YAML alias bomb is refused)"))
        active.discard(key)
        memo[key] = (values, deepest + 1)
        return memo[key]

    measure(root, 1)


def _walk(node: yaml.Node, path: PathKey, positions: dict, problems: list[Problem], file: str):
    positions.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(_problem_at(key_node, file, "a key must be text, not a list or a mapping",
                                            "write the key as plain text"))
                continue
            if key_node.tag == _MERGE:
                _walk(value_node, path, positions, problems, file)  # '<<: *defaults' merges into this mapping
                continue
            key = key_node.value
            if key_node.tag != _STR:
                kind = _KEY_KINDS.get(key_node.tag, f"a {key_node.tag.rsplit(':', 1)[-1]} value")
                problems.append(_problem_at(key_node, file, f"the key {key!r} reads as {kind}, not as text",
                                            f"quote it: '{key}':" if key else "give the key a name"))
                continue
            if key in seen:
                first = seen[key].start_mark.line + 1
                problems.append(Problem(
                    f"duplicate key '{key}' (first defined on line {first})",
                    file=file, line=key_node.start_mark.line + 1,
                    column=key_node.start_mark.column + 1,
                    hint="remove one of the two entries: YAML keeps only the last silently"))
            seen[key] = key_node
            _walk(value_node, (*path, key), positions, problems, file)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), positions, problems, file)
    elif node.tag == _FLOAT and _NOT_JSON_NUMBER.fullmatch(node.value):
        problems.append(_problem_at(node, file, f"{node.value} is not a number JSON can hold",
                                    f"quote it ('{node.value}') or write a number"))


def _line_column(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def read_text(path: Path, name: str, limit: int | None = None) -> str:
    """A UTF-8 text file, size-capped; bytes that are not UTF-8 are bad input with a line (exit 1)."""
    limit = MAX_BYTES if limit is None else limit
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise IOFailure(Problem("file not found", file=name)) from None
    except IsADirectoryError:
        raise IOFailure(Problem("this is a folder, not a file", file=name)) from None
    except OSError as exc:
        raise IOFailure(Problem(f"cannot read file: {exc.strerror or exc}", file=name)) from None
    if len(data) > limit:
        raise SentinelPackError(Problem(f"the file is larger than {limit:,} bytes", file=name,
                                        hint="a solution's YAML files are small: is this the right file?"))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        good = data[:exc.start].decode("utf-8")
        line, column = _line_column(good, len(good))
        raise SentinelPackError(Problem(f"byte 0x{data[exc.start]:02x} is not UTF-8 text", file=name, line=line,
                                        column=column, hint="save the file as UTF-8")) from None


def load_yaml(path: Path, display_name: str | None = None) -> YamlDocument:
    name = display_name or str(path)
    text = read_text(path, name)
    data, positions = _parse(text, name)
    return YamlDocument(data=copy.deepcopy(data), file=name, positions=dict(positions))


class _Strict(SentinelPackError):
    """What a manifest may not hold but YAML allows (duplicate keys, an empty file, ...)."""


def plain_data(text: str) -> Any:
    """The data of a YAML text as ``safe_load`` reads it, shared with every other reader of the
    same text in the process (the solution's views, the rules): read it, do not change it.

    Parsed once, with the bounds of ``load_yaml`` (over one, or not YAML: ``yaml.YAMLError``); a
    text only the manifest rules refuse (a duplicate key, say) is read by ``yaml.safe_load``.
    """
    try:
        return _parse(text, "")[0]
    except _Strict:
        return yaml.safe_load(text)
    except SentinelPackError as error:  # over a bound: unreadable for every reader
        raise yaml.YAMLError(error.problems[0].message) from None


def _parse(text: str, name: str) -> tuple[Any, dict[PathKey, tuple[int, int]]]:
    """``_parsed`` with the problems about ``name``."""
    try:
        return _parsed(text)
    except SentinelPackError as error:
        if not name:
            raise
        from dataclasses import replace

        raise SentinelPackError([replace(p, file=name) for p in error.problems],
                                exit_code=error.exit_code) from None


def _slow_node(text: str) -> tuple[Any, Any]:
    loader = _Loader(text)
    return loader, loader.get_single_node()


def _fast_node(text: str) -> tuple[Any, Any] | None:
    """The node tree from libyaml (C, several times faster) when PyYAML has it, else None.

    Only for text the Python reader accepts and that nests at most MAX_DEPTH deep, counted on
    the event stream first (libyaml's parser keeps its own stack; composing recurses in C, where
    deep input would overflow the stack instead of raising). Any error also means None: the
    Python loader then reads the text and says what is wrong, always in the same words.
    """
    if not getattr(yaml, "__with_libyaml__", False) or yaml.reader.Reader.NON_PRINTABLE.search(text):
        return None
    loader = None
    try:
        depth = 0
        for event in yaml.parse(text, Loader=_CLoader):
            if isinstance(event, _OPENS):
                depth += 1
                if depth > MAX_DEPTH:
                    return None
            elif isinstance(event, _CLOSES):
                depth -= 1
        loader = _CLoader(text)
        return loader, loader.get_single_node()
    except yaml.YAMLError:
        if loader is not None:
            loader.dispose()
        return None


@lru_cache(maxsize=512)
def _parsed(text: str) -> tuple[Any, dict[PathKey, tuple[int, int]]]:
    """One parse per distinct file content in the process (manifest, detection loading and the
    validate rules all read the same YAML); callers get copies, errors are not kept."""
    name = ""
    loader = None
    try:
        loader, node = _fast_node(text) or _slow_node(text)
        if node is None:
            raise _Strict(Problem("the file is empty", file=name, hint="start from the example in the README"))
        _check_expansion(node, name)
        problems: list[Problem] = []
        positions: dict[PathKey, tuple[int, int]] = {}
        _walk(node, (), positions, problems, name)
        if problems:
            raise _Strict(problems)
        data = loader.construct_document(node)
    except yaml.reader.ReaderError as exc:
        line, column = _line_column(text, exc.position)
        character = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        raise SentinelPackError(Problem(f"invalid YAML: the character {character} is not allowed in YAML",
                                        file=name, line=line, column=column,
                                        hint="remove it (control characters such as NUL cannot appear in YAML; "
                                             "write them as \\x.. escapes in a double-quoted string)")) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise SentinelPackError(Problem(
            f"invalid YAML: {exc.problem or exc.context}",
            file=name,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
            hint="check indentation and quoting around this position")) from None
    except yaml.YAMLError as exc:
        raise SentinelPackError(Problem(f"invalid YAML: {exc}", file=name)) from None
    except (RecursionError, MemoryError):
        raise SentinelPackError(Problem("the file is too deeply nested or too large to read", file=name)) from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, positions
