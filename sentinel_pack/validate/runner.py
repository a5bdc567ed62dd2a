"""Running the rules over targets, with --select/--ignore and --strict, and placing each finding.

Rules yield paths relative to the solution; the runner turns them into findings that point
at a file that exists, on the line of the JSON path (``finding.py`` says how), and, in a
source folder, at the line of ``solution.yaml`` where the value was written.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sentinel_pack.errors import EXIT_USAGE, Problem, SentinelPackError
from sentinel_pack.validate.finding import ERROR, RULES, Finding, Location, Rule
from sentinel_pack.validate.target import SOURCE, ZIP, Target, load_targets


def _load_rules() -> None:
    from sentinel_pack.validate import (  # noqa: F401 - importing registers the rules
        rules_armttk,
        rules_cloudformation,
        rules_content,
        rules_crossfile,
        rules_detections,
        rules_files,
        rules_kql,
        rules_package,
        rules_schemas,
        rules_solution_content,
        rules_versioning,
    )


def _matches(rule_id: str, patterns: tuple[str, ...]) -> bool:
    return any(rule_id.upper().startswith(p) for p in patterns)


def selected(select: Iterable[str] = (), ignore: Iterable[str] = ()) -> list[str]:
    """Rule ids, by id or prefix, case-insensitively; a pattern that matches no rule is a usage error.

    ``--select XYZ`` silently selecting nothing would turn the gate off. As in ruff, one
    option may list several, comma separated (``--select SP606,SP607``).
    """
    _load_rules()
    select = tuple(p.strip().upper() for item in select for p in item.split(","))
    ignore = tuple(p.strip().upper() for item in ignore for p in item.split(","))
    unknown = [p for p in (*select, *ignore) if not p or not any(r.startswith(p) for r in RULES)]
    if unknown:
        families = sorted({r[:3] for r in RULES})
        raise SentinelPackError(Problem(
            f"no rule id starts with {', '.join(repr(p) for p in unknown)}",
            hint=f"use a rule id or prefix, e.g. SP4 or SP401 (families: {', '.join(families)}; "
                 "every rule is in docs/rules.md)"), exit_code=EXIT_USAGE)
    return sorted(r for r in RULES if (not select or _matches(r, select)) and not _matches(r, ignore))


_LEGACY = re.compile(r"^(?P<file>.*?)(?::(?P<line>\d+)(?::(?P<column>\d+))?)?(?: \((?P<inside>[^()]*)\))?$")
_PART = re.compile(r"\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]|\[\"((?:[^\"\\]|\\.)*)\"\]|\.?([^.\[\]]+)")


def path_parts(path: str) -> list[str | int]:
    """``resources[0].properties['a.b'].x`` -> ``['resources', 0, 'properties', 'a.b', 'x']``."""
    parts: list[str | int] = []
    for match in _PART.finditer(path):
        index, single, double, name = match.groups()
        parts.append(int(index) if index is not None else single if single is not None
                     else double if double is not None else name)
    return parts


def display(path: Path) -> str:
    """A path as printed: relative to the working directory when it lies below it."""
    if path.is_absolute():
        try:
            return path.relative_to(Path.cwd()).as_posix() or "."
        except ValueError:
            return path.as_posix()
    return Path(os.path.normpath(path)).as_posix()


class _Placer:
    """Turns a rule's (file, path, Location) into the printed file, line, column and related places."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self._origins = None

    def origins(self):
        if self._origins is None:
            from sentinel_pack.validate.origin import Origins

            self._origins = Origins.of(self._source_root(), self.target.on_disk)
        return self._origins

    def _source_root(self) -> Path:
        return self.target.source_root or self.target.root or Path(self.target.label)

    def source_file(self, rel: str) -> str:
        """A file of the solution source (solution.yaml, a detection's YAML), as printed."""
        return display(self._source_root() / rel)

    def file(self, rel: str) -> str:
        root = self.target.root
        if root is None:
            return f"{self.target.label}/{rel}" if rel else self.target.label
        return display(root / rel) if rel else display(root)

    def place(self, rel: str, path: str, message: str, at: Location | None):
        """(file, path, line, column, related)."""
        match = _LEGACY.match(rel)
        assert match is not None  # the pattern matches any string
        rel = match.group("file")
        line = int(match.group("line")) if match.group("line") else None
        column = int(match.group("column")) if match.group("column") else None
        inside = match.group("inside")
        if inside is not None and not rel.lower().endswith(".json"):  # "X (1)" is a file name, not a place in X
            rel, inside = f"{rel} ({inside})", None
        if at is not None:
            rel = at.file or rel
            line, column = at.line or line, at.column or column
        rel = self._relative(rel)
        where = inside if inside is not None else path
        doc = self.target.document(rel) if rel in self.target.files and rel.lower().endswith(".json") else None
        value = None
        if line is None and doc is not None:
            parts = path_parts(where)
            line, column = doc.locate(parts)
            value = _value(doc.data, parts)
        elif doc is not None:
            value = _value(doc.data, path_parts(where))
        shown = f"{inside}: {path}" if inside is not None and path else (inside if inside is not None else path)
        target = self.target
        if target.kind == ZIP:
            member = rel.removeprefix("Package/")
            return self.file(""), f"{member}: {shown}" if shown else member, None, None, \
                (Location(member, line, column, ""),) if member else ()
        if target.kind == SOURCE and rel in target.generated and rel.lower().endswith(".json") and where:
            origin = self.origins().find(value, str(path_parts(where)[-1]) if where else "", message)
            if origin is not None or rel not in target.on_disk:
                generated = Location(self.file(rel), line, column, shown)
                if origin is None:
                    return self.source_file("solution.yaml"), shown, None, None, (generated,)
                return self.source_file(origin[0]), shown, origin[1], origin[2], (generated,)
        if rel and rel not in target.files and rel not in target.on_disk and target.root is not None \
                and not (target.root / rel).exists():
            # a missing file: point at the nearest folder that exists, the message names the file
            parent = rel.rsplit("/", 1)[0] if "/" in rel else ""
            while parent and not (target.root / parent).is_dir():
                parent = parent.rsplit("/", 1)[0] if "/" in parent else ""
            return self.file(parent), shown or rel, None, None, ()
        return self.file(rel), shown, line, column, ()

    def _relative(self, rel: str) -> str:
        """A rule may name a file by its full path (a manifest problem): make it relative to the root."""
        root = self.target.root
        if root is None or not rel:
            return rel
        for base in (root, root.resolve()):
            try:
                return Path(rel).relative_to(base).as_posix()
            except ValueError:
                continue
        return rel


