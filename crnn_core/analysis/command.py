"""``analyze``: run the logit analysis and write the folder the dashboard reads.

The library entry of ``python -m crnn_core analyze`` (its arguments: ``crnn_core.cli.analyze``).

Example::

    python -m crnn_core analyze --data synthetic:2000 --out artifacts/analysis --seed 1

``synthetic:N`` renders samples ``0 .. N-1`` of ``SyntheticWordGenerator(charset, seed=SEED)``.
Training draws its synthetic words with seed 0 (``TrainConfig.seed``), so the default seed 1
gives words the model has not been trained on.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from crnn_core.analysis.pipeline import AnalysisConfig
from crnn_core.analysis.stages import StageHook

__all__ = ["DEFAULT_MAX_FRAMES", "analyze"]

DEFAULT_MAX_FRAMES = 200_000


def analyze(
    data: Sequence[str],
    out: str | Path,
    artifacts: str | Path | None = None,
    config: AnalysisConfig | None = None,
    max_frames: int | None = DEFAULT_MAX_FRAMES,
    on_stage: StageHook | None = None,
    verbose: bool = False,
) -> dict[str, Any]:
    """Run the model stage in a child process (TensorFlow lives and dies there), then the
    analysis here into ``out``; return the summary. ``artifacts=None``: the default model
    folder. ``on_stage`` hears each stage name (``crnn_core.analysis.stages.STAGES``) as it
    starts. The hand-over files live in a temporary folder removed at the end.

    A third process, the UMAP worker (``umap_worker``), starts with the model child: it compiles
    UMAP's code while the child loads the model, and fits the map while this process runs
    KMeans and the scores. ``synthetic:N`` words are rendered here and in a helper process
    (``render_helper``)."""
    from crnn_core.analysis.model_stage import ModelRequest, run_model_stage
    from crnn_core.analysis.pipeline import run_analysis
    from crnn_core.analysis.umap_worker import UmapWorker

    config = config or AnalysisConfig()
    request = ModelRequest(
        data=list(data), artifacts=None if artifacts is None else str(artifacts),
        seed=config.seed, max_frames=max_frames, batch_size=config.batch_size,
        beam_width=config.beam_width, progress=config.progress, verbose=verbose,
    )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="crnn-analysis-") as scratch:
        workers: list[UmapWorker] = []

        def hear(stage: str) -> None:
            # Started with the model child: rendering the words used both cores until then,
            # TensorFlow's import and the model load use one.
            if stage == "load_model" and not workers:
                workers.append(UmapWorker(Path(scratch) / "umap", verbose))
            if on_stage is not None:
                on_stage(stage)

        try:
            outputs = run_model_stage(request, Path(scratch) / "model", hear)
            if not workers:  # the child always announces its model load; never wait on it
                workers.append(UmapWorker(Path(scratch) / "umap", verbose))
            context = {"max_frames": max_frames}
            return run_analysis(outputs, out, config, context, on_stage, workers[0])
        finally:
            for worker in workers:
                worker.close()
