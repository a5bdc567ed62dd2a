"""The ``sentinel-pack`` command line: argument parsing and printing only.

Heavy modules (jinja2, jsonschema, cfn-lint, deepdiff, rich) are imported inside the commands
so ``--help`` and ``--version`` start fast. Every command takes the same output options
(``-q``/``-v``, ``--color``, ``--output``; see ``sentinel_pack.terminal``) and exits 0 on
success, 1 on findings or bad input, 2 on a usage or I/O error.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sentinel_pack import __version__, terminal
from sentinel_pack.errors import EXIT_FINDINGS, EXIT_USAGE, Problem, SentinelPackError

if TYPE_CHECKING:
    from sentinel_pack.package.build import Rendered
    from sentinel_pack.package.writer import Written


class _Command(typer.core.TyperCommand):
    """Help that names arguments by their metavar only: ``PATH``, not ``PATH <path>`` or ``{PATH}``."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if isinstance(param, typer.core.TyperArgument):
                param.display_type_rich = lambda ctx: None  # type: ignore[method-assign]
                if param.required:
                    param._usage_display_name = (  # type: ignore[method-assign]
                        lambda p=param: p.display_name_raw + ("..." if p.nargs != 1 else ""))


app = typer.Typer(
    name="sentinel-pack",
    help="Build, validate and diff Microsoft Sentinel solution packages from one YAML manifest.\n\n"
         "Rules: 'sentinel-pack rules' (one rule: 'sentinel-pack rules SP401'); "
         "the manifest's keys: 'sentinel-pack docs manifest'.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish, PowerShell
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: importing rich for --help costs ~100 ms
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _command(name: str | None = None):
    """A command whose help shows metavars (see _Command)."""
    return app.command(name, cls=_Command)


class Color(str, Enum):
    auto = "auto"
    always = "always"
    never = "never"


# The output options every command takes.
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Print more detail.")]
ColorOption = Annotated[Color, typer.Option(
    "--color", help="Colour in the output: auto (a terminal, unless NO_COLOR is set), always or never.")]
OutputFile = Annotated[Path | None, typer.Option(
    "--output", metavar="FILE", help="Write the report to FILE instead of standard output.", show_default=False)]
# The speed options of build and validate.
Jobs = Annotated[int | None, typer.Option(
    "--jobs", "-j", min=1, metavar="N", help="Processes to use (default: the number of cores; 1: this process only).",
    show_default=False)]
NoCache = Annotated[bool, typer.Option(
    "--no-cache", help="Neither read nor write the on-disk cache of cfn-lint and Kusto results.")]
SolutionPath = Annotated[Path, typer.Argument(
    metavar="PATH", help="Solution folder holding solution.yaml (or the manifest file); default: the current folder.",
    show_default=False)]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sentinel-pack {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool | None, typer.Option(
        "--version", callback=_version, is_eager=True, help="Show the version and exit.")] = None,
) -> None:
    """Build, validate and diff Microsoft Sentinel solution packages from one YAML manifest.

    Rules: 'sentinel-pack rules' (one rule: 'sentinel-pack rules SP401');
    the manifest's keys: 'sentinel-pack docs manifest'.
    """


def print_problems(error: SentinelPackError) -> None:
    from rich.text import Text

    out = terminal.current()
    for problem in error.problems:
        where = problem.where()
        out.line(Text.assemble(("error", "bold red"), ": ", f"{where}: " if where else "", problem.message),
                 stderr=True)
        if problem.hint:
            out.line(Text.assemble("  ", ("fix", "cyan"), ": ", problem.hint), hang=7, stderr=True)


def fail(error: SentinelPackError) -> typer.Exit:
    print_problems(error)
    return typer.Exit(error.exit_code)


@contextmanager
def _session(quiet: bool, verbose: bool, color: Color, output: Path | None = None) -> Iterator[terminal.Output]:
    """One command's output settings; bad input and I/O errors become messages and exit codes."""
    if quiet and verbose:
        raise typer.BadParameter("use --quiet or --verbose, not both", param_hint="'-q' / '-v'")
    level = terminal.QUIET if quiet else terminal.VERBOSE if verbose else terminal.NORMAL
    try:
        with terminal.configured(color.value, level, output) as out:
            try:
                yield out
            except SentinelPackError as error:
                raise fail(error) from None
    except SentinelPackError as error:  # --output could not be opened
        with terminal.configured(color.value, level):
            raise fail(error) from None


def _existing(path: Path) -> Path:
    """The same message and exit code (2) in every command for a path that is not there."""
    from sentinel_pack.errors import IOFailure

    if not path.exists():
        raise IOFailure(Problem("no such file or folder", file=str(path)))
    return path


