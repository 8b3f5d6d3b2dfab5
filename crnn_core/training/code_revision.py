"""Which code trained a model: the git commit of this checkout and whether it had local edits.

The training command alone does not say what the synthetic words looked like: the renderer
changes between commits, so a stage's record in the manifest names the revision too.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

__all__ = ["code_revision"]

PACKAGE_DIR = Path(__file__).resolve().parents[1]


def _git(folder: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=20, check=True
    )
    return done.stdout.strip()


def code_revision(folder: str | Path = PACKAGE_DIR) -> dict[str, Any] | None:
    """``{"commit": sha, "modified": bool}`` of the git checkout holding ``folder``; ``None``
    outside a checkout or without git (an installed package has no revision to report)."""
    try:
        commit = _git(Path(folder), "rev-parse", "HEAD")
        changes = _git(Path(folder), "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "modified": bool(changes)}
