"""Dashboard speed in a real browser (issues 11 and 12): prints each figure, its target, pass/fail.

    python bench/dashboard_speed.py [--artifacts artifacts] [--big-analysis DIR] [--repeats 5]
        [--cold-repeats 2] [--only NAME ...]

Starts ``streamlit run dashboard/app.py`` on ``--artifacts`` (``tests/e2e/browser.py``: free port,
Debian's Chromium through Playwright, headless) and drives it as a user would. Every figure is
the median over repeats, each repeat in a fresh browser session on the same server ("warm"),
except the cold ones, which each get a freshly started server.

**Page settled** (the end point of every figure unless said otherwise) means, all at once:
Streamlit's app root reports ``data-test-script-state="notRunning"`` *after* a script run started
by the action (a MutationObserver counts runs, so an old page never counts as settled); no element
is stale (``data-stale="true"``), no spinner and no status widget is shown; every *visible*
Plotly chart (``stPlotlyChart``) has drawn its ``.main-svg``; and then two animation frames have
passed, so the browser has painted it. Charts inside a hidden tab do not count.

Figures:
  first page (cold)      server healthy -> Recognize title and uploader visible (the model may
                         still be loading); also printed: a word uploaded as soon as the
                         uploader shows -> its prediction visible (waits for the model)
  upload -> settled      choose a rendered word in the uploader -> page settled (prediction and
                         alignment chart drawn); also printed: until the prediction is visible
  greedy <-> beam        click the other decoder -> page settled showing the new decoder
  zip of 200 images      upload a 200-image labelled zip on "Your data" -> per-dataset table
                         shown and settled; a progress bar must have been shown meanwhile
  Clusters first paint   click "Clusters" in the navigation -> UMAP map drawn (cold: first
                         visit after server start, analysis not loaded yet); also: settled
  box select -> details  drag a box over the map -> "Selection · N frames" shown and settled
                         (the drag itself included: plotly redraws the box on every mouse move)
  box release -> details the same run, timed from the mouse release that completes the box
                         (what a user waits for once the selection is made)
  recolour               pick another "Colour by" -> page settled
                         (maps of more than 2,000 frames are drawn as a picture by default)
  points: ...            the baseline, same session: switch on "Draw every point" (timed until
                         the map of points is drawn), then box select and recolour on it
  100k: first paint      the same on ``--big-analysis`` (an analysis folder of ~100k frames,
                         e.g. ``python -m crnn_core analyze --data synthetic:3700 --out DIR``)

The machine, its load average and the CPU model are printed with the figures: on a busy
machine absolute times are inflated, so compare them with the load they were taken under.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import _common  # first: repository on sys.path
from _common import machine_line

REPO = _common.ROOT
sys.path.insert(0, str(REPO / "tests" / "e2e"))

from browser import (  # noqa: E402
    chromium_page,
    open_app,
    streamlit_server,
    upload,
    wait_for_plot,
)

# Counts finished script runs and progress bars, from the moment it is armed. A run is counted
# from the record of its "running" -> other change (attributeOldValue), not by reading the
# attribute in the callback: a fast run's two changes arrive in one batch, and by then the
# attribute says "notRunning" for both, so such runs were missed and a wait could hang.
ARM = """() => {
  window.__runs = 0; window.__progress = 0;
  if (window.__observer) return;
  window.__observer = new MutationObserver(records => {
    for (const r of records) {
      if (r.type === 'attributes' && r.oldValue === 'running' &&
          r.target.getAttribute('data-test-script-state') !== 'running')
        window.__runs += 1;
      for (const n of r.addedNodes || [])
        if (n.nodeType === 1 && (n.matches('[data-testid="stProgress"]') ||
            n.querySelector('[data-testid="stProgress"]'))) window.__progress += 1;
    }
  });
  window.__observer.observe(document.body, {childList: true, subtree: true, attributes: true,
    attributeOldValue: true, attributeFilter: ['data-test-script-state']});
}"""
SETTLED = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if ((window.__runs || 0) < 1) return false;
  if (document.querySelector('[data-stale="true"], [data-testid="stSpinner"], '
      + '[data-testid="stStatusWidget"]')) return false;
  return [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
    .filter(c => c.getClientRects().length > 0)
    .every(c => c.querySelector('.main-svg'));
}"""
TWO_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
UPLOADER = "[data-testid='stFileUploader']"
FRESH_PLOT = (
    "[data-testid='stElementContainer']:not([data-stale='true']) "
    "[data-testid='stPlotlyChart'] .js-plotly-plot .main-svg"
)


