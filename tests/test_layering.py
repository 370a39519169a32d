"""Packages import only downward, in the tier order of ARCHITECTURE.md's "## Layers" block.

The checker walks every ``.py`` file under ``codecot/`` with :mod:`ast` and resolves each import
that targets ``codecot`` (absolute and relative, at module level, inside functions and under
``if TYPE_CHECKING:``) plus every string constant that is a codecot module name (sandbox task
specs such as ``"codecot.trace.tracer:trace_job"``, ``importlib.import_module`` arguments).
Each file belongs to a *unit*: the package or top-level module directly under ``codecot/``
(``codecot/claims/expr.py`` is in ``claims``, ``codecot/cli.py`` in ``cli``).  An import fails
when its target's unit sits on a higher tier than the importer's, and units on one tier must
not import each other in a cycle.  Every unit on disk must be listed; a listed unit must exist,
except the optional ones.  Only ``solver`` and ``symbolic`` may import z3.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARCHITECTURE = ROOT / "ARCHITECTURE.md"
#: Units the tier list may name although they are not on disk.
OPTIONAL_UNITS = frozenset({"train", "__main__"})
#: The only units that may import z3.
Z3_UNITS = frozenset({"solver", "symbolic"})

_TIER_LINE = re.compile(r"tier\s+(\d+)\s+([^(]+?)\s*(?:\(.*\))?")
_MODULE_NAME = re.compile(r"codecot(?:\.\w+)+(?::\w+)?")  # "codecot" alone is a word


def read_tiers(markdown: str) -> dict[str, int]:
    """Unit name -> tier, from the first fenced block after the ``## Layers`` heading.

    Each line of the block reads ``tier N   name, name   (an optional comment)``.  Raises
    ValueError when the section or block is missing, a line does not read so, or a name is
    listed twice.
    """
    lines = markdown.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == "## Layers")
        fence = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("```"))
        end = next(i for i in range(fence + 1, len(lines)) if lines[i].startswith("```"))
    except StopIteration:
        raise ValueError("no fenced block under a '## Layers' heading") from None
    tiers: dict[str, int] = {}
    for line in lines[fence + 1:end]:
        if not line.strip():
            continue
        match = _TIER_LINE.fullmatch(line.strip())
        if match is None:
            raise ValueError(f"not a tier line: {line!r}")
        for name in (n.strip() for n in match.group(2).split(",")):
            if name in tiers:
                raise ValueError(f"{name} is listed twice")
            tiers[name] = int(match.group(1))
    if not tiers:
        raise ValueError("the '## Layers' block lists no tiers")
    return tiers


@dataclass(frozen=True)
class Import:
    """One import (or module name in a string) found in a file."""

    file: str  # path relative to the tree's root, e.g. "codecot/x/y.py"
    line: int
    target: str  # dotted module name, e.g. "codecot.pipeline.jsonl" or "z3"


def unit_of_file(relative: Path) -> str:
    """The unit of a file given relative to the ``codecot`` package directory."""
    return relative.parts[0].removesuffix(".py")


def unit_of_module(name: str) -> str | None:
    """The unit a dotted module name belongs to (None outside codecot)."""
    parts = name.split(".")
    if parts[0] != "codecot":
        return None
    return parts[1] if len(parts) > 1 else "__init__"


def _exists(root: Path, dotted: str) -> bool:
    path = root.joinpath(*dotted.split("."))
    return path.is_dir() or path.with_suffix(".py").is_file()


def imports_in(root: Path, path: Path) -> Iterator[Import]:
    """Every import in ``path`` (a file under ``root/codecot``), resolved to module names.

    ``from P import name`` resolves to ``P.name`` when that is a module or package on disk,
    else to ``P``.
    """
    relative = path.relative_to(root)
    module = list(relative.with_suffix("").parts)
    package = module[:-1]
    file = relative.as_posix()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=file)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(file, node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if node.level - 1 > len(package):
                    continue  # beyond the top package: Python refuses it too
                base_parts = package[:len(package) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                yield Import(file, node.lineno,
                             candidate if _exists(root, candidate) else base)
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and _MODULE_NAME.fullmatch(node.value)):
            yield Import(file, node.lineno, node.value.partition(":")[0])


def all_imports(root: Path) -> list[Import]:
    """The imports of every ``.py`` file under ``root/codecot``, in file and line order."""
    found = [imp for path in sorted((root / "codecot").rglob("*.py"))
             for imp in imports_in(root, path)]
    return sorted(found, key=lambda imp: (imp.file, imp.line, imp.target))


def units_on_disk(root: Path) -> set[str]:
    """The packages and top-level modules directly under ``root/codecot``."""
    return {unit_of_file(path.relative_to(root / "codecot"))
            for path in (root / "codecot").rglob("*.py")}


def _cycles(edges: Mapping[str, set[str]]) -> list[list[str]]:
    """One cycle (as a closed path) per strongly connected group of units, found by DFS."""
    found: list[list[str]] = []
    seen_in_cycle: set[str] = set()
    for start in sorted(edges):
        if start in seen_in_cycle:
            continue
        stack: list[tuple[str, list[str]]] = [(start, [start])]
        visited: set[str] = set()
        while stack:
            node, route = stack.pop()
            for nxt in sorted(edges.get(node, ())):
                if nxt == start:
                    found.append([*route, start])
                    seen_in_cycle.update(route)
                    stack.clear()
                    break
                if nxt not in visited:
                    visited.add(nxt)
                    stack.append((nxt, [*route, nxt]))
    return found


def layering_problems(root: Path, tiers: Mapping[str, int],
                      optional: frozenset[str] = OPTIONAL_UNITS) -> list[str]:
    """Readable reports of every violation of ``tiers`` in the tree at ``root``.

    Upward imports (``codecot/x/y.py:12 imports codecot.pipeline.jsonl (tier 12) from
    tier 1``), units on disk that no tier lists, listed units missing from disk (unless in
    ``optional``), imports of codecot modules in no unit, and cycles among units of one tier.
    """
    problems: list[str] = []
    on_disk = units_on_disk(root)
    for unit in sorted(on_disk - tiers.keys()):
        problems.append(f"codecot/{unit} is in no tier: add it to the '## Layers' block")
    for unit in sorted(tiers.keys() - on_disk - optional):
        problems.append(f"the '## Layers' block lists {unit}, which is not in codecot/")
    same_tier: dict[str, set[str]] = {}
    for imp in all_imports(root):
        target_unit = unit_of_module(imp.target)
        if target_unit is None:
            continue
        own_unit = unit_of_file(Path(imp.file).relative_to("codecot"))
        own_tier, target_tier = tiers.get(own_unit), tiers.get(target_unit)
        if target_tier is None:
            if target_unit not in on_disk:
                problems.append(f"{imp.file}:{imp.line} imports {imp.target}, "
                                "which is not in codecot/")
            continue  # an unlisted unit on disk is reported above
        if own_tier is None:
            continue
        if target_tier > own_tier:
            problems.append(f"{imp.file}:{imp.line} imports {imp.target} (tier {target_tier}) "
                            f"from tier {own_tier}")
        elif target_tier == own_tier and target_unit != own_unit:
            same_tier.setdefault(own_unit, set()).add(target_unit)
    for cycle in _cycles(same_tier):
        problems.append(f"units on tier {tiers[cycle[0]]} import each other in a cycle: "
                        + " -> ".join(cycle))
    return problems


def z3_problems(root: Path, allowed: frozenset[str] = Z3_UNITS) -> list[str]:
    """Imports of z3 from any unit outside ``allowed``."""
    return [f"{imp.file}:{imp.line} imports {imp.target} (only "
            + ", ".join(f"codecot/{u}/" for u in sorted(allowed)) + " may import z3)"
            for imp in all_imports(root)
            if imp.target.split(".")[0] == "z3"
            and unit_of_file(Path(imp.file).relative_to("codecot")) not in allowed]


# --- the project --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiers() -> dict[str, int]:
    return read_tiers(ARCHITECTURE.read_text(encoding="utf-8"))


def test_architecture_orders_the_pipeline_bottom_up(tiers: dict[str, int]) -> None:
    assert tiers["errors"] == 0
    assert tiers["claims"] < tiers["solver"] < tiers["verify"] < tiers["narrate"]
    assert tiers["narrate"] < tiers["report"] < tiers["pipeline"] < tiers["bench"] < tiers["cli"]


def test_every_codecot_import_goes_down(tiers: dict[str, int]) -> None:
    problems = layering_problems(ROOT, tiers)
    assert not problems, "layering violations:\n" + "\n".join(problems)


def test_only_solver_and_symbolic_import_z3() -> None:
    problems = z3_problems(ROOT)
    assert not problems, "\n".join(problems)


# --- the checker itself, on synthetic trees --------------------------------------------------

LAYERS = """# x

