"""The built-in templates, compiled ahead of time and shipped as package data.

Jinja's parse and code generation are most of what rendering a solution costs (about 0.06 s
of a run, the same in every run of a release). ``scripts/compile_templates.py`` writes
``compiled_templates.json``: for each built-in template, the Python source Jinja generates and
the checksum of the template source it came from, under a key naming Jinja's version and this
package's environment. A template whose source and environment match is served from it
(Python still compiles that source, with the template's own file name, so tracebacks and the
template lines in error messages are Jinja's own); anything else (an edited template, a
solution's own override, another Jinja) is compiled as usual. The file is read, never written
at run time: it is code of the release, reviewed like the rest.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

from jinja2.bccache import Bucket, BytecodeCache

HERE = Path(__file__).resolve().parent
TABLE = HERE / "compiled_templates.json"


def environment_key() -> str:
    """What the generated code depends on besides the template: Jinja, and our environment."""
    digest = hashlib.sha256((HERE / "engine.py").read_bytes()).hexdigest()
    return f"jinja2 {jinja_version()}; render/engine.py {digest}"


def jinja_version() -> str:
    from importlib.metadata import version

    return version("jinja2")


def compiled_for() -> str | None:
    """The Jinja version the shipped table was compiled with (another one does not use it)."""
    try:
        key = json.loads(TABLE.read_text(encoding="utf-8")).get("key", "")
    except (OSError, ValueError, AttributeError):
        return None
    return key.split(";")[0].removeprefix("jinja2 ") if key.startswith("jinja2 ") else None


@cache
def _table() -> dict[str, Any]:
    try:
        table = json.loads(TABLE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(table, dict) or table.get("key") != environment_key():
        return {}
    templates = table.get("templates")
    return templates if isinstance(templates, dict) else {}


class ShippedTemplates(BytecodeCache):
    """Jinja's bytecode-cache hook, serving the shipped code; it stores nothing."""

    def get_bucket(self, environment: Any, name: str, filename: str | None, source: str) -> Bucket:
        bucket = Bucket(environment, self.get_cache_key(name, filename), self.get_source_checksum(source))
        entry = _table().get(name)
        if isinstance(entry, dict) and entry.get("checksum") == bucket.checksum and isinstance(entry.get("code"), str):
            bucket.code = compile(entry["code"], filename or name, "exec")
        return bucket

    def set_bucket(self, bucket: Bucket) -> None:
        pass

    def load_bytecode(self, bucket: Bucket) -> None:
        pass

    def dump_bytecode(self, bucket: Bucket) -> None:
        pass


def compiled_table(environment: Any, templates_dir: Path) -> dict[str, Any]:
    """The table for every template under ``templates_dir`` (what the maintainer script writes)."""
    out = {}
    for path in sorted(templates_dir.rglob("*")):
        if path.is_file():
            name = path.relative_to(templates_dir).as_posix()
            source = path.read_text(encoding="utf-8")
            out[name] = {"checksum": hashlib.sha1(source.encode("utf-8")).hexdigest(),
                         "code": environment.compile(source, name, str(path), raw=True)}
    return {"key": environment_key(), "templates": out}
