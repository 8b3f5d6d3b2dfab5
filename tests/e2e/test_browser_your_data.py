"""Your data in a real browser (issue 11): a generated labelled zip is evaluated with visible
progress (per-dataset table, error gallery, CSV download), and hostile zips are refused with a
message on the page, never a traceback, and never a file written outside the server's
temporary folder.

The server runs with ``TMPDIR`` set to a ``scratch`` folder of this module; its parent holds
nothing else the server writes, so a member that escaped extraction would show up there.
Skips only where no browser is installed *and* ``CI`` is unset.
"""

from __future__ import annotations

import csv
import io
import stat
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from browser import COLD_TIMEOUT_MS, NO_TRACEBACK, chromium_page, open_app, require_browser
from dashboard_support import word_png

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

require_browser()

ERROR = "[data-testid='stAlertContentError']"
WORDS = ("cat", "dog", "tree", "moon", "sun", "street")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``sandbox/scratch`` is the server's TMPDIR; ``sandbox`` itself must stay as it is."""
    root = tmp_path_factory.mktemp("sandbox")
    (root / "scratch").mkdir()
    return root


@pytest.fixture(scope="module")
def server(artifacts: Path, sandbox: Path, start_server: Callable[..., str]) -> str:
    return start_server(artifacts, env={"TMPDIR": str(sandbox / "scratch")})


def labelled_zip(extra: Sequence[tuple[zipfile.ZipInfo | str, bytes]] = ()) -> bytes:
    """Rendered words in the CLI's folder format (``words/labels.tsv`` + ``words/img/*.png``),
    plus ``extra`` members as given."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        lines = []
        for i, text in enumerate(WORDS):
            archive.writestr(f"words/img/{i}.png", word_png(index=i))
            lines.append(f"img/{i}.png\t{text}")
        archive.writestr("words/labels.tsv", "\n".join(lines) + "\n")
        for name, data in extra:
            archive.writestr(name, data)
    return buffer.getvalue()


def _symlink(name: str) -> zipfile.ZipInfo:
    """A member whose mode says symbolic link (its data would be the link's target)."""
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def _upload_zip(page: Any, name: str, data: bytes) -> None:
    page.locator("input[type='file']").first.set_input_files(
        files=[{"name": name, "mimeType": "application/zip", "buffer": data}]
    )


def _watch_progress(page: Any) -> None:
    """Record every text the progress bar shows (it is removed once the run is over)."""
    page.evaluate(
        """() => { window.seenProgress = [];
        new MutationObserver(() => document.querySelectorAll('[data-testid="stProgress"]')
            .forEach(e => window.seenProgress.push(e.textContent)))
        .observe(document.body, {childList: true, subtree: true, characterData: true}); }"""
    )


def _cells(page: Any, key_text: str) -> list[str]:
    """The body cells of the first table whose text holds ``key_text``. The data grid draws on
    a canvas; its ``gridcell`` elements are a hidden copy for screen readers, filled after the
    frame appears. So wait for them to be attached (never visible) and read their text content
    (a hidden element has no rendered text)."""
    table = page.locator("[data-testid='stDataFrame']", has_text=key_text).first
    cells = table.locator("[role='gridcell']")
    cells.first.wait_for(state="attached")
    return [t.strip() for t in cells.all_text_contents()]


def test_a_labelled_zip_is_evaluated_with_table_gallery_and_csv(
    server: str, artifacts: Path
) -> None:
    from crnn_core.artifacts import load_recognizer
    from dashboard.evaluation_job import evaluate_zip

    data = labelled_zip()
    expected = evaluate_zip(load_recognizer(artifacts), "street signs.zip", data)
    records = expected.result.records
    with chromium_page(timeout_ms=COLD_TIMEOUT_MS) as page:
        open_app(page, server, "your_data")
        _watch_progress(page)
        _upload_zip(page, "street signs.zip", data)
        download = page.locator("[data-testid='stDownloadButton']", has_text="per-image CSV")
        download.wait_for()
        page.wait_for_function(
            "() => !document.querySelector('[data-testid=\"stProgress\"]')", polling=100
        )

        table = _cells(page, "acc36")
        assert table[:2] == ["street_signs", str(len(WORDS))]
        assert expected.result.scores.n == len(WORDS)
        if expected.kept:
            page.get_by_text(f"{len(expected.kept)} wrongly read images").wait_for()
            gallery = _cells(page, "reading")
            assert all(records[i].truth in gallery for i in expected.kept)
        else:
            page.get_by_text("Every image was read right").wait_for()
        assert page.locator(ERROR).count() == 0 and page.locator(NO_TRACEBACK).count() == 0

        with page.expect_download() as event:
            download.locator("button").click()
        rows = list(csv.DictReader(io.StringIO(Path(event.value.path()).read_text("utf-8"))))
        assert len(rows) == len(WORDS)
        assert sorted(r["truth"] for r in rows) == sorted(WORDS)
        predicted = {r.key: r.prediction for r in records}
        assert all(predicted[r["file"]] == r["reading"] for r in rows), rows[0]


HOSTILE = {
    "traversal": ([("../../../escaped.png", word_png())], "path traversal"),
    "absolute": ([("{sandbox}/absolute.png", word_png())], "absolute member paths"),
    "symlink": ([(_symlink("words/img/link.png"), b"/etc/passwd")], "symbolic link"),
    "not an image": ([("words/img/fake.png", b"just text, no picture")], "is not an image"),
    "other file type": ([("words/run.sh", b"rm -rf /")], "not images"),
    "too many entries": ([(f"words/img/e{i}.png", b"") for i in range(5001)], "at most 5000"),
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_a_hostile_zip_is_refused_on_the_page_and_writes_nothing(
    server: str, sandbox: Path, kind: str
) -> None:
    members, reason = HOSTILE[kind]
    members = [(n.format(sandbox=sandbox) if isinstance(n, str) else n, d) for n, d in members]
    before = sorted(p.name for p in sandbox.iterdir())
    with chromium_page(timeout_ms=COLD_TIMEOUT_MS) as page:
        open_app(page, server, "your_data")
        _upload_zip(page, "evil.zip", labelled_zip(members))
        error = page.locator(ERROR, has_text="evil.zip was not evaluated")
        error.wait_for()
        assert reason in error.inner_text()
        assert page.locator(NO_TRACEBACK).count() == 0
        assert "Traceback" not in page.locator("body").inner_text()
        assert page.locator("[data-testid='stDataFrame']").count() == 0  # nothing evaluated
    assert sorted(p.name for p in sandbox.iterdir()) == before  # nothing escaped
    assert not list((sandbox / "scratch").glob("crnn-eval-*"))  # the temporary folder is gone