# --- build ------------------------------------------------------------------------------------

@_command()
def build(
    path: SolutionPath = Path("."),
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", metavar="DIR", help="Write the solution tree here instead of into the solution folder.",
        show_default=False)] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace this version's zip even if its content changes.")] = False,
    clean: Annotated[bool, typer.Option(
        "--clean", help="Remove files an earlier build generated that this one no longer does.")] = False,
    no_validate: Annotated[bool, typer.Option(
        "--no-validate", help="Write even if validation finds errors (not for releases).")] = False,
    jobs: Jobs = None,
    no_cache: NoCache = False,
    quiet: Quiet = False, verbose: Verbose = False, color: ColorOption = Color.auto, output: OutputFile = None,
) -> None:
    """Render every artefact from the manifest, validate it and write the versioned, reproducible package."""
    with _session(quiet, verbose, color, output) as session:
        from sentinel_pack.package.build import build as run_build

        _performance(path, jobs, no_cache, warm=not no_validate)
        if no_validate:
            session.line("warning: --no-validate: the package is written WITHOUT validation; "
                         "do not release it before 'sentinel-pack validate' passes", stderr=True)
        rendered, written = run_build(_existing(path), out, force=force, validate=not no_validate)
        target = out if out is not None else rendered.manifest.root
        _after_build(session, rendered, written, target, clean)


def _performance(path: Path, jobs: int | None, no_cache: bool, warm: bool = True) -> None:
    """--jobs and --no-cache of a command over one solution (build): the checkers warm up meanwhile."""
    from sentinel_pack.package.build import BUILD_IGNORES
    from sentinel_pack.perf import diskcache, pool
    from sentinel_pack.validate.runner import warm_up

    if no_cache:
        diskcache.set_enabled(False)
    if warm and path.exists():
        warm_up(path, pool.default_jobs() if jobs is None else jobs, ignore=BUILD_IGNORES)


def _after_build(session: terminal.Output, rendered: Rendered, written: list[Written], target: Path,
                 clean: bool) -> None:
    """The leftovers of earlier builds, then the summary: shared by build and release."""
    from sentinel_pack import report
    from sentinel_pack.package import stale

    leftovers = stale.after_build(target.resolve(), rendered.files, clean=clean)
    report.print_build_summary(rendered, written, target, session)
    report.print_leftovers(leftovers, session)


# --- validate ---------------------------------------------------------------------------------

