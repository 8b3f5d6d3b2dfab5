"""Helpers shared by the dashboard tests (AppTest and browser): a tiny model saved as artifacts.

The model is untrained (seeded random weights), so its texts are arbitrary but deterministic;
tests compare what the app shows against what ``crnn_core`` returns for the same image.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

SEED = 1234
APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
TIMEOUT = 180  # seconds per AppTest run: the first run loads TensorFlow on a busy machine


def wait_for_job(folder: Path, seconds: float, poll: float = 0.5) -> Any:
    """The finished ``JobStatus`` of the analysis job in ``folder``; fails after ``seconds``."""
    import time

    from crnn_core.analysis import jobs

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = jobs.read_status(folder)
        if status is not None and status.finished:
            return status
        time.sleep(poll)
    raise AssertionError(f"the analysis job {folder.name} did not finish in {seconds:.0f} s")


def make_tiny_artifacts(directory: Path, with_curve: bool = True) -> Path:
    """Save a seeded, tiny, untrained CRNN with a manifest into ``directory``; return it."""
    import keras

    from crnn_core.artifacts import save_artifacts
    from crnn_core.charset import Charset
    from crnn_core.model import ModelConfig, build_crnn

    keras.utils.set_random_seed(SEED)
    charset = Charset.preset("36_lowercase")
    config = ModelConfig(
        num_classes=charset.num_classes,
        conv_channels=(8, 8, 16, 16, 16, 16),
        lstm_units=16,
        lstm_layers=1,
        max_width=128,
    )
    model = build_crnn(config)
    curve: list[dict[str, Any]] = []
    if with_curve:
        curve = [
            {"step": s, "val/acc36": a, "val/acc_case": a * 0.9}
            for s, a in ((100, 0.1), (200, 0.4), (300, 0.6))
        ]
    info = {
        "training": [
            {
                "command": "python train.py --run-dir runs/tiny --steps 300",
                "validation_curve": curve,
            }
        ],
        "metrics": {
            "val_greedy": {
                "decoder": "greedy",
                "datasets": {"val": {"n": 10, "acc36": 0.6, "acc_case": 0.5, "one_minus_ned": 0.8}},
                "command": "python -m crnn_core evaluate --data val --record val_greedy",
            }
        },
    }
    save_artifacts(directory, model, charset, config, info)
    return directory


def word_png(text: str = "hello", index: int = 3) -> bytes:
    """A synthetic word image (PNG bytes) rendered by the project's generator."""
    from crnn_core.charset import Charset
    from crnn_core.data.synthetic import SyntheticWordGenerator

    generator = SyntheticWordGenerator(Charset.preset("36_lowercase"), seed=7)
    image, _ = generator.sample(index)
    del text
    buffer = io.BytesIO()
    Image.fromarray(image, mode="L").save(buffer, format="PNG")
    return buffer.getvalue()


