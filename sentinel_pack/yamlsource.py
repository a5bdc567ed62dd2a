"""Safe YAML loading that remembers where every value came from.

Manifest errors must name the line and column, so loading keeps a map from each
value's path to its position. Dates stay strings (JSON Schema checks their format)
and duplicate keys are an error rather than a silent last-one-wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sentinel_pack.errors import IOFailure, Problem, SentinelPackError

PathKey = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """SafeLoader without the implicit timestamp type: dates are kept as written."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


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


def _walk(node: yaml.Node, path: PathKey, positions: dict, problems: list[Problem], file: str):
    positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value
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


def load_yaml(path: Path, display_name: str | None = None) -> YamlDocument:
    name = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise IOFailure(Problem("file not found", file=name)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise IOFailure(Problem(f"cannot read file: {exc}", file=name)) from None
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise SentinelPackError(Problem("the file is empty", file=name,
                                            hint="start from the example in the README"))
        problems: list[Problem] = []
        positions: dict[PathKey, tuple[int, int]] = {}
        _walk(node, (), positions, problems, name)
        if problems:
            raise SentinelPackError(problems)
        data = loader.construct_document(node)
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
    finally:
        loader.dispose()
    return YamlDocument(data=data, file=name, positions=positions)
