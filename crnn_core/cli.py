"""Command line: ``python -m crnn_core {predict,evaluate,export,analyze}``.

Each sub-command is a ``register(subparsers)`` function that sets ``func`` on its parser, so a
command lives next to the code it drives (the analysis command is in ``crnn_core.analysis``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from crnn_core.artifacts import DEFAULT_ARTIFACTS, ArtifactError
from crnn_core.decode import DECODERS

__all__ = ["add_decoder_arguments", "main", "positive_int", "read_lexicon"]


def positive_int(text: str) -> int:
    """argparse type for counts that must be at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def add_decoder_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--artifacts", default=str(DEFAULT_ARTIFACTS), help="model directory")
    parser.add_argument(
        "--decoder",
        choices=list(DECODERS),
        default="greedy",
        help="beam_lm: beam search fused with an English character 4-gram LM (never forces a word)",
    )
    parser.add_argument("--beam-width", type=positive_int, default=10)
    parser.add_argument("--lexicon", default=None, help="file with one candidate word per line")


def read_lexicon(path: str | None) -> list[str] | None:
    if not path:
        return None
    try:
        words = [w.strip() for w in Path(path).read_text("utf-8").splitlines()]
    except (OSError, UnicodeDecodeError) as exc:
        raise SystemExit(f"Cannot read lexicon {path}: {exc}") from exc
    words = [w for w in words if w]
    if not words:
        raise SystemExit(f"Lexicon {path} has no words (one word per line).")
    return words


def _predict(args: argparse.Namespace) -> int:
    from crnn_core.artifacts import load_recognizer
    from crnn_core.preprocess import ImageLoadError, load_image

    recognizer = load_recognizer(args.artifacts)
    lexicon = read_lexicon(args.lexicon)
    status = 0
    for path in args.images:
        try:
            image = load_image(path)
        except ImageLoadError as exc:
            print(f"{path}\tERROR\t{exc}")
            status = 1
            continue
        (pred,) = recognizer.predict([image], args.decoder, args.beam_width, lexicon=lexicon)
        print(f"{path}\t{pred.text}\t{pred.confidence:.3f}")
    return status


def _evaluate(args: argparse.Namespace) -> int:
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
            source = open_source(spec)
        except (FileNotFoundError, ValueError) as exc:
            raise SystemExit(f"Cannot open dataset {spec}: {exc}") from exc
        results.append(evaluate_source(predict_fn, source, args.batch_size, limit=args.limit))
    decoder = "lexicon" if lexicon else args.decoder
    print(
        f"decoder: {decoder}"
        + (f" (beam width {args.beam_width})" if decoder.startswith("beam") else "")
    )
    print(format_table(results))
    if args.by:
        from crnn_core.breakdown import format_breakdown

        for result in results:
            for by in args.by:
                print(f"\n{result.dataset} by {by}:")
                print(format_breakdown(result.records, by))
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
    return 0


def _export(args: argparse.Namespace) -> int:
    from crnn_core.artifacts import export_run

    extra = json.loads(Path(args.metrics).read_text()) if args.metrics else None
    manifest = export_run(
        args.run_dir,
        args.out,
        args.weights,
        serving=args.serving,
        extra_info={"metrics": extra} if extra else None,
    )
    print(
        f"Exported {args.run_dir} ({args.weights}) to {args.out}: "
        f"{manifest['model']['parameters']:,} parameters"
    )
    return 0


def _register_core(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    predict = sub.add_parser("predict", help="print text and confidence per image")
    predict.add_argument("images", nargs="+")
    add_decoder_arguments(predict)
    predict.set_defaults(func=_predict)

    evaluate = sub.add_parser("evaluate", help="accuracy table on labels.tsv folders / LMDBs")
    evaluate.add_argument("--data", nargs="+", required=True)
    evaluate.add_argument("--json", default=None, help="also write the figures to this file")
    evaluate.add_argument(
        "--record", default=None, metavar="KEY", help="store the figures in the manifest's metrics"
    )
    evaluate.add_argument("--batch-size", type=int, default=64)
    evaluate.add_argument("--limit", type=int, default=None, help="first N images per dataset")
    evaluate.add_argument(
        "--by",
        nargs="+",
        choices=["height", "length", "style"],
        default=[],
        help="also print accuracy by image height, word length or (synthetic) rendering style",
    )
    add_decoder_arguments(evaluate)
    evaluate.set_defaults(func=_evaluate)

    export = sub.add_parser("export", help="write a training run as an artifacts directory")
    export.add_argument("--run-dir", required=True)
    export.add_argument("--out", default=str(DEFAULT_ARTIFACTS))
    export.add_argument("--weights", choices=["best", "final"], default="best")
    export.add_argument("--serving", action="store_true", help="also write a TF SavedModel")
    export.add_argument("--metrics", default=None, help="evaluation JSON to record in the manifest")
    export.set_defaults(func=_export)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m crnn_core", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    _register_core(sub)
    from crnn_core.analysis.command import register as register_analysis

    register_analysis(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.argv = argv
    try:
        return int(args.func(args))
    except ArtifactError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
