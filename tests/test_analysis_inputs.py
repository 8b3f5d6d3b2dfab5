from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from crnn_core.analysis.inputs import read_inputs
from crnn_core.analysis.io import AnalysisError
from crnn_core.charset import Charset

CHARSET = Charset.preset("94_full")


def make_folder(root: Path, widths: tuple[int, ...]) -> Path:
    root.mkdir()
    lines = []
    for i, width in enumerate(widths):
        Image.new("L", (width, 32), 200).save(root / f"{i}.png")
        lines.append(f"{i}.png\tw{i}")
    lines.append("missing.png\tgone")
    (root / "labels.tsv").write_text("\n".join(lines) + "\n", "utf-8")
    return root


def test_folder_images_become_model_inputs_with_truths(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "words", (40, 64, 300))
    words, infos = read_inputs([str(folder)], CHARSET, max_width=160, progress=False)
    assert [w.truth for w in words] == ["w0", "w1", "w2"]
    assert [w.image.shape for w in words] == [(32, 40), (32, 64), (32, 160)]  # 300 squashed
    assert all(w.image.dtype == np.uint8 and w.source == "words" for w in words)
    (info,) = infos
    assert (info.kind, info.used, info.frames) == ("folder", 3, 10 + 16 + 40)
    assert info.skipped["counts"] == {"missing_image": 1}


def test_frame_budget_is_shared_between_sources(tmp_path: Path) -> None:
    first = make_folder(tmp_path / "a", (40, 40, 40, 40))  # 10 frames each
    second = make_folder(tmp_path / "b", (80, 80))  # 20 frames each
    words, infos = read_inputs(
        [str(first), str(second)], CHARSET, max_width=160, max_frames=50, progress=False
    )
    assert [(i.used, i.frames, i.truncated) for i in infos] == [(2, 20, True), (1, 20, True)]
    assert [w.source for w in words] == ["a", "a", "b"]


def test_synthetic_spec_is_seeded() -> None:
    words, (info,) = read_inputs(["synthetic:3"], CHARSET, max_width=160, seed=5, progress=False)
    again, _ = read_inputs(["synthetic:3"], CHARSET, max_width=160, seed=5, progress=False)
    assert info.kind == "synthetic" and info.name == "synthetic(seed=5)" and info.used == 3
    assert [w.truth for w in words] == [w.truth for w in again]
    for a, b in zip(words, again, strict=True):
        np.testing.assert_array_equal(a.image, b.image)
        assert a.image.shape[0] == 32 and a.image.shape[1] <= 160


def test_bad_specs_are_explained(tmp_path: Path) -> None:
    with pytest.raises(AnalysisError, match="synthetic:N"):
        read_inputs([str(tmp_path / "nowhere")], CHARSET, max_width=160, progress=False)
    with pytest.raises(AnalysisError, match="No data"):
        read_inputs([], CHARSET, max_width=160)
