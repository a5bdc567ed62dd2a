"""Project configuration for ``validate``, found the way ruff finds its own.

From the validated path upwards, the first ``.sentinel-pack.toml``, or ``pyproject.toml`` with
a ``[tool.sentinel-pack]`` table, applies; the search stops at the repository root (the folder
holding ``.git``). Keys (``.sentinel-pack.toml`` holds them at the top level)::

    ignore = ["SP302"]                    # rule ids or prefixes, everywhere
    [per-path-ignores]                    # glob (relative to the config file's folder) -> rules
    "Solutions/Legacy*/**" = ["SP6", "SP701"]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sentinel_pack.errors import EXIT_USAGE, IOFailure, Problem, SentinelPackError

if TYPE_CHECKING:
    from sentinel_pack.validate.finding import Finding

CONFIG_FILE = ".sentinel-pack.toml"
PYPROJECT = "pyproject.toml"
SECTION = "sentinel-pack"
KEYS = ("ignore", "per-path-ignores")
_RULE = re.compile(r"^SP[0-9]{0,3}$", re.IGNORECASE)


@dataclass(frozen=True)
class Config:
    file: Path | None = None
    ignore: tuple[str, ...] = ()
    per_path: tuple[tuple[str, tuple[str, ...]], ...] = field(default_factory=tuple)

    @property
    def root(self) -> Path | None:
        return self.file.parent if self.file else None

    def ignored(self, finding: Finding, cwd: Path | None = None) -> bool:
        if self.ignore and finding.rule.startswith(self.ignore):
            return True
        if not self.per_path or self.root is None:
            return False
        try:  # Finding.file is a path that exists, relative to the working directory when below it
            rel = ((cwd or Path.cwd()) / finding.file).resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return False  # outside the configured tree
        return any(finding.rule.startswith(rules) and glob_match(pattern, rel) for pattern, rules in self.per_path)

    def apply(self, findings: list[Finding]) -> list[Finding]:
        return [f for f in findings if not self.ignored(f)]


def glob_match(pattern: str, path: str) -> bool:
    """Shell-style globs over ``/``-paths: ``*`` within a name, ``**`` across folders; a folder matches its files."""
    out, i = "", 0
    pattern = pattern.strip("/")
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.fullmatch(f"{out}(?:/.*)?", path) is not None


def _toml(file: Path) -> dict[str, Any]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise IOFailure(Problem(f"cannot read: {exc.strerror}", file=str(file))) from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SentinelPackError(Problem(f"not valid TOML: {exc}", file=str(file)), exit_code=EXIT_USAGE) from None


def _strings(value: Any, file: Path, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and _RULE.match(v) for v in value):
        raise SentinelPackError(Problem(f"{key} must be a list of rule ids or prefixes like \"SP302\" or \"SP6\"",
                                        file=str(file), path=key,
                                        hint="'sentinel-pack rules' lists every rule id"), exit_code=EXIT_USAGE)
    return tuple(v.upper() for v in value)  # ids and prefixes match case-insensitively, as --select does


def parse(file: Path, data: dict[str, Any], prefix: str = "") -> Config:
    if not isinstance(data, dict):
        raise SentinelPackError(Problem("expected a table", file=str(file), path=prefix or None), exit_code=EXIT_USAGE)
    for key in data:
        if key not in KEYS:
            raise SentinelPackError(Problem(f"unknown key {key!r}", file=str(file), path=f"{prefix}{key}",
                                            hint=f"use {' or '.join(KEYS)}"), exit_code=EXIT_USAGE)
    ignore = _strings(data.get("ignore", []), file, f"{prefix}ignore")
    per_path = data.get("per-path-ignores", {})
    if not isinstance(per_path, dict):
        raise SentinelPackError(Problem("expected a table of glob = [rule ids]", file=str(file),
                                        path=f"{prefix}per-path-ignores"), exit_code=EXIT_USAGE)
    pairs = tuple((glob, _strings(rules, file, f"{prefix}per-path-ignores.{glob}"))
                  for glob, rules in sorted(per_path.items()))
    return Config(file=file, ignore=ignore, per_path=pairs)


def load(file: Path) -> Config:
    data = _toml(file)
    if file.name == PYPROJECT:
        return parse(file, data.get("tool", {}).get(SECTION, {}), f"tool.{SECTION}.")
    return parse(file, data)


def discover(start: Path) -> Config:
    """The configuration that applies to ``start`` (a folder or a file); empty when there is none."""
    folder = start.resolve()
    folder = folder if folder.is_dir() else folder.parent
    for candidate in (folder, *folder.parents):
        own = candidate / CONFIG_FILE
        if own.is_file():
            return load(own)
        pyproject = candidate / PYPROJECT
        if pyproject.is_file() and SECTION in _toml(pyproject).get("tool", {}):
            return load(pyproject)
        if (candidate / ".git").exists():
            break
    return Config()
