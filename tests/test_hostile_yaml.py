"""Hostile and broken YAML: a message with file, line and column (exit 1), never an internal error.

Each case was an internal error, an endless run or an exit 2 before (issue 16, defects 2, 7, 10).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from sentinel_pack.cli import app
from sentinel_pack.errors import SentinelPackError
from sentinel_pack.manifest.yamlsource import load_yaml

LAUGHS = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True))

CASES = {
    # name: (bytes, message, line, column)
    "billion-laughs": (LAUGHS.encode(), "with its aliases expanded, the document holds more than 200,000 values", 6, 4),
    "recursive-alias": (b"a: &x [1, *x]\n", "an alias refers to the collection it is part of", 1, 4),
    "deep-flow": (b"a: " + b"[" * 3000 + b"]" * 3000 + b"\n", "nests deeper than 100 levels", 1, 103),
    "deep-block": ("".join(f"{'  ' * i}k{i}:\n" for i in range(2000)).encode() + b"  " * 2000 + b"x: 1\n",
                   "nests deeper than 100 levels", 100, 199),
    "deep-aliases": ("".join(f"a{i}: &a{i} [*a{i - 1}]\n" if i else "a0: &a0 [x]\n" for i in range(300)).encode(),
                     "with its aliases expanded, the document nests deeper than 100 levels", 98, 6),
    "complex-key": (b"? [a, b]\n: 1\n", "a key must be text, not a list or a mapping", 1, 3),
    "integer-key": (b"name: x\n1: 2\n", "the key '1' reads as a number, not as text", 2, 1),
    "null-key": (b"name: x\n~: 2\n", "the key '~' reads as an empty value, not as text", 2, 1),
    "bool-key": (b"name: x\ntrue: 2\n", "the key 'true' reads as true/false, not as text", 2, 1),
    "nul-byte": (b"a: 1\nb: \"x\x00y\"\n", "the character U+0000 is not allowed in YAML", 2, 6),
    "not-utf8": (b"a: 1\nb: caf\xe9\n", "byte 0xe9 is not UTF-8 text", 2, 7),
}


@pytest.mark.parametrize("name", CASES)
def test_loader_reports_file_line_and_column(name: str, tmp_path: Path) -> None:
    content, message, line, column = CASES[name]
    file = tmp_path / "x.yaml"
    file.write_bytes(content)
    started = time.monotonic()
    with pytest.raises(SentinelPackError) as caught:
        load_yaml(file, "x.yaml")
    assert time.monotonic() - started < 5
    problem = caught.value.problems[0]
    assert caught.value.exit_code == 1
    assert message in problem.message
    assert (problem.file, problem.line, problem.column) == ("x.yaml", line, column)


def test_merge_keys_and_small_aliases_still_load(tmp_path: Path) -> None:
    file = tmp_path / "x.yaml"
    file.write_text("base: &b {a: 1, b: 2}\nother:\n  <<: *b\n  c: 3\nlist: [*b, *b]\n")
    doc = load_yaml(file)
    assert doc.data["other"] == {"a": 1, "b": 2, "c": 3}
    assert doc.data["list"] == [{"a": 1, "b": 2}] * 2
    assert doc.position(("other", "c")) == (4, 6)


def test_oversized_file_is_refused_before_parsing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sentinel_pack.manifest import yamlsource

    monkeypatch.setattr(yamlsource, "MAX_BYTES", 1024)
    file = tmp_path / "x.yaml"
    file.write_text("a: " + "x" * 2000 + "\n")
    with pytest.raises(SentinelPackError, match="larger than"):
        load_yaml(file)


@pytest.mark.parametrize("name", ["billion-laughs", "not-utf8", "integer-key", "nul-byte"])
def test_manifest_and_rule_file_through_the_cli(name: str, solution_copy: Path, tmp_path: Path) -> None:
    """The same input as solution.yaml and as a listed analytic rule: exit 1 and file:line."""
    content, message, line, column = CASES[name]
    manifest = solution_copy / "solution.yaml"
    original = manifest.read_bytes()
    manifest.write_bytes(content)
    result = CliRunner().invoke(app, ["build", str(solution_copy), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    output = " ".join(result.output.split())
    assert f"solution.yaml:{line}:{column}: " in output and message in output

    manifest.write_bytes(original)
    rule = next((solution_copy / "Analytic Rules").glob("*.yaml"))
    rule.write_bytes(content)
    result = CliRunner().invoke(app, ["build", str(solution_copy), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    output = " ".join(result.output.split())
    assert f"{rule.name}:{line}:{column}: " in output and message in output
    assert not (tmp_path / "out").exists()


def test_lambda_code_that_is_not_utf8_is_a_message(solution_copy: Path, tmp_path: Path) -> None:
    code = solution_copy / "aws" / "eks_log_transform.py"
    code.write_bytes(b"import json\n# caf\xe9\n")
    result = CliRunner().invoke(app, ["build", str(solution_copy), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    assert "aws/eks_log_transform.py:2:6: byte 0xe9 is not UTF-8 text" in " ".join(result.output.split())


@pytest.mark.parametrize("value", [".nan", ".inf", "-.Inf", "+.INF"])
def test_nan_and_infinity_are_refused_with_their_line(value: str, tmp_path: Path) -> None:
    file = tmp_path / "x.yaml"
    file.write_text(f"a: 1\nb: {{c: {value}}}\nd: '.nan'\n")
    with pytest.raises(SentinelPackError) as caught:
        load_yaml(file, "x.yaml")
    problem = caught.value.problems[0]
    assert (problem.line, problem.column) == (2, 8)
    assert f"{value} is not a number JSON can hold" in problem.message


def test_plain_data_is_parsed_once_per_text_and_reads_what_the_strict_loader_refuses() -> None:
    """The validate rules read every detection and parser through ``plain_data``: one parse per
    distinct text in the process, with the loader's bounds; a file the strict loader refuses
    (a duplicate key, which Azure-Sentinel files do have) is still read as safe_load reads it."""
    from sentinel_pack.manifest.yamlsource import _parsed, plain_data

    text = "id: 1\nquery: |\n  T | take 1\n"
    before = _parsed.cache_info().misses
    assert plain_data(text) is plain_data(text) == {"id": 1, "query": "T | take 1\n"}
    assert _parsed.cache_info().misses == before + 1
    assert plain_data("query: a\nquery: b\n") == {"query": "b"}  # last one wins, as in safe_load
    with pytest.raises(yaml.YAMLError):
        plain_data("query: [unclosed\n")
    assert plain_data("") is None
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True))
    with pytest.raises(yaml.YAMLError, match="more than 200,000 values"):
        plain_data(bomb)  # the bounds hold for every reader


def _read_both(text: str):
    """(data, positions) from the libyaml path and from the Python path of the loader."""
    from sentinel_pack.manifest import yamlsource

    def through(node_of):
        loader, node = node_of(text)
        try:
            positions: dict = {}
            problems: list = []
            yamlsource._walk(node, (), positions, problems, "f.yaml")
            return loader.construct_document(node), positions, [p.message for p in problems]
        finally:
            loader.dispose()

    fast = yamlsource._fast_node
    assert fast(text) is not None
    return through(fast), through(yamlsource._slow_node)


def test_libyaml_and_the_python_reader_give_the_same_values_and_positions(reference_root: Path) -> None:
    """The C parser only speeds reading up: every real YAML file of the repository and the corpus
    gives the same data, the same line and column of every value and the same problems."""
    repo = Path(__file__).resolve().parent.parent
    files = [p for root in (repo / "solution", repo / "tests", repo / "sentinel_pack", reference_root / "corpus")
             for p in sorted(root.rglob("*.y*ml"))]
    assert len(files) > 15
    for path in files:
        text = path.read_text(encoding="utf-8-sig")
        if not text.strip():
            continue
        try:
            yaml.safe_load(text)
        except yaml.YAMLError:
            continue  # broken on purpose (test fixtures): the Python reader reports those
        fast, slow = _read_both(text)
        assert fast == slow, path
    fast, slow = _read_both("a: 2024-01-01\nb: 'é'\nc: [1, {d: é, e: 1.5}]\n'f': |\n  x\n  y\nk: &x 1\nl: *x\n")
    assert fast == slow and fast[0]["a"] == "2024-01-01"  # dates stay text on both paths


def test_input_the_c_parser_would_mishandle_goes_to_the_python_reader() -> None:
    from sentinel_pack.manifest import yamlsource

    assert yamlsource._fast_node("a: " + "[" * 150 + "]" * 150) is None  # deeper than MAX_DEPTH
    assert yamlsource._fast_node("a: \x00\n") is None  # a character the Python reader refuses
    assert yamlsource._fast_node("a: [1,\n") is None  # an error: the Python reader words it
