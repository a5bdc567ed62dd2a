"""Where a command's output goes and how it looks: colour, verbosity, width.

Every command prints through the :class:`Output` the CLI sets up from ``--color``,
``NO_COLOR``, ``-q``/``-v`` and ``--output``. Lines are never padded, and never broken
inside a word: in a terminal a long line is wrapped at spaces with a hanging indent (a path
longer than the width stays whole), anywhere else (a pipe, a CI log, a file) it stays one
line. rich is imported only when something is printed, so ``--help`` stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

COLORS = ("auto", "always", "never")
QUIET, NORMAL, VERBOSE = -1, 0, 1


@dataclass
class Output:
    color: str = "auto"
    verbosity: int = NORMAL
    stream: IO[str] | None = None  # --output FILE; None: stdout
    _consoles: dict[bool, Any] = field(default_factory=dict)

    @property
    def quiet(self) -> bool:
        return self.verbosity <= QUIET

    @property
    def verbose(self) -> bool:
        return self.verbosity >= VERBOSE

    def console(self, stderr: bool = False) -> Console:
        """A rich console for stdout (or the --output file) or stderr, with the colour setting."""
        if stderr not in self._consoles:
            from rich.console import Console

            to_file = self.stream is not None and not stderr
            never = self.color == "never" or (to_file and self.color != "always")
            kwargs: dict[str, Any] = {}
            if never:
                kwargs.update(color_system=None, no_color=True, force_terminal=False)
            elif self.color == "always":
                kwargs.update(force_terminal=True, no_color=False)
            if to_file:
                kwargs.setdefault("force_terminal", False)
            self._consoles[stderr] = Console(
                file=self.stream if to_file else (sys.stderr if stderr else sys.stdout),
                stderr=stderr and not to_file, highlight=False, emoji=False, soft_wrap=True, markup=False,
                **kwargs)
        return self._consoles[stderr]

    def write(self, text: str) -> None:
        """Machine-readable output (JSON, SARIF, Markdown): written as is."""
        (self.stream or sys.stdout).write(text)

    def line(self, text: str | Text = "", hang: int = 2, stderr: bool = False, keep: Iterable[str] = ()) -> None:
        """One logical line: wrapped at spaces in a terminal, never inside a word or a ``keep`` span (a path)."""
        console = self.console(stderr)
        from rich.text import Text

        text = Text(text) if isinstance(text, str) else text.copy()
        text.rstrip()  # never pad: trailing spaces are noise in logs and diffs
        if console.is_terminal:
            for part in wrap(text, console.width, hang, keep):
                console.print(part, soft_wrap=True)
        else:
            console.print(text, soft_wrap=True)


def wrap(text: Text, width: int, hang: int = 2, keep: Iterable[str] = ()) -> list[Text]:
    """``text`` split at spaces into lines of at most ``width`` (continuations indented by ``hang``).

    Spaces inside a ``keep`` span (a path such as ``Data Connectors/x.json``) are not break
    points, and a word or span longer than a line stays whole on a line of its own: a path cut
    in two cannot be copied, a line that runs past the edge can.
    """
    plain = text.plain
    if len(plain) <= width or width <= hang + 10:
        return [text]
    blocked: set[int] = set()
    for span in keep:
        if " " not in span:
            continue
        start = plain.find(span)
        while start != -1:
            blocked.update(start + i for i, char in enumerate(span) if char == " ")
            start = plain.find(span, start + 1)
    indent = len(plain) - len(plain.lstrip(" "))  # breaking inside the indent would leave a blank line
    breaks = [i for i, char in enumerate(plain) if char == " " and i not in blocked and i > indent]
    offsets: list[int] = []
    start, limit = 0, width
    while len(plain) - start > limit:
        reachable = [b for b in breaks if start < b <= start + limit]
        later = [b for b in breaks if b > start + limit]
        cut = reachable[-1] if reachable else later[0] if later else None
        if cut is None:
            break
        offsets.append(cut)
        start, limit = cut + 1, width - hang
    lines = text.divide(offsets)
    out = [lines[0]]
    for part in lines[1:]:
        part = part[1:] if part.plain.startswith(" ") else part
        part.pad_left(hang)
        out.append(part)
    for part in out:
        part.rstrip()
    return out


_current = Output()


def current() -> Output:
    return _current


@contextmanager
def configured(color: str = "auto", verbosity: int = NORMAL, output: Path | None = None) -> Iterator[Output]:
    """The Output of one command; ``output`` is opened only once the command runs."""
    global _current
    from sentinel_pack.errors import IOFailure, Problem

    stream = None
    if output is not None and str(output) != "-":
        try:
            stream = output.open("w", encoding="utf-8", newline="\n")
        except OSError as exc:
            raise IOFailure(Problem(f"cannot write: {exc.strerror}", file=str(output),
                                    hint="--output needs a file in an existing, writable folder")) from None
    previous, _current = _current, Output(color=color, verbosity=verbosity, stream=stream)
    try:
        yield _current
    finally:
        _current = previous
        if stream is not None:
            stream.close()


def plural(count: int, word: str, words: str | None = None) -> str:
    """``plural(1, 'warning') == '1 warning'``, ``plural(2, 'warning') == '2 warnings'``."""
    return f"{count} {word if count == 1 else (words or word + 's')}"
