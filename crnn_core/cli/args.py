"""Argument types and options shared by every sub-command (and ``train.py``).

Bad values are argparse errors (one line and the usage, exit status 2), never a traceback or a
silently empty run. Imports stay light here (no TensorFlow) so ``--verbose`` can still decide
how loud TensorFlow starts.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from crnn_core.data.specs import parse_weighted_spec

__all__ = [
    "add_artifacts_argument",
    "add_decoder_arguments",
    "json_object",
    "non_negative_int",
    "positive_int",
    "read_lexicon",
    "weighted_spec",
]


def positive_int(text: str) -> int:
    """argparse type for counts that must be at least 1."""
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}") from exc
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def non_negative_int(text: str) -> int:
    """argparse type for counts where 0 is meaningful (e.g. 'none held out')."""
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text!r}") from exc
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def weighted_spec(text: str) -> tuple[str, float]:
    """argparse type for ``SOURCE=WEIGHT`` (grammar: ``crnn_core.data.specs``)."""
    try:
        return parse_weighted_spec(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def json_object(text: str) -> dict[str, Any]:
    """argparse type for a JSON object such as ``{"separable_from": 2}``."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON ({exc}): {text!r}") from exc
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"must be a JSON object {{...}}, got {text!r}")
    return value


def add_artifacts_argument(parser: argparse.ArgumentParser) -> None:
    from crnn_core.artifacts import artifacts_dir

    parser.add_argument(
        "--artifacts",
        default=str(artifacts_dir()),
        help="model directory (default: $CRNN_ARTIFACTS, else the repository's artifacts/)",
    )


def add_decoder_arguments(parser: argparse.ArgumentParser) -> None:
    from crnn_core.decode import DECODERS

    add_artifacts_argument(parser)
    parser.add_argument(
        "--decoder",
        choices=list(DECODERS),
        default="greedy",
        help="beam_lm: beam search fused with an English character 4-gram LM (never forces a word)",
    )
    parser.add_argument("--beam-width", type=positive_int, default=10)
    parser.add_argument("--lexicon", default=None, help="file with one candidate word per line")


def read_lexicon(path: str | None) -> list[str] | None:
    """Words of a lexicon file (one per line), or None; a clear exit if it is unusable."""
    if not path:
        return None
    try:
        words = [w.strip() for w in Path(path).read_text("utf-8").splitlines()]
    except (OSError, UnicodeDecodeError) as exc:
        raise SystemExit(f"Cannot read lexicon {path}: {exc}") from exc
    words = [w for w in words if w]
    if not words:
        raise SystemExit(f"Lexicon {path} has no words (one word per line).")
    return words
