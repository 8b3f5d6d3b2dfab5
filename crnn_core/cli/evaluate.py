"""``python -m crnn_core evaluate --data SPEC...``: accuracy table (+ JSON / manifest record).

Entries a reader cannot use (missing or corrupt images, empty labels, characters outside the
model's charset) are skipped, counted by reason and listed under the table; a dataset with no
usable entry makes the command exit with status 1.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from crnn_core.cli.args import add_decoder_arguments, positive_int, read_lexicon

__all__ = ["register", "skipped_lines"]


def skipped_lines(results: Sequence[Any]) -> list[str]:
    """``name: skipped N of M (reason count, ...)`` for every dataset that skipped something."""
    lines = []
    for result in results:
        report = result.skipped
        if report.total:
            reasons = ", ".join(f"{k} {v}" for k, v in sorted(report.counts.items()))
            lines.append(f"{result.dataset}: skipped {report.total} ({reasons})")
    return lines


def _run(args: argparse.Namespace) -> int:
    from crnn_core.artifacts import load_manifest, load_recognizer
    from crnn_core.data.readers import open_source
    from crnn_core.evaluate import evaluate_source, format_table, to_json

    recognizer = load_recognizer(args.artifacts)
    lexicon = read_lexicon(args.lexicon)

    def predict_fn(images: Sequence[object]) -> list[tuple[str, float]]:
        preds = recognizer.predict(images, args.decoder, args.beam_width, lexicon=lexicon)  # type: ignore[arg-type]
        return [(p.text, p.confidence) for p in preds]

    results = []
    for spec in args.data:
        try:
            source = open_source(spec, charset=recognizer.charset)
        except (FileNotFoundError, ValueError) as exc:
            raise SystemExit(f"Cannot open dataset {spec}: {exc}") from exc
        results.append(evaluate_source(predict_fn, source, args.batch_size, limit=args.limit))
    decoder = "lexicon" if lexicon else args.decoder
    print(
        f"decoder: {decoder}"
        + (f" (beam width {args.beam_width})" if decoder.startswith("beam") else "")
    )
    print(format_table(results))
    for line in skipped_lines(results):
        print(line)
    if args.by:
        from crnn_core.breakdown import format_breakdown

        for result in results:
            for by in args.by:
                print(f"\n{result.dataset} by {by}:")
                print(format_breakdown(result.records, by))
    if args.error_places:
        from crnn_core.error_places import format_error_places

        for result in results:
            print(f"\n{result.dataset}, wrong words by where they differ from the truth (acc36):")
            print(format_error_places(result.records))
    if args.json or args.record:
        manifest = load_manifest(args.artifacts)
        extra = {
            "beam_width": args.beam_width if decoder.startswith("beam") else None,
            "lexicon": args.lexicon,
            "model_sha256": manifest["files"].get("model.keras"),
        }
        if args.json:
            Path(args.json).write_text(to_json(results, decoder, extra), "utf-8")
        if args.record:
            from crnn_core.artifacts import record_metrics
            from crnn_core.evaluate import to_dict

            command = shlex.join(["python", "-m", "crnn_core", *args.argv])
            report = to_dict(results, decoder, extra) | {"command": command}
            record_metrics(args.artifacts, args.record, report)
    empty = [r.dataset for r in results if r.scores.n == 0]
    if empty:
        print(f"error: no usable image in {', '.join(empty)}", file=sys.stderr)
        return 1
    return 0


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "evaluate", parents=[parent], help="accuracy table on labels.tsv folders / LMDBs"
    )
    parser.add_argument(
        "--data", nargs="+", required=True, help="[name=]path folders / LMDBs, or synthetic:N"
    )
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    parser.add_argument(
        "--record", default=None, metavar="KEY", help="store the figures in the manifest's metrics"
    )
    parser.add_argument("--batch-size", type=positive_int, default=64)
    parser.add_argument(
        "--limit", type=positive_int, default=None, help="first N images per dataset"
    )
    parser.add_argument(
        "--by",
        nargs="+",
        choices=["height", "length", "style"],
        default=[],
        help="also print accuracy by image height, word length or (synthetic) rendering style",
    )
    parser.add_argument(
        "--error-places",
        action="store_true",
        help="also count the wrong words by where they go wrong: only the first character, "
        "only the last (crops that cut a letter), one inside, or several",
    )
    add_decoder_arguments(parser)
    parser.set_defaults(func=_run)
