from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from crnn_core.training.code_revision import code_revision

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(folder: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@needs_git
def test_revision_names_the_commit_and_local_edits(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    (tmp_path / "renderer.py").write_text("P_CUT = 0.3\n")
    _git(tmp_path, "add", "renderer.py")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    head = _git(tmp_path, "rev-parse", "HEAD")

    assert code_revision(tmp_path) == {"commit": head, "modified": False}
    (tmp_path / "renderer.py").write_text("P_CUT = 0.5\n")
    assert code_revision(tmp_path) == {"commit": head, "modified": True}
    (tmp_path / "untracked_notes.txt").write_text("not code")
    _git(tmp_path, "checkout", "-q", "renderer.py")
    assert code_revision(tmp_path) == {"commit": head, "modified": False}


def test_no_revision_outside_a_checkout(tmp_path: Path) -> None:
    assert code_revision(tmp_path) is None
