"""Shared helpers of the font scripts: fetch a pinned ``@fontsource`` package with npm and check it.

npm is the only client that reaches the registry here; ``npm pack`` downloads the tarball and
verifies it against the registry's sha512, and we check it again against the committed lock so a
re-published version can never change the training data silently.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import tarfile
from pathlib import Path

LOCK = Path(__file__).resolve().parents[2] / "crnn_core" / "data" / "fonts_lock.tsv"
LOCK_COLUMNS = ("package", "version", "integrity", "category", "file", "sha256")
# Weights kept per family: regular and bold cover most signs; black for heavy display type.
WEIGHTS = (400, 700, 900)


def pack(package: str, spec: str, dest: Path) -> tuple[Path, str, str]:
    """``npm pack @fontsource/<package>@<spec>`` into ``dest``: (tarball, version, integrity)."""
    dest.mkdir(parents=True, exist_ok=True)
    out = subprocess.run(
        ["npm", "pack", f"@fontsource/{package}@{spec}", "--json", "--pack-destination", str(dest)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    info = json.loads(out)[0]
    return dest / info["filename"], info["version"], info["integrity"]


def sri_sha512(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def member_bytes(tarball: Path, name: str) -> bytes:
    with tarfile.open(tarball, "r:gz") as tar:
        member = tar.getmember(f"package/{name}")
        if not member.isfile():
            raise ValueError(f"{tarball.name}: {name} is not a regular file")
        handle = tar.extractfile(member)
        assert handle is not None
        return handle.read()
