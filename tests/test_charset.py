from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crnn_core.charset import BLANK_INDEX, PRESETS, Charset, CharsetError, acc36_normalize

FULL = Charset.preset("94_full")


@given(st.text(alphabet=PRESETS["94_full"], min_size=1, max_size=30))
def test_encode_decode_round_trip(text: str) -> None:
    ids = FULL.encode(text)
    assert BLANK_INDEX not in ids
    assert all(1 <= i < FULL.num_classes for i in ids)
    assert FULL.decode(ids) == text


def test_blank_is_zero_and_skipped_by_decode() -> None:
    assert FULL.num_classes == 95
    assert FULL.labels()[0] == "∅"
    assert FULL.decode([0, FULL.encode("a")[0], 0, 0]) == "a"


def test_unknown_characters_raise_with_the_offending_characters() -> None:
    lower = Charset.preset("36_lowercase")
    with pytest.raises(CharsetError, match=r"\['A'\]"):
        lower.encode("aAb")
    assert not lower.can_encode("")
    keep, skipped = lower.filter_encodable(["abc", "ABC", "", "a1"])
    assert keep == [0, 3] and skipped == 2


def test_save_load_round_trip(tmp_path) -> None:
    path = tmp_path / "charset.json"
    FULL.save(path)
    assert Charset.load(path) == FULL


@pytest.mark.parametrize("chars", ["aab", "a b", ""])
def test_invalid_charsets_are_rejected(chars: str) -> None:
    with pytest.raises(CharsetError):
        Charset(chars)


def test_corrupt_charset_file_gives_charset_error(tmp_path) -> None:
    path = tmp_path / "charset.json"
    path.write_text("{not json")
    with pytest.raises(CharsetError, match="Cannot read"):
        Charset.load(path)
    path.write_text('{"characters": "abc", "blank_index": 3}')
    with pytest.raises(CharsetError, match="blank_index"):
        Charset.load(path)


def test_acc36_normalize() -> None:
    assert acc36_normalize("Don't-Stop 42!") == "dontstop42"
    assert acc36_normalize("&") == ""
