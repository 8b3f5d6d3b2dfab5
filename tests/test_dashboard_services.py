"""The dashboard's service layer: where analyses are found, and the model staying warm."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard import services


def test_analysis_dirs_finds_every_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for folder in ("zeta", "analysis", "runs/older", "no_summary"):
        (tmp_path / folder).mkdir(parents=True)
    for folder in ("zeta", "analysis", "runs/older"):
        (tmp_path / folder / "summary.json").write_text("{}")
    monkeypatch.setenv(services.ARTIFACTS_ENV, str(tmp_path))
    found = services.analysis_dirs()
    assert found[0] == tmp_path / "analysis"  # the shipped one is offered first
    assert sorted(p.relative_to(tmp_path).as_posix() for p in found) == [
        "analysis",
        "runs/older",
        "zeta",
    ]
    assert services.analysis_dirs(tmp_path / "missing") == []


def test_no_analysis_gives_the_command_that_makes_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(services.ARTIFACTS_ENV, str(tmp_path))
    with pytest.raises(services.AnalysisUnavailable, match="python -m crnn_core analyze"):
        services.get_analysis()


def test_streamlit_post_run_cleanup_keeps_the_kernels(monkeypatch: pytest.MonkeyPatch) -> None:
    import keras

    calls: list[str] = []
    monkeypatch.setattr(keras.backend, "clear_session", lambda *a, **k: calls.append("cleared"))
    services._keep_kernels_between_runs()
    services._keep_kernels_between_runs()  # idempotent: wrapped once

    def _clean_problem_modules() -> None:  # the name of Streamlit's post-run hook
        keras.backend.clear_session()

    _clean_problem_modules()
    assert calls == []
    keras.backend.clear_session()  # anyone else still clears
    assert calls == ["cleared"]


def test_streamlit_config_limits_uploads_and_stays_private() -> None:
    import tomllib

    # Next to the main script, so `streamlit run dashboard/app.py` reads it from any folder.
    path = services.REPO_ROOT / "dashboard" / ".streamlit" / "config.toml"
    config = tomllib.loads(path.read_text())
    assert 1 <= config["server"]["maxUploadSize"] <= 10  # MB: word crops, not photo albums
    assert config["server"]["headless"] is True
    assert config["browser"]["gatherUsageStats"] is False
    assert config["client"]["showErrorDetails"] == "none"  # never a stack trace in the page
