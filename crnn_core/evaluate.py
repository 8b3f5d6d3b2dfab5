"""Run a recognizer over labelled datasets: per-dataset scores, a PARSeq-style table, JSON.

The recognizer is any ``predict_fn(images) -> [(text, confidence)]`` so this module never imports
the model: ``Recognizer.predict``, a baseline engine or a test fake all fit.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from PIL import Image
from tqdm import tqdm

from crnn_core.charset import acc36_normalize
from crnn_core.data.readers import LabeledSource, Sample, SkipReport
from crnn_core.metrics import RecognitionScores, score

__all__ = [
    "EvaluationResult",
    "PredictFn",
    "SampleRecord",
    "combined_scores",
    "error_cases",
    "evaluate_source",
    "format_table",
    "to_dict",
    "to_json",
]

PredictFn = Callable[[list[Image.Image]], Sequence[tuple[str, float]]]
"""Images (any size, mode ``L``) -> one ``(text, confidence in [0, 1])`` per image, in order."""


@dataclass(frozen=True)
class SampleRecord:
    """One prediction, kept for error analysis. ``correct_acc36`` is None when excluded."""

    index: int
    key: str
    truth: str
    prediction: str
    confidence: float
    correct_acc36: bool | None
    correct_case: bool
    height: int = 0  # of the image as stored (before resizing to the model's 32 px)
    style: str = ""  # rendering style, known for synthetic data only


@dataclass
class EvaluationResult:
    """Scores of one dataset plus every per-sample record and what the reader skipped."""

    dataset: str
    scores: RecognitionScores
    records: list[SampleRecord] = field(default_factory=list)
    skipped: SkipReport = field(default_factory=SkipReport)

    @property
    def seconds(self) -> float:
        """Time spent inside ``predict_fn``."""
        return self.scores.ms_per_word * self.scores.n / 1000.0 if self.scores.n else 0.0


def _batches(samples: Iterator[Sample], size: int) -> Iterator[list[Sample]]:
    batch: list[Sample] = []
    for sample in samples:
        batch.append(sample)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _record(sample: Sample, prediction: str, confidence: float, style: str = "") -> SampleRecord:
    truth36 = acc36_normalize(sample.text)
    return SampleRecord(
        index=sample.index,
        key=sample.key,
        truth=sample.text,
        prediction=prediction,
        confidence=confidence,
        correct_acc36=(acc36_normalize(prediction) == truth36) if truth36 else None,
        correct_case=prediction == sample.text,
        height=sample.image.height,
        style=style,
    )


def evaluate_source(
    predict_fn: PredictFn,
    source: LabeledSource,
    batch_size: int = 64,
    progress: bool = True,
    limit: int | None = None,
) -> EvaluationResult:
    """Predict every readable sample of ``source`` (the first ``limit`` if given) and score it.

    ``ms_per_word`` times only ``predict_fn`` (pre-processing and decoding inside it count; image
    file decoding by the reader does not).
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1; got {batch_size}.")
    total = len(source) if limit is None else min(limit, len(source))
    records: list[SampleRecord] = []
    seconds = 0.0
    samples = source.samples(range(total))
    with tqdm(total=total, desc=source.name, unit="word", disable=not progress) as bar:
        for batch in _batches(samples, batch_size):
            images = [sample.image for sample in batch]
            start = time.perf_counter()
            outputs = list(predict_fn(images))
            seconds += time.perf_counter() - start
            if len(outputs) != len(batch):
                raise ValueError(
                    f"predict_fn returned {len(outputs)} results for {len(batch)} images; it must "
                    "return one (text, confidence) per image, in order."
                )
            style = getattr(source, "style", None)
            records.extend(
                _record(s, str(t), float(c), style(s.index) if style else "")
                for s, (t, c) in zip(batch, outputs, strict=True)
            )
            bar.update(batch[-1].index + 1 - bar.n)
    pairs = [(r.prediction, r.truth) for r in records]
    scores = score(pairs, [r.confidence for r in records], seconds)
    return EvaluationResult(source.name, scores, records, source.skipped)


