"""Solving for inputs: find an input that reproduces a given output (DESIGN.md §6)."""
