"""Templates are untrusted: loops, repetitions, self-includes and big outputs end with a message.

Issue 16, defects 7 and 9: each of these ran for hours, wrote a 1 GB file or ended in an
internal error before.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sentinel_pack.cli import app
from sentinel_pack.errors import SentinelPackError
from sentinel_pack.render import engine as render
from sentinel_pack.render.engine import Renderer

CASES = {
    "big-range": ("{% for i in range(10**7) %}{% endfor %}", "range() loops would run more than 1,000,000 times"),
    "nested-ranges": ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
                      "range() loops would run more than 1,000,000 times"),
    "repeat-string": ("{{ 'a' * 10**9 }}", "a repetition would build 1,000,000,000 items"),
    "repeat-list": ("{{ ([1] * 10**8) | length }}", "a repetition would build 100,000,000 items"),
    "huge-power": ("{{ 7 ** 10000000 }}", "a power would be a number of more than 100,000 bits"),
    "format-width": ("{{ '%099999999d' % 1 }}", "a format width of a million characters or more"),
    "format-method-width": ("{{ '{:>1000000000}'.format(1) }}", "a format width of a million characters or more"),
    "format-filter-width": ("{{ '%099999999d' | format(1) }}", "a format width of a million characters or more"),
    # Widths the format string does not hold: nested fields and '*' take them from the arguments.
    "nested-width": ("{{ '{:>{w}}'.format('x', w=10**9) }}", "a format width of a million characters or more"),
    "nested-width-format-map": ("{{ '{v:>{w}}'.format_map({'v': 'x', 'w': 10**9}) }}",
                                "a format width of a million characters or more"),
    "nested-positional": ("{{ '{0:>{1}}'.format('x', 10**9) }}", "a format width of a million characters or more"),
    "nested-precision": ("{{ '{:{w}.{p}f}'.format(1.5, w=5, p=10**9) }}",
                         "a format width of a million characters or more"),
    "nested-spec-string": ("{{ '{:{s}}'.format('x', s='>' ~ 10**9) }}", "a format width of a million characters or more"),
    "percent-star": ("{{ '%*d' % (10**9, 1) }}", "a format width of a million characters or more"),
    "percent-star-left": ("{{ '%-*d' % (-10**9, 1) }}", "a format width of a million characters or more"),
    "percent-star-precision": ("{{ '%.*f' % (10**9, 1.5) }}", "a format width of a million characters or more"),
    "percent-key": ("{{ '%(a)0999999999d' % {'a': 1} }}", "a format width of a million characters or more"),
    "format-filter-star": ("{{ '%s%*d' | format('a', 10**9, 1) }}", "a format width of a million characters or more"),
    "center-filter": ("{{ 'x' | center(10**9) }}", "the center filter with a width of 1,000,000,000"),
    "indent-filter": ("{{ 'x\ny' | indent(10**9) }}", "the indent filter with a width of 1,000,000,000"),
    "wordwrap-filter": ("{{ 'x' | wordwrap(10**9) }}", "the wordwrap filter with a width of 1,000,000,000"),
    "ljust-method": ("{{ 'x'.ljust(10**9) }}", "str.ljust() with a width of 1,000,000,000"),
    "self-include": ('{% include "t.j2" %}', "the template includes itself, or nests includes or macros too deep"),
    "division": ("{{ 1 / 0 }}", "template error: ZeroDivisionError: division by zero"),
}


@pytest.mark.parametrize("name", CASES)
def test_template_limit(name: str, tmp_path: Path) -> None:
    source, message = CASES[name]
    (tmp_path / "t.j2").write_text(source)
    started = time.monotonic()
    with pytest.raises(SentinelPackError) as caught:
        Renderer(tmp_path).render_text("t.j2", {})
    assert time.monotonic() - started < 10
    problem = caught.value.problems[0]
    assert message in problem.message
    assert problem.file == str(tmp_path / "t.j2")
    assert caught.value.exit_code == 1


def test_a_format_limit_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "t.j2").write_text("{% set w = 10**9 %}\nfine {{ '{:>3}'.format(1) }}\n{{ '{:>{w}}'.format('x', w=w) }}\n")
    with pytest.raises(SentinelPackError) as caught:
        Renderer(tmp_path).render_text("t.j2", {})
    problem = caught.value.problems[0]
    assert (problem.file, problem.line) == (str(tmp_path / "t.j2"), 3)
    assert problem.message == "the template went over a limit: a format width of a million characters or more"


def test_format_widths_under_the_limit_and_long_numbers_in_text_still_render(tmp_path: Path) -> None:
    """Widths are read from the real values: a long number in the text is not a width."""
    (tmp_path / "t.j2").write_text("{{ '{:>{w}}|{:{f}>{v}.{p}f}'.format('x', 1.5, w=4, v=6, p=2, f='*') }}"
                                   "|{{ '%-*s|%.*f' % (3, 'a', 1, 2.25) }}|{{ '%(n)3d' | format(n=7) }}"
                                   "|{{ 'id 12345678: {} %'.format(1) }}|{{ 'id 12345678: %s %%' % 'x' }}"
                                   "|{{ '{:1>999999}'.format('x') | length }}")
    assert Renderer(tmp_path).render_text("t.j2", {}) == \
        "   x|**1.50|a  |2.2|  7|id 12345678: 1 %|id 12345678: x %|999999"


def test_output_size_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "MAX_OUTPUT_CHARS", 10_000)
    (tmp_path / "t.j2").write_text("{% for i in range(5000) %}{{ 'abc' }}{% endfor %}")
    with pytest.raises(SentinelPackError, match="the output is larger than 10,000 characters"):
        Renderer(tmp_path).render_text("t.j2", {})


def test_render_time_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Loops over a list are not counted by the range budget; the timer ends them."""
    monkeypatch.setattr(render, "RENDER_SECONDS", 0.5)
    (tmp_path / "t.j2").write_text("{% set xs = range(1000) | list %}"
                                   "{% for a in xs %}{% for b in xs %}{% for c in xs %}{% endfor %}{% endfor %}{% endfor %}")
    started = time.monotonic()
    with pytest.raises(SentinelPackError, match=r"the template ran longer than 0\.5 seconds"):
        Renderer(tmp_path).render_text("t.j2", {})
    assert time.monotonic() - started < 5


