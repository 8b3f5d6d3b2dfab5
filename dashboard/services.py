"""Cached access to ``crnn_core``: the model, the manifest, analysis folders, built-in samples.

Everything slow happens once per server (``st.cache_resource``) or once per input
(``st.cache_data``). Cache keys include the manifest's modification time, so re-exporting
``artifacts/`` while the server runs is picked up on the next interaction.

The artifacts directory is ``$CRNN_ARTIFACTS`` if set, else the repository's ``artifacts/``.
"""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import streamlit as st
from PIL import Image

from crnn_core.artifacts import MANIFEST_FILE, load_manifest, load_recognizer
from crnn_core.charset import Charset
from crnn_core.recognizer import FrameLogits, Recognizer
from dashboard.analysis_view import AnalysisView

__all__ = [
    "ARTIFACTS_ENV",
    "AnalysisUnavailable",
    "analysis_dirs",
    "artifacts_dir",
    "frame_logits",
    "get_analysis",
    "get_manifest",
    "get_recognizer",
    "place_frames",
    "sample_images",
]

logger = logging.getLogger(__name__)

ARTIFACTS_ENV = "CRNN_ARTIFACTS"
REPO_ROOT = Path(__file__).resolve().parent.parent
ANALYZE_HINT = (
    "python -m crnn_core analyze --data synthetic:2000 --out artifacts/analysis "
    "--artifacts artifacts"
)


class AnalysisUnavailable(RuntimeError):
    """No analysis can be shown; the message says why and which command creates one."""


def artifacts_dir() -> Path:
    """``$CRNN_ARTIFACTS`` or the repository's ``artifacts/``."""
    return Path(os.environ.get(ARTIFACTS_ENV) or REPO_ROOT / "artifacts").resolve()


def _stamp(directory: Path, name: str = MANIFEST_FILE) -> float:
    try:
        return (directory / name).stat().st_mtime
    except OSError:
        return 0.0


def _warm_up(recognizer: Recognizer) -> None:
    """Trace the model for a few widths and JIT-compile the decoders (numba) before the first
    user request, so the first upload is as fast as the next ones."""
    rng = np.random.default_rng(0)
    images = [
        rng.integers(0, 255, (32, w), dtype=np.uint8) for w in (40, 100, recognizer.max_width)
    ]
    for image in images:
        logits = [f.logits for f in recognizer.frame_logits([image])]
        recognizer.decode(logits, "greedy")
        recognizer.decode(logits, "beam", beam_width=4, top_k=2)
        recognizer.decode(logits, lexicon=[recognizer.charset.characters[:3]])


@st.cache_resource(show_spinner="Loading the model…", max_entries=2)
def _recognizer(directory: str, stamp: float) -> Recognizer:
    del stamp  # cache key only
    recognizer = load_recognizer(directory)
    _warm_up(recognizer)
    return recognizer


def get_recognizer(directory: Path | None = None) -> Recognizer:
    """The shipped recognizer (raises ``ArtifactError`` with the fix if it cannot load)."""
    directory = directory or artifacts_dir()
    return _recognizer(str(directory), _stamp(directory))


@st.cache_data(show_spinner=False, max_entries=128)
def _frame_logits(data: bytes, directory: str, stamp: float) -> FrameLogits:
    return _recognizer(directory, stamp).frame_logits([data])[0]


def frame_logits(data: bytes) -> FrameLogits:
    """Model input and logits of one uploaded file (cached by content); may raise
    ``ImageLoadError``."""
    directory = artifacts_dir()
    return _frame_logits(data, str(directory), _stamp(directory))


@st.cache_data(show_spinner=False, max_entries=4)
def _manifest(directory: str, stamp: float) -> dict[str, Any]:
    del stamp
    return load_manifest(directory)


def get_manifest(directory: Path | None = None) -> dict[str, Any]:
    directory = directory or artifacts_dir()
    return _manifest(str(directory), _stamp(directory))


@st.cache_data(show_spinner="Rendering sample words…", max_entries=4)
def sample_images(characters: str, count: int = 6, seed: int = 2024) -> list[tuple[str, bytes]]:
    """``count`` synthetic word images as ``(name, png bytes)``; the name holds the true text."""
    from crnn_core.data.synthetic import SyntheticWordGenerator

    generator = SyntheticWordGenerator(Charset(characters), seed=seed)
    samples = []
    for index in range(count):
        image, text = generator.sample(index)
        buffer = io.BytesIO()
        Image.fromarray(image, mode="L").save(buffer, format="PNG")
        samples.append((f"sample {index + 1} · “{text}”", buffer.getvalue()))
    return samples


# ----- analysis --------------------------------------------------------------------------------
def _analysis_api() -> ModuleType | None:
    """``crnn_core.analysis`` if it provides ``load_analysis`` (it is optional)."""
    try:
        import crnn_core.analysis as api
    except ImportError:
        return None
    return api if callable(getattr(api, "load_analysis", None)) else None


def analysis_dirs(root: Path | None = None) -> list[Path]:
    """Folders under the artifacts directory (itself included) that hold a ``summary.json``."""
    root = root or artifacts_dir()
    if not root.is_dir():
        return []
    found = {p.parent for p in root.glob("summary.json")}
    found |= {p.parent for p in root.glob("*/summary.json")}
    found |= {p.parent for p in root.glob("*/*/summary.json")}
    preferred = root / "analysis"
    return sorted(found, key=lambda p: (p != preferred, str(p)))


@st.cache_resource(show_spinner="Loading the analysis…", max_entries=4)
def _analysis(directory: str, stamp: float) -> AnalysisView:
    del stamp
    api = _analysis_api()
    if api is None:
        raise AnalysisUnavailable("This installation has no analysis module (crnn_core.analysis).")
    try:
        raw = api.load_analysis(directory)
        return AnalysisView.from_object(raw, directory)
    except Exception as exc:
        logger.exception("Cannot load analysis %s", directory)
        raise AnalysisUnavailable(
            f"The analysis in {directory} cannot be read ({type(exc).__name__}: {exc}). "
            f"Re-create it with `{ANALYZE_HINT}`."
        ) from exc


def get_analysis(directory: Path | None = None) -> AnalysisView:
    """The analysis in ``directory`` (default: the first one found); raises
    ``AnalysisUnavailable`` with a message for the user."""
    if directory is None:
        found = analysis_dirs()
        if not found:
            raise AnalysisUnavailable(
                f"No analysis is shipped in {artifacts_dir()}. Create one with `{ANALYZE_HINT}`."
            )
        directory = found[0]
    return _analysis(str(directory), _stamp(directory, "summary.json"))


def place_frames(analysis: AnalysisView, logits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """UMAP coordinates of new frames ``logits`` (frames, classes) on the analysis map."""
    api = _analysis_api()
    place = getattr(api, "place_new_frames", None) if api is not None else None
    if place is None:
        raise AnalysisUnavailable("This analysis module cannot place new frames on its map.")
    try:
        x, y = place(analysis.raw, logits)
    except ValueError as exc:  # e.g. the analysis was made with another model
        raise AnalysisUnavailable(str(exc)) from exc
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
