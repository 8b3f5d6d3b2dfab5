"""The run-folder contract: every file ``train.py`` writes, by name, and the readers of them.

Trainer, callbacks and export all go through ``RunFolder``, so a file name or the meaning of
"completed steps" is written once. Layout of ``runs/NAME/``::

    train_config.json     TrainConfig (``--resume`` reloads it)
    model_config.json     ModelConfig of the weights
    charset.json          vocabulary (class 0 = blank)
    data_sources.json     what the mixture drew from (fonts, sizes, held-out counts, code revision)
    metrics.jsonl         one validation record per line (step, time, cpu_seconds, <set>/acc36...)
    best.json             {"step", "score"} of best.weights.h5
    best.weights.h5       inference weights with the best mean validation acc36
    final.weights.h5      inference weights after the last step
    train_log.jsonl       loss every 50 steps
    backup/               Keras BackupAndRestore checkpoint (resume point)
    tensorboard/          TensorBoard event files
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["WEIGHTS", "RunFolder"]

WEIGHTS = ("best", "final")  # the weight files a run leaves: ``{name}.weights.h5``


class RunFolder:
    """Paths and readers of one run directory (created on first write, never on read)."""

    TRAIN_CONFIG = "train_config.json"
    MODEL_CONFIG = "model_config.json"
    CHARSET = "charset.json"
    DATA_SOURCES = "data_sources.json"
    METRICS = "metrics.jsonl"
    BEST = "best.json"
    TRAIN_LOG = "train_log.jsonl"
    BACKUP = "backup"
    TENSORBOARD = "tensorboard"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    def weights(self, which: str) -> Path:
        """``best`` or ``final`` weights file."""
        if which not in WEIGHTS:
            raise ValueError(f"weights must be one of {WEIGHTS}; got {which!r}.")
        return self.path / f"{which}.weights.h5"

    @property
    def checkpoint_meta(self) -> Path:
        """Written by ``BackupAndRestore``: ``{"epoch": checkpoints done, ...}``."""
        return self.path / self.BACKUP / "training_metadata.json"

    def has_checkpoint(self) -> bool:
        return self.checkpoint_meta.exists()

    def completed_steps(self, checkpoint_every: int) -> int:
        """Steps already done by an interrupted run (0 for a new one), read from its checkpoint."""
        if not self.has_checkpoint():
            return 0
        return int(json.loads(self.checkpoint_meta.read_text())["epoch"]) * checkpoint_every

    def curve(self) -> list[dict[str, Any]]:
        """The validation records of ``metrics.jsonl`` in order ([] before the first one)."""
        path = self.path / self.METRICS
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]

    def last_cpu_seconds(self) -> float:
        """Cumulative CPU seconds of the last validation record (0 if none or not recorded)."""
        curve = self.curve()
        return float(curve[-1].get("cpu_seconds", 0.0)) if curve else 0.0

    def append_metrics(self, record: dict[str, Any]) -> None:
        with (self.path / self.METRICS).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")

    def best(self) -> dict[str, Any] | None:
        """``{"step", "score"}`` of the best checkpoint, or None before the first validation."""
        path = self.path / self.BEST
        return dict(json.loads(path.read_text())) if path.exists() else None

    def best_score(self) -> float:
        best = self.best()
        return float(best["score"]) if best else -1.0

    def write_best(self, step: int, score: float) -> None:
        (self.path / self.BEST).write_text(json.dumps({"step": step, "score": score}))

    def data_sources(self) -> Any:
        path = self.path / self.DATA_SOURCES
        return json.loads(path.read_text()) if path.exists() else None
