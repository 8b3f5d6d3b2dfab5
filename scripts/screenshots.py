"""Screenshots of every dashboard page for the README, taken in Debian's Chromium.

    python scripts/screenshots.py [--artifacts artifacts] [--out docs/screenshots] [--timings]

Starts ``streamlit run dashboard/app.py`` on a free port (``CRNN_ARTIFACTS`` = ``--artifacts``),
uploads a rendered word on Recognize, switches to beam search, then visits Clusters, Evaluation
and Model, saving one PNG per page (palette-quantised to stay under ~300 KB). ``--timings``
also prints upload → prediction-visible and Clusters first-paint times (warm server, the same
browser driving as ``tests/e2e``).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests" / "e2e")]

import numpy as np  # noqa: E402
from browser import (  # noqa: E402
    choose_beam,
    chromium_page,
    open_app,
    open_page,
    streamlit_server,
    upload,
    wait_for_plot,
    wait_idle,
    whole_page,
)
from PIL import Image  # noqa: E402

MAX_BYTES = 300_000


def word_image(characters: str, index: int, seed: int = 11) -> bytes:
    """PNG bytes of synthetic word ``index`` rendered for the model's charset."""
    from crnn_core.charset import Charset
    from crnn_core.data.synthetic import SyntheticWordGenerator

    image, _ = SyntheticWordGenerator(Charset(characters), seed=seed).sample(index)
    buffer = io.BytesIO()
    Image.fromarray(image, mode="L").save(buffer, format="PNG")
    return buffer.getvalue()


def save_small(png: bytes, path: Path, max_height: int = 4000) -> int:
    """Trim the empty bottom, crop to ``max_height``, quantise (fewer colours, then smaller)
    until under MAX_BYTES; returns the file size."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    main = image.crop((image.width // 4, 0, image.width, image.height)).convert("L")
    rows = np.flatnonzero(np.asarray(main).min(axis=1) < 250)  # rows with any content
    bottom = int(rows[-1]) + 40 if rows.size else image.height
    image = image.crop((0, 0, image.width, min(image.height, bottom, max_height)))
    for colours, scale in ((128, 1.0), (64, 1.0), (64, 0.8), (32, 0.7)):
        shown = (
            image
            if scale == 1.0
            else image.resize(
                (int(image.width * scale), int(image.height * scale)), Image.Resampling.LANCZOS
            )
        )
        buffer = io.BytesIO()
        shown.quantize(colours, method=Image.Quantize.MEDIANCUT).save(buffer, "PNG", optimize=True)
        if buffer.tell() <= MAX_BYTES:
            break
    path.write_bytes(buffer.getvalue())
    return buffer.tell()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = os.environ.get("CRNN_ARTIFACTS") or str(REPO / "artifacts")
    parser.add_argument("--artifacts", default=default, help="model (+ analysis/) directory")
    parser.add_argument("--out", default=str(REPO / "docs" / "screenshots"))
    parser.add_argument("--word", type=int, default=2, help="index of the synthetic word to upload")
    parser.add_argument("--timings", action="store_true", help="also measure page speed")
    args = parser.parse_args(argv)
    from crnn_core.artifacts import load_manifest

    artifacts, out = Path(args.artifacts).resolve(), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    characters = load_manifest(artifacts)["charset"]["characters"]
    log = Path(tempfile.mkdtemp(prefix="screenshots-")) / "streamlit.log"
    with streamlit_server(artifacts, log) as url, chromium_page(1400, 1000) as page:
        open_app(page, url)
        upload(page, "word.png", word_image(characters, args.word))
        wait_idle(page)
        choose_beam(page)
        page.wait_for_selector("[data-testid='stPlotlyChart'] .main-svg")
        page.wait_for_timeout(800)
        shots = {"recognize": whole_page(page)}
        for title in ("Clusters", "Evaluation", "Model"):
            open_page(page, title)
            wait_idle(page)
            if page.locator("[data-testid='stPlotlyChart']").count():
                wait_for_plot(page)
            page.wait_for_timeout(1200)  # WebGL points and fonts settle
            shots[title.lower()] = whole_page(page)
        for name, png in shots.items():
            size = save_small(png, out / f"{name}.png")
            print(f"{out / f'{name}.png'}: {size / 1000:.0f} KB")
        if args.timings:
            measure(page, url, characters)
    return 0


def show_all_frames(page: Any) -> float:
    """Untick "Hide blank frames"; seconds until the map shows every mapped frame."""
    start = time.perf_counter()
    page.get_by_text("Hide blank frames", exact=True).click()
    page.wait_for_function(
        r"""() => [...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
            .some(e => /([0-9,]+) frames shown \(\1 of/.test(e.textContent))""",
        polling=50,
    )
    wait_for_plot(page)
    wait_idle(page)
    return time.perf_counter() - start


def measure(page: Any, url: str, characters: str, repeats: int = 5) -> None:
    """Upload → prediction visible, Clusters first paint, and the redraw with every frame
    (blank included), each in a fresh session on the warm server; prints medians."""
    results: dict[str, list[float]] = {
        "upload -> prediction visible": [],
        "Clusters first paint": [],
        "all frames redraw": [],
    }
    for i in range(repeats):
        open_app(page, url)
        page.wait_for_timeout(1500)  # a user needs a moment to pick a file
        data = word_image(characters, 100 + i)
        results["upload -> prediction visible"].append(upload(page, f"w{i}.png", data))
        wait_idle(page)
        page.wait_for_timeout(2000)  # the user reads the result before moving on
        start = time.perf_counter()
        open_page(page, "Clusters")
        wait_for_plot(page)
        results["Clusters first paint"].append(time.perf_counter() - start)
        wait_idle(page)
        results["all frames redraw"].append(show_all_frames(page))
    for label, times in results.items():
        runs = ", ".join(f"{t:.2f}" for t in times)
        print(f"{label + ':':30s} median {statistics.median(times):.2f} s (runs: {runs})")


if __name__ == "__main__":
    raise SystemExit(main())
