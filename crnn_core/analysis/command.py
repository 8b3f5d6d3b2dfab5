"""``analyze``: run the logit analysis and write the folder the dashboard reads.

The library entry of ``python -m crnn_core analyze`` (its arguments: ``crnn_core.cli.analyze``).

Example::

    python -m crnn_core analyze --data synthetic:2000 --out artifacts/analysis --seed 1

``synthetic:N`` renders samples ``0 .. N-1`` of ``SyntheticWordGenerator(charset, seed=SEED)``.
Training draws its synthetic words with seed 0 (``TrainConfig.seed``), so the default seed 1
gives words the model has not been trained on.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from crnn_core.analysis.pipeline import AnalysisConfig
from crnn_core.analysis.stages import StageHook, StageTimer

__all__ = ["DEFAULT_MAX_FRAMES", "analyze"]

DEFAULT_MAX_FRAMES = 200_000


def analyze(
    data: Sequence[str],
    out: str | Path,
    artifacts: str | Path,
    config: AnalysisConfig | None = None,
    max_frames: int | None = DEFAULT_MAX_FRAMES,
    on_stage: StageHook | None = None,
) -> dict[str, Any]:
    """Load the model, read ``data`` specs, run the analysis into ``out``; return the summary.
    ``on_stage`` hears each stage name (``crnn_core.analysis.stages.STAGES``) as it starts."""
    from crnn_core.analysis.inputs import read_inputs
    from crnn_core.analysis.pipeline import run_analysis
    from crnn_core.artifacts import load_manifest, load_recognizer

    config = config or AnalysisConfig()
    timer = StageTimer(on_stage)
    with timer.stage("load_model"):
        recognizer = load_recognizer(artifacts)
        manifest = load_manifest(artifacts)
    with timer.stage("read_data"):
        words, sources = read_inputs(
            data, recognizer.charset, recognizer.max_width, config.seed, max_frames,
            config.progress,
        )  # fmt: skip
    context = {
        "model": {
            "artifacts": str(artifacts),
            "sha256": manifest.get("files", {}).get("model.keras"),
        },
        "data": [s.to_dict() for s in sources],
        "max_frames": max_frames,
        "timings_seconds": timer.seconds,
    }
    return run_analysis(recognizer, words, out, config, context, on_stage)