## Layers

```
tier 0   low, base      (codecot/low.py, codecot/base.py)
tier 1   mid
tier 2   high, side
tier 3   __init__, ghost
```
"""


def _tree(root: Path, files: Mapping[str, str]) -> Path:
    for name, text in files.items():
        path = root / "codecot" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_read_tiers_reads_names_and_comments() -> None:
    assert read_tiers(LAYERS) == {"low": 0, "base": 0, "mid": 1, "high": 2, "side": 2,
                                  "__init__": 3, "ghost": 3}
    with pytest.raises(ValueError, match="listed twice"):
        read_tiers("## Layers\n```\ntier 0 a\ntier 1 a\n```\n")
    with pytest.raises(ValueError, match="not a tier line"):
        read_tiers("## Layers\n```\nlevel 0 a\n```\n")
    with pytest.raises(ValueError, match="no fenced block"):
        read_tiers("## Other\n```\ntier 0 a\n```\n")


def test_downward_imports_pass(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "__init__.py": "from codecot import high\n",
        "low.py": "import json\nfrom codecot import base\n",
        "base.py": "",
        "mid/__init__.py": "from ..low import x\n",
        "mid/a.py": "from . import b\nfrom codecot.mid.b import y\nTASK = 'codecot.low:job'\n",
        "mid/b.py": "",
        "high/__init__.py": "",
        "high/h.py": "from codecot.side import s\nimport z3\n",
        "side.py": "",
        "ghost/__init__.py": "KEY = 'codecot'\n",
    })
    assert layering_problems(root, read_tiers(LAYERS)) == []
    assert z3_problems(root, frozenset({"high"})) == []


def test_upward_missing_and_cyclic_imports_are_reported(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "__init__.py": "",
        "low.py": (
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n"
            "    from codecot.mid import a\n"
            "def f():\n"
            "    import codecot.high.h\n"
            "    return 'codecot.high.h:run'\n"
        ),
        "base.py": "from codecot import mid\n",
        "mid/__init__.py": "",
        "mid/a.py": "from ..high import h\nfrom .. import side\nimport z3.z3types\n",
        "high/__init__.py": "",
        "high/h.py": "from codecot.side import s\nfrom codecot.nowhere import n\n",
        "side.py": "import codecot.high\n",
        "extra/__init__.py": "",
    })
    assert layering_problems(root, read_tiers(LAYERS)) == [
        "codecot/extra is in no tier: add it to the '## Layers' block",
        "the '## Layers' block lists ghost, which is not in codecot/",
        "codecot/base.py:1 imports codecot.mid (tier 1) from tier 0",
        "codecot/high/h.py:2 imports codecot.nowhere, which is not in codecot/",
        "codecot/low.py:3 imports codecot.mid.a (tier 1) from tier 0",
        "codecot/low.py:5 imports codecot.high.h (tier 2) from tier 0",
        "codecot/low.py:6 imports codecot.high.h (tier 2) from tier 0",
        "codecot/mid/a.py:1 imports codecot.high.h (tier 2) from tier 1",
        "codecot/mid/a.py:2 imports codecot.side (tier 2) from tier 1",
        "units on tier 2 import each other in a cycle: high -> side -> high",
    ]
    assert z3_problems(root, frozenset({"high"})) == [
        "codecot/mid/a.py:3 imports z3.z3types (only codecot/high/ may import z3)"]
