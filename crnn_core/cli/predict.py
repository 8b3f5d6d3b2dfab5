"""``python -m crnn_core predict IMAGE...``: one ``path<TAB>text<TAB>confidence`` line per image."""

from __future__ import annotations

import argparse

from crnn_core.cli.args import add_decoder_arguments, read_lexicon

__all__ = ["register"]


def _run(args: argparse.Namespace) -> int:
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


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("predict", parents=[parent], help="print text and confidence per image")
    parser.add_argument("images", nargs="+")
    add_decoder_arguments(parser)
    parser.set_defaults(func=_run)
