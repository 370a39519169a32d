"""codecot: provably right chain-of-thought about code.

Trace a Python function in a sandbox, narrate its execution step by step in a controlled
English, parse every step into a typed claim, and decide each claim with Z3.
"""

__version__ = "0.1.0"
