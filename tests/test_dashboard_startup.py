"""The app's settings hold wherever and however it is started (issue 11).

Starts the real server with ``streamlit run /abs/path/dashboard/app.py`` from an empty folder
(so no ``./.streamlit/config.toml``), an empty ``$HOME`` and ``STREAMLIT_SERVER_MAX_UPLOAD_SIZE``
raised to 200 MB, then talks to it as the browser does: the websocket's ``new_session`` carries
the toolbar and usage-stats settings, the uploader element its limit, and an upload PUT over the
limit must be refused by the server (413) while a small one is taken (204). Every page is
then visited and the server log must hold no traceback (the Model page's ArrowTypeError).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from dashboard_support import make_tiny_artifacts

pytest.importorskip("streamlit")
websockets = pytest.importorskip("websockets")

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
pytestmark = pytest.mark.xdist_group("server")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"streamlit did not start:\n{log.read_text()[-3000:]}")


async def _run_page(ws: Any, page_hash: str) -> list[Any]:
    """Ask for one page as the browser does; its ForwardMsgs up to ``script_finished``."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    back = BackMsg()
    back.rerun_script.query_string = ""
    back.rerun_script.page_script_hash = page_hash
    await ws.send(back.SerializeToString())
    messages = []
    while True:
        msg = ForwardMsg()
        msg.ParseFromString(await asyncio.wait_for(ws.recv(), timeout=120))
        messages.append(msg)
        if msg.WhichOneof("type") == "script_finished":
            return messages


async def _first_run(url: str) -> tuple[list[Any], dict[int, int]]:
    """ForwardMsgs of the first page load, as the browser receives them, then every other page
    in turn; and ``{size: HTTP status}`` of upload PUTs made while the session is live."""
    ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
    async with websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None) as ws:
        messages = await _run_page(ws, "")
        session = next(m.new_session for m in messages if m.WhichOneof("type") == "new_session")
        navigation = [m.navigation for m in messages if m.WhichOneof("type") == "navigation"][-1]
        titles = {}
        for page in navigation.app_pages:
            shown = await _run_page(ws, page.page_script_hash)
            titles[page.page_name] = next(
                m.delta.new_element.heading.body
                for m in shown
                if m.WhichOneof("type") == "delta"
                and m.delta.new_element.WhichOneof("type") == "heading"
            )
        assert titles == {  # each page really ran
            "Recognize": "Recognize a word",
            "Clusters": "Logit clusters",
            "Evaluation": "Evaluation",
            "Model": "Model",
            "Your data": "Evaluate your own data",
        }
        sizes = (1024, 11 * 1024 * 1024)
        status = {
            size: await asyncio.to_thread(_put, url, session.initialize.session_id, size)
            for size in sizes
        }
    return messages, status


def _put(url: str, session_id: str, size: int) -> int:
    """Status of an upload PUT announcing ``size`` bytes. Only a small body is sent: the server
    answers from the Content-Length header (its limit read at request time) before reading an
    oversized body, and would reset the connection under a real 11 MB one."""
    boundary = "crnnboundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + b"\0" * min(size, 1024)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    announced = len(body) + max(size - 1024, 0)
    request = urllib.request.Request(
        f"{url}/_stcore/upload_file/{session_id}/probe-{size}",
        data=body,
        method="PUT",
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(announced),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (TimeoutError, urllib.error.URLError):
        return -1  # the server waited for the announced body: no limit below it


def test_settings_hold_when_started_from_another_folder(tmp_path: Path) -> None:
    from streamlit.proto.NewSession_pb2 import Config

    artifacts = make_tiny_artifacts(tmp_path / "artifacts")
    manifest = json.loads((artifacts / "manifest.json").read_text())
    manifest["training"][0]["data_sources"] = {  # as shipped: counts only on some rows
        "sources": [
            {"name": "synthetic", "ratio": 0.8},
            {"name": "iiit5k", "path": "../shared/data/iiit5k", "ratio": 0.2, "train": 1800},
        ]
    }
    (artifacts / "manifest.json").write_text(json.dumps(manifest))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    port, log = _free_port(), tmp_path / "server.log"
    env = dict(
        os.environ,
        HOME=str(elsewhere),
        CRNN_ARTIFACTS=str(artifacts),
        TF_CPP_MIN_LOG_LEVEL="2",
        STREAMLIT_SERVER_MAX_UPLOAD_SIZE="200",  # a start that tries to raise the limit
    )
    command = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true",
               "--server.enableXsrfProtection", "false"]  # fmt: skip  # xsrf: no cookie jar here
    with log.open("w") as out:
        process = subprocess.Popen(
            command, cwd=elsewhere, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log)
        messages, status = asyncio.run(_first_run(url))
        session = next(m.new_session for m in messages if m.WhichOneof("type") == "new_session")
        assert session.config.toolbar_mode == Config.ToolbarMode.MINIMAL  # no "Deploy"
        assert session.config.gather_usage_stats is False
        uploaders = [
            m.delta.new_element.file_uploader
            for m in messages
            if m.WhichOneof("type") == "delta"
            and m.delta.new_element.WhichOneof("type") == "file_uploader"
        ]
        assert [u.max_upload_size_mb for u in uploaders] == [10]
        assert status[1024] == 204  # the probe reaches a live session
        assert status[11 * 1024 * 1024] == 413  # over 10 MB: refused by the server
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)
    server_log = log.read_text()  # every page was visited: none may log a traceback
    assert "Traceback" not in server_log and "ArrowTypeError" not in server_log, server_log[-3000:]
