"""CTC decoders over numpy logits (blank = class 0): greedy, prefix beam search, exact sequence
log-probability and lexicon search. Import from ``crnn_core.decode``."""
