"""Limits for what ``diff`` reads: JSON it can walk, folders of a sane size.

The comparison walks documents recursively (unwrapping, keyed lists, deepdiff), so nesting is
capped well below Python's recursion limit, with the line of the first value too deep; invalid
JSON (``jsonsource``: also numbers too long for ``int``) and documents that are not the object a
package file must be become messages with the file and line, never internal errors. Folder
files are size-capped before reading, as zips already are (``safezip``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sentinel_pack.errors import IOFailure, Problem, SentinelPackError

#: Nesting a diff walks (real packages: about 25 levels, embedded templates included).
MAX_DEPTH = 100
#: A built folder's file larger than this is refused (real mainTemplates are under 2 MiB).
MAX_FILE_BYTES = 64 * 1024 * 1024
#: Package files that must hold a JSON object.
_OBJECTS = ("mainTemplate.json", "createUiDefinition.json")


def first_too_deep(value: Any) -> list[str | int] | None:
    """The path of the first value nested deeper than MAX_DEPTH, found without recursion."""
    stack: list[tuple[Any, list[str | int]]] = [(value, [])]
    while stack:
        node, path = stack.pop()
        if len(path) > MAX_DEPTH:
            return path
        if isinstance(node, dict):
            stack.extend((child, [*path, key]) for key, child in node.items())
        elif isinstance(node, list):
            stack.extend((child, [*path, index]) for index, child in enumerate(node))
    return None


def load_json(data: bytes, file: str) -> Any:
    """A JSON artefact of one side, checked so that comparing it cannot crash."""
    from sentinel_pack.jsonsource import JsonSyntaxError, parse

    hint = "diff compares built artefacts; rebuild this side"
    try:
        doc = parse(data)
        value = doc.data
    except JsonSyntaxError as exc:
        raise SentinelPackError(Problem(f"not valid JSON: {exc.message}", file=file, line=exc.line,
                                        column=exc.column, hint=hint)) from None
    deep = first_too_deep(value)
    if deep is not None:
        line, column = doc.locate(deep)
        raise SentinelPackError(Problem(f"the document nests deeper than {MAX_DEPTH} levels", file=file,
                                        line=line, column=column, hint=hint))
    if file.endswith(_OBJECTS) and not isinstance(value, dict):
        kind = "a list" if isinstance(value, list) else "null" if value is None else type(value).__name__
        raise SentinelPackError(Problem(f"a package file must hold a JSON object, not {kind}", file=file, hint=hint))
    return value


def read_capped(path: Path) -> bytes:
    """A folder file, refused (exit 2) above MAX_FILE_BYTES before it is read."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise IOFailure(Problem(f"the file is {size:,} bytes, more than the {MAX_FILE_BYTES:,} a solution file may "
                                "hold", file=str(path), hint="is this a built solution folder?"))
    return path.read_bytes()
