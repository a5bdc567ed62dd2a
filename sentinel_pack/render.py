"""The Jinja environment: sandboxed, strict about undefined values, JSON-aware.

Values reach JSON templates only through ``tojson`` so a quote or backslash in a manifest can
never break the document, and every JSON output is parsed back before anything is written.
"""

from __future__ import annotations

import json
import traceback
from pathlib import Path
from typing import Any

from sentinel_pack import jsonfmt
from sentinel_pack.errors import Problem, SentinelPackError


def _undefined_is_an_error(value: Any) -> Any:
    """json.dumps meets StrictUndefined only inside a literal; make it fail as Jinja would."""
    from jinja2 import Undefined

    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    raise TypeError(f"a {type(value).__name__} cannot be written as JSON")


def _tojson(value: Any) -> str:
    # Jinja's own tojson escapes <, > and & for HTML; these files are JSON, not HTML.
    return json.dumps(value, ensure_ascii=False, default=_undefined_is_an_error)


def _placeholder(name: str) -> str:
    """A ``{{name}}`` placeholder as a JSON string, without fighting Jinja's own braces."""
    return json.dumps("{{" + name + "}}")


class Renderer:
    def __init__(self, override_dir: Path | None = None):
        from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined
        from jinja2.sandbox import SandboxedEnvironment

        from sentinel_pack.resources import templates_dir

        self.builtin_dir = templates_dir()
        self.override_dir = override_dir
        loaders = [FileSystemLoader(str(override_dir))] if override_dir else []
        loaders.append(FileSystemLoader(str(self.builtin_dir)))
        self.env = SandboxedEnvironment(
            loader=ChoiceLoader(loaders),
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=False,
        )
        self.env.filters["tojson"] = _tojson
        self.env.filters["compact_json"] = jsonfmt.compact
        self.env.globals["placeholder"] = _placeholder

    def display_name(self, name: str) -> str:
        if self.override_dir and (self.override_dir / name).is_file():
            return str(self.override_dir / name)
        return f"template {name} (built-in)"

    def render_text(self, name: str, context: dict[str, Any]) -> str:
        from jinja2 import TemplateError, TemplateNotFound, TemplateSyntaxError, UndefinedError
        from jinja2.sandbox import SecurityError

        try:
            return self.env.get_template(name).render(**context)
        except TemplateNotFound as exc:
            raise SentinelPackError(Problem(f"template '{exc.name}' not found",
                                            file=self.display_name(name))) from None
        except TemplateSyntaxError as exc:
            raise SentinelPackError(Problem(f"template syntax error: {exc.message}",
                                            file=self.display_name(exc.name or name), line=exc.lineno)) from None
        except UndefinedError as exc:
            file, line = self._template_frame(exc, name)
            raise SentinelPackError(Problem(
                f"the template uses an undefined value: {exc.message}",
                file=file, line=line,
                hint="define the value in solution.yaml or fix the name in the template")) from None
        except SecurityError as exc:
            file, line = self._template_frame(exc, name)
            raise SentinelPackError(Problem(f"the template tried an unsafe operation: {exc}",
                                            file=file, line=line)) from None
        except TemplateError as exc:
            file, line = self._template_frame(exc, name)
            raise SentinelPackError(Problem(f"template error: {exc}", file=file, line=line)) from None

    def render_json(self, name: str, context: dict[str, Any]) -> Any:
        text = self.render_text(name, context)
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            bad_line = text.splitlines()[exc.lineno - 1].strip() if text else ""
            raise SentinelPackError(Problem(
                f"the template rendered invalid JSON ({exc.msg} at output line {exc.lineno}, "
                f"column {exc.colno}: {bad_line[:80]!r})",
                file=self.display_name(name),
                hint="emit every value with '| tojson' and check commas around loops and conditions")) from None

    def _template_frame(self, exc: BaseException, name: str) -> tuple[str, int | None]:
        """Jinja rewrites tracebacks so template frames carry the template's own line numbers."""
        roots = [str(self.builtin_dir)] + ([str(self.override_dir)] if self.override_dir else [])
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if any(frame.filename.startswith(root) for root in roots):
                for root in roots:
                    if frame.filename.startswith(root):
                        rel = Path(frame.filename).relative_to(root).as_posix()
                        return self.display_name(rel), frame.lineno
        return self.display_name(name), None
