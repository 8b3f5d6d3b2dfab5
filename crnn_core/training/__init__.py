"""Training loop, checkpoints and resume; ``train.py`` is a thin CLI over this package."""
