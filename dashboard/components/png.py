"""Pictures as ``data:image/png`` URIs, the form plotly layout images and Streamlit's image
columns take."""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

__all__ = ["data_uri"]


def data_uri(image: np.ndarray, fast: bool = False) -> str:
    """A PNG ``data:`` URI of a uint8 picture (grey, RGB or RGBA).

    ``fast``: light compression, for a large picture sent once (a 2,000-pixel map); otherwise
    the smallest file, for thumbnails shown many times.
    """
    buffer = io.BytesIO()
    options = {"compress_level": 1} if fast else {"optimize": True}
    Image.fromarray(image).save(buffer, format="PNG", **options)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
