"""The Jinja environment: sandboxed, strict about undefined values, JSON-aware.

Values reach JSON templates only through ``tojson`` so a quote or backslash in a manifest can
never break the document, and every JSON output is parsed back before anything is written.

A template folder is untrusted input too: a template file must be a regular file inside its
folder (a link leading elsewhere is refused, so no file outside the solution can end up in the
output), and rendering is bounded: loop ranges, the size of strings and lists an operator may
build, big powers, format widths (checked on the values, so ``'{:>{w}}'`` and ``'%*d'`` count),
the output size, the nesting of includes and the wall-clock time.
"""

from __future__ import annotations

import json
import re
import signal
import threading
import traceback
import types
from pathlib import Path
from typing import Any

from sentinel_pack.errors import Problem, SentinelPackError
from sentinel_pack.paths import is_inside
from sentinel_pack.render import jsonfmt


def _undefined_is_an_error(value: Any) -> Any:
    """json.dumps meets StrictUndefined only inside a literal; make it fail as Jinja would."""
    from jinja2 import Undefined

    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    raise TypeError(f"a {type(value).__name__} cannot be written as JSON")


def _tojson(value: Any) -> str:
    # Jinja's own tojson escapes <, > and & for HTML; these files are JSON, not HTML.
    return json.dumps(value, ensure_ascii=False, default=_undefined_is_an_error, allow_nan=False)


class _NotJson(ValueError):
    """NaN or Infinity: Python's json reads them, JSON (and ARM) does not."""


def _not_json(name: str) -> Any:
    raise _NotJson(name)


def _placeholder(name: str) -> str:
    """A ``{{name}}`` placeholder as a JSON string, without fighting Jinja's own braces."""
    return json.dumps("{{" + name + "}}")


#: A template file larger than this is refused (the built-in ones are under 40 KiB).
MAX_TEMPLATE_BYTES = 1024 * 1024
#: One template's output, in characters (real outputs are under 1 MiB).
MAX_OUTPUT_CHARS = 32 * 1024 * 1024
#: Items all ``range()`` calls of one template may produce together.
MAX_RANGE_ITEMS = 1_000_000
#: Wall-clock seconds one template may render (real ones take milliseconds).
RENDER_SECONDS = 20.0
#: A format width or precision this long (a million characters or more) is refused.
_FORMAT_DIGITS = 7
_FORMAT_LIMIT = "a format width of a million characters or more"
#: Python's format-spec mini-language; a spec it does not match (a date's strftime) has all its numbers checked.
_SPEC = re.compile(r"(?:.?[<>=^])?[-+ ]?z?#?0?(?P<width>\d*)[,_]?(?:\.(?P<precision>\d*))?[,_]?[A-Za-z%]?", re.S)
#: One printf-style conversion; ``*`` takes the width or precision from the values.
_PERCENT = re.compile(r"%(?:\((?P<key>[^)]*)\))?[#0\- +]*(?P<width>\*|\d*)(?:\.(?P<precision>\*|\d*))?[hlL]?"
                      r"(?P<type>.?)", re.S)
#: Widths of padding filters and methods (center, indent, ljust, ...); real ones are under 200.
MAX_WIDTH = 100_000
_WIDTH_FILTERS = ("center", "indent", "wordwrap")
_WIDTH_METHODS = ("center", "ljust", "rjust", "zfill", "expandtabs")


class RenderLimit(Exception):
    """A template went over one of the limits above."""


def _loader(root: Path) -> Any:
    """A FileSystemLoader that reads only regular files inside ``root`` (links resolved), size-capped."""
    import os

    from jinja2 import FileSystemLoader, TemplateNotFound
    from jinja2.loaders import split_template_path

    class ContainedLoader(FileSystemLoader):
        def get_source(self, environment: Any, template: str) -> tuple[str, str, Any]:
            path = root.joinpath(*split_template_path(template))
            if not os.path.lexists(path):
                raise TemplateNotFound(template)
            if not is_inside(path, root):
                raise SentinelPackError(Problem("the template is a link to a file outside its folder",
                                                file=str(path), hint="copy the file into the template folder"))
            resolved = path.resolve()
            if not resolved.is_file():
                raise SentinelPackError(Problem("the template is not a regular file", file=str(path)))
            if resolved.stat().st_size > MAX_TEMPLATE_BYTES:
                raise SentinelPackError(Problem(f"the template is larger than {MAX_TEMPLATE_BYTES:,} bytes",
                                                file=str(path)))
            data = resolved.read_bytes()
            try:
                source = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                line = data[:exc.start].count(b"\n") + 1
                raise SentinelPackError(Problem(f"byte 0x{data[exc.start]:02x} is not UTF-8 text", file=str(path),
                                                line=line, hint="save the template as UTF-8")) from None
            mtime = resolved.stat().st_mtime
            return source, str(path), lambda: resolved.is_file() and resolved.stat().st_mtime == mtime

    return ContainedLoader(str(root))


