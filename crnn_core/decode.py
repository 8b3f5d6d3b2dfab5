"""CTC decoding of ``logits: (batch, frames, classes)`` (unnormalised, blank = class 0).

- ``greedy_decode``: best frame path, merged and blank-free; fast.
- ``beam_search``: CTC prefix beam search; top-k texts with log-probabilities; optionally
  fused with a character n-gram LM (``english_char_lm``; decoder name ``beam_lm``).
- ``sequence_log_prob``: exact log P(text | image) by the forward algorithm.
- ``lexicon_decode``: the most probable word of a lexicon (``Lexicon.build`` once, reuse).
- ``decode``: one entry point for the CLI and recognizer, returning one ``DecodedText`` per image.

Every function takes ``lengths: (batch,)`` valid frames per image and applies ``log_softmax``
exactly once itself. The implementations live in ``crnn_core/decoding/``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, TypeAlias

import numpy.typing as npt

from crnn_core.charset import Charset
from crnn_core.decoding.beam import beam_search
from crnn_core.decoding.charlm import CharNgramLM, english_char_lm
from crnn_core.decoding.common import BeamResult, Candidate, DecodedText, log_softmax
from crnn_core.decoding.forward import sequence_log_prob
from crnn_core.decoding.greedy import greedy_decode
from crnn_core.decoding.lexicon import Lexicon, lexicon_decode

__all__ = [
    "DECODERS",
    "LM_BONUS",
    "LM_WEIGHT",
    "BeamResult",
    "Candidate",
    "CharNgramLM",
    "DecodedText",
    "DecoderName",
    "Lexicon",
    "beam_search",
    "decode",
    "english_char_lm",
    "greedy_decode",
    "lexicon_decode",
    "log_softmax",
    "sequence_log_prob",
]

DecoderName: TypeAlias = Literal["greedy", "beam", "beam_lm"]
DECODERS: tuple[DecoderName, ...] = ("greedy", "beam", "beam_lm")
# Shallow-fusion weights of ``beam_lm``, chosen on ic03_860 with the shipped model (a grid over
# weight 0-1 and bonus 0-1.5; docs/accuracy.md has the table).
LM_WEIGHT = 0.5
LM_BONUS = 1.0


def decode(
    logits: npt.ArrayLike,
    lengths: npt.ArrayLike,
    charset: Charset,
    decoder: DecoderName = "greedy",
    beam_width: int = 10,
    lexicon: Sequence[str] | Lexicon | None = None,
) -> list[DecodedText]:
    """Best text per image. With a ``lexicon`` the answer is always a lexicon word (exact
    search, so ``decoder`` and ``beam_width`` do not matter); otherwise greedy or the best
    beam-search candidate."""
    if lexicon is not None:
        return lexicon_decode(logits, lengths, lexicon, charset)
    if decoder == "greedy":
        return greedy_decode(logits, lengths, charset)
    if decoder == "beam":
        return [r.best for r in beam_search(logits, lengths, charset, beam_width, top_k=1)]
    if decoder == "beam_lm":
        found = beam_search(
            logits, lengths, charset, beam_width, top_k=1, lm=english_char_lm(),
            lm_weight=LM_WEIGHT, lm_bonus=LM_BONUS,
        )  # fmt: skip
        return [r.best for r in found]
    raise ValueError(f"decoder must be one of {DECODERS}; got {decoder!r}.")
