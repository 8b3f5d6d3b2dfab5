"""Import TensorFlow without its start-up noise on the terminal.

The absl lines TensorFlow 2.21 prints while loading its libraries ignore ``TF_CPP_MIN_LOG_LEVEL``,
so the import runs with file descriptor 2 pointed at /dev/null. Python errors still show: the
import's exception is raised after stderr is restored. Shared by the CLI and the analysis model
child process, which sit in different layers.
"""

from __future__ import annotations

import os
import sys

__all__ = ["import_tensorflow_silently"]


def import_tensorflow_silently() -> None:
    """Import ``tensorflow`` once with stderr muted; a no-op when it is already imported."""
    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
