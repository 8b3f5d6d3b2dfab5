"""Where the wrong words go wrong: only the first character, only the last, one inside, or more.

A third of the shipped model's ic03_860 errors differ from the truth only in the first or the
last character, the mark of crops that cut a letter at the side. One count per place points at
a cause like that faster than the list of errors does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from crnn_core.charset import acc36_normalize
from crnn_core.evaluate import SampleRecord, markdown_table
from crnn_core.metrics import edit_distance

__all__ = ["PLACES", "error_place", "format_error_places"]

FIRST, LAST, INSIDE, SEVERAL = "first character", "last character", "one inside", "several"
PLACES = (FIRST, LAST, INSIDE, SEVERAL)


def _one_edit_at_start(truth: str, reading: str) -> bool:
    """A substitution, a dropped or an extra character at the start and nothing else."""
    return truth[1:] == reading[1:] or truth[1:] == reading or truth == reading[1:]


def _one_edit_at_end(truth: str, reading: str) -> bool:
    return _one_edit_at_start(truth[::-1], reading[::-1])


def error_place(truth: str, reading: str) -> str | None:
    """Where ``reading`` differs from ``truth`` under acc36 (lower case, ``[0-9a-z]``); ``None``
    when they agree. One edit at the start is ``first character`` (also for a one-letter
    word), at the end ``last character``, anywhere else ``one inside``; two or more edits are
    ``several``."""
    truth, reading = acc36_normalize(truth), acc36_normalize(reading)
    if truth == reading:
        return None
    if _one_edit_at_start(truth, reading):
        return FIRST
    if _one_edit_at_end(truth, reading):
        return LAST
    return INSIDE if edit_distance(reading, truth) == 1 else SEVERAL


def format_error_places(records: Sequence[SampleRecord]) -> str:
    """Markdown table: wrong words (acc36) per place and their share of all wrong words."""
    places = Counter(
        place
        for r in records
        if r.correct_acc36 is not None and (place := error_place(r.truth, r.prediction))
    )
    wrong = sum(places.values())
    rows = [
        [place, places[place], f"{100 * places[place] / wrong:.1f} %" if wrong else "—"]
        for place in PLACES
    ]
    return markdown_table(["where the reading is wrong", "words", "share of wrong words"], rows)
