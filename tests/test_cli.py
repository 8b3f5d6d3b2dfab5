"""CLI smoke tests: predict, evaluate (table + JSON) and export on generated data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from crnn_core.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _word_folder(root: Path, words: list[str]) -> Path:
    (root / "images").mkdir(parents=True)
    lines = []
    for i, word in enumerate(words):
        image = Image.new("RGB", (20 + 12 * len(word), 32), "white")
        ImageDraw.Draw(image).text((4, 8), word, fill="black")
        image.save(root / "images" / f"{i}.png")
        lines.append(f"images/{i}.png\t{word}")
    lines.append("images/missing.png\tghost")
    (root / "labels.tsv").write_text("\n".join(lines) + "\n", "utf-8")
    return root


def test_evaluate_prints_table_and_writes_json(
    tiny_artifacts: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _word_folder(tmp_path / "words", ["cat", "Dog", "42"])
    out = tmp_path / "report.json"
    code = main(
        [
            "evaluate",
            "--data",
            str(data),
            "--artifacts",
            str(tiny_artifacts),
            "--json",
            str(out),
            "--decoder",
            "beam",
            "--beam-width",
            "4",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "acc36" in printed and "words" in printed
    report = json.loads(out.read_text())
    assert report["decoder"] == "beam" and report["beam_width"] == 4
    entry = report["datasets"]["words"]
    assert entry["n"] == 3 and entry["skipped"] == 1
    assert {"acc36", "acc_case", "one_minus_ned"} <= set(entry)


def test_evaluate_breaks_down_by_height_and_length(
    tiny_artifacts: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _word_folder(tmp_path / "words", ["cat", "Dog", "4242"])
    args = ["evaluate", "--data", str(data), "--artifacts", str(tiny_artifacts)]
    assert main([*args, "--by", "height", "length"]) == 0
    printed = capsys.readouterr().out
    assert "words by height:" in printed and "words by length:" in printed
    assert "| 3 chars" in printed and "| 4 chars" in printed


def test_predict_subprocess_reports_bad_files(tiny_artifacts: Path, tmp_path: Path) -> None:
    data = _word_folder(tmp_path / "words", ["hello"])
    not_image = tmp_path / "notes.txt"
    not_image.write_text("not an image")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "crnn_core",
            "predict",
            str(data / "images" / "0.png"),
            str(not_image),
            "--artifacts",
            str(tiny_artifacts),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    lines = result.stdout.strip().splitlines()
    assert result.returncode == 1  # one input failed
    assert lines[0].startswith(str(data / "images" / "0.png") + "\t")
    assert float(lines[0].split("\t")[2]) >= 0.0
    assert "ERROR" in lines[1] and "not an image" in lines[1]
    assert "Traceback" not in result.stderr


def test_missing_artifacts_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["predict", "x.png", "--artifacts", str(tmp_path / "none")])
    assert code == 2
    assert "does not exist" in capsys.readouterr().err


def test_lexicon_decoding_returns_lexicon_words(
    tiny_artifacts: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _word_folder(tmp_path / "words", ["hello", "world"])
    lexicon = tmp_path / "lexicon.txt"
    lexicon.write_text("apple\nbanana\ncherry\n")
    code = main(
        [
            "predict",
            str(data / "images" / "0.png"),
            str(data / "images" / "1.png"),
            "--artifacts",
            str(tiny_artifacts),
            "--lexicon",
            str(lexicon),
        ]
    )
    assert code == 0
    texts = [line.split("\t")[1] for line in capsys.readouterr().out.strip().splitlines()]
    assert set(texts) <= {"apple", "banana", "cherry"}


def test_record_stores_figures_in_manifest_without_breaking_hashes(
    tiny_artifacts: Path, tmp_path: Path
) -> None:
    import shutil

    from crnn_core.artifacts import load_manifest, load_recognizer

    artifacts = tmp_path / "artifacts"
    shutil.copytree(tiny_artifacts, artifacts)
    data = _word_folder(tmp_path / "words", ["cat", "dog"])
    code = main(
        ["evaluate", "--data", str(data), "--artifacts", str(artifacts), "--record", "greedy"]
    )
    assert code == 0
    recorded = load_manifest(artifacts)["metrics"]["greedy"]
    assert recorded["decoder"] == "greedy"
    assert recorded["datasets"]["words"]["n"] == 2
    assert "evaluate" in recorded["command"]
    load_recognizer(artifacts)  # hashes still verify


@pytest.mark.parametrize("flag", [["--batch-size", "0"], ["--limit", "-1"]])
def test_bad_counts_are_one_line_argparse_errors(
    flag: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", "--data", "synthetic:2", *flag])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "must be >= 1" in err and "Traceback" not in err


def test_evaluate_skips_out_of_charset_labels_and_prints_reasons(
    tiny_artifacts: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _word_folder(tmp_path / "words", ["cat", "café", "dog"])  # é: not in 62_mixed-case
    assert main(["evaluate", "--data", str(data), "--artifacts", str(tiny_artifacts)]) == 0
    printed = capsys.readouterr().out
    assert "| words " in printed and "|         2 |" in printed
    assert "words: skipped 2 (missing_image 1, unknown_characters 1)" in printed


def test_evaluate_on_an_all_bad_dataset_exits_non_zero(
    tiny_artifacts: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "bad"
    root.mkdir()
    (root / "labels.tsv").write_text("missing.png\tghost\n", "utf-8")
    assert main(["evaluate", "--data", str(root), "--artifacts", str(tiny_artifacts)]) == 1
    assert "no usable image in bad" in capsys.readouterr().err


def test_cli_honours_crnn_artifacts(
    tiny_artifacts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crnn_core.cli import build_parser

    monkeypatch.setenv("CRNN_ARTIFACTS", str(tiny_artifacts))
    args = build_parser().parse_args(["predict", "x.png"])
    assert args.artifacts == str(tiny_artifacts)


def test_train_rejects_unknown_model_keys(capsys: pytest.CaptureFixture[str]) -> None:
    from crnn_core.cli.train import main as train_main

    with pytest.raises(SystemExit) as exit_info:
        train_main(["--run-dir", "unused", "--model", '{"lstm_unit": 96}'])
    assert exit_info.value.code == 2
    assert "Unknown ModelConfig key(s) ['lstm_unit']" in capsys.readouterr().err


def test_evaluate_counts_wrong_words_by_place(
    tiny_artifacts: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _word_folder(tmp_path / "words", ["cat", "Dog", "4242"])
    out = tmp_path / "report.json"
    args = ["evaluate", "--data", str(data), "--artifacts", str(tiny_artifacts)]
    assert main([*args, "--error-places", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "wrong words by where they differ from the truth" in printed
    counts = {
        place: int(line.split("|")[2])
        for line in printed.splitlines()
        for place in ("first character", "last character", "one inside", "several")
        if line.startswith(f"| {place} ")
    }
    assert len(counts) == 4
    entry = json.loads(out.read_text())["datasets"]["words"]
    assert sum(counts.values()) == round(entry["n"] * (1 - entry["acc36"]))
