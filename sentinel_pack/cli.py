"""The ``sentinel-pack`` command line: argument parsing and printing only.

Heavy modules (jinja2, jsonschema, cfn-lint, deepdiff) are imported inside the commands so
``--help`` and ``--version`` start fast.
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from sentinel_pack import __version__
from sentinel_pack.errors import EXIT_FINDINGS, EXIT_USAGE, SentinelPackError

app = typer.Typer(
    name="sentinel-pack",
    help="Build, validate and diff Microsoft Sentinel solution packages from one YAML manifest.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: importing rich for --help costs ~100 ms
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sentinel-pack {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool | None, typer.Option(
        "--version", callback=_version, is_eager=True, help="Show the version and exit.")] = None,
) -> None:
    """Build, validate and diff Microsoft Sentinel solution packages from one YAML manifest."""


def fail(error: SentinelPackError) -> typer.Exit:
    from rich.console import Console
    from rich.markup import escape

    # Messages quote untrusted text (zip entry names, YAML keys): never read it as rich markup.
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    for problem in error.problems:
        where = escape(problem.where())
        console.print(f"[bold red]error[/]: {where + ': ' if where else ''}{escape(problem.message)}", markup=True,
                      emoji=False)
        if problem.hint:
            console.print(f"  [cyan]fix[/]: {escape(problem.hint)}", emoji=False)
    return typer.Exit(error.exit_code)


@app.command()
def build(
    path: Annotated[Path, typer.Argument(help="Solution folder holding solution.yaml (or the manifest file).")],
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Write the solution tree here instead of into the solution folder.")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace this version's zip even if its content changes.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")] = False,
    no_validate: Annotated[bool, typer.Option(
        "--no-validate", help="Write even if validation finds errors (not for releases).")] = False,
) -> None:
    """Render every artefact from the manifest, validate it and write the versioned, reproducible package."""
    from sentinel_pack.build import build as run_build

    if no_validate:
        typer.secho("warning: --no-validate: the package is written WITHOUT validation; "
                    "do not release it before 'sentinel-pack validate' passes", fg="yellow", err=True)
    try:
        rendered, written = run_build(path, out, force=force, validate=not no_validate)
    except SentinelPackError as error:
        raise fail(error) from None
    if quiet:
        return
    from sentinel_pack.report import print_build_summary

    print_build_summary(rendered, written, out if out is not None else rendered.manifest.root)


class FindingsFormat(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


@app.command()
def validate(
    paths: Annotated[list[Path] | None, typer.Argument(
        help="Solution folders (source or built), package zips, or folders of solutions; "
             "default: the current folder.",
        show_default=False)] = None,
    output_format: Annotated[FindingsFormat, typer.Option(
        "--format", "-f", help="text, json, sarif (code scanning) or github (workflow annotations).")
    ] = FindingsFormat.text,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail too.")] = False,
    select: Annotated[list[str] | None, typer.Option(
        "--select", help="Only these rule ids or prefixes (e.g. SP4, sp30); one matching no rule is an error.")
    ] = None,
    ignore: Annotated[list[str] | None, typer.Option(
        "--ignore", help="Skip these rule ids or prefixes.")] = None,
) -> None:
    """Check schemas, CloudFormation, cross-file consistency and the package; rules in docs/rules.md."""
    from sentinel_pack.validate import output
    from sentinel_pack.validate.runner import failed, run

    try:
        result = run(paths or [Path(".")], select or (), ignore or ())
    except SentinelPackError as error:
        raise fail(error) from None
    findings = result.findings
    if output_format is FindingsFormat.text:
        output.text(findings, result.solutions, result.expanded)
    else:
        output.note(result.solutions, result.expanded)
        render = {FindingsFormat.json: output.as_json, FindingsFormat.sarif: output.sarif,
                  FindingsFormat.github: output.github}[output_format]
        sys.stdout.write(render(findings))
    if failed(findings, strict):
        raise typer.Exit(EXIT_FINDINGS)


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(
        help="Solution folder in the Azure-Sentinel layout (Data/, Data Connectors/, Package/).")],
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Write solution.yaml here instead of into the solution folder.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing solution.yaml.")] = False,
) -> None:
    """Write a manifest for an existing solution and show how its rebuilt package differs."""
    from sentinel_pack.importer.run import import_solution
    from sentinel_pack.report import print_import_report

    try:
        imported, differences, written = import_solution(path, out, force=force)
    except SentinelPackError as error:
        raise fail(error) from None
    print_import_report(imported, differences, written)


class OutputFormat(str, Enum):
    tree = "tree"
    markdown = "markdown"
    json = "json"


@app.command()
def diff(
    old: Annotated[Path | None, typer.Argument(
        help="OLD side: a package zip, a built solution folder or a solution.yaml. "
             "With --from: the solution folder (default: the current folder).", show_default=False)] = None,
    new: Annotated[Path | None, typer.Argument(
        help="NEW side, any of the same kinds.", show_default=False)] = None,
    from_rev: Annotated[str | None, typer.Option(
        "--from", help="Compare the solution as built at this git revision ...")] = None,
    to_rev: Annotated[str | None, typer.Option(
        "--to", help="... with this revision (default: the working tree).")] = None,
    output_format: Annotated[OutputFormat, typer.Option(
        "--format", "-f", help="tree (terminal), markdown (pull-request comment) or json.")] = OutputFormat.tree,
    check_version: Annotated[bool, typer.Option(
        "--check-version", help="Exit 1 when NEW's version bump over OLD is smaller than the changes need.")] = False,
) -> None:
    """Show what changed between two packages, solution folders or git revisions, and the bump it needs."""
    from sentinel_pack.diff.run import run_diff

    try:
        result = run_diff(old, new, from_rev, to_rev)
    except SentinelPackError as error:
        raise fail(error) from None
    from sentinel_pack.diff import output

    if output_format is OutputFormat.json:
        sys.stdout.write(output.json_text(result))
    elif output_format is OutputFormat.markdown:
        sys.stdout.write(output.markdown(result))
    else:
        output.print_tree(result)
    if result.problems:
        raise typer.Exit(EXIT_FINDINGS)
    if check_version and not result.version_ok:
        from sentinel_pack.errors import Problem

        raise fail(SentinelPackError(Problem(
            f"{output.bump_verdict(result)}; these changes need a {result.required_bump} bump",
            hint=f"run 'sentinel-pack release {result.required_bump} -m ...' on the NEW solution")))


class ReleasePart(str, Enum):
    major = "major"
    minor = "minor"
    patch = "patch"


@app.command()
def release(
    part: Annotated[ReleasePart, typer.Argument(help="The part of solution.version to bump.")],
    message: Annotated[str, typer.Option("--message", "-m", help="The release-notes line for this version.")],
    path: Annotated[Path, typer.Argument(help="Solution folder holding solution.yaml (or the manifest file).")
                    ] = Path("."),
    on: Annotated[str | None, typer.Option(
        "--date", help="Release date, YYYY-MM-DD (default: today).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")] = False,
) -> None:
    """Bump the manifest version, add the release-notes entry and rebuild; older zips stay."""
    from sentinel_pack.release import release as run_release

    try:
        plan, rendered, written = run_release(path, part.value, message, on)
    except SentinelPackError as error:
        raise fail(error) from None
    if quiet:
        return
    from sentinel_pack.report import print_build_summary

    print_build_summary(rendered, written, rendered.manifest.root)
    typer.echo(f"released {plan.old_version} -> {plan.new_version} ({part.value}, {plan.date}); "
               f"{plan.manifest_file.name} updated, earlier zips in Package/ kept.")


@app.command()
def init(
    name: Annotated[str, typer.Argument(help="Display name of the new solution, e.g. 'Contoso Events'.")],
    kind: Annotated[str, typer.Option(
        "--kind", help="Connector kind to scaffold: aws-s3 (S3 via SQS) or rest-api (RestApiPoller).")] = "rest-api",
    directory: Annotated[Path | None, typer.Option(
        "--dir", help="Folder to create (default: ./NAME).")] = None,
) -> None:
    """Scaffold a solution folder with a commented solution.yaml that builds as is."""
    from sentinel_pack.scaffold import init_solution

    try:
        scaffold = init_solution(name, kind, directory)
    except SentinelPackError as error:
        raise fail(error) from None
    typer.echo(f"wrote {scaffold.manifest}\nnext: edit the EXAMPLE values, then run "
               f"'sentinel-pack build \"{scaffold.folder}\"'")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # a bug, not bad input: say so without a wall of traceback
        if os.environ.get("SENTINEL_PACK_DEBUG"):
            raise
        print(f"sentinel-pack: internal error: {type(exc).__name__}: {exc}\n"
              "Set SENTINEL_PACK_DEBUG=1 to see the traceback, and please report it.", file=sys.stderr)
        sys.exit(EXIT_USAGE)
