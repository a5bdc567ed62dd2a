"""Refresh the vendored Kusto parser (maintainers only; needs npm and the npm registry).

    python scripts/refresh_kusto.py [VERSION]

Downloads ``@kusto/language-service-next@VERSION`` with ``npm pack``, checks the tarball
against the integrity hash the registry publishes (``npm view ... dist.integrity``), and
writes the two files sentinel-pack runs, gzipped reproducibly, with their sha256 and the
package's version and integrity, into ``sentinel_pack/kusto/vendor/``. Review the diff
(and NOTICE.md if the licences changed) before committing.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "@kusto/language-service-next"
FILES = ("bridge.min.js", "Kusto.Language.Bridge.min.js")
VENDOR = Path(__file__).resolve().parent.parent / "sentinel_pack" / "kusto" / "vendor"


def npm(*args: str, cwd: Path) -> str:
    return subprocess.run(["npm", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def main(argv: list[str]) -> int:
    current = json.loads((VENDOR / "VERSION.json").read_text(encoding="utf-8"))
    version = argv[0] if argv else current["version"]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        integrity = json.loads(npm("view", f"{PACKAGE}@{version}", "dist.integrity", "--json", cwd=work))
        name = npm("pack", f"{PACKAGE}@{version}", "--silent", cwd=work).strip().splitlines()[-1]
        tarball = (work / name).read_bytes()
        algorithm, _, expected = integrity.partition("-")
        actual = base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode()
        if actual != expected:
            print(f"integrity mismatch for {name}: registry {integrity}, tarball {algorithm}-{actual}")
            return 1
        with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
            manifest = json.load(archive.extractfile("package/package.json"))
            contents = {f: archive.extractfile(f"package/{f}").read() for f in FILES}
    for file, data in contents.items():
        # mtime=0 and no file name in the header: the same input gives the same bytes
        with open(VENDOR / f"{file}.gz", "wb") as out, gzip.GzipFile("", "wb", 9, out, mtime=0) as gz:
            gz.write(data)
    record = {
        "package": PACKAGE,
        "version": manifest["version"],
        "license": manifest.get("license"),
        "integrity": integrity,
        "tarball": f"https://registry.npmjs.org/{PACKAGE}/-/{PACKAGE.split('/')[1]}-{manifest['version']}.tgz",
        "files": {f"{f}.gz": {"source": f"package/{f}", "sha256": hashlib.sha256(d).hexdigest(), "bytes": len(d)}
                  for f, d in contents.items()},
    }
    (VENDOR / "VERSION.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"vendored {PACKAGE}@{manifest['version']} ({integrity})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
