"""Concolic execution: symbolic shadows that follow a concrete run (see :mod:`.api`).

Kept import-free so the sandbox child that runs :mod:`codecot.symbolic.task` never loads z3.
"""