def _too_wide(width: Any) -> bool:
    """A width written as digits (any length, no int() of a 5000-digit string) or given as a number."""
    if isinstance(width, str):
        return len(width.lstrip("0")) >= _FORMAT_DIGITS
    return isinstance(width, int) and abs(width) >= 10 ** (_FORMAT_DIGITS - 1)


def _check_format_spec(spec: str) -> None:
    """One ``str.format`` field's spec, its nested fields (``{:>{w}}``) already filled in by the formatter."""
    match = _SPEC.fullmatch(spec)
    widths = [match["width"], match["precision"]] if match else re.findall(r"\d+", spec)
    if any(_too_wide(width) for width in widths):
        raise RenderLimit(_FORMAT_LIMIT)


def _check_percent(text: str, values: Any) -> None:
    """``text % values``: literal widths and those ``*`` takes from the values (``'%*d' % (10**9, 1)``)."""
    if "%" not in text:
        return
    positional = values if isinstance(values, tuple) else (values,)
    index = 0
    for match in _PERCENT.finditer(text):
        for part in ("width", "precision"):
            if match[part] == "*":
                if index < len(positional) and _too_wide(positional[index]):
                    raise RenderLimit(_FORMAT_LIMIT)
                index += 1
            elif _too_wide(match[part] or ""):
                raise RenderLimit(_FORMAT_LIMIT)
        if match["type"] != "%" and match["key"] is None:
            index += 1


def _format_wrapper(env: Any, value: Any) -> Any:
    """``str.format``/``format_map`` run by the sandbox's formatter, each field's filled-in spec checked first.

    Jinja's own wrapper (``SandboxedEnvironment.wrap_str_format``) with a formatter that checks
    ``format_field``: the spec it gets has the nested fields replaced by the real arguments.
    """
    from functools import update_wrapper

    from jinja2.sandbox import SandboxedEscapeFormatter, SandboxedFormatter
    from markupsafe import Markup

    class Checked:
        def format_field(self, value: Any, format_spec: str) -> Any:
            _check_format_spec(format_spec)
            return super().format_field(value, format_spec)  # type: ignore[misc]

    owner = value.__self__
    formatter = (type("CheckedEscapeFormatter", (Checked, SandboxedEscapeFormatter), {})(env, escape=owner.escape)
                 if isinstance(owner, Markup) else type("CheckedFormatter", (Checked, SandboxedFormatter), {})(env))
    is_format_map = value.__name__ == "format_map"

    def wrapper(*args: Any, **kwargs: Any) -> str:
        if is_format_map:
            if kwargs:
                raise TypeError("format_map() takes no keyword arguments")
            if len(args) != 1:
                raise TypeError(f"format_map() takes exactly one argument ({len(args)} given)")
            args, kwargs = (), args[0]
        return type(owner)(formatter.vformat(owner, args, kwargs))

    return update_wrapper(wrapper, value)


def _check_widths(what: str, args: tuple[Any, ...]) -> None:
    for arg in args:
        size = len(arg) if isinstance(arg, str) else arg if isinstance(arg, int) else 0
        if size > MAX_WIDTH:
            raise RenderLimit(f"{what} with a width of {size:,} (limit {MAX_WIDTH:,})")


def _width_limited(name: str, function: Any) -> Any:
    import functools

    @functools.wraps(function)  # keeps Jinja's pass_eval_context/pass_environment marks
    def limited(*args: Any, **kwargs: Any) -> Any:
        positional = args[2:] if name == "wordwrap" else args[1:]  # wordwrap gets the environment first
        _check_widths(f"the {name} filter", (*positional, *kwargs.values()))
        return function(*args, **kwargs)

    return limited


def _limited_environment() -> Any:
    """The sandbox, with the operators that can build huge values checked before they run."""
    from jinja2.sandbox import SandboxedEnvironment

    class LimitedEnvironment(SandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**", "+", "%"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            if operator == "*":
                for seq, count in ((left, right), (right, left)):
                    if isinstance(seq, (str, list, tuple)) and isinstance(count, int) and \
                            len(seq) * count > MAX_OUTPUT_CHARS:
                        raise RenderLimit(f"a repetition would build {len(seq) * count:,} items "
                                          f"(limit {MAX_OUTPUT_CHARS:,})")
            elif operator == "**" and isinstance(left, int) and isinstance(right, int) and abs(left) > 1 \
                    and right * abs(left).bit_length() > 100_000:
                raise RenderLimit("a power would be a number of more than 100,000 bits")
            elif operator == "+" and isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)) \
                    and len(left) + len(right) > MAX_OUTPUT_CHARS:
                raise RenderLimit(f"a concatenation would build more than {MAX_OUTPUT_CHARS:,} items")
            elif operator == "%" and isinstance(left, str):
                _check_percent(left, right)
            return super().call_binop(context, operator, left, right)

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
            owner, name = getattr(__obj, "__self__", None), getattr(__obj, "__name__", "")
            if isinstance(owner, str) and name in _WIDTH_METHODS:
                _check_widths(f"str.{name}()", (*args, *kwargs.values()))
            return super().call(__context, __obj, *args, **kwargs)

        def wrap_str_format(self, value: Any) -> Any:
            if isinstance(value, (types.MethodType, types.BuiltinMethodType)) and \
                    value.__name__ in ("format", "format_map") and isinstance(value.__self__, str):
                return _format_wrapper(self, value)
            return None

    return LimitedEnvironment


