"""Streamlit dashboard for crnn-ocr-lab: ``streamlit run dashboard/app.py``.

Pages only lay out widgets. Every computation goes through ``crnn_core``, via ``services``
(cached loaders) and the plain modules here (``recognition``, ``analysis_view``, ``insights``,
``components``), which do not import Streamlit and are tested directly.
"""
