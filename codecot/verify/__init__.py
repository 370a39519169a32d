"""Verification: the forward and backward checkers, mutants and the acceptance policy (see the
modules of this package).  The reference evaluator they use is :mod:`codecot.claims.reference`;
the trace points forward claims align with are :mod:`codecot.symbolic.tracepoints`."""
