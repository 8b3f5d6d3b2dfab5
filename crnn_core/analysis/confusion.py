"""Confusable character pairs (0/O, 1/l/I, rn/m, ...): three kinds of evidence, ranked.

- ``shared_cluster_frames``: sum over clusters of ``min(frames labelled a, frames labelled b)``;
  frames the model labels differently but whose logits land in the same cluster.
- ``top2_frames``: frames whose best and second-best non-blank classes are {a, b}, with the
  second at least ``min_top2_prob`` likely (the model hesitated between them).
- ``substitutions``: word errors (greedy text vs truth, Levenshtein alignment) where truth ``a``
  was read as ``b``; ``a``/``b`` may be up to 3 characters, so "rn" -> "m" shows up here.

``evidence`` is the sum of the three; pairs are ranked by it. ``case_only`` marks pairs that are
the same letter in another case (they do not count as errors under acc36). Example frames are
``(image_id, t)``; for substitutions ``t`` is the first frame of the misread span (-1 if the
model emitted nothing there).
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import pandas as pd
from rapidfuzz.distance import Levenshtein

from crnn_core.analysis.export import class_display
from crnn_core.charset import BLANK_INDEX, Charset, acc36_normalize

__all__ = ["EXAMPLE_KINDS", "confusable_pairs"]

EXAMPLE_KINDS = ("shared_cluster", "top2", "substitution")
Pair = tuple[str, str]


def _key(a: str, b: str) -> Pair:
    return (a, b) if a <= b else (b, a)


def _shared(table: np.ndarray) -> np.ndarray:
    """``(classes, classes)`` upper-triangular sum over clusters of min(n_k(a), n_k(b))."""
    classes = table.shape[1]
    shared = np.zeros((classes, classes), dtype=np.int64)
    for row in table:
        present = np.flatnonzero(row)
        present = present[present != BLANK_INDEX]
        if present.size < 2:
            continue
        mins = np.minimum.outer(row[present], row[present])
        shared[np.ix_(present, present)] += np.triu(mins, k=1)
    return shared


def _char_starts(labels: np.ndarray) -> np.ndarray:
    """Frame index where each greedy character starts (a run of one non-blank label)."""
    change = np.ones(labels.size, dtype=bool)
    change[1:] = labels[1:] != labels[:-1]
    return np.flatnonzero(change & (labels != BLANK_INDEX))


def _substitutions(
    frames: pd.DataFrame, images: pd.DataFrame, max_len: int
) -> tuple[Counter[Pair], dict[Pair, list[tuple[int, int]]]]:
    counts: Counter[Pair] = Counter()
    where: dict[Pair, list[tuple[int, int]]] = defaultdict(list)
    greedy = frames["greedy_class"].to_numpy()
    wrong = images["truth"].notna() & (images["truth"] != images["greedy_text"]).fillna(False)
    scored = images[wrong.to_numpy(dtype=bool)]
    for image_id, truth, text, start, n in zip(
        scored["image_id"],
        scored["truth"],
        scored["greedy_text"],
        scored["frame_start"],
        scored["n_frames"],
        strict=True,
    ):
        starts = _char_starts(greedy[start : start + n])
        blocks: list[list[int]] = []
        for op in Levenshtein.opcodes(truth, text):
            if op.tag == "equal":
                blocks.append([])
            elif blocks and blocks[-1]:
                blocks[-1][1], blocks[-1][3] = op.src_end, op.dest_end
            else:
                blocks.append([op.src_start, op.src_end, op.dest_start, op.dest_end])
        for block in blocks:
            if not block:
                continue
            a1, a2, b1, b2 = block
            wrong, read = truth[a1:a2], text[b1:b2]
            if not wrong or not read or len(wrong) > max_len or len(read) > max_len:
                continue
            key = _key(wrong, read)
            counts[key] += 1
            t = int(starts[b1]) if b1 < starts.size else -1
            where[key].append((int(image_id), t))
    return counts, where


def confusable_pairs(
    frames: pd.DataFrame,
    table: np.ndarray,
    images: pd.DataFrame,
    charset: Charset,
    min_top2_prob: float = 0.1,
    max_pairs: int = 200,
    examples: int = 5,
    max_len: int = 3,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(pairs, examples)``: the ``max_pairs`` best-supported pairs (rank 0 = most evidence),
    and up to ``examples`` example frames per pair and kind."""
    names = class_display(charset)
    greedy = frames["greedy_class"].to_numpy()
    second = frames["top2_class"].to_numpy()
    p2 = (frames["max_prob"] - frames["margin"]).to_numpy()
    clusters = frames["cluster"].to_numpy()
    hesitant = (greedy != BLANK_INDEX) & (second != BLANK_INDEX) & (p2 >= min_top2_prob)
    directed = Counter(zip(greedy[hesitant].tolist(), second[hesitant].tolist(), strict=True))
    shared = _shared(table)
    subs, sub_where = _substitutions(frames, images, max_len)
    label_counts = np.bincount(greedy, minlength=len(names))

    evidence: dict[Pair, dict[str, int]] = defaultdict(Counter)
    for a, b in zip(*np.nonzero(shared), strict=True):
        evidence[_key(names[a], names[b])]["shared_cluster_frames"] += int(shared[a, b])
    for (a, b), count in directed.items():
        key = _key(names[a], names[b])
        evidence[key]["top2_frames"] += count
        evidence[key]["first_top1" if names[a] == key[0] else "second_top1"] += count
    for key, count in subs.items():
        evidence[key]["substitutions"] += count

    index = {ch: i for i, ch in enumerate(names)}
    rows = []
    for (a, b), found in evidence.items():
        n_a = int(label_counts[index[a]]) if a in index else 0
        n_b = int(label_counts[index[b]]) if b in index else 0
        norm = acc36_normalize(a)
        rows.append(
            {
                "char_a": a,
                "char_b": b,
                "shared_cluster_frames": found["shared_cluster_frames"],
                "top2_frames": found["top2_frames"],
                "a_top1_b_top2": found["first_top1"],
                "b_top1_a_top2": found["second_top1"],
                "substitutions": found["substitutions"],
                "evidence": found["shared_cluster_frames"]
                + found["top2_frames"]
                + found["substitutions"],
                "case_only": bool(norm) and norm == acc36_normalize(b) and a != b,
                "frames_a": n_a,
                "frames_b": n_b,
            }
        )
    columns = [
        "rank",
        "char_a",
        "char_b",
        "shared_cluster_frames",
        "top2_frames",
        "a_top1_b_top2",
        "b_top1_a_top2",
        "substitutions",
        "evidence",
        "case_only",
        "frames_a",
        "frames_b",
    ]
    pairs = pd.DataFrame(rows, columns=columns[1:])
    pairs = pairs.sort_values(["evidence", "char_a", "char_b"], ascending=[False, True, True])
    pairs = pairs.head(max_pairs).reset_index(drop=True)
    pairs.insert(0, "rank", np.arange(len(pairs), dtype=np.int32))
    for name in ("char_a", "char_b"):
        pairs[name] = pairs[name].astype("string")

    image_ids = frames["image_id"].to_numpy()
    ts = frames["t"].to_numpy()
    margins = frames["margin"].to_numpy()
    example_rows: list[tuple[int, str, str, str, int, int]] = []
    for rank, a, b in zip(pairs["rank"], pairs["char_a"], pairs["char_b"], strict=True):
        picked: dict[str, list[tuple[int, int]]] = {kind: [] for kind in EXAMPLE_KINDS}
        if a in index and b in index:
            ia, ib = index[a], index[b]
            overlap = np.minimum(table[:, ia], table[:, ib])
            if overlap.max() > 0:
                k = int(overlap.argmax())
                minority = ia if table[k, ia] <= table[k, ib] else ib
                rows_k = np.flatnonzero((clusters == k) & (greedy == minority))[:examples]
                picked["shared_cluster"] = [(int(image_ids[r]), int(ts[r])) for r in rows_k]
            pair_rows = np.flatnonzero(
                hesitant & (((greedy == ia) & (second == ib)) | ((greedy == ib) & (second == ia)))
            )
            pair_rows = pair_rows[np.argsort(margins[pair_rows], kind="stable")][:examples]
            picked["top2"] = [(int(image_ids[r]), int(ts[r])) for r in pair_rows]
        picked["substitution"] = sub_where.get((a, b), [])[:examples]
        for kind, found_at in picked.items():
            example_rows.extend((int(rank), a, b, kind, i, t) for i, t in found_at)
    example_frame = pd.DataFrame(
        example_rows, columns=["rank", "char_a", "char_b", "kind", "image_id", "t"]
    )
    example_frame = example_frame.astype(
        {
            "rank": np.int32,
            "char_a": "string",
            "char_b": "string",
            "kind": "string",
            "image_id": np.int32,
            "t": np.int32,
        }
    )
    return pairs, example_frame
