"""crnn-ocr-lab core: CRNN + CTC word recognition and analysis of what the model learned."""

__version__ = "0.1.0"