class FindingsFormat(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


@_command()
def validate(
    paths: Annotated[list[Path] | None, typer.Argument(
        metavar="PATH", help="Solution folders (source or built), package zips, or folders of solutions; "
             "default: the current folder.",
        show_default=False)] = None,
    output_format: Annotated[FindingsFormat, typer.Option(
        "--format", "-f", help="text, json, sarif (code scanning) or github (workflow annotations).")
    ] = FindingsFormat.text,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail too.")] = False,
    select: Annotated[list[str] | None, typer.Option(
        "--select", metavar="ID", help="Only these rule ids or prefixes (e.g. SP4, sp30); one matching no rule is "
        "an error; repeatable or comma-separated.", show_default=False)] = None,
    ignore: Annotated[list[str] | None, typer.Option(
        "--ignore", metavar="ID", help="Skip these rule ids or prefixes; repeatable or comma-separated.",
        show_default=False)] = None,
    no_config: Annotated[bool, typer.Option(
        "--no-config", help="Ignore .sentinel-pack.toml and pyproject.toml [tool.sentinel-pack].")] = False,
    jobs: Jobs = None,
    no_cache: NoCache = False,
    quiet: Quiet = False, verbose: Verbose = False, color: ColorOption = Color.auto, output: OutputFile = None,
) -> None:
    """Check schemas, CloudFormation, cross-file consistency and the package ('sentinel-pack rules' lists the rules)."""
    with _session(quiet, verbose, color, output) as session:
        solutions, findings, expanded = _validate(paths or [Path(".")], select or (), ignore or (),
                                                  use_config=not no_config, jobs=jobs,
                                                  cache=False if no_cache else None)
        _print_findings(session, findings, output_format, solutions, expanded)
    from sentinel_pack.validate.runner import failed

    if failed(findings, strict):
        raise typer.Exit(EXIT_FINDINGS)


def _validate(paths: list[Path], select: tuple[str, ...] | list[str], ignore: tuple[str, ...] | list[str],
              use_config: bool = True, jobs: int | None = None,
              cache: bool | None = None) -> tuple[list[str], list, bool]:
    """The solutions validated, their findings less those a configuration file ignores, and whether a path was
    a folder of solutions."""
    from sentinel_pack import config
    from sentinel_pack.validate.dedupe import one_per_problem
    from sentinel_pack.validate.runner import run

    solutions: list[str] = []
    findings = []
    expanded = False
    for path, result in run(paths, select, ignore, jobs, cache).by_path:  # every solution over the cores at once
        found = one_per_problem(result.findings)
        if use_config:
            settings = config.discover(path)
            kept = settings.apply(found)
            if terminal.current().verbose and settings.file is not None:
                terminal.current().line(f"{path}: {settings.file} ignores {len(found) - len(kept)} of "
                                        f"{len(found)} findings", stderr=True, keep=(str(path), str(settings.file)))
            found = kept
        solutions.extend(result.solutions)
        findings.extend(found)
        expanded = expanded or result.expanded
    return solutions, findings, expanded


def _print_findings(session: terminal.Output, findings: list, output_format: FindingsFormat,
                    solutions: list[str] | None = None, expanded: bool = False) -> None:
    from sentinel_pack.validate import output

    if output_format is FindingsFormat.text:
        output.text(findings, solutions, expanded, session)
        return
    if not session.quiet:
        output.note(solutions or [], expanded)
    render = {FindingsFormat.json: output.as_json, FindingsFormat.sarif: output.sarif,
              FindingsFormat.github: output.github}[output_format]
    session.write(render(findings))


# --- import -----------------------------------------------------------------------------------

@_command("import")
def import_(
    path: Annotated[Path, typer.Argument(
        metavar="PATH", help="Solution folder in the Azure-Sentinel layout (Data/, Data Connectors/, Package/); "
        "default: the current folder.", show_default=False)] = Path("."),
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", metavar="DIR", help="Write solution.yaml here instead of into the solution folder.",
        show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing solution.yaml.")] = False,
    quiet: Quiet = False, verbose: Verbose = False, color: ColorOption = Color.auto, output: OutputFile = None,
) -> None:
    """Write a manifest for an existing solution, show how its rebuilt package differs, and validate it."""
    with _session(quiet, verbose, color, output) as session:
        from sentinel_pack import report
        from sentinel_pack.importer.run import import_solution

        imported, differences, written = import_solution(_existing(path), out, force=force)
        report.print_import_report(imported, differences, written, session)
        from sentinel_pack.importer.check import check_imported

        findings = check_imported(out if out is not None else (path if path.is_dir() else path.parent))
        report.print_import_findings(findings, session)
    from sentinel_pack.validate.finding import ERROR

    if any(f.severity == ERROR for f in findings):
        raise typer.Exit(EXIT_FINDINGS)


# --- diff -------------------------------------------------------------------------------------

class DiffFormat(str, Enum):
    text = "text"
    tree = "tree"  # the old name of text
    markdown = "markdown"
    json = "json"


@_command()
def diff(
    old: Annotated[Path | None, typer.Argument(
        metavar="OLD", help="OLD side: a package zip, a built solution folder or a solution.yaml. "
        "With --from: the solution folder (default: the current folder).", show_default=False)] = None,
    new: Annotated[Path | None, typer.Argument(
        metavar="NEW", help="NEW side, any of the same kinds.", show_default=False)] = None,
    from_rev: Annotated[str | None, typer.Option(
        "--from", metavar="REV", help="Compare the solution as built at this git revision ...",
        show_default=False)] = None,
    to_rev: Annotated[str | None, typer.Option(
        "--to", metavar="REV", help="... with this revision (default: the working tree).", show_default=False)] = None,
    output_format: Annotated[DiffFormat, typer.Option(
        "--format", "-f", help="text (the terminal; 'tree' is the same), markdown (a pull-request comment) or json.")
    ] = DiffFormat.text,
    check_version: Annotated[bool, typer.Option(
        "--check-version", help="Exit 1 when NEW's version bump over OLD is smaller than the changes need.")] = False,
    quiet: Quiet = False, verbose: Verbose = False, color: ColorOption = Color.auto, output: OutputFile = None,
) -> None:
    """Show what changed between two packages, solution folders or git revisions, and the bump it needs."""
    with _session(quiet, verbose, color, output) as session:
        from sentinel_pack.diff.run import run_diff

        result = run_diff(old, new, from_rev, to_rev)
        from sentinel_pack.diff import output as diff_output

        if output_format is DiffFormat.json:
            session.write(diff_output.json_text(result))
        elif output_format is DiffFormat.markdown:
            session.write(diff_output.markdown(result))
        else:
            diff_output.print_tree(result, session)
        if result.problems:
            raise typer.Exit(EXIT_FINDINGS)
        if check_version and not result.version_ok:
            raise SentinelPackError(Problem(
                f"{diff_output.bump_verdict(result)}; these changes need a {result.required_bump} bump",
                hint="run 'sentinel-pack release -m ...' on the NEW solution (it works out the bump "
                     f"from its last released zip), or 'sentinel-pack release {result.required_bump} -m ...'"))


# --- release ----------------------------------------------------------------------------------

LEVELS = ("major", "minor", "patch")


@_command()
def release(
    level: Annotated[str | None, typer.Argument(
        metavar="LEVEL", help="major, minor or patch: the part of solution.version to bump; default: the bump "
        "the changes since the last zip in Package/ need (as 'diff --check-version' works it out).",
        show_default=False)] = None,
    path: Annotated[Path | None, typer.Argument(
        metavar="PATH", help="Solution folder holding solution.yaml (or the manifest file); default: the current "
        "folder.", show_default=False)] = None,
    message: Annotated[str, typer.Option(
        "--message", "-m", metavar="TEXT", help="The release-notes line for this version.")] = "",
    on: Annotated[str | None, typer.Option(
        "--date", metavar="YYYY-MM-DD", help="Release date (default: today).", show_default=False)] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Release with a smaller bump than the changes need.")] = False,
    clean: Annotated[bool, typer.Option(
        "--clean", help="Remove files an earlier build generated that this one no longer does.")] = False,
    quiet: Quiet = False, verbose: Verbose = False, color: ColorOption = Color.auto, output: OutputFile = None,
) -> None:
    """Bump the manifest version, add the release-notes entry and rebuild; older zips stay."""
    if level is not None and level not in LEVELS:
        if path is not None:
            raise typer.BadParameter(f"{level!r} is not major, minor or patch", param_hint="'[major|minor|patch]'")
        level, path = None, Path(level)  # 'release -m ... SOLUTION': the level was left out
    if not message:
        raise typer.BadParameter("the release-notes line is missing: -m 'what changed'", param_hint="'-m'")
    with _session(quiet, verbose, color, output) as session:
        from sentinel_pack.manifest.load import load_manifest
        from sentinel_pack.package.build import render_solution
        from sentinel_pack.package.release import release as run_release
        from sentinel_pack.package.versioning import choose_level

        manifest = load_manifest(_existing(path or Path(".")))
        rendered = render_solution(manifest)
        chosen, need = choose_level(manifest.root, rendered.files, rendered.context["solution"]["version"], level,
                                    force=force)
        plan, rendered, written = run_release(path or Path("."), chosen, message, on)
        _after_build(session, rendered, written, rendered.manifest.root, clean)
        why = f", as the changes since {need.since} need" if level is None and need is not None else ""
        if not session.quiet:
            session.line(f"released {plan.old_version} -> {plan.new_version} ({chosen}{why}, {plan.date}); "
                         f"{plan.manifest_file.name} updated, earlier zips in Package/ kept.")


# --- init -------------------------------------------------------------------------------------

class Kind(str, Enum):
    aws_s3 = "aws-s3"
    rest_api = "rest-api"


@_command()
def init(
    name: Annotated[str, typer.Argument(
        metavar="NAME", help="Display name of the new solution, e.g. 'Contoso Events'.")],
    kind: Annotated[Kind, typer.Option(
        "--kind", help="Connector kind to scaffold: aws-s3 (S3 via SQS) or rest-api (RestApiPoller).")
    ] = Kind.rest_api,
    directory: Annotated[Path | None, typer.Option(
        "--dir", metavar="DIR", help="Folder to create (default: ./NAME).", show_default=False)] = None,
    quiet: Quiet = False, verbose: Verbose = False, color: ColorOption = Color.auto, output: OutputFile = None,
) -> None:
    """Scaffold a solution folder with a commented solution.yaml that builds as is."""
    with _session(quiet, verbose, color, output) as session:
        import shlex

        from sentinel_pack.scaffold import init_solution

        scaffold = init_solution(name, kind.value, directory)
        if not session.quiet:
            if scaffold.name != name:
                session.line(f"note: the solution is named {scaffold.name!r}: its name becomes file names and ids, "
                             "which are ASCII")
            session.line(f"wrote {scaffold.manifest}", keep=(str(scaffold.manifest),))
            command = f"sentinel-pack build {shlex.quote(str(scaffold.folder))}"
            session.line(f"next: edit the EXAMPLE values, then run: {command}", keep=(command,))


# --- rules and docs ---------------------------------------------------------------------------

class ListFormat(str, Enum):
    text = "text"
    json = "json"


@_command()
def rules(
    rule_id: Annotated[str | None, typer.Argument(
        metavar="ID", help="A rule id (SP401) for its documentation, or a prefix (SP4) to list those rules.",
        show_default=False)] = None,
    output_format: Annotated[ListFormat, typer.Option("--format", "-f", help="text or json.")] = ListFormat.text,
    quiet: Quiet = False, verbose: Verbose = False, color: ColorOption = Color.auto, output: OutputFile = None,
) -> None:
    """List every validate rule with its id, severity and summary, or show one rule's documentation."""
    with _session(quiet, verbose, color, output) as session:
        from sentinel_pack import ruledocs

        ruledocs.show(rule_id, output_format.value, session)


@_command()
def docs(
    topic: Annotated[str | None, typer.Argument(
        metavar="TOPIC", help="manifest, rules, arm-escaping, detections, content or differences; default: the list.",
        show_default=False)] = None,
    quiet: Quiet = False, verbose: Verbose = False, color: ColorOption = Color.auto, output: OutputFile = None,
) -> None:
    """Print the documentation shipped with sentinel-pack (the manifest's keys, the rules, ...)."""
    with _session(quiet, verbose, color, output) as session:
        from sentinel_pack import ruledocs

        ruledocs.show_doc(topic, session)


# --- pre-commit -------------------------------------------------------------------------------

@_command("pre-commit")
def pre_commit(
    files: Annotated[list[Path] | None, typer.Argument(
        metavar="FILE", help="Changed files (pre-commit passes them); each solution holding one is validated.",
        show_default=False)] = None,
    build_check: Annotated[bool, typer.Option(
        "--build-check", help="Only check that the generated files are rebuilt (SP101, SP504).")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail too.")] = False,
    select: Annotated[list[str] | None, typer.Option(
        "--select", metavar="ID", help="Only these rule ids or prefixes; repeatable or comma-separated.",
        show_default=False)] = None,
    ignore: Annotated[list[str] | None, typer.Option(
        "--ignore", metavar="ID", help="Skip these rule ids or prefixes; repeatable or comma-separated.",
        show_default=False)] = None,
    quiet: Quiet = False, verbose: Verbose = False, color: ColorOption = Color.auto, output: OutputFile = None,
) -> None:
    """Validate only the solutions whose files changed (the entry point of the pre-commit hooks)."""
    with _session(quiet, verbose, color, output) as session:
        from sentinel_pack.hooks import solution_folders

        folders = solution_folders(files or [])
        if session.verbose:
            for folder in folders:
                session.line(f"checking {folder}")
        chosen = ("SP101", "SP504") if build_check else tuple(select or ())
        solutions, findings, _ = _validate(folders, chosen, ignore or ()) if folders else ([], [], False)
        _print_findings(session, findings, FindingsFormat.text, solutions)
    from sentinel_pack.validate.runner import failed

    if failed(findings, strict):
        raise typer.Exit(EXIT_FINDINGS)


def main() -> None:
    from sentinel_pack.perf import collector

    collector.tune()
    # Not click's standalone mode: it turns Ctrl-C into "Aborted!" and exit 1; a shell expects 130.
    try:
        code = app(prog_name="sentinel-pack", standalone_mode=False)
    except KeyboardInterrupt:
        _interrupted()
    except Exception as exc:
        if _is(exc, "Abort"):  # click's wrapper of KeyboardInterrupt (typer may vendor click)
            _interrupted()
        if _is(exc, "ClickException"):  # usage errors: click's own message and exit code 2
            exc.show()  # type: ignore[attr-defined]
            sys.exit(exc.exit_code)  # type: ignore[attr-defined]
        if os.environ.get("SENTINEL_PACK_DEBUG"):  # a bug, not bad input: no wall of traceback
            raise
        print(f"sentinel-pack: internal error: {type(exc).__name__}: {exc}\n"
              "Set SENTINEL_PACK_DEBUG=1 to see the traceback, and please report it.", file=sys.stderr)
        sys.exit(EXIT_USAGE)
    if code == 130:  # newer typer returns click's Abort (Ctrl-C) as the shell's code itself
        _interrupted()
    sys.exit(code if isinstance(code, int) else 0)


def _is(exc: BaseException, name: str) -> bool:
    return any(cls.__name__ == name for cls in type(exc).__mro__)


def _interrupted() -> None:
    print("interrupted", file=sys.stderr)
    sys.exit(130)
