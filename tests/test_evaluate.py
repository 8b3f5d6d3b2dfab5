from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image

import crnn_core.evaluate as evaluate_module
from crnn_core.data.readers import read_folder
from crnn_core.evaluate import (
    EvaluationResult,
    error_cases,
    evaluate_source,
    format_table,
    to_dict,
    to_json,
)

# truth, what the fake recognizer answers, its confidence. Image i is (40 + i) pixels wide, which
# is how the fake recognizer tells the images apart.
ROWS = [
    ("hello", "hello", 0.9),  # acc36 yes, case yes
    ("World", "world", 0.8),  # acc36 yes, case no
    ("abc", "abd", 0.4),  # acc36 no, case no
    ("DEF", "DEF", 0.7),  # acc36 yes, case yes
    ("&", "", 0.2),  # excluded from acc36, case no
]


def make_dataset(root: Path, rows: list[tuple[str, str, float]]) -> Path:
    (root / "images").mkdir(parents=True)
    lines = []
    for i, (truth, _, _) in enumerate(rows):
        Image.new("L", (40 + i, 20), 255).save(root / "images" / f"{i}.png")
        lines.append(f"images/{i}.png\t{truth}")
    (root / "images" / "broken.png").write_bytes(b"not an image at all")
    lines.insert(2, "images/broken.png\tbroken")  # skipped when decoded
    lines.append("images/missing.png\tmissing")  # skipped when indexed
    (root / "labels.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


class FakeRecognizer:
    def __init__(self, rows: list[tuple[str, str, float]]) -> None:
        self.answers = {40 + i: (pred, conf) for i, (_, pred, conf) in enumerate(rows)}
        self.batch_sizes: list[int] = []

    def __call__(self, images: list[Image.Image]) -> list[tuple[str, float]]:
        self.batch_sizes.append(len(images))
        return [self.answers[image.width] for image in images]


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The clock advances 10 ms per reading, so every predict_fn call takes exactly 10 ms."""
    ticks = itertools.count()
    clock = SimpleNamespace(perf_counter=lambda: next(ticks) * 0.01)
    monkeypatch.setattr(evaluate_module, "time", clock)


def run(
    tmp_path: Path, name: str = "set", rows: list[tuple[str, str, float]] = ROWS
) -> EvaluationResult:
    source = read_folder(make_dataset(tmp_path / name, rows))
    return evaluate_source(FakeRecognizer(rows), source, batch_size=2, progress=False)


def test_evaluate_scores_records_and_skips(tmp_path: Path, fake_clock: None) -> None:
    source = read_folder(make_dataset(tmp_path / "set", ROWS))
    recognizer = FakeRecognizer(ROWS)
    result = evaluate_source(recognizer, source, batch_size=2, progress=False)
    assert recognizer.batch_sizes == [2, 2, 1]
    scores = result.scores
    assert (scores.n, scores.n_excluded) == (5, 1)
    assert scores.acc36 == pytest.approx(3 / 4)
    assert scores.acc_case == pytest.approx(2 / 5)
    assert scores.one_minus_ned == pytest.approx((1 + 1 + 2 / 3 + 1) / 4)
    assert scores.cer == pytest.approx(1 / 16)
    assert scores.mean_confidence == pytest.approx(3.0 / 5)
    assert scores.ms_per_word == pytest.approx(3 * 10 / 5)
    assert result.skipped.counts == {"missing_image": 1, "corrupt_image": 1}
    assert [r.key for r in result.records] == [f"images/{i}.png" for i in range(5)]
    assert [r.index for r in result.records] == [0, 1, 3, 4, 5]
    assert [r.correct_acc36 for r in result.records] == [True, True, False, True, None]
    assert [r.correct_case for r in result.records] == [True, False, False, True, False]


def test_limit_stops_early(tmp_path: Path) -> None:
    source = read_folder(make_dataset(tmp_path / "set", ROWS))
    result = evaluate_source(FakeRecognizer(ROWS), source, batch_size=64, progress=False, limit=3)
    assert [r.truth for r in result.records] == ["hello", "World"]  # index 2 is the broken image


def test_error_cases_most_confident_first(tmp_path: Path) -> None:
    result = run(tmp_path)
    assert [r.truth for r in error_cases(result, k=5)] == ["abc"]
    assert [r.truth for r in error_cases(result, k=2, protocol="case")] == ["World", "abc"]
    with pytest.raises(ValueError, match="protocol"):
        error_cases(result, protocol="nope")


def test_predict_fn_must_answer_every_image(tmp_path: Path) -> None:
    source = read_folder(make_dataset(tmp_path / "set", ROWS))
    with pytest.raises(ValueError, match="returned 1 results for 2 images"):
        evaluate_source(lambda images: [("x", 1.0)], source, batch_size=2, progress=False)


def test_table_has_one_row_per_dataset_and_a_pooled_row(tmp_path: Path, fake_clock: None) -> None:
    first = run(tmp_path, "first")
    second = run(tmp_path, "second", ROWS[:2])
    lines = format_table([first, second]).splitlines()
    assert len(lines) == 5
    assert lines[0].split("|")[1].strip() == "Dataset"
    cells = {
        line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]] for line in lines[2:]
    }
    assert cells["first"][:3] == ["5", "75.00", "40.00"]
    assert cells["second"][:3] == ["2", "100.00", "50.00"]
    # pooled: acc36 5 of 6 scorable, acc_case 3 of 7
    assert cells["Combined"][:3] == ["7", f"{100 * 5 / 6:.2f}", f"{100 * 3 / 7:.2f}"]
    assert len(format_table([first]).splitlines()) == 3


def test_json_report_keys_and_fractions(tmp_path: Path, fake_clock: None) -> None:
    first, second = run(tmp_path, "first"), run(tmp_path, "second", ROWS[:2])
    report = json.loads(to_json([first, second], decoder="greedy", extra={"charset": "94_full"}))
    assert report["decoder"] == "greedy" and report["charset"] == "94_full"
    entry = report["datasets"]["first"]
    assert set(entry) == {
        "n",
        "acc36",
        "acc_case",
        "one_minus_ned",
        "cer",
        "mean_confidence",
        "ms_per_word",
        "skipped",
        "skipped_by_reason",
        "n_acc36_excluded",
    }
    assert entry["n"] == 5 and entry["acc36"] == pytest.approx(0.75)
    assert entry["skipped"] == 2
    assert report["combined"]["n"] == 7 and report["combined"]["skipped"] == 4
    with pytest.raises(ValueError, match="datasets"):
        to_dict([first], decoder="greedy", extra={"datasets": 1})


def test_json_of_empty_dataset_is_strict(tmp_path: Path) -> None:
    empty = run(tmp_path, "empty", [])
    report = json.loads(to_json([empty], decoder="beam"))
    assert report["datasets"]["empty"]["n"] == 0
    assert report["datasets"]["empty"]["acc36"] is None
    assert "combined" not in report
    assert "—" in format_table([empty])
    assert math.isnan(empty.scores.acc_case)
