"""How fast sentinel-pack starts and validates, against the tools it stands on.

Run it from the repository root with the project installed: ``python benchmarks/bench_validate.py``.
It prints the median wall time of several runs of each command; the targets of issue 3 are
``validate`` under 2x cfn-lint alone on the same two templates, and ``--help`` within 150 ms of
a bare interpreter start; issue 13's: the Kusto parser (loaded cold in every run) adds at most
0.3 s to ``validate solution/``, measured against a run without the rules that use it. This is
a script, not a test: timings depend on the machine (and on a free second core, which the
engine loads on while the other rules run).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CFN = ROOT / "solution/Data Connectors/CloudFormationTemplates"
RUNS = 7
#: The rules that load the Kusto engine; without them validate never starts V8.
NO_KUSTO = ["--ignore", "SP81", "--ignore", "SP404", "--ignore", "SP407", "--ignore", "SP802"]


def median_seconds(command: list[str]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    python = sys.executable
    rows = {
        "python -c pass": median_seconds([python, "-c", "pass"]),
        "sentinel-pack --help": median_seconds([python, "-m", "sentinel_pack", "--help"]),
        # cfn-lint's own console entry point (cfnlint has no __main__ module)
        "cfn-lint (2 templates)": median_seconds(
            [python, "-c", "import sys; from cfnlint.runner import main; sys.exit(main())",
             *map(str, sorted(CFN.glob("*.json")))]),
        "sentinel-pack validate solution/": median_seconds([python, "-m", "sentinel_pack", "validate", "solution/"]),
        "  ... without the Kusto parser": median_seconds(
            [python, "-m", "sentinel_pack", "validate", "solution/", *NO_KUSTO]),
    }
    width = max(map(len, rows))
    for name, seconds in rows.items():
        print(f"{name:<{width}}  {seconds * 1000:8.0f} ms")
    startup = rows["sentinel-pack --help"] - rows["python -c pass"]
    ratio = rows["sentinel-pack validate solution/"] / rows["cfn-lint (2 templates)"]
    kusto = rows["sentinel-pack validate solution/"] - rows["  ... without the Kusto parser"]
    verdict = "ok" if startup <= 0.150 else "MISSED"
    print(f"\n--help over a bare start: {startup * 1000:.0f} ms (target <= 150 ms): {verdict}")
    print(f"validate / cfn-lint alone: {ratio:.2f}x (target < 2x): {'ok' if ratio < 2 else 'MISSED'}")
    print(f"Kusto parser, cold: +{kusto * 1000:.0f} ms (target <= 300 ms): {'ok' if kusto <= 0.3 else 'MISSED'}")
    return 0 if startup <= 0.150 and ratio < 2 and kusto <= 0.3 else 1


if __name__ == "__main__":
    raise SystemExit(main())
