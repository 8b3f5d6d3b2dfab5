"""Argument parsing for ``train.py``: flags map one-to-one onto ``TrainConfig`` fields."""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from crnn_core.training.config import TrainConfig

__all__ = ["build_parser", "config_from_args", "main"]


def _data_spec(text: str) -> tuple[str, float]:
    path, sep, weight = text.rpartition("=")
    if not sep:
        return text, 1.0
    try:
        return path, float(weight)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"bad data spec {text!r}: use SOURCE=WEIGHT") from exc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Train a CRNN word recognizer with CTC loss.")
    parser.add_argument("--run-dir", required=True, help="checkpoints, logs and exports go here")
    parser.add_argument("--steps", type=int, default=20_000, help="total optimizer steps")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3, help="peak learning rate (cosine)")
    parser.add_argument("--warmup-steps", type=int, default=500)
    parser.add_argument("--min-lr", type=float, default=1e-5)
    parser.add_argument("--weight-decay", type=float, default=1e-4)
    parser.add_argument("--checkpoint-every", type=int, default=250)
    parser.add_argument("--eval-every", type=int, default=1000)
    parser.add_argument(
        "--data",
        nargs="+",
        type=_data_spec,
        default=[("synthetic", 1.0)],
        help="sources with mixing weights: synthetic=0.8 path/to/labels_tsv_or_lmdb=0.2",
    )
    parser.add_argument(
        "--holdout",
        type=int,
        default=200,
        help="images of each real training source kept aside for validation",
    )
    parser.add_argument("--val", nargs="*", default=[], help="validation folders / LMDBs")
    parser.add_argument("--val-limit", type=int, default=0, help="use at most N images per --val")
    parser.add_argument("--charset", default="94_full", help="charset preset name")
    parser.add_argument(
        "--model", default="{}", help='ModelConfig overrides as JSON, e.g. {"lstm_units": 96}'
    )
    parser.add_argument(
        "--init-from", default="", help="start from an artifacts/ directory's weights"
    )
    parser.add_argument("--strategy", choices=["default", "mirrored"], default="default")
    parser.add_argument(
        "--cpu-devices",
        type=int,
        default=0,
        help="split the CPU into N logical devices (exercise --strategy mirrored)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --run-dir (its saved configuration wins)",
    )
    return parser


def config_from_args(args: argparse.Namespace, argv: Sequence[str]) -> TrainConfig:
    saved = Path(args.run_dir) / "train_config.json"
    if args.resume:
        if not saved.exists():
            raise SystemExit(
                f"--resume: no run to resume in {args.run_dir} (no train_config.json)."
            )
        return TrainConfig.load(saved)
    if saved.exists() and (Path(args.run_dir) / "backup").exists():
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
        model=json.loads(args.model),
        init_from=args.init_from,
        strategy=args.strategy,
        cpu_devices=args.cpu_devices,
        seed=args.seed,
        command=shlex.join(["python", "train.py", *argv]),
    )


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    config = config_from_args(args, argv)
    from crnn_core.training.trainer import train

    run_dir = train(config)
    print(
        f"Training finished; weights in {run_dir}. Export with: "
        f"python -m crnn_core export --run-dir {run_dir} --out artifacts"
    )
    return 0
