"""TensorFlow's oneDNN kernels are on wherever crnn_core is imported first, unless the user says no.

TensorFlow enables them by default only on AVX-512-class CPUs; on AVX2-only hosts they are worth
1.2-1.4x (bench/README.md). A subprocess each: the setting only counts before TensorFlow loads.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROBE = (
    "import os, crnn_core.model\n"
    "from tensorflow.python.util import _pywrap_util_port as port\n"
    "print(os.environ['TF_ENABLE_ONEDNN_OPTS'], port.IsMklEnabled())\n"
)


def _probe(setting: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "TF_ENABLE_ONEDNN_OPTS"}
    env.update(PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3")
    if setting is not None:
        env["TF_ENABLE_ONEDNN_OPTS"] = setting
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize(("setting", "expected"), [(None, "1 True"), ("0", "0 False")])
def test_onednn_on_by_default_and_the_users_choice_wins(setting: str | None, expected: str) -> None:
    assert _probe(setting) == expected
