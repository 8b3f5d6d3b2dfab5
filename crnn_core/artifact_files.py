"""The artifacts folder as files: where it is, its manifest and hashes, its input contract.

Nothing here imports Keras or TensorFlow, so a process that only needs to know *what* the model
reads (``analyze``'s parent, which renders and reads the words before the TensorFlow child
starts) can check the folder and learn its charset and input width for a few MiB, not ~750.
``crnn_core.artifacts`` builds on this to load the model itself.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crnn_core.charset import Charset, CharsetError

__all__ = [
    "ARTIFACTS_ENV",
    "CHARSET_FILE",
    "DEFAULT_ARTIFACTS",
    "MANIFEST_FILE",
    "MODEL_CONFIG_FILE",
    "MODEL_FILE",
    "REGENERATE_HINT",
    "ArtifactError",
    "InputContract",
    "artifacts_dir",
    "load_input_contract",
    "load_manifest",
    "sha256_file",
    "verify_hashes",
]

DEFAULT_ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
ARTIFACTS_ENV = "CRNN_ARTIFACTS"  # overrides DEFAULT_ARTIFACTS for the CLI and the dashboard
MODEL_FILE = "model.keras"
MANIFEST_FILE = "manifest.json"
CHARSET_FILE = "charset.json"
MODEL_CONFIG_FILE = "model_config.json"
REGENERATE_HINT = (
    "Restore the shipped files with `git checkout -- artifacts/`, "
    "or rebuild them: `python train.py --run-dir runs/NAME ...` then "
    "`python -m crnn_core export --run-dir runs/NAME --out artifacts`."
)


class ArtifactError(RuntimeError):
    """An artifacts directory is missing, incomplete or corrupt; the message says how to fix it."""


def artifacts_dir() -> Path:
    """``$CRNN_ARTIFACTS`` if set, else the repository's ``artifacts/``."""
    return Path(os.environ.get(ARTIFACTS_ENV) or DEFAULT_ARTIFACTS)


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_manifest(directory: str | Path) -> dict[str, Any]:
    path = Path(directory) / MANIFEST_FILE
    if not path.is_file():
        raise ArtifactError(f"No {MANIFEST_FILE} in {directory}. {REGENERATE_HINT}")
    try:
        manifest: dict[str, Any] = json.loads(path.read_text("utf-8"))
    except json.JSONDecodeError as exc:
        raise ArtifactError(f"{path} is not valid JSON ({exc}). {REGENERATE_HINT}") from exc
    return manifest


def verify_hashes(directory: str | Path, manifest: dict[str, Any] | None = None) -> None:
    """Raise ArtifactError naming the first missing or altered file."""
    directory = Path(directory)
    manifest = manifest if manifest is not None else load_manifest(directory)
    for name, expected in manifest.get("files", {}).items():
        path = directory / name
        if not path.is_file():
            raise ArtifactError(f"Artifact file {path} is missing. {REGENERATE_HINT}")
        actual = sha256_file(path)
        if actual != expected:
            raise ArtifactError(
                f"Artifact file {path} is corrupt or was modified (sha256 {actual[:12]}… expected "
                f"{expected[:12]}…). {REGENERATE_HINT}"
            )


@dataclass(frozen=True)
class InputContract:
    """What the model reads: texts in ``charset``, images up to ``max_width`` px wide."""

    charset: Charset
    max_width: int


def load_input_contract(directory: str | Path, verify: bool = True) -> InputContract:
    """The charset and input width of the artifacts in ``directory``, hashes checked first (the
    same messages as loading the model), without importing Keras."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ArtifactError(f"Artifacts directory {directory} does not exist. {REGENERATE_HINT}")
    if verify:
        verify_hashes(directory)
    try:
        charset = Charset.load(directory / CHARSET_FILE)
        config = json.loads((directory / MODEL_CONFIG_FILE).read_text("utf-8"))
        max_width = int(config["max_width"])
    except (OSError, CharsetError, ValueError, TypeError, KeyError) as exc:
        raise ArtifactError(
            f"Bad charset/model config in {directory}: {exc}. {REGENERATE_HINT}"
        ) from exc
    return InputContract(charset, max_width)