def _value(data, parts):
    for part in parts:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def check(target: Target, rule_ids: list[str]) -> list[Finding]:
    from sentinel_pack.validate import rules_cloudformation, rules_kql

    # the queries are analysed and the templates linted in the background while the other rules run
    rules_kql.prepare(rule_ids, target)
    rules_cloudformation.prepare(rule_ids, target)
    views = target.connector_views()
    placer = _Placer(target)
    found: dict[str, list[Finding]] = {}
    # rules reading background answers last, so the main process works meanwhile; reported in order
    for rule_id in sorted(rule_ids, key=lambda r: RULES[r].waits):
        found[rule_id] = _run_rule(RULES[rule_id], target, views, placer)
    return [finding for rule_id in rule_ids for finding in found[rule_id]]


def _run_rule(rule: Rule, target: Target, views: list[Target], placer: _Placer) -> list[Finding]:
    findings: list[Finding] = []
    try:
        for view in views if rule.per_connector else [target]:
            for item in rule.check(view):
                rel, path, message, fix = item[:4]
                at = item[4] if len(item) > 4 else None
                file, shown, line, column, related = placer.place(rel, path, message, at)
                finding = Finding(rule.id, rule.severity, file, shown, message, fix, line, column, related)
                if finding not in findings:
                    findings.append(finding)
    except Exception as exc:  # a rule must never take the run down: report it as a finding
        findings.append(
            Finding(
                rule.id,
                ERROR,
                placer.file(""),
                "",
                f"the rule crashed: {type(exc).__name__}: {exc}",
                "please report this with the file that caused it",
            )
        )
    return findings


@dataclass
class Run:
    """What one ``validate`` run looked at, and what it found."""

    solutions: list[str]
    findings: list[Finding]
    #: A path was a folder of solutions: say which ones were validated, even if it was one.
    expanded: bool = False
    #: The same, for each path given, in order (a configuration file applies per path).
    by_path: list[tuple[Path, Run]] = field(default_factory=list)


#: Findings about the machine, not a solution (the Kusto engine cannot start): said once per run,
#: however many worker processes found it.
_ONCE_PER_RUN = frozenset({"SP819"})


