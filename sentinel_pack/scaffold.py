"""``sentinel-pack init``: a new solution folder with a commented manifest that builds as is.

The manifest comes from ``templates/init/<kind>.yaml.j2``; before anything is written it is
loaded and rendered exactly as ``build`` would, so a scaffold that does not build is a bug
caught here, never a surprise for the author.
"""

from __future__ import annotations

import re
import shlex
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sentinel_pack.errors import EXIT_USAGE, IOFailure, Problem, SentinelPackError
from sentinel_pack.manifest.load import MANIFEST_NAME

KINDS = {"aws-s3": "init/aws-s3.yaml.j2", "rest-api": "init/rest-api.yaml.j2"}
SOURCES = {"aws-s3": "Amazon S3", "rest-api": "REST API"}
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9 ._-]{0,49}$")


@dataclass(frozen=True)
class Scaffold:
    folder: Path
    manifest: Path
    kind: str
    name: str  # as written into the manifest: ASCII, transliterated from what was typed


def transliterate(name: str) -> str:
    """``'Café Événements'`` -> ``'Cafe Evenements'``: the name ends up in file names and ids, which are ASCII."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).encode("ascii", "ignore").decode()


def check_name(name: str) -> str:
    """The solution's display name (transliterated to ASCII); it also names the table, connector and files."""
    ascii_name = " ".join(transliterate(name).split())
    if not ascii_name or not re.search(r"[A-Za-z]", ascii_name):
        raise SentinelPackError(Problem(
            f"{name!r} has no letters that can be written in ASCII: the solution name becomes file names, "
            "table and connector ids, which Sentinel needs in ASCII letters and digits",
            hint="pass a name in Latin letters, e.g. sentinel-pack init 'Contoso Events'"), exit_code=EXIT_USAGE)
    if not _NAME.match(ascii_name):
        raise SentinelPackError(Problem(
            f"{name!r} is not a usable solution name",
            hint="start with a letter; use letters, digits, spaces, '.', '_' or '-'; at most 50 characters "
                 "(e.g. 'Contoso Events')"), exit_code=EXIT_USAGE)
    return ascii_name


def render_manifest(name: str, kind: str, folder: str, today: str | None = None,
                    content_examples: bool = False) -> str:
    from sentinel_pack.render.engine import Renderer

    compact = re.sub(r"[^A-Za-z0-9]", "", name)
    lower = compact.lower()
    context = {
        "name": name, "compact": compact, "folder": folder, "folder_arg": shlex.quote(folder), "source": SOURCES[kind],
        "today": today or date.today().isoformat(),
        "table": f"{compact}_CL",
        "role": f"OIDC_{compact}Role"[:64],
        "bucket": f"{lower[:40]}-sentinel-logs",
        "queue": f"{compact[:60]}SentinelQueue",
        "connector_id": f"{compact}CCPDefinition",
        "content_examples": content_examples,
    }
    return Renderer().render_text(KINDS[kind], context) + "\n"


#: init's example content files: template -> path in the new folder ({compact} filled in).
CONTENT_EXAMPLES = {
    "init/content/workbook.json.j2": "Workbooks/{compact}Overview.json",
    "init/content/parser.yaml.j2": "Parsers/{compact}.yaml",
    "init/content/playbook.json.j2": "Playbooks/{compact}-Comment/azuredeploy.json",
    "init/content/watchlist.json.j2": "Watchlists/{compact}Assets.json",
    "init/content/summary_rule.yaml.j2": "Summary Rules/{compact}HourlySummary.yaml",
}


def render_examples(name: str, today: str | None = None) -> dict[str, str]:
    """The example workbook, parser, playbook, watchlist and summary rule, by relative path."""
    import uuid

    from sentinel_pack.render.engine import Renderer

    compact = re.sub(r"[^A-Za-z0-9]", "", name)
    context = {
        "name": name, "compact": compact, "table": f"{compact}_CL", "connector_id": f"{compact}CCPDefinition",
        "today": today or date.today().isoformat(),
        # stable per solution name, so a second init writes the same files
        "ids": {kind: str(uuid.uuid5(uuid.NAMESPACE_URL, f"sentinel-pack:{compact}:{kind}"))
                for kind in ("parser", "summary_rule")},
    }
    renderer = Renderer()
    return {path.format(compact=compact): renderer.render_text(template, context) + "\n"
            for template, path in CONTENT_EXAMPLES.items()}


def _check_builds(text: str, examples: dict[str, str] | None = None) -> None:
    """Load and render the scaffold as ``build`` would, in a throw-away folder."""
    from sentinel_pack.manifest.load import load_manifest
    from sentinel_pack.package.build import render_solution

    workdir = Path(tempfile.mkdtemp(prefix="sentinel-pack-init-"))
    try:
        (workdir / MANIFEST_NAME).write_text(text, encoding="utf-8")
        for rel, content in (examples or {}).items():
            (workdir / rel).parent.mkdir(parents=True, exist_ok=True)
            (workdir / rel).write_text(content, encoding="utf-8")
        render_solution(load_manifest(workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def init_solution(name: str, kind: str, folder: Path | None = None) -> Scaffold:
    if kind not in KINDS:
        raise SentinelPackError(Problem(f"unknown kind {kind!r}", hint=f"use one of: {', '.join(KINDS)}"),
                                exit_code=EXIT_USAGE)
    name = check_name(name)
    folder = folder if folder is not None else Path(name)
    manifest = folder / MANIFEST_NAME
    if manifest.exists():
        raise SentinelPackError(Problem(f"{MANIFEST_NAME} already exists", file=str(manifest),
                                        hint="choose another --dir, or edit the existing manifest"))
    if folder.exists() and not folder.is_dir():
        raise IOFailure(Problem("exists and is not a folder", file=str(folder)))
    text = render_manifest(name, kind, str(folder))
    examples = render_examples(name)
    _check_builds(text)
    # the examples must build too, once their manifest lists are uncommented
    _check_builds(render_manifest(name, kind, str(folder), content_examples=True), examples)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with manifest.open("x", encoding="utf-8") as handle:  # "x": never overwrite, even in a race
            handle.write(text)
    except FileExistsError:
        raise SentinelPackError(Problem(f"{MANIFEST_NAME} already exists", file=str(manifest))) from None
    except OSError as exc:
        raise IOFailure(Problem(f"cannot write: {exc.strerror}", file=str(manifest))) from None
    for rel, content in examples.items():
        target = folder / rel
        if target.exists():
            continue  # an author's own file is never replaced
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
        except OSError as exc:
            raise IOFailure(Problem(f"cannot write: {exc.strerror}", file=str(target))) from None
    return Scaffold(folder=folder, manifest=manifest, kind=kind, name=name)
