"""The plain modules behind issue 11's safety work (no Streamlit): text shown literally, paths
without the server's prefix, every artifact fault found at once, settings enforced, the
"no text" verdict and the lexicon suggestion with exact probabilities."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from dashboard_support import word_png

from crnn_core.charset import Charset
from crnn_core.decode import sequence_log_prob
from crnn_core.recognizer import Prediction
from dashboard import health, settings, text
from dashboard.lexicon_match import case_variants, match_lexicon
from dashboard.verdict import assess


def test_literal_keeps_markdown_and_bidi_marks_inert() -> None:
    assert text.literal("[x](http://e.com)") == "`[x](http://e.com)`"
    assert text.literal("a`b") == "`` a`b ``"  # a longer fence around a backtick
    assert text.plain("\u202egnp.exe") == "\\u202egnp.exe"
    assert text.plain("a\nb\x00") == "a\\u000ab\\u0000"
    long = text.plain("x" * 500)
    assert len(long) <= text.MAX_NAME and "…" in long
    assert text.md_escape(":red[hi] *x*") == "\\:red\\[hi\\] \\*x\\*"


def test_paths_lose_the_server_prefix(tmp_path: Path) -> None:
    assert text.display_path(text.REPO_ROOT / "artifacts" / "model.keras") == (
        "artifacts/model.keras"
    )
    assert text.display_path("/srv/secret/lexicon.txt") == "lexicon.txt"
    assert text.display_path("../shared/data/ic03") == "../shared/data/ic03"  # relative: kept
    assert text.display_path(tmp_path / "a" / "b.txt", root=tmp_path) == "…/a/b.txt"
    command = "evaluate --data ../shared/x --lexicon /tmp/lex.txt --json /tmp/e.json"
    assert (
        text.scrub_paths(command) == "evaluate --data ../shared/x --lexicon lex.txt --json e.json"
    )
    assert text.scrub_paths("see https://e.com/a/b") == "see https://e.com/a/b"
    assert text.scrub_tree({"val": ["/data/ic03", 3], "x": "/opt/y"}) == {
        "val": ["ic03", 3],
        "x": "y",
    }


def test_healthy_artifacts_have_no_fault(artifacts: Path) -> None:
    assert health.check_artifacts(artifacts) == []


def test_every_fault_is_listed_with_its_fix(artifacts: Path, tmp_path: Path) -> None:
    root = tmp_path / "broken"
    shutil.copytree(artifacts, root)
    (root / "model.keras").write_bytes(b"garbage")
    (root / "charset.json").unlink()
    config = json.loads((root / "model_config.json").read_text())
    (root / "model_config.json").write_text(json.dumps(config | {"lstm_units": 3}))
    faults = health.check_artifacts(root)
    found = {(f.file, f.problem.split(" (")[0]) for f in faults}
    assert found == {
        ("model.keras", "is not a Keras archive"),
        ("model.keras", "differs from the manifest"),
        ("charset.json", "is missing"),
        ("model_config.json", "differs from the manifest"),
    }
    assert all("crnn_core export" in f.fix and str(tmp_path) not in f.fix for f in faults)
    (root / "manifest.json").write_text("{not json")
    assert ("manifest.json", "is not valid JSON") in {
        (f.file, f.problem.split(" (")[0]) for f in health.check_artifacts(root)
    }
    assert [f.problem for f in health.check_artifacts(tmp_path / "nowhere")] == [
        "the artifacts folder does not exist"
    ]


def test_repository_artifacts_are_repaired_with_git() -> None:
    faults = [
        health.Fault("model.keras", "is missing", "git checkout -- artifacts/model.keras"),
        health.Fault("charset.json", "is missing", "git checkout -- artifacts/charset.json"),
        health.Fault(".", "mismatch", "python -m crnn_core export --run-dir runs/NAME --out x"),
    ]
    assert health.repair_commands(faults) == [
        "git checkout -- artifacts/model.keras artifacts/charset.json",
        "python -m crnn_core export --run-dir runs/NAME --out x",
    ]


def test_settings_are_put_back_in_force() -> None:
    from streamlit import config

    before = config.get_option("server.maxUploadSize")
    try:
        config.set_option("server.maxUploadSize", 200)
        config.set_option("client.toolbarMode", "developer")
        changed = settings.enforce()
        assert changed["server.maxUploadSize"] == 200
        assert changed["client.toolbarMode"] == "developer"
        assert settings.out_of_force() == {}
        assert config.get_option("server.maxUploadSize") == settings.MAX_UPLOAD_MB
    finally:
        config.set_option("server.maxUploadSize", before)


def _prediction(text_: str, confidences: tuple[float, ...]) -> Prediction:
    return Prediction(text_, math.prod(confidences), confidences, "greedy")


def test_verdict_of_blank_empty_and_unsure_readings() -> None:
    blank = np.full((32, 100), 255, np.uint8)
    ink = np.random.default_rng(0).integers(0, 255, (32, 100), dtype=np.uint8)
    blank_verdict = assess(blank, _prediction("I", (0.9,)))
    assert blank_verdict is not None and blank_verdict.kind == "blank" and blank_verdict.no_text
    empty = assess(ink, _prediction("", ()))
    assert empty is not None and empty.kind == "empty" and "No text found" in empty.message
    unsure = assess(ink, _prediction("I", (0.076,)))
    assert unsure is not None and unsure.kind == "unsure" and not unsure.no_text
    assert "7.6%" in unsure.message
    assert assess(ink, _prediction("open", (0.9, 0.8, 0.95, 0.7))) is None


def test_case_variants_follow_the_charset() -> None:
    lower = Charset.preset("36_lowercase")
    assert case_variants(["Centre"], lower) == {"centre": "Centre"}
    assert case_variants(["Centre"], lower, match_case=True) == {}
    full = Charset.preset("94_full")
    assert set(case_variants(["centre"], full)) == {"centre", "CENTRE", "Centre"}


def test_lexicon_match_reports_exact_probabilities(artifacts: Path) -> None:
    """The match is the word with the highest exact log P, whichever that is: the small
    fixture model may well give "zz" more probability than its own greedy reading."""
    from crnn_core.artifacts import load_recognizer

    recognizer = load_recognizer(artifacts)
    logits = recognizer.frame_logits([word_png()])[0].logits
    reading = recognizer.decode([logits])[0].text
    (match,) = match_lexicon(recognizer, [logits], [reading], ["zz", reading.upper()]) or [None]
    lengths = np.array([len(logits)])
    exact = {
        word: sequence_log_prob(logits[None], lengths, [word], recognizer.charset)[0]
        for word in ("zz", reading)
    }
    best = max(exact, key=exact.__getitem__)
    assert match is not None and match.matched == best
    assert match.word == ("zz" if best == "zz" else reading.upper())
    assert match.agrees == (best == reading)
    assert match.log_prob == pytest.approx(exact[best])
    assert match.reading_log_prob == pytest.approx(exact[reading])
    assert match_lexicon(recognizer, [logits], [reading], ["ZZ"], match_case=True) is None
