"""Drive the real dashboard: start ``streamlit run`` on a free port, open Debian's Chromium with
Playwright (never a downloaded browser), and the few interactions the tests and
``scripts/screenshots.py`` share. Streamlit renders over a websocket, so every step waits for an
element, never for page load.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PREDICTION = "div.prediction[data-text]"
PLOT = "[data-testid='stPlotlyChart'] .js-plotly-plot .main-svg"
NO_TRACEBACK = "[data-testid='stException']"
COLD_TIMEOUT_MS = 240_000  # the first page of a cold server loads TensorFlow on a busy machine


def browser_available() -> bool:
    if not Path(CHROMIUM).exists():
        return False
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


def require_browser() -> None:
    """Called at the top of each browser test module: skip it where no browser is installed,
    but fail in CI (``$CI`` set), where a missing browser must not pass silently."""
    import pytest

    if browser_available():
        return
    if os.environ.get("CI"):
        pytest.fail(
            "CI requires the browser tests: install Debian's chromium (see .ci/run) and "
            "the playwright package.",
            pytrace=False,
        )
    pytest.skip(
        f"no {CHROMIUM} or no playwright package here (set CI=1 to fail instead)",
        allow_module_level=True,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
            return bool(reply.status == 200)
    except OSError:
        return False


@contextlib.contextmanager
def streamlit_server(
    artifacts: Path,
    log: Path,
    timeout: float = 120,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """``streamlit run dashboard/app.py`` on a free port with ``CRNN_ARTIFACTS=artifacts``;
    yields its URL and kills the process group on exit. ``cwd``: start it from that folder
    (with the app's absolute path), as a user outside the repository would; ``env``: extra
    environment variables for the server."""
    port = free_port()
    env = {
        **os.environ,
        "CRNN_ARTIFACTS": str(artifacts),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        **(env or {}),
    }
    script = "dashboard/app.py" if cwd is None else str(REPO / "dashboard" / "app.py")
    command = [sys.executable, "-m", "streamlit", "run", script,
               "--server.headless", "true", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]  # fmt: skip
    with log.open("w") as out:
        process = subprocess.Popen(
            command,
            cwd=cwd or REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while not _healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"streamlit did not start; see {log}:\n{log.read_text()[-3000:]}"
                )
            time.sleep(0.5)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 15)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


@contextlib.contextmanager
def chromium_page(
    width: int = 1400,
    height: int = 1000,
    extra_args: Sequence[str] = (),
    permissions: Sequence[str] = (),
    timeout_ms: float = 120_000,
) -> Iterator[Any]:
    """A Playwright page in Debian's Chromium (headless), in a fresh context (a new Streamlit
    session). ``extra_args``: more Chromium flags (e.g. a fake camera); ``permissions``: granted
    to every origin (e.g. ``"camera"``); ``timeout_ms``: the page's default wait
    (``COLD_TIMEOUT_MS`` where the server may still be loading TensorFlow)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args]
        )
        try:
            context = browser.new_context(
                viewport={"width": width, "height": height}, permissions=list(permissions)
            )
            page = context.new_page()
            page.set_default_timeout(timeout_ms)
            yield page
        finally:
            browser.close()


def open_app(page: Any, url: str, path: str = "") -> None:
    """Load a page of the app and wait until Streamlit has rendered its title and gone idle."""
    page.goto(f"{url}/{path}")
    page.wait_for_selector("h1", state="visible")
    wait_idle(page)


def wait_idle(page: Any, timeout: float = 120) -> None:
    """Wait until the script run is over (no running-status widget, no spinner)."""
    deadline = time.monotonic() + timeout
    page.wait_for_timeout(150)
    busy = "[data-testid='stStatusWidget'], [data-testid='stSpinner']"
    while page.locator(busy).count() and time.monotonic() < deadline:
        page.wait_for_timeout(100)