def _check_solution(unit: tuple[Path, Path], rule_ids: list[str], cache: bool | None = None):
    """Load and check the solution(s) at ``unit`` (the path given, one solution of it), in any process.

    A usage error comes back as a value (the exception would not survive pickling intact).
    """
    from sentinel_pack.perf import collector, diskcache
    from sentinel_pack.validate.rules_kql import finished, prepare

    _load_rules()  # a spawned worker starts with an empty registry
    collector.tune()  # (a spawned one with the default collector too)
    diskcache.set_enabled(cache)
    given, path = unit
    prepare(rule_ids, path=path)  # the Kusto engine loads in the background while the solution renders
    try:
        out = []
        for target in load_targets(path):
            expanded = target.root not in (given, given.parent)
            out.append((display(target.root) if target.root is not None else target.label,
                        check(target, rule_ids), expanded))
        finished(rule_ids, path)
        return "ok", out
    except SentinelPackError as error:
        return "error", (error.problems, error.exit_code)


def _use_server(address, authkey: bytes) -> None:
    """Pool worker initializer: Kusto answers come from the run's server."""
    from sentinel_pack.kusto import engine

    engine.use_server(address, authkey)


def _outcome(result) -> str:
    status, value = result
    if status != "ok":
        return "cannot be checked"
    findings = [f for _, found, _ in value for f in found]
    errors = sum(1 for f in findings if f.severity == ERROR)
    return f"{errors} errors, {len(findings) - errors} warnings" if findings else "no findings"


def run(paths: Iterable[Path], select: Iterable[str] = (), ignore: Iterable[str] = (),
        jobs: int | None = None, cache: bool | None = None) -> Run:
    """Check every solution at ``paths``, over ``jobs`` processes (default: the cores), in the order given.

    ``cache=False`` leaves the on-disk cache alone (``--no-cache``); None follows the environment.
    """
    from functools import partial

    from sentinel_pack.perf import cfnlint, diskcache, pool

    jobs = pool.default_jobs() if jobs is None else max(1, jobs)
    paths = list(paths)
    which = [(index, unit) for index, path in enumerate(paths) for unit in pool.solution_paths(path)]
    units = [(paths[index], unit) for index, unit in which]
    diskcache.set_enabled(cache)
    server = None
    if len(units) == 1:
        rule_ids = warm_up(units[0][1], jobs, select, ignore)
    else:
        rule_ids = selected(select, ignore)
        if jobs > 1:
            from sentinel_pack.validate.rules_kql import kusto_server

            server = kusto_server(rule_ids, [unit for _, unit in units])  # loads while cfn-lint warms up
        if jobs > 1 and pool.forks() and any(cfnlint.worth_a_helper(unit) for _, unit in units):
            cfnlint.warm_up()  # many: once here, and every forked worker starts with it
    try:
        address = server.address() if server is not None else None
        results = pool.run_all(partial(_check_solution, rule_ids=rule_ids, cache=cache), units, jobs,
                               label=lambda unit: display(unit[1]), describe=_outcome,
                               initializer=_use_server if address is not None else None,
                               initargs=(address, server.authkey) if address is not None else ())
    finally:
        if server is not None:
            server.stop()
    whole = Run([], [], False, [(path, Run([], [], False)) for path in paths])
    said: set[tuple[str, str]] = set()
    for (index, _), (status, value) in zip(which, results, strict=True):
        if status != "ok":
            problems, exit_code = value
            raise SentinelPackError(problems, exit_code=exit_code)
        for solution, found, wider in value:
            kept = []
            for finding in found:
                if finding.rule in _ONCE_PER_RUN:
                    if (finding.rule, finding.message) in said:
                        continue
                    said.add((finding.rule, finding.message))
                kept.append(finding)
            for part in (whole, whole.by_path[index][1]):
                part.expanded = part.expanded or wider
                part.solutions.append(solution)
                part.findings.extend(kept)
    return whole


def warm_up(path: Path, jobs: int, select: Iterable[str] = (), ignore: Iterable[str] = ()) -> list[str]:
    """Before one solution at ``path`` is loaded, start the slow engines whose answers are not cached.

    cfn-lint warms up in a helper process on a spare core, forked first (before the rules are
    even imported, and before V8, which a fork must not copy); then the Kusto engine loads on a
    thread. Shared by validate and build; returns the selected rule ids.
    """
    from sentinel_pack.perf import cfnlint
    from sentinel_pack.validate.rules_kql import prepare

    if jobs > 1 and cfnlint.worth_a_helper(path):
        cfnlint.start_helper()
    rule_ids = selected(select, ignore)
    prepare(rule_ids, path=path)
    return rule_ids


def validate_paths(paths: Iterable[Path], select: Iterable[str] = (), ignore: Iterable[str] = ()) -> list[Finding]:
    return run(paths, select, ignore).findings


def failed(findings: list[Finding], strict: bool) -> bool:
    return any(f.severity == ERROR or strict for f in findings)
