"""Regenerate ``sentinel_pack/render/compiled_templates.json`` (maintainers; run after editing a template).

    python scripts/compile_templates.py [--check]

Compiles every built-in template with sentinel-pack's own Jinja environment and writes the
generated Python source with the checksum of each template (see ``sentinel_pack/render/shipped.py``).
``--check`` writes nothing and exits 1 when the file is not current. A stale file is never
wrong, only slow: a template whose checksum differs is compiled at run time.
"""

from __future__ import annotations

import json
import sys

from sentinel_pack.render.engine import Renderer
from sentinel_pack.render.shipped import TABLE, compiled_table
from sentinel_pack.resources import templates_dir


def render_table() -> str:
    renderer = Renderer(use_shipped=False)
    return json.dumps(compiled_table(renderer.env, templates_dir()), indent=1, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    text = render_table()
    current = TABLE.read_text(encoding="utf-8") if TABLE.is_file() else ""
    if "--check" in argv:
        if text != current:
            print(f"{TABLE} is not current: run python scripts/compile_templates.py", file=sys.stderr)
            return 1
        return 0
    if text != current:
        TABLE.write_text(text, encoding="utf-8")
        print(f"wrote {TABLE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
