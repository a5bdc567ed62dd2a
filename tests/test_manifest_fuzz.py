"""Property: whatever solution.yaml holds, loading it succeeds or fails with a located message.

Issue 16: "any input gives exit 0 or a message with a location, never an internal error". The
inputs are the real manifest with random edits (lines dropped, duplicated or swapped, values
replaced by other YAML, characters inserted anywhere, including control characters, anchors and
aliases, tabs and brackets), plus arbitrary bytes. A manifest that loads is also rendered, as
``build`` would. Bounded for CI: a fixed number of examples, each well under a second (an example
over 10 s, such as an alias bomb, fails the deadline).
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

from conftest import SOLUTION
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sentinel_pack.errors import SentinelPackError

ORIGINAL = (SOLUTION / "solution.yaml").read_text(encoding="utf-8")
LINES = ORIGINAL.splitlines(keepends=True)

SCALARS = st.sampled_from([
    "", "~", "null", "true", "no", "0", "-1", "1e400", ".nan", "0x1F", "3.1.0\n", '"x\\ny"', "[]", "{}", "[a, {b: c}]",
    "&a [1, 2]", "*a", "*undefined", "!!binary aGk=", "!!python/object:os.system", "!!set {a}", "? [a]\n  : b",
    "<<: {x: 1}", "2026-02-30", "9999-12-31", "'\u2028'", "\x00", "\t", "{", "- - -", "|\n  text", ">-",
    "AWS EKS", "OIDC_Role", "Custom-X", "Tenantid", "a" * 300,
])
EDITS = st.one_of(
    st.tuples(st.just("drop"), st.integers(0, len(LINES) - 1)),
    st.tuples(st.just("dup"), st.integers(0, len(LINES) - 1)),
    st.tuples(st.just("swap"), st.integers(0, len(LINES) - 1)),
    st.tuples(st.just("value"), st.integers(0, len(LINES) - 1), SCALARS),
    st.tuples(st.just("insert"), st.integers(0, len(ORIGINAL)), st.text(min_size=1, max_size=8)),
)


def _apply(edits: list[tuple]) -> str:
    lines = list(LINES)
    for edit in edits:
        kind, index = edit[0], edit[1] % max(len(lines), 1)
        if not lines:
            break
        if kind == "drop":
            del lines[index]
        elif kind == "dup":
            lines.insert(index, lines[index])
        elif kind == "swap" and index + 1 < len(lines):
            lines[index], lines[index + 1] = lines[index + 1], lines[index]
        elif kind == "value" and ":" in lines[index]:
            key = lines[index].split(":", 1)[0]
            lines[index] = f"{key}: {edit[2]}\n"
        elif kind == "insert":
            text = "".join(lines)
            at = edit[1] % (len(text) + 1)
            lines = (text[:at] + edit[2] + text[at:]).splitlines(keepends=True)
    return "".join(lines)


def _check(solution: Path, content: bytes) -> None:
    from sentinel_pack.manifest.load import load_manifest
    from sentinel_pack.package.build import render_solution

    (solution / "solution.yaml").write_bytes(content)
    try:
        render_solution(load_manifest(solution))
    except SentinelPackError as error:
        assert error.exit_code == 1, error.render()
        for problem in error.problems:
            assert problem.file, problem
            located = problem.line is not None or problem.path is not None
            assert located or problem.message in ("the file is empty",), problem


@settings(max_examples=60, deadline=timedelta(seconds=10), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(EDITS, min_size=1, max_size=4))
def test_edited_manifest_loads_or_fails_with_a_location(tmp_path_factory, edits: list[tuple]) -> None:
    solution = tmp_path_factory.mktemp("fuzz") / "solution"
    shutil.copytree(SOLUTION, solution, ignore=shutil.ignore_patterns("Package", "Data*", "*.md", "*.json"))
    _check(solution, _apply(edits).encode("utf-8", "surrogatepass"))


@settings(max_examples=40, deadline=timedelta(seconds=10), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=200) | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_arbitrary_bytes_load_or_fail_with_a_location(tmp_path_factory, content: bytes) -> None:
    solution = tmp_path_factory.mktemp("bytes")
    _check(solution, content)
