"""Fixtures of the browser test modules: ``streamlit run`` servers that live for one module.

``server`` serves the module's ``artifacts`` (the tiny model of ``tests/conftest.py``, or the
module's own override) with no extra settings; a module that needs other artifacts, a working
folder or environment variables defines its own ``server`` with ``start_server``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import streamlit_server


@pytest.fixture(scope="module")
def start_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., str]]:
    """``start_server(artifacts, **options)`` starts ``streamlit_server(artifacts, log,
    **options)`` (``cwd``, ``env``), its log in a fresh temporary folder, and returns its URL;
    every server it started is stopped when the module's tests are done."""
    with contextlib.ExitStack() as servers:

        def start(artifacts: Path, **options: Any) -> str:
            log = tmp_path_factory.mktemp("server") / "streamlit.log"
            return str(servers.enter_context(streamlit_server(artifacts, log, **options)))

        yield start


@pytest.fixture(scope="module")
def server(artifacts: Path, start_server: Callable[..., str]) -> str:
    return start_server(artifacts)
