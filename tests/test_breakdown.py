from __future__ import annotations

import math
from pathlib import Path

import pytest
from PIL import Image

from crnn_core.breakdown import breakdown, format_breakdown
from crnn_core.charset import Charset
from crnn_core.data.readers import open_source, read_folder
from crnn_core.data.synthetic_source import SyntheticSource
from crnn_core.evaluate import evaluate_source

# truth, image height, what the fake recognizer answers
ROWS = [("cat", 12, "cat"), ("dogs", 30, "dog"), ("house", 30, "house"), ("Tree", 150, "tree")]


def _dataset(root: Path) -> Path:
    (root / "images").mkdir(parents=True)
    lines = []
    for i, (truth, height, _) in enumerate(ROWS):
        Image.new("L", (40 + i, height), 255).save(root / "images" / f"{i}.png")
        lines.append(f"images/{i}.png\t{truth}")
    (root / "labels.tsv").write_text("\n".join(lines) + "\n", "utf-8")
    return root


def _records(tmp_path: Path):  # type: ignore[no-untyped-def]
    answers = {40 + i: pred for i, (_, _, pred) in enumerate(ROWS)}

    def predict(images: list[Image.Image]) -> list[tuple[str, float]]:
        return [(answers[image.width], 0.9) for image in images]

    source = read_folder(_dataset(tmp_path / "set"))
    return evaluate_source(predict, source, batch_size=2, progress=False).records


def test_records_carry_the_stored_image_height(tmp_path: Path) -> None:
    assert [r.height for r in _records(tmp_path)] == [12, 30, 30, 150]


def test_breakdown_by_height_and_length(tmp_path: Path) -> None:
    records = _records(tmp_path)
    by_height = {b.name: b for b in breakdown(records, "height")}
    assert list(by_height) == ["0–19 px", "20–39 px", "≥ 128 px"]
    assert by_height["20–39 px"].n == 2 and by_height["20–39 px"].acc36 == 0.5
    assert by_height["≥ 128 px"].acc36 == 1.0 and by_height["≥ 128 px"].acc_case == 0.0
    by_length = [(b.name, b.n) for b in breakdown(records, "length")]
    assert by_length == [("3 chars", 1), ("4 chars", 2), ("5 chars", 1)]
    assert "| 20–39 px | 2 | 50.00 % |" in format_breakdown(records, "height").replace("  ", " ")


def test_unknown_breakdown_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Unknown breakdown"):
        breakdown(_records(tmp_path), "colour")


def test_synthetic_source_breaks_down_by_font_category() -> None:
    source = open_source("synthetic:30")
    assert isinstance(source, SyntheticSource) and len(source) == 30
    image, text = source.load(3)
    assert image.height == 32 and text == source.text(3)
    records = evaluate_source(
        lambda images: [("", 0.0)] * len(images), source, batch_size=8, progress=False
    ).records
    buckets = breakdown(records, "style")
    assert {b.name for b in buckets} == {source.style(i) for i in range(30)}
    assert sum(b.n for b in buckets) == 30 and len(buckets) >= 2
    assert all(math.isclose(b.acc_case, 0.0) for b in buckets)


def test_synthetic_source_needs_a_positive_count() -> None:
    with pytest.raises(ValueError, match="N >= 1"):
        SyntheticSource(0, Charset.preset("94_full"))
