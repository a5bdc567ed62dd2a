"""The ``sentinel-pack`` command line: argument parsing and printing only.

Heavy modules (jinja2, jsonschema, cfn-lint, deepdiff) are imported inside the commands so
``--help`` and ``--version`` start fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from sentinel_pack import __version__
from sentinel_pack.errors import EXIT_USAGE, SentinelPackError

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

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    for problem in error.problems:
        where = problem.where()
        console.print(f"[bold red]error[/]: {where + ': ' if where else ''}{problem.message}", markup=True,
                      emoji=False)
        if problem.hint:
            console.print(f"  [cyan]fix[/]: {problem.hint}", emoji=False)
    return typer.Exit(error.exit_code)


@app.command()
def build(
    path: Annotated[Path, typer.Argument(help="Solution folder holding solution.yaml (or the manifest file).")],
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Write the solution tree here instead of into the solution folder.")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace this version's zip even if its content changes.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")] = False,
) -> None:
    """Render every artefact from the manifest and write the versioned, reproducible package."""
    from sentinel_pack.build import build as run_build

    try:
        rendered, written = run_build(path, out, force=force)
    except SentinelPackError as error:
        raise fail(error) from None
    if quiet:
        return
    from sentinel_pack.report import print_build_summary

    print_build_summary(rendered, written, out if out is not None else rendered.manifest.root)


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
