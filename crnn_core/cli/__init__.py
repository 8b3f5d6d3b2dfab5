"""Command line: ``python -m crnn_core {predict,evaluate,export,analyze}`` and ``train.py``.

One module per command (``predict``, ``evaluate``, ``export``, ``analyze``, ``train``), each with
a ``register(subparsers, parent)``; the argument types they share are in ``args``. Nothing here
imports TensorFlow before ``--verbose`` is known (``quiet``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from crnn_core.cli.quiet import configure_logging

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m crnn_core`` parser (imports the commands, and so TensorFlow)."""
    from crnn_core.cli import analyze, evaluate, export, predict

    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--verbose", action="store_true", help="show TensorFlow's start-up log and info messages"
    )
    parser = argparse.ArgumentParser(prog="python -m crnn_core", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for command in (predict, evaluate, export, analyze):
        command.register(sub, parent)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one sub-command; returns the exit status (2 for a broken artifacts folder)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["analyze"]:  # before TensorFlow loads: its model runs in a child process
        from crnn_core.cli import analyze

        return analyze.main(argv[1:])
    configure_logging("--verbose" in argv)
    from crnn_core.artifacts import ArtifactError

    args = build_parser().parse_args(argv)
    args.argv = argv
    try:
        return int(args.func(args))
    except ArtifactError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
