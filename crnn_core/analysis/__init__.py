"""What the CTC model learned, from its per-frame logits (issue 5). No Streamlit here.

Modules, one job each:

- ``inputs``: ``--data`` specs (labels.tsv folder, LMDB, ``synthetic:N``) → model-input images
- ``export``: float16 features (logits - frame max), frame statistics, images/frames tables
- ``clustering``: standardization, KMeans, purity, silhouette (sample independent of the fit)
- ``matching``: cluster × class contingency table, Hungarian cluster ↔ character matching (a
  character must hold a minimum share and count of a cluster to name it)
- ``views``: the two clusterings (all frames; non-blank frames on their own) and their scores
  with trivial baselines (one cluster, random assignment, random labels)
- ``confusion``: ranked confusable character pairs with example frames
- ``projection``: UMAP map and nearest-reference placement of new frames
- ``pipeline``: the whole run, stage timings, ``summary.json``
- ``io`` / ``loader``: the folder format; ``load_analysis`` and ``place_new_frames`` for the app
- ``command``: ``python -m crnn_core analyze``
"""

from __future__ import annotations

from typing import Any

__all__ = ["Analysis", "assign_clusters", "load_analysis", "place_new_frames"]


def __getattr__(name: str) -> Any:
    """Import the loader on first use, so ``python -m crnn_core predict`` does not pay for
    pandas/sklearn just because the CLI registers the ``analyze`` command."""
    if name in __all__:
        from crnn_core.analysis import loader

        return getattr(loader, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