class Renderer:
    def __init__(self, override_dir: Path | None = None, *, use_shipped: bool = True):
        from jinja2 import ChoiceLoader, StrictUndefined

        from sentinel_pack.resources import templates_dir

        self.builtin_dir = templates_dir()
        self.override_dir = override_dir
        loaders = [_loader(Path(override_dir))] if override_dir else []
        loaders.append(_loader(Path(self.builtin_dir)))
        if use_shipped:  # the built-in templates compiled ahead (render/shipped.py)
            from sentinel_pack.render.shipped import ShippedTemplates

            shipped = ShippedTemplates()
        self.env = _limited_environment()(
            loader=ChoiceLoader(loaders),
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=False,
            bytecode_cache=shipped if use_shipped else None,
        )
        for name in _WIDTH_FILTERS:
            self.env.filters[name] = _width_limited(name, self.env.filters[name])
        format_filter = self.env.filters["format"]  # value % (kwargs or args), as Jinja's do_format

        def limited_format(value: Any, *args: Any, **kwargs: Any) -> str:
            _check_percent(value if isinstance(value, str) else str(value), kwargs or args)
            return format_filter(value, *args, **kwargs)

        self.env.filters["format"] = limited_format
        self.env.filters["tojson"] = _tojson
        self.env.filters["compact_json"] = jsonfmt.compact
        self.env.globals["placeholder"] = _placeholder
        self.env.globals["range"] = self._range
        self._range_budget = MAX_RANGE_ITEMS

    def _range(self, *args: int) -> Any:
        """``range`` with one budget for the whole template, so nested loops cannot run for hours."""
        items = range(*args)
        if len(items) > self._range_budget:
            raise RenderLimit(f"range() loops would run more than {MAX_RANGE_ITEMS:,} times in one template")
        self._range_budget -= len(items)
        return items

    def _render_limited(self, name: str, context: dict[str, Any]) -> str:
        """Render with the range budget reset, the output capped and (in the main thread) a timer."""
        self._range_budget = MAX_RANGE_ITEMS
        timer = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
        if timer:
            def on_alarm(signum: int, frame: Any) -> None:
                raise RenderLimit(f"the template ran longer than {RENDER_SECONDS:g} seconds")

            previous = signal.signal(signal.SIGALRM, on_alarm)
            signal.setitimer(signal.ITIMER_REAL, RENDER_SECONDS)
        try:
            chunks: list[str] = []
            size = 0
            for chunk in self.env.get_template(name).generate(**context):
                size += len(chunk)
                if size > MAX_OUTPUT_CHARS:
                    raise RenderLimit(f"the output is larger than {MAX_OUTPUT_CHARS:,} characters")
                chunks.append(chunk)
            return "".join(chunks)
        finally:
            if timer:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)

    def display_name(self, name: str) -> str:
        if self.override_dir and (self.override_dir / name).is_file():
            return str(self.override_dir / name)
        return f"template {name} (built-in)"

    def render_text(self, name: str, context: dict[str, Any]) -> str:
        from jinja2 import TemplateError, TemplateNotFound, TemplateSyntaxError, UndefinedError
        from jinja2.sandbox import SecurityError

        try:
            return self._render_limited(name, context)
        except SentinelPackError:
            raise
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
        except RenderLimit as exc:
            file, line = self._template_frame(exc, name)
            raise SentinelPackError(Problem(f"the template went over a limit: {exc}", file=file, line=line,
                                            hint="templates render a few files of a solution: "
                                                 "check the loops and repetitions here")) from None
        except RecursionError:
            raise SentinelPackError(Problem("the template includes itself, or nests includes or macros too deep",
                                            file=self.display_name(name),
                                            hint="check the {% include %} and macro calls")) from None
        except (ArithmeticError, LookupError, TypeError, ValueError, AttributeError) as exc:
            file, line = self._template_frame(exc, name)
            raise SentinelPackError(Problem(f"template error: {type(exc).__name__}: {exc}", file=file,
                                            line=line)) from None

    def render_json(self, name: str, context: dict[str, Any]) -> Any:
        text = self.render_text(name, context)
        try:
            return json.loads(text, parse_constant=_not_json)
        except _NotJson as exc:
            raise SentinelPackError(Problem(f"the template rendered {exc}, which is not a JSON value",
                                            file=self.display_name(name),
                                            hint="emit numbers with '| tojson' from real numbers")) from None
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
