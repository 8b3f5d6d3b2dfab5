"""crnn-ocr-lab core: CRNN + CTC word recognition and analysis of what the model learned.

The public API (everything else is an implementation module)::

    from crnn_core import load_recognizer
    recognizer = load_recognizer()            # $CRNN_ARTIFACTS or artifacts/, hashes checked
    [pred] = recognizer.predict(["word.png"], decoder="beam_lm")
    pred.text, pred.confidence, pred.char_confidences, pred.candidates

Names are imported on first use, so ``import crnn_core`` does not start TensorFlow (the CLI
decides first how quiet TensorFlow should be).
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# TensorFlow turns its oneDNN kernels on by default only on CPUs with AVX-512-class features. On an
# AVX2-only CPU (AMD EPYC) they make a training step ~1.35x and batched inference ~1.25x faster
# (bench/README.md). Set before any TensorFlow import of this package; a user's own value wins.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "Recognizer": "crnn_core.recognizer",
    "Prediction": "crnn_core.recognizer",
    "FrameLogits": "crnn_core.recognizer",
    "load_recognizer": "crnn_core.artifacts",
    "artifacts_dir": "crnn_core.artifacts",
    "ArtifactError": "crnn_core.artifacts",
    "Charset": "crnn_core.charset",
    "DECODERS": "crnn_core.decode",
    "decode": "crnn_core.decode",
    "decode_candidates": "crnn_core.decode",
    "greedy_decode": "crnn_core.decode",
    "beam_search": "crnn_core.decode",
    "lexicon_decode": "crnn_core.decode",
    "sequence_log_prob": "crnn_core.decode",
    "Lexicon": "crnn_core.decode",
    "evaluate_source": "crnn_core.evaluate",
    "EvaluationResult": "crnn_core.evaluate",
    "open_source": "crnn_core.data.readers",
    "ModelConfig": "crnn_core.model",
    "build_crnn": "crnn_core.model",
    "VARIANTS": "crnn_core.variants",
    "model_config": "crnn_core.variants",
    "HEIGHT": "crnn_core.geometry",
    "DOWNSAMPLE": "crnn_core.geometry",
    "frames_for_width": "crnn_core.geometry",
}

__all__ = [
    "DECODERS",
    "DOWNSAMPLE",
    "HEIGHT",
    "VARIANTS",
    "ArtifactError",
    "Charset",
    "EvaluationResult",
    "FrameLogits",
    "Lexicon",
    "ModelConfig",
    "Prediction",
    "Recognizer",
    "__version__",
    "artifacts_dir",
    "beam_search",
    "build_crnn",
    "decode",
    "decode_candidates",
    "evaluate_source",
    "frames_for_width",
    "greedy_decode",
    "lexicon_decode",
    "load_recognizer",
    "model_config",
    "open_source",
    "sequence_log_prob",
]

if TYPE_CHECKING:
    from crnn_core.artifacts import ArtifactError, artifacts_dir, load_recognizer
    from crnn_core.charset import Charset
    from crnn_core.data.readers import open_source
    from crnn_core.decode import (
        DECODERS,
        Lexicon,
        beam_search,
        decode,
        decode_candidates,
        greedy_decode,
        lexicon_decode,
        sequence_log_prob,
    )
    from crnn_core.evaluate import EvaluationResult, evaluate_source
    from crnn_core.geometry import DOWNSAMPLE, HEIGHT, frames_for_width
    from crnn_core.model import ModelConfig, build_crnn
    from crnn_core.recognizer import FrameLogits, Prediction, Recognizer
    from crnn_core.variants import VARIANTS, model_config


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'crnn_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value
