"""How fast sentinel-pack starts, builds and validates, against the tools it stands on.

Run it from the repository root with the project installed: ``python benchmarks/bench_validate.py``
(``--runs N``, default 3; ``--quick`` skips the 24-solution folder). Each row is the best of N
wall times of a fresh process, all in one run so the rows compare on the same machine load. The
targets (issue 18):

- ``validate solution/`` and ``build solution/``, cold (empty cache), at most 1.3x cfn-lint alone
  on the two CloudFormation templates;
- a folder of 24 distinct solutions with ``--jobs <cores>`` at most 0.6x ``--jobs 1``, and time
  growing linearly with the number of solutions (6, 12, 24);
- a second ``validate`` with the on-disk cache at most 0.5x the first;
- ``--help`` within 150 ms of a bare interpreter start;
- (issue 13) the Kusto parser, loaded cold in every run, adds at most 0.3 s to ``validate solution/``.

The many-solution folder is the real corpus (``../shared/reference/corpus``, when present) plus
copies of AWS EKS, each made distinct by changing its template's description so that no
content-keyed cache can serve one copy from another. This is a script, not a test: timings
depend on the machine; the README and CHANGELOG quote its output.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solution"
CFN = SOLUTION / "Data Connectors/CloudFormationTemplates"
CORPUS = ROOT.parent / "shared/reference/corpus"
MARK = "Production EKS audit log collection infrastructure"
SIZES = (6, 12, 24)
#: The rules that load the Kusto engine (issue 13); without them validate never starts V8.
NO_KUSTO = ["--ignore", "SP81", "--ignore", "SP404", "--ignore", "SP407", "--ignore", "SP802"]


#: CPU seconds (user + system, the process and its children) of each row's best run: on a shared
#: machine wall time follows the load, CPU time shows the work done.
CPU: dict[str, float] = {}


def best_seconds(command: list[str], runs: int, env: dict[str, str] | None = None, before=None,
                 name: str = "") -> float:
    """Best wall time of ``runs`` runs; ``before()`` runs untimed ahead of each (an empty cache)."""
    best = (float("inf"), 0.0)
    for _ in range(runs):
        if before is not None:
            before()
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                       env={**os.environ, **(env or {})})
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime
        best = min(best, (wall, cpu))
    CPU[name] = best[1]
    return best[0]


def _burn(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def machine_parallelism(cores: int) -> float:
    """Wall time of 2*cores CPU-bound tasks on ``cores`` processes over one process: the best ratio
    ``--jobs`` can reach right now (1/cores on an idle machine; near 1 when others load it)."""
    from concurrent.futures import ProcessPoolExecutor

    n = 5_000_000
    start = time.perf_counter()
    for _ in range(2 * cores):
        _burn(n)
    serial = time.perf_counter() - start
    start = time.perf_counter()
    with ProcessPoolExecutor(cores) as pool:
        list(pool.map(_burn, [n] * (2 * cores)))
    return (time.perf_counter() - start) / serial


def built_copy(dest: Path) -> Path:
    """AWS EKS as a built folder (no solution.yaml), as it sits in Azure-Sentinel."""
    shutil.copytree(SOLUTION, dest, ignore=shutil.ignore_patterns("solution.yaml", "aws", ".*"))
    return dest


def distinct_copy(dest: Path, n: int) -> Path:
    """A built AWS EKS whose every file naming the template description says copy ``n``."""
    built_copy(dest)
    for path in dest.rglob("*"):
        if path.is_file() and path.suffix.lower() == ".json":
            text = path.read_bytes()
            if MARK.encode() in text:
                path.write_bytes(text.replace(MARK.encode(), f"{MARK} (copy {n})".encode()))
    return dest


def many(work: Path, count: int) -> Path:
    """A folder of ``count`` distinct solutions: the corpus solutions spread among EKS copies."""
    corpus = sorted(p for p in CORPUS.iterdir() if p.is_dir()) if CORPUS.is_dir() else []
    folder = work / f"many-{count}"
    folder.mkdir()
    copies = 0
    for i in range(count):
        # one corpus solution in four, the rest EKS copies, so every size has the same mix
        if i % 4 == 0 and i // 4 < len(corpus):
            shutil.copytree(corpus[i // 4], folder / corpus[i // 4].name)
        else:
            copies += 1
            distinct_copy(folder / f"AWS_EKS_copy{copies:02d}", copies)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="skip the many-solution rows")
    args = parser.parse_args(argv)
    py = sys.executable
    sp = [py, "-m", "sentinel_pack"]
    cores = os.cpu_count() or 1
    # Byte-compile sentinel-pack as pip does when it installs the wheel: an editable install under
    # PYTHONDONTWRITEBYTECODE would otherwise compile every module from source in every run.
    subprocess.run([py, "-m", "compileall", "-q", str(ROOT / "sentinel_pack")], check=True,
                   stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory(prefix="sp-bench-") as tmp:
        work = Path(tmp)
        cache = work / "cache"
        cold = {"SENTINEL_PACK_CACHE_DIR": str(cache)}

        def empty_cache() -> None:
            shutil.rmtree(cache, ignore_errors=True)

        built = built_copy(work / "AWS_EKS_built")
        out = work / "out"
        rows: dict[str, float] = {}

        def measure(name: str, command: list[str], env=None, before=None) -> None:
            rows[name] = best_seconds(command, args.runs, env, before, name)

        def fresh_build() -> None:
            empty_cache()
            shutil.rmtree(out, ignore_errors=True)

        templates = [str(p) for p in sorted(CFN.glob("*.json"))]
        measure("python -c pass", [py, "-c", "pass"])
        measure("sentinel-pack --help", [*sp, "--help"])
        # cfn-lint's own console entry point (cfnlint has no __main__ module)
        measure("cfn-lint alone (2 templates)",
                [py, "-c", "import sys; from cfnlint.runner import main; sys.exit(main())", *templates])
        measure("validate built folder, cold", [*sp, "validate", str(built)], cold, empty_cache)
        measure("validate solution/, cold", [*sp, "validate", "solution/"], cold, empty_cache)
        measure("validate solution/, cold, --jobs 1", [*sp, "validate", "--jobs", "1", "solution/"], cold,
                empty_cache)
        measure("  ... without the Kusto parser", [*sp, "validate", "solution/", *NO_KUSTO], cold, empty_cache)
        measure("validate solution/, cached", [*sp, "validate", "solution/"], cold)
        measure("build solution/ --out, cold", [*sp, "build", "solution/", "--out", str(out)], cold, fresh_build)
        measure("build solution/ --no-validate", [*sp, "build", "solution/", "--out", str(out), "--no-validate"],
                cold, fresh_build)
        if not args.quick:
            for count in SIZES:
                folder = many(work, count)
                for jobs in sorted({1, cores}):
                    measure(f"validate {count} solutions, --jobs {jobs}, cold",
                            [*sp, "validate", "--jobs", str(jobs), str(folder)], cold, empty_cache)
    width = max(map(len, rows))
    print(f"{'':<{width}}  {'wall':>8}     {'cpu':>8}")
    for name, seconds in rows.items():
        print(f"{name:<{width}}  {seconds * 1000:8.0f} ms  {CPU[name] * 1000:8.0f} ms")
    cfn = rows["cfn-lint alone (2 templates)"]
    checks = [
        ("--help over a bare start", (rows["sentinel-pack --help"] - rows["python -c pass"]) * 1000, "ms", 150),
        ("validate built folder / cfn-lint alone", rows["validate built folder, cold"] / cfn, "x", 1.3),
        ("validate solution/ / cfn-lint alone", rows["validate solution/, cold"] / cfn, "x", 1.3),
        ("build solution/ / cfn-lint alone", rows["build solution/ --out, cold"] / cfn, "x", 1.3),
        ("Kusto parser, cold", (rows["validate solution/, cold"] - rows["  ... without the Kusto parser"]) * 1000,
         "ms", 300),
        ("validate cached / cold", rows["validate solution/, cached"] / rows["validate solution/, cold"], "x", 0.5),
    ]
    if not args.quick and cores > 1:
        print(f"(this machine now: {cores} CPU-bound processes take {machine_parallelism(cores):.2f}x the time "
              "of one; the floor for the --jobs ratio)")
        one = rows["validate 24 solutions, --jobs 1, cold"]
        checks.append((f"24 solutions --jobs {cores} / --jobs 1",
                       rows[f"validate 24 solutions, --jobs {cores}, cold"] / one, "x", 0.6))
    print()
    missed = 0
    for name, value, unit, limit in checks:
        verdict = "ok" if value <= limit else "MISSED"
        missed += verdict != "ok"
        print(f"{name}: {value:.0f} {unit}" if unit == "ms" else f"{name}: {value:.2f}{unit}",
              f"(target <= {limit}{unit}): {verdict}")
    if not args.quick:
        print("\nscaling: seconds per added solution (linear growth: the steps agree; start-up and cfn-lint's\n"
              "import and rule set are paid once per run; wall time follows the machine's load, CPU time less):")
        for jobs in sorted({1, cores}):
            for kind, source in (("wall", rows), ("cpu", CPU)):
                times = [source[f"validate {n} solutions, --jobs {jobs}, cold"] for n in SIZES]
                steps = [(b - a) / (m - n) for n, m, a, b in zip(SIZES, SIZES[1:], times, times[1:], strict=False)]
                print(f"  --jobs {jobs}, {kind}: " + ", ".join(
                    f"{n}->{m}: {step:.2f} s" for n, m, step in zip(SIZES, SIZES[1:], steps, strict=False)))
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
