"""How ``analyze`` starts its helper processes (the model stage, the UMAP worker).

Each runs as ``python -m crnn_core.analysis.<module> FOLDER`` with this checkout first on
``PYTHONPATH``, so a child imports the same ``crnn_core`` as its parent even when the parent was
started from another folder (the dashboard, a test's temporary directory).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["child_command", "child_environment"]

PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


def child_environment(verbose: bool = False) -> dict[str, str]:
    """This process's environment with the checkout on ``PYTHONPATH``; TensorFlow's C++ log
    silenced unless ``verbose``."""
    paths = (PACKAGE_ROOT, os.environ.get("PYTHONPATH"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    if not verbose:
        env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    return env


def child_command(module: str, folder: str | Path) -> list[str]:
    """``[python, -m, module, folder]`` with this interpreter."""
    return [sys.executable, "-m", module, str(folder)]
