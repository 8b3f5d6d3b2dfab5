"""Resolve ``families.txt`` to ``crnn_core/data/fonts_lock.tsv``: one row per font file.

Run by a maintainer when the font list changes (``python scripts/fonts/lock.py``); training
machines only run ``install.py``, which reads the lock and never resolves a version itself.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fontsource import LOCK, LOCK_COLUMNS, WEIGHTS, member_bytes, pack

FAMILIES = Path(__file__).with_name("families.txt")


def families() -> list[str]:
    names: list[str] = []
    for line in FAMILIES.read_text().splitlines():
        if not line.startswith("#"):
            names.extend(n for n in line.split() if not n.endswith("?"))
    return sorted(set(names))


def resolve(package: str, workdir: Path) -> list[dict[str, str]]:
    try:
        tarball, version, integrity = pack(package, "latest", workdir)
    except Exception as exc:
        print(f"skip {package}: {exc}", file=sys.stderr)
        return []
    meta = json.loads(member_bytes(tarball, "metadata.json"))
    if "latin" not in meta.get("subsets", []):
        print(f"skip {package}: no latin subset", file=sys.stderr)
        return []
    weights = [w for w in WEIGHTS if w in meta["weights"]] or [meta["weights"][0]]
    rows = []
    for weight in weights:
        name = f"files/{meta['id']}-latin-{weight}-normal.woff"
        try:
            data = member_bytes(tarball, name)
        except KeyError:
            print(f"skip {package} {weight}: no {name}", file=sys.stderr)
            continue
        rows.append(
            {
                "package": package,
                "version": version,
                "integrity": integrity,
                "category": meta.get("category", "other"),
                "file": name,
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        )
    tarball.unlink()
    return rows


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda p: resolve(p, Path(tmp)), families()))
    rows = [row for rs in results for row in rs]
    with LOCK.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, LOCK_COLUMNS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} files from {len({r['package'] for r in rows})} packages -> {LOCK}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
