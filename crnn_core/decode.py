"""CTC decoding of ``logits: (batch, frames, classes)`` (unnormalised, blank = class 0).

- ``greedy_decode``: best frame path, merged and blank-free; fast.
- ``beam_search``: CTC prefix beam search; top-k texts with log-probabilities.
- ``sequence_log_prob``: exact log P(text | image) by the forward algorithm.
- ``lexicon_decode``: the most probable word of a lexicon (``Lexicon.build`` once, reuse).

Every function takes ``lengths: (batch,)`` valid frames per image and applies ``log_softmax``
exactly once itself. The implementations live in ``crnn_core/decoding/``.
"""

from __future__ import annotations

from crnn_core.decoding.beam import beam_search
from crnn_core.decoding.common import BeamResult, Candidate, DecodedText, log_softmax
from crnn_core.decoding.forward import sequence_log_prob
from crnn_core.decoding.greedy import greedy_decode
from crnn_core.decoding.lexicon import Lexicon, lexicon_decode

__all__ = [
    "BeamResult",
    "Candidate",
    "DecodedText",
    "Lexicon",
    "beam_search",
    "greedy_decode",
    "lexicon_decode",
    "log_softmax",
    "sequence_log_prob",
]
