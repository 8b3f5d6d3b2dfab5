"""Recognize page inputs: the uploader (with "Remove all"), the camera, the rotation controls.

Streamlit cannot empty a file uploader from code, so "Remove all" gives it a new key (a counter
in session state): the next run draws an empty uploader and the old files are dropped.
"""

from __future__ import annotations

import streamlit as st

from dashboard import settings
from dashboard.recognition import IMAGE_TYPES

__all__ = ["ACCEPTED", "TURNS", "camera_shot", "rotation_controls", "uploaded_files"]

ACCEPTED = ", ".join(t.upper() for t in IMAGE_TYPES if t not in ("jpeg", "tif"))
ROUND = "upload_round"
TURNS = {0: "upright", 1: "↺ 90°", 2: "180°", 3: "↻ 90°"}


def _remove_all() -> None:
    st.session_state[ROUND] = st.session_state.get(ROUND, 0) + 1


def uploaded_files() -> list[tuple[str, bytes]]:
    """``(name, bytes)`` of every file in the uploader, plus a "Remove all" button."""
    uploads = st.file_uploader(
        "Word images (cropped to one word)",
        accept_multiple_files=True,
        key=f"uploads_{st.session_state.get(ROUND, 0)}",
        max_upload_size=settings.MAX_UPLOAD_MB,
        help=f"{ACCEPTED} (GIF: first frame).",
    )
    st.caption(
        f"{ACCEPTED}, up to {settings.MAX_UPLOAD_MB} MB each. Files of another type are refused "
        f"below with the reason; larger files are stopped by the browser before upload (marked "
        "red in the list above) and are never read."
    )
    files = [(f.name, f.getvalue()) for f in uploads or []]
    if len(files) > 1:
        st.button(
            f"Remove all {len(files)} files",
            key="remove_all",
            on_click=_remove_all,
            icon=":material/delete_sweep:",
        )
    return files


def camera_shot() -> tuple[str, bytes] | None:
    """A photo from the device camera, only once the user turns the camera on (no permission
    prompt on every visit)."""
    if not st.toggle("Use the camera", key="camera_on"):
        return None
    shot = st.camera_input("Photo of one word", key="camera")
    return ("camera.jpg", shot.getvalue()) if shot is not None else None


def rotation_controls() -> tuple[int, float]:
    """Quarter turns (counter-clockwise) and a small tilt in degrees for the detailed image."""
    turns = st.segmented_control(
        "Rotate", list(TURNS), format_func=TURNS.__getitem__, default=0, key="turns"
    )
    tilt = st.slider("Straighten (degrees, counter-clockwise)", -20.0, 20.0, 0.0, 0.5, key="tilt")
    return int(turns or 0), float(tilt)
