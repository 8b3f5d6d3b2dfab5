"""Install the pinned training fonts (``crnn_core/data/fonts_lock.tsv``) into the font cache.

``python scripts/fonts/install.py [--cache DIR]``. The cache defaults to ``$CRNN_FONT_CACHE`` or
``~/.cache/crnn-ocr-lab/fonts`` (the folder ``crnn_core.data.fonts`` reads). Each package is
fetched with ``npm pack`` at its locked version, its tarball checked against the locked sha512 and
each extracted file against its sha256, so every machine renders the same synthetic pixels.
Files already present with the right hash are not fetched again.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from itertools import groupby
from pathlib import Path

from fontsource import LOCK, member_bytes, pack, sri_sha512

DEFAULT_CACHE = Path(os.environ.get("CRNN_FONT_CACHE", "~/.cache/crnn-ocr-lab/fonts")).expanduser()


def target(cache: Path, row: dict[str, str]) -> Path:
    return cache / row["package"] / Path(row["file"]).name


def ok(path: Path, sha256: str) -> bool:
    return path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == sha256


def install_package(rows: list[dict[str, str]], cache: Path, workdir: Path) -> str | None:
    """Fetch one package and write its locked files; returns an error message or None."""
    missing = [r for r in rows if not ok(target(cache, r), r["sha256"])]
    if not missing:
        return None
    package, version, integrity = rows[0]["package"], rows[0]["version"], rows[0]["integrity"]
    try:
        tarball, got_version, _ = pack(package, version, workdir / package)
    except Exception as exc:
        return f"{package}@{version}: npm pack failed ({exc})"
    if got_version != version or sri_sha512(tarball) != integrity:
        return f"{package}@{version}: tarball does not match the lock"
    for row in missing:
        data = member_bytes(tarball, row["file"])
        if hashlib.sha256(data).hexdigest() != row["sha256"]:
            return f"{package}: {row['file']} does not match the lock"
        out = target(cache, row)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(out)
    tarball.unlink()
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args()
    with LOCK.open(newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    packages = [list(g) for _, g in groupby(rows, key=lambda r: r["package"])]
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(6) as pool:
        errors = [
            e
            for e in pool.map(lambda rs: install_package(rs, args.cache, Path(tmp)), packages)
            if e
        ]
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    installed = sum(ok(target(args.cache, r), r["sha256"]) for r in rows)
    print(f"{installed}/{len(rows)} pinned font files in {args.cache}")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
