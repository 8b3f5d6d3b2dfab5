"""Cached access to ``crnn_core``: the model, the manifest, analysis folders, built-in samples.

Everything slow happens once per server (``st.cache_resource``) or once per input
(``st.cache_data``). Cache keys include the manifest's modification time, so re-exporting
``artifacts/`` while the server runs is picked up on the next interaction.

The artifacts directory is ``$CRNN_ARTIFACTS`` if set, else the repository's ``artifacts/``.

Streamlit calls ``keras.backend.clear_session()`` after every script run
(``streamlit/runtime/scriptrunner/script_runner.py``, ``_clean_problem_modules``). With the
TensorFlow backend that empties TensorFlow's kernel cache, so the next prediction rebuilds every
kernel (0.2-0.8 s here instead of ~10 ms). The dashboard keeps one model for the server's whole
life, so ``_keep_kernels_between_runs`` turns that one call into a no-op (other callers of
``clear_session`` are unaffected), and ``gc.freeze()`` keeps the post-run garbage collection
from walking TensorFlow's object graph every time.
"""

from __future__ import annotations

import functools
import gc
import io
import logging
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
import streamlit as st
from PIL import Image

from crnn_core.charset import Charset
from crnn_core.decode import sequence_log_prob
from dashboard import health, model_preload
from dashboard.analysis_view import AnalysisView
from dashboard.health import MANIFEST_FILE
from dashboard.text import display_path, scrub_paths

if TYPE_CHECKING:  # crnn_core.artifacts / .recognizer import Keras: loaded in the background
    from crnn_core.recognizer import FrameLogits, Recognizer

