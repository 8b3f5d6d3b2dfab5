"""CTC decoding of ``logits: (batch, frames, classes)`` (unnormalised, blank = class 0).

- ``greedy_decode``: best frame path, merged and blank-free; fast.
- ``beam_search``: CTC prefix beam search; top-k texts with log-probabilities; optionally
  fused with a character n-gram LM (``english_char_lm``; decoder name ``beam_lm``).
- ``sequence_log_prob``: exact log P(text | image) by the forward algorithm.
- ``lexicon_decode``: the most probable word of a lexicon (``Lexicon.build`` once, reuse).
- ``decode_candidates`` / ``decode``: the one dispatcher by decoder name (``DECODERS``) that the
  recognizer, and through it the CLI and the dashboard, use.

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
    "decode_candidates",
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


def decode_candidates(
    logits: npt.ArrayLike,
    lengths: npt.ArrayLike,
    charset: Charset,
    decoder: DecoderName = "greedy",
    beam_width: int = 10,
    lexicon: Sequence[str] | Lexicon | None = None,
    top_k: int = 1,
) -> list[tuple[DecodedText, tuple[Candidate, ...]]]:
    """The one decoding dispatcher (recognizer, CLI, dashboard): per image, the best text and
    the top-``top_k`` beam candidates (none for greedy and lexicon). With a ``lexicon`` the answer
    is always a lexicon word (exact search: ``decoder`` and ``beam_width`` do not matter)."""
    if decoder not in DECODERS:
        raise ValueError(f"decoder must be one of {DECODERS}; got {decoder!r}.")
    if lexicon is not None:
        if not isinstance(lexicon, Lexicon):
            lexicon = Lexicon.build(lexicon, charset)
        return [(d, ()) for d in lexicon_decode(logits, lengths, lexicon, charset)]
    if decoder == "greedy":
        return [(d, ()) for d in greedy_decode(logits, lengths, charset)]
    fusion = (
        {"lm": english_char_lm(), "lm_weight": LM_WEIGHT, "lm_bonus": LM_BONUS}
        if decoder == "beam_lm"
        else {}
    )
    found = beam_search(
        logits,
        lengths,
        charset,
        beam_width,
        top_k=min(top_k, beam_width),
        **fusion,  # type: ignore[arg-type]
    )
    return [(r.best, tuple(r.candidates)) for r in found]


def decode(
    logits: npt.ArrayLike,
    lengths: npt.ArrayLike,
    charset: Charset,
    decoder: DecoderName = "greedy",
    beam_width: int = 10,
    lexicon: Sequence[str] | Lexicon | None = None,
) -> list[DecodedText]:
    """Best text per image (``decode_candidates`` without the candidates)."""
    return [
        best
        for best, _ in decode_candidates(logits, lengths, charset, decoder, beam_width, lexicon)
    ]
