"""Safety in a real browser (issue 11), against an app started the way a user outside the
repository would: ``streamlit run /abs/path/dashboard/app.py`` from an empty folder, with an
empty ``$HOME`` and ``STREAMLIT_SERVER_MAX_UPLOAD_SIZE=200`` trying to raise the limit.

- a first request straight to a sub-page URL still runs the app entry (navigation, caption);
- the upload limit is the app's 10 MB, an oversize file is refused with a message, no "Deploy";
- a Markdown/HTML file name stays text: no link, no image, nothing fetched from its URLs.

Skips only where no browser is installed *and* ``CI`` is unset.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from browser import (
    COLD_TIMEOUT_MS,
    NO_TRACEBACK,
    chromium_page,
    open_app,
    require_browser,
    wait_idle,
)
from dashboard_support import word_png

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

require_browser()

PAGE_TITLES = ["Recognize", "Clusters", "Evaluation", "Your data", "Model"]
HOSTILE = "[x](http://example.com)![i](http://example.com/a.png)"


@pytest.fixture(scope="module")
def elsewhere(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("elsewhere")


@pytest.fixture(scope="module")
def server(artifacts: Path, elsewhere: Path, start_server: Callable[..., str]) -> str:
    env = {"HOME": str(elsewhere), "STREAMLIT_SERVER_MAX_UPLOAD_SIZE": "200"}
    return start_server(artifacts, cwd=elsewhere, env=env)


def test_a_first_request_to_a_sub_page_runs_the_app_entry(server: str) -> None:
    # First in the module: this is the server's first page, in a fresh browser context.
    with chromium_page(timeout_ms=COLD_TIMEOUT_MS) as page:
        page.goto(f"{server}/clusters")
        page.locator("h1", has_text="Logit clusters").wait_for()
        wait_idle(page)
        nav = page.locator("[data-testid='stSidebarNav']")
        for title in PAGE_TITLES:  # the app entry's st.navigation ran
            assert nav.locator("a", has_text=title).count() == 1, nav.inner_text()
        caption = page.locator("[data-testid='stSidebar'] [data-testid='stCaptionContainer']")
        assert "CRNN + CTC word recognizer" in caption.first.inner_text()
        assert page.locator(NO_TRACEBACK).count() == 0


def test_started_elsewhere_the_upload_limit_holds_and_no_deploy(server: str) -> None:
    with chromium_page(timeout_ms=COLD_TIMEOUT_MS) as page:
        open_app(page, server)
        uploader = page.locator("[data-testid='stFileUploader']").first
        assert "10MB per file" in uploader.inner_text()
        assert "200MB" not in page.locator("body").inner_text()
        assert page.get_by_role("button", name="Deploy").count() == 0
        assert page.locator("[data-testid='stAppDeployButton']").count() == 0

        big = b"\x89PNG\r\n\x1a\n" + b"\0" * (11 * 1024 * 1024)
        uploader.locator("input[type='file']").set_input_files(
            files=[{"name": "big.png", "mimeType": "image/png", "buffer": big}]
        )
        chip = uploader.locator("[data-testid='stFileChip'][aria-invalid='true']", has_text="big")
        chip.wait_for(state="visible")
        assert "File must be 10.0MB or smaller" in uploader.inner_text()
        wait_idle(page)
        assert page.get_by_text("big.png · decoder").count() == 0  # never read
        assert page.locator(NO_TRACEBACK).count() == 0


def _no_live_markup(page: Any) -> None:
    """The crafted name rendered no link and no image, and no traceback is shown."""
    assert page.locator("a[href*='example.com']").count() == 0
    assert page.locator("img[src*='example.com']").count() == 0
    assert page.locator(NO_TRACEBACK).count() == 0


def test_a_markdown_file_name_is_shown_as_plain_text(server: str) -> None:
    with chromium_page(timeout_ms=COLD_TIMEOUT_MS) as page:
        fetched: list[str] = []
        page.on("request", lambda request: fetched.append(request.url))
        open_app(page, server)
        page.locator("input[type='file']").first.set_input_files(
            files=[
                {"name": f"{HOSTILE} broken.png", "mimeType": "image/png", "buffer": b"no"},
                {"name": f"{HOSTILE}.png", "mimeType": "image/png", "buffer": word_png()},
            ]
        )
        caption = page.locator("[data-testid='stCaptionContainer']", has_text=" · decoder")
        caption.first.wait_for()
        wait_idle(page)
        assert caption.first.inner_text().startswith(f"{HOSTILE}.png · decoder")
        error = page.locator("[data-testid='stAlertContentError']", has_text="broken.png")
        assert f"{HOSTILE} broken.png — " in error.first.inner_text()  # literally
        _no_live_markup(page)

        open_app(page, server, "your_data")
        page.locator("input[type='file']").first.set_input_files(
            files=[{"name": f"{HOSTILE}.zip", "mimeType": "application/zip", "buffer": b"no"}]
        )
        refused = page.locator("[data-testid='stAlertContentError']", has_text="not evaluated")
        assert f"{HOSTILE}.zip was not evaluated" in refused.first.inner_text()
        _no_live_markup(page)
    assert not [url for url in fetched if "example.com" in url]
