"""Forced alignment to a typed truth on the Recognize page: a rendered word, a wrong typed text,
both exact log-probabilities and the frames where the two best paths part."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from dashboard_support import APP, TIMEOUT, word_png

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

from crnn_core.charset import Charset
from crnn_core.decode import sequence_log_prob
from dashboard.typed_truth import TypedTextError, compare, spans


def _texts(at: AppTest) -> str:
    return " ".join(str(m.value) for m in [*at.markdown, *at.caption, *at.warning, *at.success])


def test_compare_scores_both_texts_exactly() -> None:
    charset = Charset("abc")
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 2, (9, charset.num_classes))
    found = compare(logits, "ab", "cab", charset)
    expected = sequence_log_prob(logits[None].repeat(2, 0), [9, 9], ["cab", "ab"], charset)
    assert found.typed.log_prob == pytest.approx(expected[0])
    assert found.read.log_prob == pytest.approx(expected[1])
    parted = [t for t in range(9) if found.typed.path[t] != found.read.path[t]]
    assert list(found.parting["frame"]) == parted and parted
    row = found.parting.iloc[0]
    assert row["log P(read) − log P(typed)"] == pytest.approx(
        np.log(row["P(read)"]) - np.log(row["P(typed)"])
    )


def test_compare_refuses_what_cannot_be_aligned() -> None:
    charset = Charset("abc")
    logits = np.zeros((3, charset.num_classes))
    with pytest.raises(TypedTextError, match="at least 4 frames"):
        compare(logits, "a", "aab", charset)
    with pytest.raises(TypedTextError, match="cannot write 'z'"):
        compare(logits, "a", "az", charset)
    folded = compare(logits, "a", "AB", charset)
    assert folded.typed_text == "ab" and "lower case" in folded.note
    assert spans([1, 2, 3, 7, 9, 10]) == [(1, 3), (7, 7), (9, 10)]


def recognize_with(artifacts: Path, monkeypatch: pytest.MonkeyPatch, data: bytes) -> AppTest:
    monkeypatch.setenv("CRNN_ARTIFACTS", str(artifacts))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.file_uploader[0].set_value(("word.png", data, "image/png")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_typed_truth_shows_both_log_probs_and_the_parting_frames(
    artifacts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crnn_core.artifacts import load_recognizer

    data = word_png()
    recognizer = load_recognizer(artifacts)
    (frames,) = recognizer.frame_logits([data])
    read = recognizer.decode([frames.logits])[0].text
    typed = "zebra" if read != "zebra" else "quiet"
    at = recognize_with(artifacts, monkeypatch, data)
    assert at.text_input(key="typed").value == ""
    at.text_input(key="typed").input(typed).run()
    assert not at.exception, [e.value for e in at.exception]
    n = frames.logits.shape[0]
    exact = sequence_log_prob(frames.logits[None].repeat(2, 0), [n, n], [typed, read],
                              recognizer.charset)  # fmt: skip
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["log P(typed | image)"] == f"{exact[0]:.3f}"
    assert metrics["log P(read | image)"] == f"{exact[1]:.3f}"
    expected = compare(frames.logits, read, typed, recognizer.charset)
    assert metrics["Parting frames"] == str(len(expected.parting)) and len(expected.parting)
    parting = next(d.value for d in at.dataframe if "typed emits" in d.value.columns)
    assert list(parting["frame"]) == list(expected.parting["frame"])
    assert "The best paths part at frame" in _texts(at)
    assert any("typed: " + typed in str(c.proto.spec) for c in at.get("plotly_chart"))


def test_typed_truth_explains_impossible_texts(
    artifacts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = recognize_with(artifacts, monkeypatch, word_png())
    at.text_input(key="typed").input("[x](http://e.com) é").run()
    assert not at.exception
    assert "cannot write" in _texts(at)
    assert any("`[x](http://e.com) é`" in w.value for w in at.warning)  # shown literally
    at.text_input(key="typed").input("a" * 90).run()
    assert not at.exception
    assert "frames" in _texts(at) and "Type a shorter text" in _texts(at)
