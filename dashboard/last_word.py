"""The word last read on the Recognize page, kept in the session for the Clusters page.

Why: a user who reads a word wants to see where its frames fall among the analysis's clusters
(which cluster each letter joins, where a misread letter went). Uploads do not survive a page
change in Streamlit, so the Recognize page leaves the reading's logits here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from crnn_core.analysis.export import BLANK_DISPLAY
from dashboard.recognition import Recognition

__all__ = ["LastWord", "recall", "remember"]

KEY = "last_word"


@dataclass(frozen=True)
class LastWord:
    """What the Clusters page needs of a reading: its logits (frames, classes), the greedy
    character of each frame, the reading and the model input."""

    name: str
    text: str
    logits: np.ndarray
    chars: tuple[str, ...]
    image: np.ndarray

    def shown(self, hide_blank: bool) -> np.ndarray:
        """Indices of the frames to show (without blank frames if the map hides them)."""
        chars = np.asarray(self.chars, dtype=object)
        return np.flatnonzero(chars != BLANK_DISPLAY) if hide_blank else np.arange(len(chars))


def remember(result: Recognition) -> None:
    """Keep ``result`` as the session's last word (replacing the one before)."""
    st.session_state[KEY] = LastWord(
        name=result.name,
        text=result.prediction.text,
        logits=np.asarray(result.logits),
        chars=tuple(str(c) for c in result.frames["char"]),
        image=result.image,
    )


def recall() -> LastWord | None:
    """The session's last word, if one was read."""
    word = st.session_state.get(KEY)
    return word if isinstance(word, LastWord) else None
