"""The model loads in the background (dashboard.model_preload) and the Recognize page's inputs
need no Keras import, so a cold first page is drawn before TensorFlow is imported."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from dashboard import health, model_preload

REPO = Path(__file__).resolve().parent.parent


def test_one_load_per_folder_and_stamp_and_a_failed_load_is_retried() -> None:
    calls: list[int] = []
    gate = threading.Event()

    def load() -> int:
        gate.wait(10)
        calls.append(1)
        if len(calls) == 1:
            raise OSError("disk hiccup")
        return len(calls)

    first = model_preload.start("/tmp/preload-test", 1.0, load)
    assert model_preload.start("/tmp/preload-test", 1.0, load) is first  # still running
    gate.set()
    assert isinstance(first.exception(timeout=10), OSError)
    assert model_preload.result("/tmp/preload-test", 1.0, load) == 2  # failure not kept
    assert model_preload.result("/tmp/preload-test", 1.0, load) == 2  # success kept
    assert model_preload.result("/tmp/preload-test", 2.0, load) == 3  # a new stamp reloads


def test_the_recognize_pages_modules_import_without_keras() -> None:
    modules = [
        "dashboard.services", "dashboard.ui", "dashboard.recognition", "dashboard.figure_cache",
        "dashboard.components.inputs", "dashboard.components.reading",
        "dashboard.components.forced_alignment", "dashboard.components.crop_controls",
    ]  # fmt: skip
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules)
    code += "print(sorted(m for m in ('keras', 'tensorflow') if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_health_uses_the_artifact_file_names() -> None:
    from crnn_core import artifacts

    assert (health.MODEL_FILE, health.MANIFEST_FILE) == (
        artifacts.MODEL_FILE,
        artifacts.MANIFEST_FILE,
    )
