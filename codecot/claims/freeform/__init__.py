"""The free-form reader: checkable statements in other systems' chain-of-thought.

See :mod:`codecot.claims.freeform.reader` (the entry point :func:`read_freeform`),
:mod:`.segment` (sentences), :mod:`.exprs` (values in text), :mod:`.patterns` (what a clause
states) and :mod:`.model` (what is read).
"""

from codecot.claims.freeform.model import Reading, Sentence, Statement
from codecot.claims.freeform.reader import read_freeform

__all__ = ["Reading", "Sentence", "Statement", "read_freeform"]
