"""The dashboard's safety-relevant Streamlit settings, in force however the app is started.

``dashboard/.streamlit/config.toml`` (next to the main script, so Streamlit reads it from any
working directory) sets them for the first page. A ``--server.maxUploadSize 200`` flag, a
``STREAMLIT_*`` variable or a ``~/.streamlit`` file could still change them, so the app entry
calls ``enforce()`` before any widget: the server reads the upload limit on every upload and the
client options on every new run. The uploader also passes ``MAX_UPLOAD_MB`` itself.
"""

from __future__ import annotations

from typing import Any

from streamlit import config

__all__ = ["MAX_UPLOAD_MB", "SETTINGS", "enforce", "out_of_force"]

MAX_UPLOAD_MB = 10  # word crops and phone photos; keeps a stray upload from stalling the app
SETTINGS: dict[str, Any] = {
    "server.maxUploadSize": MAX_UPLOAD_MB,
    "client.showErrorDetails": "none",  # never a stack trace or server path in the page
    "client.toolbarMode": "minimal",  # no "Deploy" button, no developer menu
    "browser.gatherUsageStats": False,  # nothing sent to streamlit.io
    "server.runOnSave": False,
}


def out_of_force() -> dict[str, Any]:
    """The settings whose current value differs from ``SETTINGS``: ``{key: current value}``."""
    return {k: config.get_option(k) for k, v in SETTINGS.items() if config.get_option(k) != v}


def enforce() -> dict[str, Any]:
    """Set every setting that is out of force; returns what it changed (``{key: old value}``)."""
    changed = out_of_force()
    for key in changed:
        config.set_option(key, SETTINGS[key], where_defined="dashboard/settings.py")
    return changed
