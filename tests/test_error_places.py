from __future__ import annotations

import pytest

from crnn_core.error_places import error_place, format_error_places
from crnn_core.evaluate import SampleRecord


@pytest.mark.parametrize(
    "truth, reading, place",
    [
        ("Park", "rark", "first character"),  # the P cut by a tight crop
        ("life", "ife", "first character"),  # dropped
        ("STAR", "SSTAR", "first character"),  # doubled at the start
        ("WEST", "WESI", "last character"),
        ("WARS", "WAR", "last character"),
        ("CITY", "CTY", "one inside"),
        ("STATE", "STATTE", "one inside"),
        ("ARMADA", "FRIDD", "several"),
        ("a", "b", "first character"),
        ("Park", "PARK!", None),  # equal under acc36: case and punctuation do not count
    ],
)
def test_error_place(truth: str, reading: str, place: str | None) -> None:
    assert error_place(truth, reading) == place


def _record(truth: str, reading: str, scorable: bool = True) -> SampleRecord:
    right = error_place(truth, reading) is None
    return SampleRecord(0, "k", truth, reading, 0.5, right if scorable else None, truth == reading)


def test_table_counts_wrong_words_per_place_and_skips_unscored_ones() -> None:
    records = [
        _record("Park", "rark"),
        _record("JAVA", "TAVA"),
        _record("WEST", "WESI"),
        _record("CITY", "CTY"),
        _record("good", "good"),
        _record("%%", "x", scorable=False),  # no acc36 label: not an error of either kind
    ]
    table = " ".join(format_error_places(records).split())  # markdown padding collapsed
    assert "| first character | 2 | 50.0 % |" in table
    assert "| last character | 1 | 25.0 % |" in table
    assert "| one inside | 1 | 25.0 % |" in table
    assert "| several | 0 | 0.0 % |" in table
