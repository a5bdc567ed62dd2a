"""The solution's workbooks, parsers, playbooks, watchlists and summary rules, for the package.

Each manifest list names files in the upstream layout; every file is read, checked (all
problems at once, each with its file and line) and shaped for the package templates. The
source files are shipped beside the package as they are, like analytic rules.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from sentinel_pack.content import parsers, playbooks, summary_rules, watchlists, workbooks
from sentinel_pack.content.sources import KqlText, Source, read
from sentinel_pack.errors import IOFailure, Problem, SentinelPackError
from sentinel_pack.manifest.load import Manifest

#: Manifest key -> (checker, the upstream folder the files normally live in).
KINDS = {
    "workbooks": (workbooks.check, "Workbooks"),
    "parsers": (parsers.check, "Parsers"),
    "playbooks": (playbooks.check, "Playbooks"),
    "watchlists": (watchlists.check, "Watchlists"),
    "summary_rules": (summary_rules.check, "Summary Rules"),
}
#: The packager's default texts of the install wizard's steps.
WORKBOOKS_TEXT = ("This solution installs workbook(s) to help you gain insights into the telemetry collected in "
                  "Microsoft Sentinel. After installing the solution, start using the workbook in Manage solution "
                  "view.")
PLAYBOOKS_TEXT = ("This solution installs the Playbook templates to help implement your Security Orchestration, "
                  "Automation and Response (SOAR) operations. After installing the solution, these will be deployed "
                  "under Playbook Templates in the Automation blade in Microsoft Sentinel. They can be configured and "
                  "managed from the Manage solution view in Content Hub.")


def _relative(manifest: Manifest, key: str, index: int, relative: str, problems: list[Problem]) -> Source | None:
    path: tuple[str | int, ...] = (key, index, "file") if key == "workbooks" else (key, index)
    target = manifest.resolve_path(relative)
    if not target.is_relative_to(manifest.root):
        problems.append(manifest.doc.problem(path, f"'{relative}' leads outside the solution folder",
                                             hint="keep every file of the solution inside its folder"))
        return None
    if not target.is_file():
        problems.append(manifest.doc.problem(path, f"file '{relative}' does not exist"))
        return None
    try:
        raw = target.read_bytes()
    except OSError as exc:
        raise IOFailure(Problem(f"cannot read file: {exc.strerror}", file=relative)) from None
    name = PurePosixPath(relative.replace("\\", "/")).as_posix()
    try:
        return read(name, raw)
    except SentinelPackError as exc:
        problems.extend(exc.problems)
        return None


def load(manifest: Manifest) -> dict[str, list[Source]]:
    """Every listed file of every kind, read and checked; all problems are raised together."""
    problems: list[Problem] = []
    loaded: dict[str, list[Source]] = {}
    for key, (check, _folder) in KINDS.items():
        sources = []
        for index, entry in enumerate(manifest.data.get(key) or []):
            relative = entry["file"] if key == "workbooks" else entry
            source = _relative(manifest, key, index, relative, problems)
            if source is not None:
                found = check(source)
                if key == "playbooks" and "'" in playbooks.content_name(source.name):
                    found.append(source.problem((), "the playbook's folder name names ARM variables of the "
                                                "package and cannot hold a single quote", "rename the folder"))
                problems.extend(found)
                sources.append(source)
        loaded[key] = sources
    problems.extend(_unique(loaded))
    if problems:
        raise SentinelPackError(problems)
    return loaded


def _unique(loaded: dict[str, list[Source]]) -> list[Problem]:
    """Content ids name one item each: two workbooks with one key would overwrite each other."""
    problems = []
    ids = {
        "workbooks": lambda s: workbooks.file_key(s.name),
        "parsers": lambda s: parsers.plain_name(s.name) if isinstance(s.data, KqlText) else s.data.get("FunctionName"),
        "playbooks": lambda s: playbooks.content_name(s.name),
        "watchlists": lambda s: (watchlists.resource(s.data) or {}).get("properties", {}).get("displayName"),
        "summary_rules": lambda s: str(s.data.get("id", "")).lower(),
    }
    for key, sources in loaded.items():
        seen: dict[str, str] = {}
        for source in sources:
            value = ids[key](source)
            if not value:
                continue
            if value in seen:
                problems.append(source.problem((), f"{key[:-1].replace('_', ' ')} '{value}' is also defined by "
                                               f"{seen[value]}", "give each one its own id"))
            seen.setdefault(value, source.name)
    return problems


def add_to_context(data: dict[str, Any], manifest: Manifest) -> None:
    """Put the content of every kind into the template context (``data``), numbered from 1."""
    loaded = load(manifest)
    solution = data["solution"]
    release_date = next((e["date"] for e in manifest.data["release_notes"] if e["version"] == solution["version"]),
                        "1970-01-01")
    data["workbooks"] = workbooks.context(list(manifest.data.get("workbooks") or []), loaded["workbooks"])
    data["parsers"] = parsers.context(loaded["parsers"])
    data["playbooks"] = playbooks.context(playbooks.package(loaded["playbooks"], solution, release_date))
    data["watchlists"] = watchlists.context(loaded["watchlists"])
    data["summary_rules"] = summary_rules.context(loaded["summary_rules"])
    blades = manifest.data.get("blade_descriptions") or {}
    data["default_blades"] = {"workbooks": WORKBOOKS_TEXT, "playbooks": PLAYBOOKS_TEXT}
    data["blade_descriptions"] = {key: blades.get(key, text) for key, text in data["default_blades"].items()}
    # Variables the playbook passes add to the main template, once each, in the order they appear.
    extra: dict[str, str] = {}
    for playbook in data["playbooks"]:
        for name, value in playbook["global_variables"].items():
            extra.setdefault(name, value)
    data["content_variables"] = {k: v for k, v in extra.items() if k != "blanks"}
    data["content_files"] = {item["path"]: item["raw"] for key in KINDS for item in data[key]}


def counts(data: dict[str, Any], connectors: int) -> list[tuple[str, int]]:
    """The install text's counts, in the packager's order (createSolutionV3 ``updateDescriptionCount``)."""
    kinds = [p["kind"] for p in data["playbooks"]]
    return [
        ("Data Connectors", connectors),
        ("Parsers", len(data["parsers"])),
        ("Workbooks", len(data["workbooks"])),
        ("Analytic Rules", len(data["analytic_rules"])),
        ("Hunting Queries", len(data["hunting_queries"])),
        ("Watchlists", len(data["watchlists"])),
        ("Summary Rules", len(data["summary_rules"])),
        ("Custom Azure Logic Apps Connectors", kinds.count("LogicAppsCustomConnector")),
        ("Function Apps", kinds.count("AzureFunction")),
        ("Playbooks", kinds.count("Playbook")),
    ]
