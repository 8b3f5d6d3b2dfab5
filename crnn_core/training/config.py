"""Training configuration: a frozen dataclass saved as JSON in the run directory."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from crnn_core.model import ModelConfig
from crnn_core.strict import known_fields
from crnn_core.variants import model_config

__all__ = ["TrainConfig", "model_config_for"]


@dataclass(frozen=True)
class TrainConfig:
    """What a run needs to be reproduced; ``command`` records the exact CLI invocation."""

    run_dir: str
    steps: int = 20_000
    batch_size: int = 64
    learning_rate: float = 1e-3
    warmup_steps: int = 500
    min_learning_rate: float = 1e-5
    weight_decay: float = 1e-4
    checkpoint_every: int = 250
    eval_every: int = 1000
    # "synthetic" or a labels.tsv folder / LMDB path, each with a mixing weight.
    data: tuple[tuple[str, float], ...] = (("synthetic", 1.0),)
    holdout: int = 200  # images of each real training source kept aside for validation
    val: tuple[str, ...] = ()
    val_limit: int = 0  # 0 = all validation images
    charset: str = "94_full"
    model: dict[str, Any] = field(default_factory=dict)  # ModelConfig overrides of ``variant``
    init_from: str = ""
    strategy: str = "default"  # "default", "mirrored" or "multiworker"
    cpu_devices: int = 0  # >1 splits the CPU into logical devices (to test mirrored on CPU)
    seed: int = 0
    command: str = ""
    variant: str = "crnn"  # named ModelConfig (crnn_core.variants); runs before it used "crnn"

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json(), "utf-8")

    @classmethod
    def load(cls, path: str | Path) -> TrainConfig:
        """Strict: an unknown key raises ``ConfigError`` (a file from another code version)."""
        data = known_fields(cls, json.loads(Path(path).read_text("utf-8")), str(path))
        data["data"] = tuple((str(s), float(w)) for s, w in data.get("data", []))
        data["val"] = tuple(data.get("val", ()))
        return cls(**data)


def model_config_for(config: TrainConfig, num_classes: int) -> ModelConfig:
    """The run's model: its named ``variant`` with the ``model`` overrides (strict) on top."""
    return model_config(config.variant, num_classes, config.model)
