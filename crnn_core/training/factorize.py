"""Low-rank 3x3 convolutions: a cheaper CRNN started from a trained full-conv one.

The shipped model's last conv layers cost most of its inference time (conv5 alone, 256 -> 256
channels, about 35 %; bench/infer_latency.py). A 3x3 conv is one linear map from the 9 * C_in
values of a patch to C_out channels; its kernel reshaped to ``(9 * C_in, C_out)`` has a singular
value decomposition ``U S V^T``. Keeping the top ``r`` singular values gives the best rank-r map
(Eckart-Young), written as two ordinary convs: a 3x3 conv to ``r`` channels (``U_r sqrt(S_r)``)
and a 1x1 conv to ``C_out`` (``sqrt(S_r) V_r^T``), which cost ``r * (9 C_in + C_out)`` instead of
``9 C_in C_out`` multiply-adds per position. At full rank the pair computes the same conv; below
it the model changes a little, and training (``--init-from``) recovers what the truncation lost.
"""

from __future__ import annotations

import numpy as np

__all__ = ["factorize_kernel", "kept_energy"]


def _singular(kernel: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if kernel.ndim != 4:
        raise ValueError(f"expected a (kh, kw, cin, cout) conv kernel; got shape {kernel.shape}")
    kh, kw, cin, cout = kernel.shape
    u, s, vt = np.linalg.svd(kernel.reshape(kh * kw * cin, cout).astype(np.float64), False)
    return u, s, vt


def factorize_kernel(kernel: np.ndarray, rank: int) -> tuple[np.ndarray, np.ndarray]:
    """``(basis, mix)`` with shapes ``(kh, kw, cin, rank)`` and ``(1, 1, rank, cout)`` whose
    composition is the best rank-``rank`` approximation of ``kernel`` (exact at full rank)."""
    kh, kw, cin, cout = kernel.shape
    if not 0 < rank <= min(kh * kw * cin, cout):
        raise ValueError(f"rank must be in 1..{min(kh * kw * cin, cout)}; got {rank}")
    u, s, vt = _singular(kernel)
    root = np.sqrt(s[:rank])
    basis = (u[:, :rank] * root).reshape(kh, kw, cin, rank)
    mix = (root[:, None] * vt[:rank]).reshape(1, 1, rank, cout)
    return basis.astype(kernel.dtype), mix.astype(kernel.dtype)


def kept_energy(kernel: np.ndarray, rank: int) -> float:
    """Share of the kernel's squared Frobenius norm that the rank-``rank`` factors keep."""
    s = _singular(kernel)[1]
    return float(np.sum(s[:rank] ** 2) / np.sum(s**2))
