"""Entry point: ``streamlit run dashboard/app.py`` (model: ``$CRNN_ARTIFACTS`` or ``artifacts/``).

Sets up the page, the settings (``dashboard.settings``, whatever folder or flags it is started
with) and the navigation; each page lives in ``dashboard/views/`` and shows the artifact
faults itself (``ui.health_banner``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # `streamlit run` puts only dashboard/ on the path
    sys.path.insert(0, str(REPO_ROOT))

import streamlit as st  # noqa: E402

from dashboard import settings  # noqa: E402

HERE = Path(__file__).resolve().parent
PAGES = HERE / "views"  # not pages/: Streamlit would run those files without this entry
FAVICON = HERE / "assets" / "favicon.png"  # a local file: a :material: icon is fetched online

settings.enforce()
st.set_page_config(page_title="CRNN OCR lab", page_icon=str(FAVICON), layout="wide")
navigation = st.navigation(
    [
        st.Page(
            PAGES / "recognize.py",
            title="Recognize",
            icon=":material/document_scanner:",
            default=True,
        ),
        st.Page(PAGES / "clusters.py", title="Clusters", icon=":material/scatter_plot:"),
        st.Page(PAGES / "evaluation.py", title="Evaluation", icon=":material/fact_check:"),
        st.Page(PAGES / "your_data.py", title="Your data", icon=":material/upload_file:"),
        st.Page(PAGES / "model.py", title="Model", icon=":material/memory:"),
    ]
)
st.sidebar.caption("CRNN + CTC word recognizer · logits explored by clustering")
try:
    navigation.run()
finally:  # the page is drawn: import TensorFlow and load the model while the user reads it
    from dashboard import services

    services.preload_recognizer()
