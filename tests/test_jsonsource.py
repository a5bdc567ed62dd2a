"""JSON with positions: the values json.loads gives, and the line and column of each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinel_pack.jsonsource import MAX_DEPTH, JsonSyntaxError, parse

TEMPLATE = """{
  "a": 1,
  "b": [true, {"c": "x"}, []],
  "d\\u00e9": {},
  "e": "it''s [concat('a', 'b')]"
}"""


def test_value_and_key_positions() -> None:
    doc = parse(TEMPLATE)
    assert doc.data == json.loads(TEMPLATE)
    assert doc.locate([]) == (1, 1)
    assert doc.locate(["a"]) == (2, 8)
    assert doc.locate(["a"], key=True) == (2, 3)
    assert doc.locate(["b", 1, "c"]) == (3, 21)
    assert doc.locate(["b", 2]) == (3, 27)
    assert doc.locate(["dé"]) == (4, 14)


def test_missing_path_points_at_deepest_ancestor() -> None:
    doc = parse(TEMPLATE)
    assert doc.locate(["b", 1, "missing", 3]) == doc.locate(["b", 1])
    assert doc.locate(["nothing"]) == (1, 1)


def test_column_inside_a_string_counts_escapes() -> None:
    text = '{"q": "a\\"b\\u0041c [x"}'
    doc = parse(text)
    value = doc.data["q"]
    index = value.index("[")
    line, column = doc.locate_in_string(["q"], index)
    assert text[column - 1] == "["
    assert line == 1


def test_comments_and_bom_as_arm_accepts_them() -> None:
    text = '\ufeff{\n  // a comment\n  "a": "http://x", /* inline */ "b": 2\n}'
    with pytest.raises(JsonSyntaxError):
        parse(text)
    doc = parse(text.encode("utf-8"), comments=True)
    assert doc.data == {"a": "http://x", "b": 2}
    assert doc.locate(["b"]) == (3, 38)


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ("", 1, 1, "empty"),
        ("   \n", 2, 1, "empty"),
        ('{"a": 1,\n "b": ', 2, 7, "truncated"),
        ('{"a": [1, 2,]}', 1, 13, "trailing comma"),
        ('{"a": 1,}', 1, 9, "trailing comma"),
        ('{"a": NaN}', 1, 7, "NaN is not a JSON value"),
        ("{'a': 1}", 1, 2, "double quotes"),
    ],
)
def test_syntax_errors_have_line_and_column(text: str, line: int, column: int, words: str) -> None:
    with pytest.raises(JsonSyntaxError) as caught:
        parse(text)
    assert (caught.value.line, caught.value.column) == (line, column)
    assert words in caught.value.message


def test_invalid_utf8_is_a_syntax_error_with_its_line() -> None:
    with pytest.raises(JsonSyntaxError) as caught:
        parse(b'{\n  "a": "caf\xe9"\n}')
    assert (caught.value.line, caught.value.column) == (2, 12)
    assert "UTF-8" in caught.value.message


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5000])
def test_nesting_too_deep_is_refused_with_position(depth: int) -> None:
    with pytest.raises(JsonSyntaxError) as caught:
        parse("[" * depth + "]" * depth)
    assert caught.value.column == MAX_DEPTH + 1
    assert "levels deep" in caught.value.message


def test_positions_of_a_real_template(reference_eks: Path) -> None:
    path = reference_eks / "Package" / "mainTemplate.json"
    raw = path.read_text(encoding="utf-8")
    doc = parse(raw)
    lines = raw.splitlines()
    for index, resource in enumerate(doc.data["resources"]):
        line, column = doc.locate(["resources", index, "type"])
        assert lines[line - 1][column - 1:].startswith(json.dumps(resource["type"]))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


def _paths(value: object, prefix: tuple = ()):
    yield prefix, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


@settings(max_examples=150, deadline=None)
@given(json_values, st.sampled_from([None, 2]))
def test_every_value_is_located_where_its_text_starts(value: object, indent: int | None) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    doc = parse(text)
    lines = text.split("\n")
    for path, item in _paths(value):
        line, column = doc.locate(path)
        rest = lines[line - 1][column - 1:]
        expected = json.dumps(item, indent=indent, ensure_ascii=False).split("\n")[0]
        assert rest.startswith(expected), (path, rest, expected)


def test_import_stays_light() -> None:
    # The module is imported by validate on every run: it must stay light.
    import subprocess
    import sys

    code = "import sys, sentinel_pack.jsonsource; print(sorted(m for m in ('jsonschema', 'yaml') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parent.parent)
    assert out.stdout.strip() == "[]"


def test_arm_mode_accepts_raw_line_breaks_in_strings() -> None:
    text = '{\n  "a": "first\nsecond",\n  "b": 1\n}'
    with pytest.raises(JsonSyntaxError):
        parse(text)
    doc = parse(text, comments=True)
    assert doc.data == {"a": "first\nsecond", "b": 1}
    assert doc.locate(["b"]) == (4, 8)
