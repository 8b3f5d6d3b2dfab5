"""Shared fixtures: a tiny, randomly initialised model saved as an artifacts directory.

Tests never read ../shared/data: everything they need is generated here.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from dashboard_support import FakeAnalysis

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

TINY_MODEL = {"conv_channels": (8, 8, 16, 16, 16, 16), "lstm_units": 16, "max_width": 128}


@pytest.fixture(scope="session")
def tiny_artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An artifacts dir (model.keras, charset.json, manifest.json) of an untrained tiny CRNN."""
    from crnn_core.artifacts import save_artifacts
    from crnn_core.charset import Charset
    from crnn_core.model import ModelConfig, build_crnn

    charset = Charset.preset("62_mixed-case")
    config = ModelConfig(num_classes=charset.num_classes, **TINY_MODEL)  # type: ignore[arg-type]
    model = build_crnn(config)
    directory = tmp_path_factory.mktemp("artifacts")
    save_artifacts(directory, model, charset, config, {"training": [{"command": "test fixture"}]})
    return directory


@pytest.fixture(autouse=True)
def _user_data(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """User analyses (``$CRNN_USER_DATA``) go to an empty temporary folder, never ~/.cache."""
    monkeypatch.setenv("CRNN_USER_DATA", str(tmp_path_factory.mktemp("user-data")))


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dashboard tests' tiny seeded model (``dashboard_support.make_tiny_artifacts``), one
    per test module."""
    from dashboard_support import make_tiny_artifacts

    return make_tiny_artifacts(tmp_path_factory.mktemp("artifacts"))


@pytest.fixture()
def with_analysis(artifacts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeAnalysis:
    """An artifacts copy with an ``analysis/summary.json`` and a fake analysis API behind it."""
    from dashboard_support import FakeAnalysis, fake_analysis_api

    from dashboard import services

    root = tmp_path / "artifacts"
    shutil.copytree(artifacts, root)
    (root / "analysis").mkdir()
    analysis = FakeAnalysis()
    (root / "analysis" / "summary.json").write_text(json.dumps(analysis.summary))
    monkeypatch.setenv("CRNN_ARTIFACTS", str(root))
    monkeypatch.setattr(services, "_analysis_api", lambda: fake_analysis_api(analysis))
    return analysis
