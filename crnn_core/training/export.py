"""Export a training run as an artifacts directory (``python -m crnn_core export``).

Lives with training because it reads the run folder (``RunFolder``) and ``TrainConfig``;
``crnn_core.artifacts`` only writes and loads the inference files, so inference code never
depends on how a model was trained.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from crnn_core.artifacts import ArtifactError, load_manifest, load_model_config, save_artifacts
from crnn_core.charset import Charset
from crnn_core.model import ModelConfig, build_crnn
from crnn_core.training.config import TrainConfig
from crnn_core.training.grow import describe_growth
from crnn_core.training.run_folder import RunFolder

__all__ = ["export_run"]


def export_run(
    run_dir: str | Path,
    out_dir: str | Path,
    which: str = "best",
    serving: bool = False,
    extra_info: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Export a training run's ``best`` or ``final`` weights as an artifacts directory; the
    manifest's ``training`` list gets this stage appended to the one it was initialised from."""
    run = RunFolder(run_dir)
    charset = Charset.load(run / RunFolder.CHARSET)
    config_path = run / RunFolder.MODEL_CONFIG
    config = ModelConfig.from_dict(json.loads(config_path.read_text()), str(config_path))
    weights = run.weights(which)
    if not weights.is_file():
        raise ArtifactError(f"{weights} does not exist; has the run validated/finished yet?")
    model = build_crnn(config)
    model.load_weights(weights)
    train_config = TrainConfig.load(run / RunFolder.TRAIN_CONFIG)
    history = _previous_stages(train_config.init_from)
    curve = run.curve()
    history.append(
        {
            **_cpu_hours(curve, history),
            "command": train_config.command,
            "config": json.loads(train_config.to_json()),
            "weights": which,
            "best": run.best(),
            "completed_steps": (
                run.completed_steps(train_config.checkpoint_every) if run.has_checkpoint() else None
            ),
            "data_sources": run.data_sources(),
            "grown_from_init": _growth(train_config.init_from, config),
            "validation_curve": curve,
        }
    )
    info = {"training": history, **(extra_info or {})}
    return save_artifacts(out_dir, model, charset, config, info, serving=serving)


def _growth(init_from: str, config: ModelConfig) -> list[str]:
    """How this stage's model was grown from the one it started from (``training/grow.py``)."""
    if not init_from:
        return []
    try:
        return describe_growth(load_model_config(init_from), config)
    except (OSError, ValueError, TypeError):
        return []


def _previous_stages(init_from: str) -> list[dict[str, Any]]:
    """The ``training`` stages of the artifacts a run started from ([] for a fresh run)."""
    if not init_from:
        return []
    try:
        return list(load_manifest(init_from).get("training", []))
    except ArtifactError:
        return []


def _cpu_hours(curve: list[dict[str, Any]], history: list[dict[str, Any]]) -> dict[str, Any]:
    """This stage's CPU-hours (from the curve's cumulative ``cpu_seconds``) and the running sum."""
    cpu_seconds = [r["cpu_seconds"] for r in curve if "cpu_seconds" in r]
    stage = round(max(cpu_seconds) / 3600, 3) if cpu_seconds else None
    before = history[-1].get("cumulative_cpu_hours") if history else 0.0
    cumulative = None if stage is None or before is None else round(before + stage, 3)
    return {"cpu_hours": stage, "cumulative_cpu_hours": cumulative}
