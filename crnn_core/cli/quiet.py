"""Keep TensorFlow's start-up noise (absl/CUDA/oneDNN lines) off the terminal unless --verbose.

Must run before TensorFlow is imported: the C++ log level is read once, at import, and the
absl lines TensorFlow 2.21 prints while loading its libraries ignore that level, so the import
itself runs with file descriptor 2 pointed at /dev/null (Python errors still show: the import's
exception is raised after stderr is restored).
"""

from __future__ import annotations

import logging
import os
import warnings

from crnn_core.tf_import import import_tensorflow_silently

__all__ = ["configure_logging"]


def configure_logging(
    verbose: bool, level: int = logging.WARNING, fmt: str = "%(levelname)s %(message)s"
) -> None:
    """Quiet TF/absl (C++ level 3) and library warnings, or, with ``verbose``, leave them on."""
    if verbose:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "0")
        logging.basicConfig(level=min(level, logging.INFO), format=fmt)
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    warnings.filterwarnings("ignore", module="keras")
    warnings.filterwarnings("ignore", module="tensorflow")
    logging.basicConfig(level=level, format=fmt)
    for name in ("absl", "tensorflow", "h5py", "numba"):
        logging.getLogger(name).setLevel(logging.ERROR)
    import_tensorflow_silently()
