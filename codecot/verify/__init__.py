"""Verification: the reference evaluator (:mod:`.reference`), the forward and backward checkers
and the acceptance policy (see the modules of this package)."""