def two_words_png() -> bytes:
    """A 'scene' of 200 × 100 px: one word top-left ("cat"), another bottom-right ("moon"), for
    the box crop (on the Recognize page, in AppTest and in the browser)."""
    image = Image.new("RGB", (200, 100), "white")
    draw = ImageDraw.Draw(image)
    draw.text((8, 10), "cat", fill="black")
    draw.text((120, 70), "moon", fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def bad_uploads() -> dict[str, bytes]:
    """Uploads that must be refused with a message: name -> bytes."""
    tiny = io.BytesIO()
    Image.new("L", (1, 1), 255).save(tiny, format="PNG")
    whole = word_png()
    return {
        "notes.png": b"this is not an image at all",
        "truncated.png": whole[: len(whole) // 2],
        "dot.png": tiny.getvalue(),
        "empty.png": b"",
    }


def rgb_array(width: int = 96, height: int = 32) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 255, size=(height, width, 3), dtype=np.uint8)


class FakeAnalysis:
    """Stands in for ``crnn_core.analysis.Analysis`` (same attribute and column names) with
    planted structure: frame ``i`` has greedy class ``i % 5`` (0 = blank), cluster = class except
    every 10th frame, one UMAP blob per cluster, and every 7th frame outside the UMAP sample
    (NaN coordinates). ``with_views``: also the non-blank clustering (cluster = class - 1 of
    the non-blank frames) and the format /2 summary with baselines; without, a format /1
    folder. Fast enough for AppTest; ``test_dashboard_integration`` covers the real loader."""

    def __init__(
        self,
        n_frames: int = 400,
        frames_per_image: int = 20,
        seed: int = 0,
        with_views: bool = True,
    ) -> None:
        import pandas as pd

        rng = np.random.default_rng(seed)
        names = ["∅", "a", "b", "c", "d"]
        index = np.arange(n_frames)
        label = index % 5
        cluster = np.where(index % 10 == 9, (label + 1) % 5, label)
        centres = np.array([[0, 0], [10, 0], [0, 10], [10, 10], [5, 5]], dtype=float)
        xy = centres[cluster] + rng.normal(0, 0.5, size=(n_frames, 2))
        xy[index % 7 == 6] = np.nan
        t = index % frames_per_image
        self.frames = pd.DataFrame(
            {
                "frame_id": index,
                "image_id": index // frames_per_image,
                "t": t,
                "col_start": 4 * t,
                "col_end": 4 * t + 4,
                "greedy_class": label,
                "greedy_char": pd.Series([names[i] for i in label], dtype="string"),
                "max_prob": rng.uniform(0.3, 1, n_frames),
                "margin": rng.uniform(0, 0.9, n_frames),
                "entropy": rng.uniform(0, 2, n_frames),
                "blank_prob": rng.uniform(0, 1, n_frames),
                "cluster": cluster,
                "cluster_non_blank": np.where(label > 0, label - 1, -1),
                "umap_x": xy[:, 0],
                "umap_y": xy[:, 1],
            }
        )
        n_images = int(self.frames["image_id"].max()) + 1
        truth = [f"w{i}" for i in range(n_images)]
        greedy = [w if i % 3 else w + "x" for i, w in enumerate(truth)]
        beam = [w if i % 6 else w + "y" for i, w in enumerate(truth)]
        self.images = pd.DataFrame(
            {
                "image_id": np.arange(n_images),
                "source": pd.Series(
                    ["a" if i % 2 else "b" for i in range(n_images)], dtype="string"
                ),
                "truth": pd.Series(truth, dtype="string"),
                "greedy_text": pd.Series(greedy, dtype="string"),
                "beam_text": pd.Series(beam, dtype="string"),
                "greedy_confidence": np.linspace(0.1, 0.9, n_images),
                "beam_confidence": np.linspace(0.2, 0.8, n_images),
            }
        )
        self.summary = {
            "k": 5,
            "counts": {"frames": n_frames},
            "scores": {
                "silhouette": {"all": 0.41, "non_blank": 0.52},
                "purity": {"all": 0.9, "non_blank": 0.88},
            },
        }
        self.clusters = pd.DataFrame({"cluster": range(5), "matched_char": names})
        self.views = ["all"]
        if with_views:
            self._add_views(names)
        self.confusions = pd.DataFrame(
            {"rank": [0, 1], "char_a": ["a", "b"], "char_b": ["b", "c"], "evidence": [7, 3]}
        )
        self.confusion_examples = pd.DataFrame(
            {"rank": [0, 0], "char_a": ["a"] * 2, "char_b": ["b"] * 2,
             "kind": ["top2"] * 2, "image_id": [0, 1], "t": [1, 2]}
        )  # fmt: skip
        self._pixels = rng.integers(
            0, 255, size=(n_images, 32, 4 * frames_per_image), dtype=np.uint8
        )

    def image(self, image_id: int) -> np.ndarray:
        return self._pixels[image_id]

    def _add_views(self, names: list[str]) -> None:
        import pandas as pd

        self.views = ["all", "non_blank"]
        self.summary["views"] = {
            "all": {
                "frames": len(self.frames), "k": 5,
                "silhouette": {"value": 0.41, "random_labels": -0.013},
                "purity": {"value": 0.9, "one_cluster": 0.2, "random_assignment": 0.214},
                "matching": {"matched_clusters": 5, "classes_present": 5},
                "non_blank_frames": {"purity": 0.86, "silhouette": 0.47},
            },
            "non_blank": {
                "frames": int((self.frames["greedy_class"] != 0).sum()), "k": 4,
                "silhouette": {"value": 0.52, "random_labels": -0.021},
                "purity": {"value": 0.88, "one_cluster": 0.25, "random_assignment": 0.262},
                "matching": {"matched_clusters": 4, "classes_present": 4},
            },
        }  # fmt: skip
        self.summary["matching_rule"] = {"min_share": 0.2, "min_count": 5}
        self.clusters["view"] = "all"
        own = pd.DataFrame({"view": "non_blank", "cluster": range(4), "matched_char": names[1:]})
        self.clusters = pd.concat([self.clusters, own], ignore_index=True)

    def contingency_matrix(self, view: str = "all") -> Any:
        import pandas as pd

        column = "cluster" if view == "all" else "cluster_non_blank"
        frames = self.frames[self.frames[column] >= 0]
        return pd.crosstab(frames[column], frames["greedy_char"].astype(str))


def fake_analysis_api(analysis: FakeAnalysis) -> Any:
    """A module-like object with ``load_analysis`` and ``place_new_frames`` over ``analysis``."""
    from types import SimpleNamespace

    def place_new_frames(raw: FakeAnalysis, logits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        frames = np.asarray(logits).shape[0]
        return np.linspace(0, 10, frames), np.linspace(10, 0, frames)

    return SimpleNamespace(
        load_analysis=lambda directory: analysis, place_new_frames=place_new_frames
    )