@dataclass
class Figure:
    """One measured figure: its runs, the target (seconds) and what the target is for."""

    label: str
    target: float | None
    runs: list[float] = field(default_factory=list)
    note: str = ""

    def add(self, seconds: float) -> None:
        """Record one run and print it at once (a long bench shows its progress)."""
        self.runs.append(seconds)
        print(f"  {self.label}: {seconds:.2f} s", flush=True)

    def line(self) -> str:
        if not self.runs:
            return f"{self.label:34s} not measured {self.note}".rstrip()
        mid = statistics.median(self.runs)
        runs = ", ".join(f"{t:.2f}" for t in self.runs)
        verdict = "" if self.target is None else (
            f" target <= {self.target:g} s  {'PASS' if mid <= self.target else 'FAIL'}"
        )  # fmt: skip
        return f"{self.label:34s} median {mid:6.2f} s{verdict}  (runs: {runs}) {self.note}".rstrip()


@contextmanager
def browser() -> Iterator[Any]:
    """``chromium_page`` with a 5-minute default wait: a loaded machine is slow, not broken."""
    with chromium_page() as page:
        page.set_default_timeout(300_000)
        yield page


def arm(page: Any) -> None:
    page.evaluate(ARM)


def wait_settled(page: Any, timeout_ms: float = 180_000) -> None:
    """Wait until the page is settled (module docstring), then two painted frames."""
    page.wait_for_function(SETTLED, polling=30, timeout=timeout_ms)
    page.evaluate(TWO_FRAMES)


def timed(page: Any, action: Callable[[], object], done: Callable[[], object]) -> float:
    """Seconds from ``action`` to ``done`` returning, then the page settled."""
    arm(page)
    start = time.perf_counter()
    action()
    done()
    wait_settled(page)
    return time.perf_counter() - start


def word_images(characters: str, count: int, seed: int = 11) -> Iterator[tuple[str, bytes]]:
    """``(truth, PNG bytes)`` of ``count`` synthetic words for the model's charset."""
    from PIL import Image

    from crnn_core.charset import Charset
    from crnn_core.data.synthetic import SyntheticWordGenerator

    generator = SyntheticWordGenerator(Charset(characters), seed=seed)
    for index in range(count):
        image, text = generator.sample(index)
        buffer = io.BytesIO()
        Image.fromarray(image, mode="L").save(buffer, format="PNG")
        yield text, buffer.getvalue()


def labelled_zip(characters: str, count: int) -> bytes:
    """A zip in the CLI's dataset format: ``labels.tsv`` + ``count`` PNGs."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        lines = []
        for i, (text, png) in enumerate(word_images(characters, count, seed=5)):
            archive.writestr(f"images/{i:04d}.png", png)
            lines.append(f"images/{i:04d}.png\t{text}")
        archive.writestr("labels.tsv", "\n".join(lines) + "\n")
    return buffer.getvalue()


def click_nav(page: Any, title: str) -> None:
    page.locator("[data-testid='stSidebarNav'] a", has_text=title).first.click()


def map_drawn(page: Any) -> None:
    """The Clusters page's title and its first chart (the UMAP map) drawn by this run."""
    page.wait_for_selector("h1:has-text('Logit clusters')", state="visible")
    page.wait_for_selector(FRESH_PLOT, state="visible", timeout=180_000)


def pick_option(page: Any, label: str, option: str) -> Callable[[], None]:
    """Open the selectbox ``label``; returns the click that picks ``option`` (the timed part)."""
    box = page.locator("[data-testid='stSelectbox']", has_text=label).first
    box.scroll_into_view_if_needed()
    box.click()
    choice = page.get_by_role("option", name=option, exact=True).first
    choice.wait_for(state="visible")
    return lambda: choice.click()


def box_select(page: Any, fraction: float = 0.5) -> None:
    """Switch the map to box select (its mode bar) and drag a box over its middle."""
    target = page.locator("[data-testid='stPlotlyChart'] .nsewdrag").first
    target.scroll_into_view_if_needed()
    bounds = target.bounding_box()
    cx, cy = bounds["x"] + bounds["width"] / 2, bounds["y"] + bounds["height"] / 2
    page.mouse.move(cx, cy)
    page.locator("[data-testid='stPlotlyChart'] .modebar-btn[data-val='select']").first.click(
        force=True
    )
    dx, dy = bounds["width"] * fraction / 2, bounds["height"] * fraction / 2
    arm(page)
    page.mouse.move(cx - dx, cy - dy)
    page.mouse.down()
    page.mouse.move(cx + dx, cy + dy, steps=10)


@contextmanager
def server(artifacts: Path, log_dir: Path, name: str) -> Iterator[tuple[str, float]]:
    """A fresh server; yields its URL and the seconds it took to answer its health check."""
    start = time.perf_counter()
    with streamlit_server(artifacts, log_dir / f"{name}.log", timeout=300) as url:
        yield url, time.perf_counter() - start


