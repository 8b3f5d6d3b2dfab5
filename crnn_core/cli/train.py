"""``train.py``: flags map one-to-one onto ``TrainConfig`` fields; the loop is ``training``.

``--variant NAME`` picks a named model (``crnn_core.variants``), ``--model JSON`` overrides single
fields on top of it (the default ``crnn`` is the shipped model since stage 5; ``--model
'{"separable_from": 2}'`` was its first three stages); unknown keys are rejected before TensorFlow
starts.
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from crnn_core.cli.args import json_object, non_negative_int, positive_int, weighted_spec
from crnn_core.cli.quiet import configure_logging
from crnn_core.training.run_folder import RunFolder

if TYPE_CHECKING:
    from crnn_core.training.config import TrainConfig

__all__ = ["build_parser", "config_from_args", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The ``train.py`` parser (imports TensorFlow: call ``configure_logging`` first)."""
    from crnn_core.training.strategy import STRATEGIES
    from crnn_core.variants import DEFAULT_VARIANT, VARIANTS

    parser = argparse.ArgumentParser(description="Train a CRNN word recognizer with CTC loss.")
    parser.add_argument("--run-dir", required=True, help="checkpoints, logs and exports go here")
    parser.add_argument("--steps", type=positive_int, default=20_000, help="total optimizer steps")
    parser.add_argument("--batch-size", type=positive_int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3, help="peak learning rate (cosine)")
    parser.add_argument("--warmup-steps", type=non_negative_int, default=500)
    parser.add_argument("--min-lr", type=float, default=1e-5)
    parser.add_argument("--weight-decay", type=float, default=1e-4)
    parser.add_argument("--checkpoint-every", type=positive_int, default=250)
    parser.add_argument("--eval-every", type=positive_int, default=1000)
    parser.add_argument(
        "--data",
        nargs="+",
        type=weighted_spec,
        default=[("synthetic", 1.0)],
        help="sources with mixing weights: synthetic=0.8 path/to/labels_tsv_or_lmdb=0.2",
    )
    parser.add_argument(
        "--holdout",
        type=non_negative_int,
        default=200,
        help="images of each real training source kept aside for validation",
    )
    parser.add_argument("--val", nargs="*", default=[], help="validation folders / LMDBs")
    parser.add_argument(
        "--val-limit", type=non_negative_int, default=0, help="use at most N images per --val"
    )
    parser.add_argument("--charset", default="94_full", help="charset preset name")
    parser.add_argument(
        "--variant",
        choices=sorted(VARIANTS),
        default=DEFAULT_VARIANT,
        help="named model (crnn_core.variants); crnn (the default) is the shipped one",
    )
    parser.add_argument(
        "--model",
        type=json_object,
        default={},
        help='ModelConfig overrides of --variant as JSON, e.g. {"lstm_units": 96}',
    )
    parser.add_argument(
        "--init-from", default="", help="start from an artifacts/ directory's weights"
    )
    parser.add_argument(
        "--strategy",
        choices=list(STRATEGIES),
        default="default",
        help="mirrored: all local GPUs/CPU devices; multiworker: several machines (TF_CONFIG)",
    )
    parser.add_argument(
        "--cpu-devices",
        type=non_negative_int,
        default=0,
        help="split the CPU into N logical devices (exercise --strategy mirrored)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --run-dir (its saved configuration wins)",
    )
    parser.add_argument("--verbose", action="store_true", help="show TensorFlow's start-up log")
    return parser


def config_from_args(args: argparse.Namespace, argv: Sequence[str]) -> TrainConfig:
    from crnn_core.training.config import TrainConfig

    run = RunFolder(args.run_dir)
    saved = run / RunFolder.TRAIN_CONFIG
    if args.resume:
        if not saved.exists():
            raise SystemExit(
                f"--resume: no run to resume in {args.run_dir} (no train_config.json)."
            )
        return TrainConfig.load(saved)
    if saved.exists() and (run / RunFolder.BACKUP).exists():
        raise SystemExit(
            f"{args.run_dir} already holds a run; pass --resume to continue it "
            "or pick a new --run-dir."
        )
    return TrainConfig(
        run_dir=args.run_dir,
        steps=args.steps,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        warmup_steps=args.warmup_steps,
        min_learning_rate=args.min_lr,
        weight_decay=args.weight_decay,
        checkpoint_every=args.checkpoint_every,
        eval_every=args.eval_every,
        data=tuple(args.data),
        holdout=args.holdout,
        val=tuple(args.val),
        val_limit=args.val_limit,
        charset=args.charset,
        model=args.model,
        init_from=args.init_from,
        strategy=args.strategy,
        cpu_devices=args.cpu_devices,
        seed=args.seed,
        command=shlex.join(["python", "train.py", *argv]),
        variant=args.variant,
    )


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    configure_logging("--verbose" in argv, logging.INFO, "%(asctime)s %(levelname)s %(message)s")
    from crnn_core.strict import ConfigError
    from crnn_core.training.config import model_config_for

    parser = build_parser()
    args = parser.parse_args(argv)
    config = config_from_args(args, argv)
    try:
        model_config_for(config, 2)  # unknown --model keys fail before data is read
    except ConfigError as exc:
        parser.error(str(exc))
    from crnn_core.training.trainer import train

    run_dir = train(config)
    print(
        f"Training finished; weights in {run_dir}. Export with: "
        f"python -m crnn_core export --run-dir {run_dir} --out artifacts"
    )
    return 0
