"""Training configuration: a frozen dataclass saved as JSON in the run directory."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["TrainConfig"]


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
    model: dict[str, Any] = field(default_factory=dict)
    init_from: str = ""
    strategy: str = "default"  # "default" or "mirrored"
    cpu_devices: int = 0  # >1 splits the CPU into logical devices (to test mirrored on CPU)
    seed: int = 0
    command: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json(), "utf-8")

    @classmethod
    def load(cls, path: str | Path) -> TrainConfig:
        data = json.loads(Path(path).read_text("utf-8"))
        data["data"] = tuple((str(s), float(w)) for s, w in data.get("data", []))
        data["val"] = tuple(data.get("val", ()))
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})
