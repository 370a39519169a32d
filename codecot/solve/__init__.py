"""Solving for inputs: find an input that reproduces a given output (DESIGN.md §6).

Public API::

    SolveOptions(hint="types"|"none", timeout=10.0, alternatives=1, concolic=True, seed=0)
    Solver(options).solve(record) -> solution dict  # {"id", "status", "input", "seconds", ...}
    solve_records(records, options, jobs=N) -> Iterator[solution dict]   (codecot.solve.run)

Modules: `types` (type skeletons), `infer` (types from code), `mine` (constants), `gen`
(typed candidates, mutation), `evaluate` (sandboxed batches, exact verification), `concolic`
(the symbolic engine's strategy), `portfolio` (the search loop), `run` (a corpus in parallel),
`task` (the sandbox task), `crosshair_compare` (the CrossHair baseline), `command` (the CLI).
"""
