"""Verification: the reference evaluator (more modules join as the checkers are built)."""
