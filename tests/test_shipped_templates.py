"""The built-in templates compiled ahead of time (``render/shipped.py``): current, used, and
never able to change an output or an error message."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SOLUTION

from sentinel_pack.errors import SentinelPackError
from sentinel_pack.manifest.load import load_manifest
from sentinel_pack.package.build import render_solution
from sentinel_pack.render import shipped
from sentinel_pack.render.engine import Renderer

REPO = Path(__file__).resolve().parent.parent


SAME_JINJA = shipped.compiled_for() == shipped.jinja_version()


def test_the_shipped_table_is_current() -> None:
    """Edit a template or render/engine.py, then run scripts/compile_templates.py. Under another
    Jinja than the one it was compiled with, the table is not used at all (and not needed)."""
    if not SAME_JINJA:
        assert shipped._table() == {}
        return
    done = subprocess.run([sys.executable, "scripts/compile_templates.py", "--check"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert shipped._table(), "the table's key does not match this environment"


@pytest.mark.skipif(not SAME_JINJA, reason="the table is compiled for another Jinja: it is not used")
def test_every_built_in_template_is_served_from_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    renderer = Renderer()

    def no_compiling(*args, **kwargs):
        raise AssertionError("compiled at run time")

    monkeypatch.setattr(renderer.env, "compile", no_compiling)
    for name in renderer.env.list_templates():
        renderer.env.get_template(name)


def test_outputs_are_the_same_with_and_without_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = load_manifest(SOLUTION / "solution.yaml")
    served = render_solution(manifest).files
    monkeypatch.setattr(shipped, "_table", lambda: {})
    assert render_solution(manifest).files == served


def test_an_edited_or_overridden_template_is_compiled_from_its_own_source(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    name = "package/mainTemplate.json.j2"
    renderer = Renderer()
    bucket = shipped.ShippedTemplates().get_bucket(renderer.env, name, None, "{{ 'edited' }}")
    assert bucket.code is None  # another source: Jinja compiles it
    another = {"key": "jinja2 0.0; render/engine.py 0", "templates": {}}
    monkeypatch.setattr(shipped, "TABLE", tmp_path / "table.json")
    (tmp_path / "table.json").write_text(__import__("json").dumps(another), encoding="utf-8")
    shipped._table.cache_clear()
    try:
        assert shipped._table() == {}  # made for another Jinja or environment: not used
    finally:
        shipped._table.cache_clear()


def test_an_error_in_a_served_template_names_the_template_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = "{\n  \"a\": {{ 1 | tojson }},\n  \"b\": {{ missing.value | tojson }}\n}\n"
    (tmp_path / "x.json.j2").write_text(source, encoding="utf-8")
    renderer = Renderer(override_dir=tmp_path)
    code = renderer.env.compile(source, "x.json.j2", str(tmp_path / "x.json.j2"), raw=True)
    table = {"x.json.j2": {"checksum": hashlib.sha1(source.encode()).hexdigest(), "code": code}}
    monkeypatch.setattr(shipped, "_table", lambda: table)
    monkeypatch.setattr(renderer.env, "compile", lambda *a, **k: pytest.fail("compiled at run time"))
    with pytest.raises(SentinelPackError) as caught:
        renderer.render_json("x.json.j2", {})
    problem = caught.value.problems[0]
    assert problem.file == str(tmp_path / "x.json.j2") and problem.line == 3 and "missing" in problem.message