__all__ = [
    "ARTIFACTS_ENV",
    "AnalysisUnavailable",
    "analysis_dirs",
    "analysis_label",
    "artifacts_dir",
    "charset_characters",
    "frame_logits",
    "get_analysis",
    "get_faults",
    "get_manifest",
    "get_recognizer",
    "model_sha256",
    "place_frames",
    "preload_recognizer",
    "sample_images",
    "shown_path",
    "user_analysis_dirs",
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
    user request, so the first upload is as fast as the next ones. Single images run the graph
    without frame masks, a batch of mixed widths the masked one (``run_logits``): trace both."""
    rng = np.random.default_rng(0)
    images = [
        rng.integers(0, 255, (32, w), dtype=np.uint8) for w in (40, 100, recognizer.max_width)
    ]
    recognizer.frame_logits(images)  # a labelled zip's batches
    for image in images:
        logits = [f.logits for f in recognizer.frame_logits([image])]
        recognizer.decode(logits, "greedy")
        recognizer.decode(logits, "beam", beam_width=4, top_k=2)
        recognizer.decode(logits, lexicon=[recognizer.charset.characters[:3]])
        word = recognizer.charset.characters[:3]  # the soft lexicon's exact probabilities
        sequence_log_prob(logits[0][None], [len(logits[0])], [word], recognizer.charset)


def _keep_kernels_between_runs() -> None:
    """Make Streamlit's post-run ``keras.backend.clear_session()`` a no-op (see module doc)."""
    import keras

    original = keras.backend.clear_session
    if getattr(original, "_keeps_kernels", False):
        return

    @functools.wraps(original)
    def clear_session(*args: Any, **kwargs: Any) -> Any:
        if sys._getframe(1).f_code.co_name == "_clean_problem_modules":
            return None
        return original(*args, **kwargs)

    clear_session._keeps_kernels = True  # type: ignore[attr-defined]
    keras.backend.clear_session = clear_session


def _load_recognizer(directory: str) -> Recognizer:
    """Import Keras, load and warm up the model (in ``model_preload``'s thread)."""
    _keep_kernels_between_runs()  # first: Streamlit may end a script run during the load
    from crnn_core.artifacts import load_recognizer

    recognizer = load_recognizer(directory)
    _warm_up(recognizer)
    gc.freeze()  # the model's objects live as long as the server: keep them out of every GC
    return recognizer


@st.cache_resource(show_spinner="Loading the model…", max_entries=2)
def _recognizer(directory: str, stamp: float) -> Recognizer:
    return model_preload.result(directory, stamp, lambda: _load_recognizer(directory))


def preload_recognizer() -> None:
    """Start loading the model in the background unless the artifacts have faults (the pages
    list those); returns at once. The app entry calls it after every script run."""
    directory = artifacts_dir()
    if get_faults(directory):
        return
    model_preload.start(str(directory), _stamp(directory), lambda: _load_recognizer(str(directory)))


def get_recognizer(directory: Path | None = None) -> Recognizer:
    """The shipped recognizer (raises ``ArtifactError`` with the fix if it cannot load)."""
    directory = directory or artifacts_dir()
    return _recognizer(str(directory), _stamp(directory))


@st.cache_data(show_spinner=False, max_entries=128)
def _frame_logits(data: bytes, directory: str, stamp: float) -> FrameLogits:
    return _recognizer(directory, stamp).frame_logits([data])[0]


@st.cache_data(show_spinner=False, max_entries=4)
def _charset_characters(path: str, stamp: float) -> str | None:
    del stamp
    try:
        return Charset.load(path).characters
    except Exception:  # the health check names the fault; the model load explains it
        return None


def charset_characters() -> str | None:
    """The model's characters from ``charset.json`` (no Keras import), ``None`` if unreadable."""
    path = artifacts_dir() / "charset.json"
    return _charset_characters(str(path), _stamp(path.parent, path.name))


def frame_logits(data: bytes) -> FrameLogits:
    """Model input and logits of one uploaded file (cached by content); may raise
    ``ImageLoadError``."""
    directory = artifacts_dir()
    return _frame_logits(data, str(directory), _stamp(directory))


@st.cache_data(show_spinner=False, max_entries=4)
def _manifest(directory: str, stamp: float) -> dict[str, Any]:
    del stamp
    from crnn_core.artifacts import load_manifest  # imports Keras

    return load_manifest(directory)


def get_manifest(directory: Path | None = None) -> dict[str, Any]:
    directory = directory or artifacts_dir()
    return _manifest(str(directory), _stamp(directory))


def _folder_stamp(directory: Path) -> tuple[tuple[str, int, int], ...]:
    """(name, size, mtime) of every file in ``directory``: changes when any file does."""
    try:
        entries = sorted(directory.iterdir())
    except OSError:
        return ()
    stamp = []
    for entry in entries:
        try:
            info = entry.stat()
        except OSError:
            continue
        stamp.append((entry.name, info.st_size, info.st_mtime_ns))
    return tuple(stamp)


@st.cache_data(show_spinner=False, max_entries=4)
def _faults(directory: str, stamp: tuple[tuple[str, int, int], ...]) -> list[health.Fault]:
    del stamp
    return health.check_artifacts(Path(directory))


def get_faults(directory: Path | None = None) -> list[health.Fault]:
    """Every fault of the artifacts folder (checked once per change of its files)."""
    directory = directory or artifacts_dir()
    return _faults(str(directory), _folder_stamp(directory))


def model_sha256() -> str | None:
    """sha256 of the artifacts' ``model.keras`` per their manifest (``None`` if unreadable),
    without importing Keras (the Clusters page compares it with the analysis')."""
    manifest = health.read_manifest(artifacts_dir())
    files = manifest.get("files") if manifest else None
    value = files.get(health.MODEL_FILE) if isinstance(files, dict) else None
    return str(value) if value else None


def shown_path(path: Path | str) -> str:
    """A path as the UI may show it: relative to the repository or the artifacts folder."""
    shown = display_path(path, artifacts_dir())
    return shown.replace("…", f"${ARTIFACTS_ENV}", 1) if shown.startswith("…") else shown


@st.cache_data(show_spinner="Rendering sample words…", max_entries=4)
def sample_images(characters: str, count: int = 6, seed: int = 2024) -> list[tuple[str, bytes]]:
    """``count`` synthetic word images (distinct words of 2-10 characters) as
    ``(name, png bytes)``; the name is the true text in quotes."""
    from crnn_core.data.synthetic import SyntheticWordGenerator

    generator = SyntheticWordGenerator(Charset(characters), seed=seed)
    samples: dict[str, bytes] = {}
    for index in range(20 * count):
        image, text = generator.sample(index)
        name = f"“{text}”"
        if 2 <= len(text) <= 10 and name not in samples:
            buffer = io.BytesIO()
            Image.fromarray(image, mode="L").save(buffer, format="PNG")
            samples[name] = buffer.getvalue()
        if len(samples) == count:
            break
    return list(samples.items())


# ----- analysis --------------------------------------------------------------------------------
def _analysis_api() -> ModuleType | None:
    """``crnn_core.analysis`` if it provides ``load_analysis`` (it is optional)."""
    try:
        import crnn_core.analysis as api
    except ImportError:
        return None
    return api if callable(getattr(api, "load_analysis", None)) else None


def analysis_dirs(root: Path | None = None) -> list[Path]:
    """Folders under the artifacts directory (itself included) that hold a ``summary.json``;
    without ``root``, then the user's own analyses (``crnn_core.analysis.jobs``), newest first."""
    user = user_analysis_dirs() if root is None else []
    root = root or artifacts_dir()
    if not root.is_dir():
        return user
    found = {p.parent for p in root.glob("summary.json")}
    found |= {p.parent for p in root.glob("*/summary.json")}
    found |= {p.parent for p in root.glob("*/*/summary.json")}
    preferred = root / "analysis"
    return sorted(found, key=lambda p: (p != preferred, str(p))) + user


def user_analysis_dirs() -> list[Path]:
    """Finished analyses of the user's own photos (folders under ``jobs.analyses_root()``)."""
    from crnn_core.analysis import jobs

    done = [s.directory for s in jobs.list_jobs() if s.state == "done"]
    return [d for d in done if (d / "summary.json").is_file()]


def analysis_label(path: Path | str) -> str:
    """How the analysis picker names a folder: relative to the artifacts, or "your photos"."""
    path, root = Path(path), artifacts_dir()
    if path == root:
        return "."
    if path.is_relative_to(root):
        return str(path.relative_to(root))
    return f"your photos: {path.name}"


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
        # One line, no traceback: the page shows the message and the command that fixes it.
        logger.warning("Cannot load analysis %s: %s: %s", directory, type(exc).__name__, exc)
        raise AnalysisUnavailable(
            f"The analysis in {shown_path(directory)} cannot be read ({type(exc).__name__}: "
            f"{scrub_paths(exc, artifacts_dir())}). "
            f"Re-create it with `{ANALYZE_HINT}`."
        ) from exc


def get_analysis(directory: Path | None = None) -> AnalysisView:
    """The analysis in ``directory`` (default: the first one found); raises
    ``AnalysisUnavailable`` with a message for the user."""
    if directory is None:
        found = analysis_dirs()
        if not found:
            raise AnalysisUnavailable(
                f"No analysis is shipped in {shown_path(artifacts_dir())}. "
                f"Create one with `{ANALYZE_HINT}`."
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
