"""Errors a user can act on: where (file, line, JSON path), what is wrong, and how to fix it.

The CLI prints these and exits with their code; nothing else in the package prints.
"""

from __future__ import annotations

from dataclasses import dataclass

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input."""

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str | None = None
    hint: str | None = None

    def where(self) -> str:
        parts = []
        if self.file:
            loc = self.file
            if self.line is not None:
                loc += f":{self.line}"
                if self.column is not None:
                    loc += f":{self.column}"
            parts.append(loc)
        if self.path:
            parts.append(self.path)
        return ": ".join(parts)

    def render(self) -> str:
        where = self.where()
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f"\n  fix: {self.hint}"
        return text


class SentinelPackError(Exception):
    """Bad input (exit 1) or, with ``exit_code=2``, a usage or I/O failure."""

    def __init__(self, problems: list[Problem] | Problem | str, exit_code: int = EXIT_FINDINGS):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        self.exit_code = exit_code
        super().__init__(self.render())

    def render(self) -> str:
        return "\n".join(p.render() for p in self.problems)


class IOFailure(SentinelPackError):
    """A file that cannot be read or written: exit code 2."""

    def __init__(self, problems: list[Problem] | Problem | str):
        super().__init__(problems, exit_code=EXIT_USAGE)


def json_path(parts: tuple[str | int, ...] | list[str | int]) -> str:
    """``('table', 'columns', 3, 'type')`` -> ``table.columns[3].type``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif out:
            out += f".{part}"
        else:
            out = str(part)
    return out or "(top level)"
