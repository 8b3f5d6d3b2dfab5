"""Named model variants: every ``ModelConfig`` the project trains or ships, in one place.

``train.py --variant NAME`` picks one; ``--model JSON`` still overrides single fields on top of
it. ``crnn`` is the dataclass default (and ``train.py``'s default, so older run folders rebuild
the same model): the shipped model of stages 5-8, grown from the ``crnn_separable`` model of the
first three stages (``training/grow.py``). Stage 9 factorized it by SVD (``crnn_rank96``), and
stage 13 grew that model's first two convs (``crnn_wide_rank96``), and since stage 15 the shipped
model (``artifacts/model_config.json``) is ``crnn_wider_rank96``, grown once more.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crnn_core.model import ModelConfig
from crnn_core.strict import ConfigError

__all__ = ["DEFAULT_VARIANT", "SHIPPED_VARIANT", "VARIANTS", "model_config"]

VARIANTS: dict[str, dict[str, Any]] = {
    # Plain 3x3 convolutions everywhere: conv 32-64-128-128-256-256, 2 x BiLSTM 128, 2.07 M
    # parameters; shipped in stages 5-8.
    "crnn": {},
    # Depthwise-separable from the third conv layer: ~1.09 M parameters, about 0.64x the CPU
    # time per step of ``crnn``; the shipped model's first three training stages.
    "crnn_separable": {"separable_from": 2},
    # ``crnn`` with conv1..conv5 factorized to low rank (a 3x3 conv to r channels, then 1x1;
    # training/factorize.py): 1.24 M parameters, ~1.9x the batch-64 inference speed of ``crnn``.
    # Started by SVD from a trained ``crnn`` with --init-from (stage 7: 87.09 % on ic03_860 after
    # 5,000 steps, 1 point below the shipped ``crnn``, so not shipped).
    "crnn_lowrank": {"conv_ranks": (0, 32, 48, 48, 48, 48)},
    # ``crnn`` with conv2..conv5 factorized at higher ranks: 1.47 M parameters, 6.1 MB. Stage 9
    # (shipped until stage 13): 88.26 % greedy on ic03_860 after 8,000 steps from the SVD of
    # stage 5 (88.14 %), 1.2-1.6x its batched inference speed (docs/accuracy.md).
    "crnn_rank96": {"conv_ranks": (0, 0, 64, 64, 96, 96)},
    # ``crnn_rank96`` with conv0 and conv1 1.5x wider (48 and 96 channels): 1.51 M parameters,
    # 6.2 MB, ~1.2x its CPU time per training step. Stage 13 (shipped until stage 15): 89.77 %
    # greedy on ic03_860 after 8,000 steps grown from stage 9 (88.72 %).
    "crnn_wide_rank96": {
        "conv_channels": (48, 96, 128, 128, 256, 256),
        "conv_ranks": (0, 0, 64, 64, 96, 96),
    },
    # conv0 and conv1 2x the ``crnn_rank96`` widths (64 and 128 channels): 1.57 M parameters,
    # 6.4 MB, ~1.2x the CPU time per training step of ``crnn_wide_rank96``. Stages 14 + 15, the
    # shipped artifacts/ model: 90.12 % greedy on ic03_860 after 6,000 + 4,000 steps grown from
    # stage 13 (89.77 %).
    "crnn_wider_rank96": {
        "conv_channels": (64, 128, 128, 128, 256, 256),
        "conv_ranks": (0, 0, 64, 64, 96, 96),
    },
    # A quarter of the widths, one BiLSTM: smoke tests and throughput experiments.
    "crnn_small": {
        "conv_channels": (16, 32, 64, 64, 96, 96),
        "separable_from": 2,
        "lstm_units": 64,
        "lstm_layers": 1,
    },
}
DEFAULT_VARIANT = "crnn"
SHIPPED_VARIANT = "crnn_wider_rank96"


def model_config(
    variant: str, num_classes: int, overrides: Mapping[str, Any] | None = None
) -> ModelConfig:
    """The ``variant``'s config for ``num_classes`` with ``overrides`` (strict) applied."""
    if variant not in VARIANTS:
        raise ConfigError(f"Unknown model variant {variant!r}; choose one of {sorted(VARIANTS)}.")
    values = {"num_classes": num_classes, **VARIANTS[variant], **(overrides or {})}
    return ModelConfig.from_dict(values, where=f"variant {variant!r} + overrides")
