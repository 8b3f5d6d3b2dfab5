from __future__ import annotations

import numpy as np
import pandas as pd

from crnn_core.analysis.confusion import confusable_pairs
from crnn_core.analysis.matching import contingency
from crnn_core.charset import Charset

CHARSET = Charset("0Omnrl1Io", name="test")
B = "∅"

# (image_id, t, greedy, top2, max_prob, second_prob, cluster); blank frames go to cluster 3.
FRAMES = [
    (0, 0, "r", B, 0.9, 0.05, 2), (0, 1, "n", B, 0.9, 0.05, 2), (0, 2, B, "0", 0.9, 0.05, 3),
    (0, 3, "0", "O", 0.6, 0.3, 0),
    (1, 0, "0", "O", 0.55, 0.4, 0), (1, 1, B, "0", 0.9, 0.05, 3), (1, 2, "O", "0", 0.5, 0.45, 0),
    (1, 3, B, "O", 0.9, 0.05, 3), (1, 4, "1", "l", 0.9, 0.05, 1), (1, 5, B, "1", 0.9, 0.05, 3),
    (1, 6, "1", "I", 0.9, 0.05, 1),
    (2, 0, "0", "O", 0.5, 0.2, 0), (2, 1, B, "0", 0.9, 0.05, 3), (2, 2, "O", B, 0.9, 0.05, 0),
    (2, 3, "0", "O", 0.9, 0.05, 0), (2, 4, B, "0", 0.9, 0.05, 3), (2, 5, "l", B, 0.9, 0.05, 1),
]  # fmt: skip
IMAGES = [(0, "m0", "rn0"), (1, "0O1l", "0O11"), (2, None, "0O0l")]


def make_inputs() -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    index = {ch: i for i, ch in enumerate([B, *CHARSET.characters])}
    image_id, t, greedy, top2, p1, p2, cluster = zip(*FRAMES, strict=True)
    frames = pd.DataFrame({
        "image_id": image_id, "t": t,
        "greedy_class": [index[c] for c in greedy], "top2_class": [index[c] for c in top2],
        "max_prob": p1, "margin": np.subtract(p1, p2), "cluster": cluster,
    })  # fmt: skip
    counts = np.bincount(frames["image_id"])
    images = pd.DataFrame({
        "image_id": [i for i, _, _ in IMAGES],
        "truth": pd.Series([truth for _, truth, _ in IMAGES], dtype="string"),
        "greedy_text": pd.Series([text for _, _, text in IMAGES], dtype="string"),
        "frame_start": np.concatenate([[0], np.cumsum(counts)[:-1]]), "n_frames": counts,
    })  # fmt: skip
    table = contingency(frames["cluster"], frames["greedy_class"], 4, CHARSET.num_classes)
    return frames, table, images


def test_pairs_ranked_with_each_kind_of_evidence() -> None:
    frames, table, images = make_inputs()
    pairs, _ = confusable_pairs(frames, table, images, CHARSET, min_top2_prob=0.1)
    rows = {(a, b): row for a, b, row in zip(pairs["char_a"], pairs["char_b"],
                                             pairs.to_dict("records"), strict=True)}  # fmt: skip
    assert list(pairs["rank"]) == list(range(len(pairs)))
    assert (pairs.loc[0, "char_a"], pairs.loc[0, "char_b"]) == ("0", "O")
    zero_o = rows[("0", "O")]
    # cluster 0 holds four "0" and two "O" frames; four hesitant frames (one below 0.1 ignored)
    assert zero_o["shared_cluster_frames"] == 2
    assert zero_o["top2_frames"] == 4
    assert (zero_o["a_top1_b_top2"], zero_o["b_top1_a_top2"]) == (3, 1)
    assert zero_o["substitutions"] == 0 and zero_o["evidence"] == 6
    assert (zero_o["frames_a"], zero_o["frames_b"]) == (4, 2)
    one_l = rows[("1", "l")]  # shares cluster 1, and truth "l" was read as "1" once
    assert (one_l["shared_cluster_frames"], one_l["substitutions"], one_l["evidence"]) == (1, 1, 2)
    assert rows[("m", "rn")]["substitutions"] == 1  # multi-character confusion
    assert ("1", "I") not in rows  # top-2 only at probability 0.05
    assert list(pairs["evidence"]) == sorted(pairs["evidence"], reverse=True)


def test_examples_point_at_the_evidence() -> None:
    frames, table, images = make_inputs()
    _, examples = confusable_pairs(frames, table, images, CHARSET, min_top2_prob=0.1)
    assert list(examples.columns) == ["rank", "char_a", "char_b", "kind", "image_id", "t"]
    zero_o = examples[(examples["char_a"] == "0") & (examples["char_b"] == "O")]
    shared = zero_o[zero_o["kind"] == "shared_cluster"]
    assert list(zip(shared["image_id"], shared["t"], strict=True)) == [(1, 2), (2, 2)]  # the "O"s
    top2 = zero_o[zero_o["kind"] == "top2"]
    hesitant_first = [(1, 2), (1, 0)]  # smallest margin first
    assert list(zip(top2["image_id"], top2["t"], strict=True))[:2] == hesitant_first
    subs = examples[examples["kind"] == "substitution"]
    found = set(zip(subs["char_a"], subs["char_b"], subs["image_id"], subs["t"], strict=True))
    assert found == {("m", "rn", 0, 0), ("1", "l", 1, 6)}


def test_case_only_flag_and_max_pairs() -> None:
    frames, table, images = make_inputs()
    images.loc[2, "truth"] = "0o0l"  # "O" read for truth "o": a case-only substitution
    pairs, _ = confusable_pairs(frames, table, images, CHARSET, max_pairs=2)
    assert len(pairs) == 2
    pairs, _ = confusable_pairs(frames, table, images, CHARSET)
    case = pairs[pairs["case_only"]]
    assert list(zip(case["char_a"], case["char_b"], strict=True)) == [("O", "o")]
