"""``python -m crnn_core export --run-dir RUN``: a training run's weights as an artifacts folder."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from crnn_core.artifacts import artifacts_dir

__all__ = ["register"]


def _run(args: argparse.Namespace) -> int:
    from crnn_core.training.export import export_run

    extra = json.loads(Path(args.metrics).read_text()) if args.metrics else None
    manifest = export_run(
        args.run_dir,
        args.out,
        args.weights,
        serving=args.serving,
        extra_info={"metrics": extra} if extra else None,
    )
    print(
        f"Exported {args.run_dir} ({args.weights}) to {args.out}: "
        f"{manifest['model']['parameters']:,} parameters"
    )
    return 0


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    from crnn_core.training.run_folder import WEIGHTS

    parser = sub.add_parser(
        "export", parents=[parent], help="write a training run as an artifacts directory"
    )
    parser.add_argument("--run-dir", required=True)
    parser.add_argument("--out", default=str(artifacts_dir()), help="default: $CRNN_ARTIFACTS")
    parser.add_argument("--weights", choices=list(WEIGHTS), default="best")
    parser.add_argument("--serving", action="store_true", help="also write a TF SavedModel")
    parser.add_argument("--metrics", default=None, help="evaluation JSON to record in the manifest")
    parser.set_defaults(func=_run)