def measure_cold(
    artifacts: Path, characters: str, log_dir: Path, repeats: int, figures: dict[str, Figure]
) -> None:
    """First page, a word uploaded at once, first Clusters visit; each on a fresh server."""
    first_word = next(word_images(characters, 1, seed=7))[1]
    for i in range(repeats):
        with server(artifacts, log_dir, f"cold{i}") as (url, started), browser() as page:
            figures["server start"].add(started)
            start = time.perf_counter()
            page.goto(url)
            page.wait_for_selector("h1", state="visible")
            page.wait_for_selector(UPLOADER, state="visible")
            figures["first page"].add(time.perf_counter() - start)
            upload(page, "first.png", first_word)  # at once: the model may still be loading
            figures["first page ready"].add(time.perf_counter() - start)
            if has_analysis(artifacts):
                arm(page)
                start = time.perf_counter()
                click_nav(page, "Clusters")
                map_drawn(page)
                figures["clusters cold"].add(time.perf_counter() - start)


def has_analysis(artifacts: Path) -> bool:
    return any(artifacts.glob("summary.json")) or any(artifacts.glob("*/summary.json"))


def measure_recognize(url: str, characters: str, repeats: int, figures: dict[str, Figure]) -> None:
    words = word_images(characters, 100 + 2 * repeats)
    for _ in range(100):
        next(words)
    with browser() as page:
        for i in range(repeats):
            open_app(page, url)
            page.wait_for_timeout(800)  # a user needs a moment to pick a file
            _, data = next(words)
            arm(page)
            start = time.perf_counter()
            visible = upload(page, f"w{i}.png", data)
            wait_settled(page)
            figures["upload visible"].add(visible)
            figures["upload settled"].add(time.perf_counter() - start)
            for decoder, label in (("beam", "Beam search"), ("greedy", "Greedy (best path)")):
                page.wait_for_timeout(500)
                caption = f"decoder: {decoder}"
                seconds = timed(
                    page,
                    lambda label=label: page.get_by_text(label, exact=True).click(),
                    lambda caption=caption: page.get_by_text(caption).first.wait_for(),
                )
                figures["decoder toggle"].add(seconds)


def measure_zip(url: str, characters: str, repeats: int, figures: dict[str, Figure]) -> None:
    data = labelled_zip(characters, 200)
    with browser() as page:
        for i in range(repeats):
            open_app(page, url, "your_data")
            arm(page)
            start = time.perf_counter()
            page.locator("input[type='file']").first.set_input_files(
                files=[{"name": f"set{i}.zip", "mimeType": "application/zip", "buffer": data}]
            )
            page.wait_for_selector("h3:has-text('Per dataset')", state="visible", timeout=300_000)
            wait_settled(page, 300_000)
            figures["zip 200"].add(time.perf_counter() - start)
            if not page.evaluate("window.__progress"):
                figures["zip 200"].note = "(NO progress bar was seen)"


def measure_clusters(
    url: str, repeats: int, figures: dict[str, Figure], prefix: str = "", points: bool = False
) -> None:
    """First paint, box selection and recolour; ``prefix="big "``: first paint only;
    ``points``: after the first paint, switch on "Draw every point" (timed) and measure box
    selection and recolour on the map of points (figures prefixed "points ")."""
    with browser() as page:
        for i in range(repeats):
            open_app(page, url)
            page.wait_for_timeout(500)
            arm(page)
            start = time.perf_counter()
            click_nav(page, "Clusters")
            map_drawn(page)
            drawn = time.perf_counter() - start
            wait_settled(page)
            if not points:  # the picture's first paint: counted once, by the clusters group
                figures[prefix + "clusters warm"].add(drawn)
                figures[prefix + "clusters settled"].add(time.perf_counter() - start)
            if prefix:
                continue
            if points:
                toggle = page.get_by_text("Draw every point", exact=True).first
                figures["points draw"].add(timed(page, toggle.click, lambda: map_drawn(page)))
                prefix = "points "
            start = time.perf_counter()
            box_select(page)
            released = time.perf_counter()
            page.mouse.up()
            page.locator("h3", has_text="Selection ·").first.wait_for(state="visible")
            wait_settled(page)
            figures[prefix + "box select"].add(time.perf_counter() - start)
            figures[prefix + "box release"].add(time.perf_counter() - released)
            # Never the page's default ("KMeans cluster"): picking it again starts no script
            # run, so the settle wait would hang (the old third-recolour timeouts).
            colours = ("greedy character", "entropy")
            option = colours[i % len(colours)]
            page.wait_for_timeout(300)
            seconds = timed(page, pick_option(page, "Colour by", option), lambda: None)
            figures[prefix + "recolour"].add(seconds)
            figures[prefix + "recolour"].note = "(from cluster to: character, entropy, ...)"
            prefix = ""


