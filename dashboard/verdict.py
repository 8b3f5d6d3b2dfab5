"""Whether a reading deserves to be shown as text: blank input, no characters, or a guess.

A CTC model always emits *something* for a blank or unreadable crop (an "I" at 7.6 % on an
empty white image), and a page that shows it in big letters misleads. ``assess`` turns the
model input and the prediction into a verdict the page shows instead. No Streamlit here.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import fmean
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:  # crnn_core.recognizer imports Keras: not needed to draw a page
    from crnn_core.recognizer import Prediction

__all__ = ["BLANK_STD", "LOW_CONFIDENCE", "Verdict", "assess"]

BLANK_STD = 4.0  # grey levels: below this the 32-px model input has no visible contrast
LOW_CONFIDENCE = 0.5  # mean per-character confidence under which a reading is a guess

VerdictKind = Literal["blank", "empty", "unsure"]


@dataclass(frozen=True)
class Verdict:
    """``kind`` is ``blank`` (no contrast), ``empty`` (no character read) or ``unsure`` (a
    reading with low confidence); ``message`` is for the user."""

    kind: VerdictKind
    message: str

    @property
    def no_text(self) -> bool:
        """``True`` when nothing should be shown as the image's text."""
        return self.kind in ("blank", "empty")


def assess(
    image: np.ndarray, prediction: Prediction, threshold: float = LOW_CONFIDENCE
) -> Verdict | None:
    """The verdict on one reading of the model input ``image`` (32, W) uint8, or ``None``
    when the reading is confident."""
    spread = float(np.asarray(image, dtype=np.float64).std())
    if spread < BLANK_STD:
        return Verdict(
            "blank",
            f"No text found: the image is blank (pixel spread {spread:.1f} grey levels; fully "
            "transparent images count as white).",
        )
    if not prediction.text:
        return Verdict("empty", "No text found: the model read no character in this image.")
    mean = fmean(prediction.char_confidences) if prediction.char_confidences else 0.0
    if mean < threshold:
        return Verdict(
            "unsure",
            f"Not confident: mean character confidence {mean:.1%} (under {threshold:.0%}). "
            "The reading below is a guess; the image may not contain one readable word.",
        )
    return None
