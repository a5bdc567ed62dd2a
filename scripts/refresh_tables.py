"""Regenerate the vendored built-in table schemas (``sentinel_pack/schemas/tables/<name>.json``).

Usage, from the repository root, with a checkout of the source:

    python scripts/refresh_tables.py PATH/TO/Azure-Sentinel [TABLE...]
    python scripts/refresh_tables.py PATH/TO/azure-reference-other [TABLE...]

- Azure/Azure-Sentinel: ``.script/tests/KqlvalidationsTests/CustomTables/<TABLE>.json``, the schemas
  Sentinel's own KQL validation uses (``{"Name", "Properties": [{"Name", "Type"}]}``).
- MicrosoftDocs/azure-reference-other, checked out at bea53845 (the last commit before the Azure
  Monitor reference moved to a private repository): the column table of
  ``azure-monitor-ref/tables/includes/<table lower-cased>-include.md``, for the built-in tables
  CustomTables has no file for (SecurityEvent, SigninLogs, ...).

Without TABLE, every vendored file whose source is that repository is refreshed. Columns keep the
source's order, types are written as KQL names (``BigInt`` -> ``long``), and ``source`` names the
file and the commit (``git -C PATH rev-parse HEAD``). An unknown type, a duplicate column or a
table name that does not match its source stops the script: nothing is guessed.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sentinel_pack.kusto.schema import TABLES_DIR, known_type

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Source:
    repo: str
    folder: str  # marks a checkout of ``repo``
    file: Callable[[str], str]  # table name -> path in the checkout
    note: str
    columns: Callable[[str, str], list[tuple[str, str]]]  # (table, text) -> [(column, declared type)]

    def describe(self, table: str, commit: str) -> str:
        return f"{self.repo} {self.file(table)} @{commit[:8]} ({self.note}); types as KQL names"


def _custom_table(table: str, text: str) -> list[tuple[str, str]]:
    doc = json.loads(text)
    keys = {k.lower(): k for k in doc} if isinstance(doc, dict) else {}
    if "name" in keys and doc[keys["name"]] != table:
        raise SystemExit(f"{table}: the file declares table {doc[keys['name']]!r}")
    properties = doc.get(keys.get("properties", "Properties")) if keys else None
    if not isinstance(properties, list):
        raise SystemExit(f"{table}: expected {{\"Name\", \"Properties\": [{{\"Name\", \"Type\"}}]}}")
    out = []
    for item in properties:
        fields = {k.lower(): v for k, v in item.items()} if isinstance(item, dict) else {}
        out.append((fields.get("name"), fields.get("type")))
    return out


def _include(table: str, text: str) -> list[tuple[str, str]]:
    declared = re.search(r"^ms\.custom:\s*(\S+)\s*$", text, flags=re.MULTILINE)
    if declared and declared.group(1) != table:
        raise SystemExit(f"{table}: the reference page is for table {declared.group(1)!r}")
    rows = [line for line in text.splitlines() if line.startswith("|")]
    if len(rows) < 3 or [c.strip() for c in rows[0].split("|")[1:3]] != ["Column", "Type"]:
        raise SystemExit(f"{table}: expected a '| Column | Type | Description |' table")
    return [(cells[1].strip().replace("\\", ""), cells[2].strip()) for cells in (row.split("|") for row in rows[2:])]


SOURCES = (
    Source("Azure/Azure-Sentinel", ".script/tests/KqlvalidationsTests/CustomTables",
           lambda t: f".script/tests/KqlvalidationsTests/CustomTables/{t}.json",
           "the schema Sentinel's own KQL validation uses", _custom_table),
    Source("MicrosoftDocs/azure-reference-other", "azure-monitor-ref/tables/includes",
           lambda t: f"azure-monitor-ref/tables/includes/{t.lower()}-include.md",
           "the Azure Monitor table reference, CC BY 4.0", _include),
)


def convert(source: Source, table: str, text: str, commit: str) -> dict:
    """The vendored document: ``{"name", "source", "columns": [{"name", "type"}]}``."""
    columns, seen = [], set()
    for name, declared in source.columns(table, text):
        if not isinstance(name, str) or not _NAME.match(name):
            raise SystemExit(f"{table}: column name {name!r} is not a KQL identifier")
        kql = known_type(declared)
        if kql is None:
            raise SystemExit(f"{table}: column {name} has type {declared!r}, which is not a known column type")
        if name in seen:
            raise SystemExit(f"{table}: column {name} is declared twice")
        seen.add(name)
        columns.append({"name": name, "type": kql})
    if "TimeGenerated" not in seen:
        raise SystemExit(f"{table}: the schema has no TimeGenerated column")
    return {"name": table, "source": source.describe(table, commit), "columns": columns}


def render(doc: dict) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def refresh(checkout: Path, tables: list[str], out: Path) -> list[Path]:
    source = next((s for s in SOURCES if (checkout / s.folder).is_dir()), None)
    if source is None:
        raise SystemExit(f"{checkout}: neither a checkout of Azure/Azure-Sentinel nor of azure-reference-other "
                         f"(no {' or '.join(s.folder for s in SOURCES)})")
    run = subprocess.run(["git", "-C", str(checkout), "rev-parse", "HEAD"], capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"{checkout}: not a git checkout ({run.stderr.strip()})")
    commit = run.stdout.strip()
    if not tables:  # the vendored files that came from this repository
        prefix = f"{source.repo} {source.folder}/"
        tables = [p.stem for p in sorted(out.glob("*.json"))
                  if json.loads(p.read_text(encoding="utf-8")).get("source", "").startswith(prefix)]
    written = []
    for table in tables:
        path = checkout / source.file(table)
        if not path.is_file():
            raise SystemExit(f"{table}: {source.repo} has no {source.file(table)}")
        doc = convert(source, table, path.read_text(encoding="utf-8-sig"), commit)
        target = out / f"{table}.json"
        target.write_text(render(doc), encoding="utf-8")
        written.append(target)
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkout", type=Path, help="a checkout of Azure/Azure-Sentinel or azure-reference-other")
    parser.add_argument("tables", nargs="*", help="tables to write (default: the vendored ones from that source)")
    parser.add_argument("--out", type=Path, default=TABLES_DIR, help="folder of the table files (default: %(default)s)")
    args = parser.parse_intermixed_args()
    for path in refresh(args.checkout, args.tables, args.out):
        print(f"{path}: {len(json.loads(path.read_text(encoding='utf-8'))['columns'])} columns")
    print("add a row for each new file to sentinel_pack/schemas/vendor/PROVENANCE.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
