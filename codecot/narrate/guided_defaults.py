"""Defaults of guided decoding (``--guided K``), in a module of their own that imports nothing,
so the command line can show them without loading the step checkers."""

#: Probability temperature of a step's second try (the first uses the narrator's own), what
#: each further try adds to it, and the min-p floor of resampled tries: only tokens at least
#: this share as likely as the most likely allowed one are drawn (``HFSettings`` defaults).
RESAMPLE_TEMPERATURE = 1.5
RESAMPLE_STEP = 0.5
RESAMPLE_MIN_P = 0.1

#: Rounds of K failed tries a step may throw away, each time naming another line
#: (``HFSettings.guided_skips``; see :mod:`codecot.narrate.hf.decode`).
SKIPS = 2
