"""Corrupt artifacts in a real browser (issue 11): with a garbage ``model.keras`` and a deleted
``charset.json``, every page, opened straight from its URL in a fresh browser session, shows
the error banner listing both faults with their fix, and no server path or traceback.

Skips only where no browser is installed *and* ``CI`` is unset.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from browser import COLD_TIMEOUT_MS, NO_TRACEBACK, chromium_page, require_browser, wait_idle

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

require_browser()

PAGES = ["", "clusters", "evaluation", "your_data", "model"]


@pytest.fixture(scope="module")
def broken(artifacts: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("broken") / "artifacts"
    shutil.copytree(artifacts, root)
    (root / "model.keras").write_bytes(b"garbage, not a Keras archive")
    (root / "charset.json").unlink()
    return root


@pytest.fixture(scope="module")
def server(broken: Path, start_server: Callable[..., str]) -> str:
    return start_server(broken)


@pytest.mark.parametrize("path", PAGES, ids=[p or "recognize" for p in PAGES])
def test_every_page_lists_both_faults(server: str, broken: Path, path: str) -> None:
    with chromium_page(timeout_ms=COLD_TIMEOUT_MS) as page:
        page.goto(f"{server}/{path}")
        banner = page.locator("[data-testid='stAlertContentError']", has_text="not usable")
        banner.first.wait_for()
        wait_idle(page)
        text = banner.first.inner_text()
        assert "model.keras is not a Keras archive" in text
        assert "charset.json is missing" in text
        assert text.count("fix: python -m crnn_core export") == 3  # one per fault
        assert page.locator(NO_TRACEBACK).count() == 0
        body = page.locator("body").inner_text()
        assert str(broken) not in body and str(broken.parent) not in body
        assert "Traceback" not in body