def test_oversized_template_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "MAX_TEMPLATE_BYTES", 100)
    (tmp_path / "t.j2").write_text("x" * 200)
    with pytest.raises(SentinelPackError, match="the template is larger than 100 bytes"):
        Renderer(tmp_path).render_text("t.j2", {})


def test_normal_loops_still_work(tmp_path: Path) -> None:
    (tmp_path / "t.j2").write_text("{% for i in range(3) %}{{ i }}{% endfor %}{{ 'ab' * 2 }}{{ 2 ** 10 }}{{ '%5d' % 7 }}"
                                   "|{{ 'ab' | center(6) }}|{{ 'x\ny' | indent(2) }}|{{ '{:>3}'.format(1) }}"
                                   "|{{ 'x'.zfill(3) }}|{{ '%3d' | format(1) }}|{{ 'a b' | wordwrap(1) }}")
    assert Renderer(tmp_path).render_text("t.j2", {}) == "012abab1024    7|  ab  |x\n  y|  1|00x|  1|a\nb"


def test_limit_in_an_override_template_through_the_cli(solution_copy: Path, tmp_path: Path) -> None:
    overrides = solution_copy / "overrides" / "connector"
    overrides.mkdir(parents=True)
    (overrides / "Table.json.j2").write_text('{\n"x": {{ ("a" * 10**9) | tojson }}\n}\n')
    manifest = solution_copy / "solution.yaml"
    manifest.write_text(manifest.read_text().replace("manifest_version: 1\n", "manifest_version: 1\ntemplates_dir: overrides\n"))

    result = CliRunner().invoke(app, ["build", str(solution_copy), "--out", str(tmp_path / "out")])

    assert result.exit_code == 1, result.output
    assert "Table.json.j2:2: the template went over a limit: a repetition would build" in " ".join(result.output.split())
    assert not (tmp_path / "out").exists()


def test_nan_and_infinity_are_not_written_as_json(tmp_path: Path) -> None:
    (tmp_path / "t.j2").write_text('{"a": NaN}')
    with pytest.raises(SentinelPackError, match="the template rendered NaN, which is not a JSON value"):
        Renderer(tmp_path).render_json("t.j2", {})
    (tmp_path / "u.j2").write_text('{"a": {{ x | tojson }}}')
    with pytest.raises(SentinelPackError, match="template error: ValueError: Out of range float"):
        Renderer(tmp_path).render_json("u.j2", {"x": float("inf")})
