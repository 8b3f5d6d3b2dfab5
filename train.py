"""Train the CRNN: a thin entry (arguments: ``crnn_core.cli.train``; loop: ``crnn_core.training``).

Example (the shipped model's recipe is recorded in artifacts/manifest.json):
    python train.py --run-dir runs/base --steps 20000 --variant crnn_separable \
        --data synthetic=0.8 ../shared/data/iiit5k_train=0.2 --val ../shared/data/ic03_860
"""

from __future__ import annotations

import sys

from crnn_core.cli.train import main

if __name__ == "__main__":
    sys.exit(main())