def big_artifacts(model_dir: Path, analysis: Path, into: Path) -> Path:
    """An artifacts folder with the model files linked from ``model_dir`` and ``analysis`` as
    its ``analysis/`` (nothing copied)."""
    root = into / "artifacts-big"
    root.mkdir()
    for entry in model_dir.iterdir():
        if entry.name != "analysis":
            (root / entry.name).symlink_to(entry.resolve())
    (root / "analysis").symlink_to(analysis.resolve())
    return root


def guarded(group: str, measure: Callable[[], object]) -> None:
    """Run one group of figures; a failure is printed and the other groups still run."""
    try:
        measure()
    except Exception as exc:  # a bench reports what it could measure
        print(f"group {group} failed: {type(exc).__name__}: {str(exc)[:500]}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifacts", default=str(REPO / "artifacts"))
    parser.add_argument("--big-analysis", help="analysis folder of ~100k frames (see docstring)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cold-repeats", type=int, default=2)
    parser.add_argument(
        "--only",
        nargs="*",
        choices=["cold", "recognize", "zip", "clusters", "points", "big"],
        help="measure only these groups",
    )
    args = parser.parse_args(argv)
    from crnn_core.artifacts import load_manifest

    artifacts = Path(args.artifacts).resolve()
    characters = load_manifest(artifacts)["charset"]["characters"]
    groups = set(args.only or ["cold", "recognize", "zip", "clusters", "points", "big"])
    figures = {
        "server start": Figure("server start -> healthy (cold)", None),
        "first page": Figure("first page, cold (title+uploader)", 3.0),
        "first page ready": Figure("first page, cold -> first reading", None),
        "clusters cold": Figure("Clusters first paint, first visit", 3.0),
        "upload visible": Figure("upload -> prediction visible", None),
        "upload settled": Figure("upload -> page settled (warm)", 0.6),
        "decoder toggle": Figure("greedy <-> beam -> settled", 0.3),
        "zip 200": Figure("zip of 200 images -> table settled", 5.0),
        "clusters warm": Figure("Clusters first paint (warm)", 1.5),
        "clusters settled": Figure("Clusters -> page settled (warm)", None),
        "box select": Figure("box select -> details settled", 1.0),
        "box release": Figure("box release -> details settled", 1.0),
        "recolour": Figure("recolour -> settled", 1.0),
        "points draw": Figure("points: 'Draw every point' -> drawn", None),
        "points box select": Figure("points: box select -> details", None),
        "points box release": Figure("points: box release -> details", None),
        "points recolour": Figure("points: recolour -> settled", None),
        "big clusters warm": Figure("100k: Clusters first paint (warm)", 3.0),
        "big clusters settled": Figure("100k: Clusters -> settled (warm)", None),
    }
    print(f"machine: {machine_line()}")
    log_dir = Path(tempfile.mkdtemp(prefix="dashboard-speed-"))
    if "cold" in groups:
        cold = args.cold_repeats
        guarded("cold", lambda: measure_cold(artifacts, characters, log_dir, cold, figures))
    if groups & {"recognize", "zip", "clusters", "points"}:
        with server(artifacts, log_dir, "warm") as (url, started):
            figures["server start"].add(started)
            with browser() as page:  # warm the model and the analysis caches
                open_app(page, url)
                upload(page, "warm.png", next(word_images(characters, 1, seed=3))[1])
                if has_analysis(artifacts):
                    click_nav(page, "Clusters")
                    map_drawn(page)
            if "recognize" in groups:
                guarded(
                    "recognize", lambda: measure_recognize(url, characters, args.repeats, figures)
                )
            if "zip" in groups:
                repeats = max(1, args.repeats // 2)
                guarded("zip", lambda: measure_zip(url, characters, repeats, figures))
            if "clusters" in groups and has_analysis(artifacts):
                guarded("clusters", lambda: measure_clusters(url, args.repeats, figures))
            if "points" in groups and has_analysis(artifacts):
                guarded(
                    "points",
                    lambda: measure_clusters(url, args.repeats, figures, points=True),
                )
    if "big" in groups and args.big_analysis:
        root = big_artifacts(artifacts, Path(args.big_analysis), log_dir)
        with server(root, log_dir, "big") as (url, _):
            with browser() as page:  # loads the analysis once: the figures are warm
                open_app(page, url, "clusters")
                wait_for_plot(page)
                frames = page.locator("[data-testid='stMetricValue']").first.inner_text()
            figures["big clusters warm"].note = f"({frames} frames)"
            guarded("big", lambda: measure_clusters(url, args.repeats, figures, prefix="big "))
    elif "big" in groups:
        figures["big clusters warm"].note = "(no --big-analysis given)"
    print(f"machine after: {machine_line()}")
    print(f"server logs: {log_dir}")
    for figure in figures.values():
        print(figure.line())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
