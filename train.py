"""Train the CRNN (thin CLI; the logic lives in ``crnn_core.training``).

Example (the shipped model's recipe is recorded in artifacts/manifest.json):
    python train.py --run-dir runs/base --steps 20000 --data synthetic=0.8 \
        ../shared/data/iiit5k_train=0.2 --val ../shared/data/ic03_860
"""

from __future__ import annotations

import sys

from crnn_core.training.cli import main

if __name__ == "__main__":
    sys.exit(main())