def error_cases(
    result: EvaluationResult, k: int = 20, protocol: str = "acc36"
) -> list[SampleRecord]:
    """The ``k`` most confident mistakes (``protocol`` ``"acc36"`` or ``"case"``).

    Confident mistakes first: they are the surprising ones (label noise, systematic confusions).
    """
    if protocol not in ("acc36", "case"):
        raise ValueError(f"protocol must be 'acc36' or 'case'; got {protocol!r}.")
    if protocol == "acc36":
        wrong = [r for r in result.records if r.correct_acc36 is False]
    else:
        wrong = [r for r in result.records if not r.correct_case]
    return sorted(wrong, key=lambda r: (-r.confidence, r.index))[:k]


def combined_scores(results: Sequence[EvaluationResult]) -> RecognitionScores:
    """Pool every sample of ``results`` (PARSeq's "Combined": weighted by sample count)."""
    records = [r for result in results for r in result.records]
    seconds = sum(result.seconds for result in results)
    return score(
        [(r.prediction, r.truth) for r in records], [r.confidence for r in records], seconds
    )


def _pct(value: float, digits: int = 2) -> str:
    return "—" if math.isnan(value) else f"{100 * value:.{digits}f}"


def markdown_table(header: Sequence[object], rows: Sequence[Sequence[object]]) -> str:
    """Markdown table, first column left-aligned and the rest right-aligned (numbers)."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: list[str]) -> str:
        parts = [
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "| " + " | ".join(parts) + " |"

    rule = (
        "|"
        + "|".join("-" * (w + 1) + ":" if i else ":" + "-" * (w + 1) for i, w in enumerate(widths))
        + "|"
    )
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def format_table(results: Sequence[EvaluationResult]) -> str:
    """Markdown table: one row per dataset, plus a pooled "Combined" row if there are several."""
    header = ["Dataset", "# samples", "acc36 %", "acc_case %", "1 - NED %", "conf %", "ms/word"]
    rows: list[tuple[str, RecognitionScores]] = [(r.dataset, r.scores) for r in results]
    if len(results) > 1:
        rows.append(("Combined", combined_scores(results)))
    body = [
        [
            name,
            str(s.n),
            _pct(s.acc36),
            _pct(s.acc_case),
            _pct(s.one_minus_ned),
            _pct(s.mean_confidence, 1),
            "—" if math.isnan(s.ms_per_word) else f"{s.ms_per_word:.2f}",
        ]
        for name, s in rows
    ]
    return markdown_table(header, body)


def _entry(scores: RecognitionScores, skipped: SkipReport | None) -> dict[str, Any]:
    data = scores.to_dict()
    entry: dict[str, Any] = {
        key: data[key]
        for key in ("n", "acc36", "acc_case", "one_minus_ned", "cer", "mean_confidence")
    }
    entry["ms_per_word"] = data["ms_per_word"]
    entry["n_acc36_excluded"] = data["n_excluded"]
    if skipped is not None:
        entry["skipped"] = skipped.total
        entry["skipped_by_reason"] = dict(skipped.counts)
    return entry


def to_dict(
    results: Sequence[EvaluationResult], decoder: str, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """JSON-ready report. Rates (``acc36``, ``acc_case``, ``one_minus_ned``, ``cer``,
    ``mean_confidence``) are fractions in [0, 1], not percentages; ``null`` means "nothing to
    score". ``extra`` keys (artifact hash, charset, ...) are added at the top level.
    """
    report: dict[str, Any] = {
        "decoder": decoder,
        "datasets": {r.dataset: _entry(r.scores, r.skipped) for r in results},
    }
    if len(results) > 1:
        combined = _entry(combined_scores(results), None)
        combined["skipped"] = sum(r.skipped.total for r in results)
        report["combined"] = combined
    clash = set(report) & set(extra or {})
    if clash:
        raise ValueError(f"extra must not override report keys {sorted(clash)}.")
    report.update(extra or {})
    return report


def to_json(
    results: Sequence[EvaluationResult], decoder: str, extra: dict[str, Any] | None = None
) -> str:
    """``to_dict`` serialised (strict JSON: no NaN, UTF-8 kept readable)."""
    return json.dumps(
        to_dict(results, decoder, extra), indent=2, ensure_ascii=False, allow_nan=False
    )
