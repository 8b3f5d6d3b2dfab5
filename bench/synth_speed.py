"""Images/second of the synthetic generator on one core: default config vs the plain baseline.

Usage: python bench/synth_speed.py [--count 2000] [--charset 94_full] [--sheet PATH.png]
``--sheet`` also writes a contact sheet of 60 samples (for the README).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from PIL import Image

from crnn_core.charset import Charset
from crnn_core.data.synthetic import SynthConfig, SyntheticWordGenerator


def images_per_second(gen: SyntheticWordGenerator, count: int) -> tuple[float, float]:
    """(images per wall-clock second, images per CPU second of this process). The CPU figure
    is the one-core throughput even when other jobs share the machine."""
    gen.batch(10**6, min(500, count))  # warm font and texture caches
    wall, cpu = time.perf_counter(), time.process_time()
    gen.batch(0, count)
    return count / (time.perf_counter() - wall), count / (time.process_time() - cpu)


def contact_sheet(gen: SyntheticWordGenerator, count: int = 60, cols: int = 4) -> Image.Image:
    """Samples in a grid, each padded to 192 px wide (sample images are at most max_width)."""
    cell_w, cell_h = 200, 36
    rows = -(-count // cols)
    sheet = Image.new("L", (cols * cell_w, rows * cell_h), 255)
    for i in range(count):
        img, _ = gen.sample(i)
        tile = Image.fromarray(img)
        if tile.width > cell_w - 8:
            tile = tile.resize((cell_w - 8, 32))
        sheet.paste(tile, ((i % cols) * cell_w + 4, (i // cols) * cell_h + 2))
    return sheet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--charset", default="94_full")
    parser.add_argument("--sheet", default=None, help="write a 60-sample contact sheet PNG here")
    parser.add_argument("--seed", type=int, default=0, help="generator seed")
    args = parser.parse_args()
    charset = Charset.preset(args.charset)
    default = SyntheticWordGenerator(charset, seed=args.seed)
    plain = SyntheticWordGenerator(charset, seed=args.seed, config=SynthConfig.plain())
    n_fam = len(default.families)
    print(f"font families: {n_fam}, files: {sum(len(f) for f in default.families)}")
    plain_wall, plain_cpu = images_per_second(plain, args.count)
    default_wall, default_cpu = images_per_second(default, args.count)
    widths = np.array([default.sample(i)[0].shape[1] for i in range(200)])
    print("config    images/wall-s  images/CPU-s (one core)")
    print(f"plain     {plain_wall:13.1f}  {plain_cpu:12.1f}  (baseline)")
    ratio = default_cpu / plain_cpu
    print(f"default   {default_wall:13.1f}  {default_cpu:12.1f}  ({ratio:.2f}x plain)")
    print(f"default widths: mean {widths.mean():.0f}, min {widths.min()}, max {widths.max()}")
    if args.sheet:
        contact_sheet(default).save(args.sheet, optimize=True)
        print(f"wrote {args.sheet}")


if __name__ == "__main__":
    main()
