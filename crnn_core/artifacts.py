"""The shipped model directory: save an inference model with a manifest, load it safely.

Layout of an artifacts directory::

    model.keras          inference model (no optimizer state), loaded with safe_mode=True
    charset.json         the vocabulary (class 0 = blank)
    model_config.json    ModelConfig used to build the model
    manifest.json        how it was made (commands, data, metrics) and sha256 of every file

Loading verifies every hash listed in the manifest, so a truncated download or a stray edit gives
a clear message (and the command that regenerates the file) instead of a cryptic Keras error.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
from pathlib import Path
from typing import Any

import keras

from crnn_core.artifact_files import (
    ARTIFACTS_ENV,
    CHARSET_FILE,
    DEFAULT_ARTIFACTS,
    MANIFEST_FILE,
    MODEL_CONFIG_FILE,
    MODEL_FILE,
    REGENERATE_HINT,
    ArtifactError,
    artifacts_dir,
    load_manifest,
    sha256_file,
    verify_hashes,
)
from crnn_core.charset import Charset, CharsetError
from crnn_core.folding import fold_batchnorm
from crnn_core.geometry import DOWNSAMPLE
from crnn_core.grayscale import COLOUR_TO_GRAY
from crnn_core.model import ColumnMask, FrameMask, ModelConfig, build_crnn, count_params
from crnn_core.recognizer import Recognizer

__all__ = [
    "ARTIFACTS_ENV",
    "CHARSET_FILE",
    "DEFAULT_ARTIFACTS",
    "MANIFEST_FILE",
    "MODEL_CONFIG_FILE",
    "MODEL_FILE",
    "ArtifactError",
    "artifacts_dir",
    "load_manifest",
    "load_model",
    "load_model_config",
    "load_recognizer",
    "record_metrics",
    "save_artifacts",
    "sha256_file",
    "verify_hashes",
]


def load_model(directory: str | Path = DEFAULT_ARTIFACTS, verify: bool = True) -> keras.Model:
    """Load ``model.keras`` in safe mode (no arbitrary code) after checking the manifest hashes."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ArtifactError(f"Artifacts directory {directory} does not exist. {REGENERATE_HINT}")
    if verify:
        verify_hashes(directory)
    path = directory / MODEL_FILE
    if not path.is_file():
        raise ArtifactError(f"{path} is missing. {REGENERATE_HINT}")
    try:
        return keras.saving.load_model(
            path,
            compile=False,
            safe_mode=True,
            custom_objects={"FrameMask": FrameMask, "ColumnMask": ColumnMask},
        )
    except Exception as exc:  # Keras raises many types for a damaged zip
        raise ArtifactError(f"Cannot load {path}: {exc}. {REGENERATE_HINT}") from exc


def load_model_config(directory: str | Path) -> ModelConfig:
    """The ``ModelConfig`` the artifacts' model was built with (strict: unknown keys raise)."""
    config_path = Path(directory) / MODEL_CONFIG_FILE
    return ModelConfig.from_dict(json.loads(config_path.read_text("utf-8")), str(config_path))


def load_recognizer(directory: str | Path = DEFAULT_ARTIFACTS, verify: bool = True) -> Recognizer:
    """The shipped recognizer: model + charset, with the manifest checked."""
    directory = Path(directory)
    model = load_model(directory, verify=verify)
    try:
        charset = Charset.load(directory / CHARSET_FILE)
        config = load_model_config(directory)
    except (OSError, CharsetError, ValueError, TypeError) as exc:
        raise ArtifactError(
            f"Bad charset/model config in {directory}: {exc}. {REGENERATE_HINT}"
        ) from exc
    if charset.num_classes != config.num_classes or model.output_shape[-1] != charset.num_classes:
        raise ArtifactError(
            f"Charset has {charset.num_classes} classes but the model outputs "
            f"{model.output_shape[-1]}: the files belong to different models. {REGENERATE_HINT}"
        )
    inference, full_frames = _rebuilt(model, config)
    return Recognizer(inference, charset, config.max_width, full_frames)


def _rebuilt(model: keras.Model, config: ModelConfig) -> tuple[keras.Model, keras.Model | None]:
    """The saved weights in today's inference graphs: ``build_crnn``, so fixes to weight-free
    layers (e.g. the per-depth padding masks) reach models saved before them, with BatchNorm
    folded into the convs (``folding.py``: same logits, ~1.15x faster), plus the variant without
    LSTM frame masks for full-width batches (``run_logits``). The saved graph alone if the
    weights do not fit (a model from another code version), which is still correct to run."""
    fresh = build_crnn(config)
    try:
        fresh.set_weights(model.get_weights())
    except ValueError:
        return model, None
    return fold_batchnorm(fresh, config), fold_batchnorm(fresh, config, frame_masks=False)


def save_artifacts(
    directory: str | Path,
    model: keras.Model,
    charset: Charset,
    config: ModelConfig,
    info: dict[str, Any],
    serving: bool = False,
) -> dict[str, Any]:
    """Write model, charset, config (+ optional SavedModel) and a manifest with sha256 hashes."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    model.save(directory / MODEL_FILE)
    charset.save(directory / CHARSET_FILE)
    (directory / MODEL_CONFIG_FILE).write_text(config.to_json(), "utf-8")
    files = [MODEL_FILE, CHARSET_FILE, MODEL_CONFIG_FILE]
    if serving:
        model.export(str(directory / "serving"), format="tf_saved_model", verbose=False)
    manifest = {
        "format": "crnn-ocr-lab/1",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "charset": charset.to_dict(),
        "input": {
            "height": config.height,
            "max_width": config.max_width,
            "channels": 1,
            "colour_to_gray": COLOUR_TO_GRAY,
            "pixel_range": [0, 255],
            "frame_stride_px": DOWNSAMPLE,
        },
        "model": json.loads(config.to_json()) | {"parameters": count_params(model)},
        "software": {"keras": keras.__version__, "python": platform.python_version()},
        **info,
        "files": {name: sha256_file(directory / name) for name in files},
    }
    (directory / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2), "utf-8")
    return manifest


def record_metrics(directory: str | Path, key: str, report: dict[str, Any]) -> None:
    """Store an evaluation report in the manifest under ``metrics[key]`` (files stay untouched)."""
    manifest = load_manifest(directory)
    manifest.setdefault("metrics", {})[key] = report
    (Path(directory) / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2), "utf-8")
