"""Refresh the apiVersion data of SP612/SP613 (arm-ttk's apiVersions-Should-Be-Recent).

Input is what arm-ttk's own cache is made from: ``az provider list -o json`` (a list of
providers), or an arm-ttk ``AllAzureResources.cache.json`` (resource type -> provider entries).
Usage, from the repository root:

    az provider list -o json > providers.json
    python scripts/refresh_apiversions.py providers.json --date 2026-12-01 --source "az provider list, subscription X"

The output, ``sentinel_pack/armttk/data/apiversions.json``, keeps only each type's apiVersions
(newest first), sorted by type, so a refresh gives a small, reviewable diff.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "sentinel_pack/armttk/data/apiversions.json"


def versions_by_type(data: object) -> dict[str, list[str]]:
    found: dict[str, set[str]] = {}
    if isinstance(data, list):  # az provider list
        for provider in data:
            for item in provider.get("resourceTypes") or []:
                name = f"{provider['namespace']}/{item['resourceType']}"
                found.setdefault(name, set()).update(item.get("apiVersions") or [])
    elif isinstance(data, dict):  # arm-ttk cache: type -> [entries]
        for name, entries in data.items():
            for item in entries if isinstance(entries, list) else [entries]:
                found.setdefault(name, set()).update((item or {}).get("apiVersions") or [])
    else:
        raise SystemExit("input is neither 'az provider list' output nor an arm-ttk AllAzureResources cache")
    return {name: sorted((v.lower() for v in versions), reverse=True)
            for name, versions in sorted(found.items()) if versions}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("input", type=Path)
    parser.add_argument("--date", required=True, help="the day the input was taken, YYYY-MM-DD")
    parser.add_argument("--source", required=True, help="where the input came from")
    args = parser.parse_args()
    data = json.loads(args.input.read_text(encoding="utf-8-sig"))
    out = {"source": args.source, "date": args.date, "types": versions_by_type(data)}
    OUT.write_text(json.dumps(out, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(out['types'])} resource types")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
