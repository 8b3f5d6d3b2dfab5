"""Cost of the colour → gray step: the principal-colour-axis projection vs Pillow's luminance.

Usage: python bench/gray_speed.py [--data ../shared/data/ic03_860] [--limit 300] [--repeats 5]
       [--photo-megapixels 12]

Rows, timed interleaved (``_common.interleaved``) on the same decoded RGB images:
  luminance         ``image.convert("L")``: what every colour file went through before;
  contrast_gray     ``crnn_core.grayscale.contrast_gray`` (what ``load_image`` does now);
  whole preprocess  ``to_gray_height(load_image(bytes))``: decode, gray, resize to 32 px.
``--data`` is a labelled folder (word crops as users upload them); ``--photo-megapixels`` adds one
random-noise photo of that size, the worst case an upload can bring (its statistics come from
a grid of about 65,536 of its pixels).
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import _common  # first: sets sys.path
import numpy as np
from _common import interleaved, machine_line, median, print_table
from PIL import Image

from crnn_core.grayscale import contrast_gray
from crnn_core.preprocess import load_image, to_gray_height


def _crops(folder: Path, limit: int) -> list[bytes]:
    paths = sorted((folder / "images").iterdir())[:limit]
    if not paths:
        raise SystemExit(f"No images under {folder / 'images'}.")
    return [path.read_bytes() for path in paths]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=_common.ROOT.parent / "shared/data/ic03_860")
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--photo-megapixels", type=float, default=12.0)
    args = parser.parse_args()

    encoded = _crops(args.data, args.limit)
    rgb = [Image.open(io.BytesIO(data)).convert("RGB") for data in encoded]
    pixels = int(median([im.width * im.height for im in rgb]))
    print(machine_line())
    print(f"{len(rgb)} crops from {args.data.name}, median {pixels:,} pixels\n")

    times = interleaved(
        {
            "luminance": lambda: [im.convert("L") for im in rgb],
            "contrast_gray": lambda: [contrast_gray(im) for im in rgb],
            "whole preprocess": lambda: [to_gray_height(load_image(d)) for d in encoded],
        },
        args.repeats,
        warmup=1,
    )
    base = median(times["luminance"].wall)
    rows = [
        [name, f"{median(t.wall) / len(rgb) * 1e3:.3f}", f"{median(t.wall) / base:.1f}×"]
        for name, t in times.items()
    ]
    print_table(["per crop", "ms (median)", "vs luminance"], rows)

    if args.photo_megapixels > 0:
        side = int((args.photo_megapixels * 1e6) ** 0.5)
        noise = np.random.default_rng(0).integers(0, 256, (side, side, 3), dtype=np.uint8)
        photo = Image.fromarray(noise)
        big = interleaved(
            {
                "luminance": lambda: photo.convert("L"),
                "contrast_gray": lambda: contrast_gray(photo),
            },
            args.repeats,
            warmup=1,
        )
        base = median(big["luminance"].wall)
        print(f"\none {side}×{side} photo ({side * side / 1e6:.1f} MP)")
        print_table(
            ["photo", "ms (median)", "vs luminance"],
            [
                [name, f"{median(t.wall) * 1e3:.1f}", f"{median(t.wall) / base:.1f}×"]
                for name, t in big.items()
            ],
        )


if __name__ == "__main__":
    main()