def upload(page: Any, name: str, data: bytes, mime: str = "image/png") -> float:
    """Upload one file; returns seconds until the prediction text is visible."""
    start = time.perf_counter()
    page.locator("input[type='file']").first.set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": data}]
    )
    page.wait_for_function(
        "name => [...document.querySelectorAll('[data-testid=\"stCaptionContainer\"]')]"
        ".some(e => e.textContent.startsWith(name)) && document.querySelector("
        f'"{PREDICTION}") !== null',
        arg=name,
        polling=50,
    )
    return time.perf_counter() - start


def fake_camera_args(video: Path) -> list[str]:
    """Chromium flags that answer ``getUserMedia`` with ``video`` (an MJPEG file: one JPEG is
    a one-frame clip) and no permission prompt, so ``st.camera_input`` runs headless."""
    return [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]


def metric_value(page: Any, label: str) -> str:
    """The value shown by the first ``st.metric`` whose label contains ``label``."""
    metric = page.locator("[data-testid='stMetric']", has_text=label).first
    return str(metric.locator("[data-testid='stMetricValue']").inner_text())


def wait_for_metric(page: Any, label: str, value: str) -> None:
    """Wait until the metric labelled ``label`` shows exactly ``value`` (after a rerun)."""
    page.wait_for_function(
        "([label, value]) => [...document.querySelectorAll('[data-testid=\"stMetric\"]')]"
        ".some(m => m.querySelector('[data-testid=\"stMetricLabel\"]')?.textContent"
        ".includes(label) && m.querySelector('[data-testid=\"stMetricValue\"]')"
        "?.textContent.trim() === value)",
        arg=[label, value],
        polling=100,
    )


def prediction_text(page: Any) -> str:
    return str(page.locator(PREDICTION).first.get_attribute("data-text"))


def choose_beam(page: Any) -> None:
    page.get_by_text("Beam search", exact=True).click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=\"stCaptionContainer\"]')]"
        ".some(e => e.textContent.includes('decoder: beam'))",
        polling=50,
    )
    wait_idle(page)


def open_page(page: Any, title: str) -> float:
    """Click a navigation link; returns seconds until a plotly chart has drawn (or the title,
    if the page has no chart)."""
    start = time.perf_counter()
    page.locator("[data-testid='stSidebarNav'] a", has_text=title).first.click()
    page.wait_for_selector(f"h1:has-text('{title.split()[0]}')")
    return time.perf_counter() - start


def whole_page(page: Any, width: int = 1400, max_height: int = 4000) -> bytes:
    """Screenshot of the whole app: Streamlit scrolls inside its main container, not the
    document, so the viewport is grown to the content's height first (then restored)."""
    height = page.evaluate(
        '() => Math.max(...[...document.querySelectorAll(\'[data-testid="stMain"], '
        '[data-testid="stAppViewContainer"], section\')].map(e => e.scrollHeight), '
        "document.documentElement.scrollHeight)"
    )
    before = page.viewport_size
    page.set_viewport_size({"width": width, "height": min(int(height) + 40, max_height)})
    page.wait_for_timeout(700)  # plotly and the data grid re-layout to the new size
    png: bytes = page.screenshot()
    page.set_viewport_size(before)
    return png


def lasso_select(page: Any, fraction: float = 0.6) -> str:
    """Draw a lasso over the middle ``fraction`` of the first chart; returns the selection
    heading the page shows for it ("Selection · N frames")."""
    target = page.locator("[data-testid='stPlotlyChart'] .nsewdrag").first
    target.scroll_into_view_if_needed()  # the map sits below the fold (views, baselines above)
    box = target.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    dx, dy = box["width"] * fraction / 2, box["height"] * fraction / 2
    page.mouse.move(cx - dx, cy - dy)
    page.mouse.down()
    for x, y in ((dx, -dy), (dx, dy), (-dx, dy), (-dx, -dy)):
        page.mouse.move(cx + x, cy + y, steps=8)
    page.mouse.up()
    heading = page.locator("h3", has_text="Selection ·").first
    heading.wait_for(state="visible")
    wait_idle(page)
    return str(heading.inner_text())


def wait_for_plot(page: Any, timeout_ms: float = 120_000) -> None:
    page.wait_for_selector(PLOT, state="visible", timeout=timeout_ms)
