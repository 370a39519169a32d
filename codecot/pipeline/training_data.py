"""``codecot train-data``: the training set of the shipped narrator, from verified rationales.

For each corpus (by default the packaged ``starter`` and ``forms`` corpora and the HumanEval
import) :func:`build_training_data` runs the pipeline (:func:`codecot.pipeline.run.run_pipeline`:
template narrator, both directions, strict policy) into ``OUT/runs/NAME/``, so an interrupted
build resumes where it stopped.  Every *accepted* rationale then gives two rows, one grounded
and one blind, each exactly the short prompt a fine-tuned narrator sends
(:func:`codecot.pipeline.dataset.chat_row`; the records are traced again for the prompts).
Accepted rationales of other runs (``merge``, e.g. of the HF narrator) are added the same way.

Rows are split by *problem*: a record's problem is its id up to a ``#`` (HumanEval records are
``HumanEval/N#k``, so every input of one problem lands on one side; other ids are their own
problem).  A problem is held out when the first 8 bytes of ``sha256("SEED:PROBLEM")`` over 2**64
fall below the held-out fraction (with at least two problems, at least one is held out and at
least one is not).  Rows are deduplicated by their messages over both sides (the first is kept),
so no row's messages are on both sides.  ``OUT`` gets ``train.jsonl``,
``heldout.jsonl``, ``heldout_corpus.jsonl`` (the first corpus record of each held-out problem,
for ``codecot bench loop``) and ``manifest.json`` (counts per corpus, direction and form, the
files' sha256, the corpora's sha256, the seed and the fraction).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer

from codecot.corpus import CorpusRecord, packaged_corpus
from codecot.errors import InvalidArgument
from codecot.jsonl import atomic_write_text, iter_jsonl
from codecot.pipeline.dataset import chat_row
from codecot.pipeline.run import RunConfig, check_engine, file_sha256, load_corpus, run_pipeline

#: Narration actors of ``--engine ray`` (one per core of a 2-core machine).
ACTORS = 2

#: The corpora of the shipped narrator's training set.
DEFAULT_CORPORA = ("starter", "forms", "humaneval")
TRAIN, HELDOUT, MANIFEST = "train.jsonl", "heldout.jsonl", "manifest.json"
#: One corpus record per held-out problem (its first, corpora in order): the corpus that
#: ``codecot bench loop`` narrates.
HELDOUT_CORPUS = "heldout_corpus.jsonl"
RUNS = "runs"
CORPORA = "corpora"


@dataclass(frozen=True)
class Source:
    """One corpus of the build: a name (its run folder) and its JSONL file."""

    name: str
    path: Path


@dataclass
class TrainingRows:
    """Rows of every source in order, with the source name of each."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def add(self, source: str, row: dict[str, Any]) -> None:
        self.rows.append(row)
        self.sources.append(source)


def problem_of(record_id: str) -> str:
    """The problem a record belongs to: its id up to the first ``#``."""
    return record_id.split("#", 1)[0]


def problem_fraction(problem: str, seed: int) -> float:
    """A stable number in [0, 1) for a problem and a seed."""
    head = hashlib.sha256(f"{seed}:{problem}".encode()).digest()[:8]
    return int.from_bytes(head, "big") / 2.0**64


def held_out_problems(problems: set[str], fraction: float, seed: int) -> set[str]:
    """The problems held out (see the module docstring)."""
    if not 0.0 <= fraction < 1.0:
        raise InvalidArgument(f"--heldout {fraction}: must be at least 0 and below 1")
    chosen = {p for p in problems if problem_fraction(p, seed) < fraction}
    if not chosen and fraction > 0 and len(problems) >= 2:
        chosen = {min(problems, key=lambda p: problem_fraction(p, seed))}
    if chosen == problems and problems:
        chosen.discard(max(chosen, key=lambda p: problem_fraction(p, seed)))
    return chosen


def humaneval_source(folder: Path) -> Source:
    """Write the HumanEval import (one record per assert, outputs left to the pipeline) to
    ``folder/humaneval.jsonl`` unless it is there already."""
    from codecot.humaneval import import_humaneval

    path = folder / "humaneval.jsonl"
    if not path.is_file():
        records, _ = import_humaneval()
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, "".join(json.dumps(r.to_json()) + "\n" for r in records))
    return Source("humaneval", path)


def resolve_sources(names: Sequence[str], out: Path) -> list[Source]:
    """Sources for corpus names: ``humaneval`` (imported), a packaged corpus name (``starter``,
    ``forms``, ...) or the path of a JSONL corpus file (named after its stem)."""
    sources: list[Source] = []
    for name in names:
        if name == "humaneval":
            sources.append(humaneval_source(out / CORPORA))
            continue
        path = Path(name)
        if not path.is_file():
            try:
                path = packaged_corpus(name)
            except FileNotFoundError:
                raise InvalidArgument(f"corpus {name!r}: not a file, 'humaneval' or a packaged "
                                      f"corpus name") from None
        sources.append(Source(path.stem, path))
    names_seen = Counter(s.name for s in sources)
    if any(n > 1 for n in names_seen.values()):
        raise InvalidArgument(f"two corpora share a name: {sorted(n for n, c in names_seen.items() if c > 1)}")
    return sources


def read_accepted(run_dir: Path) -> list[dict[str, Any]]:
    """The verdict records of a run directory's ``accepted.jsonl``."""
    path = run_dir / "accepted.jsonl"
    if not path.is_file():
        raise InvalidArgument(f"{run_dir} is not a codecot run directory (no accepted.jsonl)")
    return [obj for _, obj in iter_jsonl(path) if isinstance(obj, dict)]


def run_corpus(run_dir: Path) -> Path:
    """The corpus a run directory was made from (its ``progress.json``)."""
    try:
        config = json.loads((run_dir / "progress.json").read_text(encoding="utf-8"))["config"]
        return Path(config["corpus"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidArgument(f"{run_dir}: no readable progress.json naming its corpus") from exc


def rows_of_run(name: str, run_dir: Path, corpus: Path, out: TrainingRows,
                jobs: int | None) -> Counter[str]:
    """Add a grounded and a blind row for every accepted rationale of ``run_dir`` (about
    ``corpus``); return the count of accepted rationales per direction."""
    from codecot.trace.run import trace_records

    accepted = read_accepted(run_dir)
    records = {r.id: r for r in load_corpus(corpus) if isinstance(r, CorpusRecord)}
    needed = [records[i] for i in dict.fromkeys(str(v.get("id")) for v in accepted) if i in records]
    traces = {r.id: t for r, t in zip(needed, trace_records(needed, jobs=jobs), strict=True)}
    counts: Counter[str] = Counter()
    for verdict in accepted:
        rid = str(verdict.get("id"))
        trace = traces.get(rid)
        if trace is None or not trace.get("ok"):
            continue
        counts[str(verdict.get("direction"))] += 1
        for grounded in (True, False):
            out.add(name, chat_row(verdict, records[rid], trace, grounded=grounded))
    return counts


def row_key(row: dict[str, Any]) -> str:
    """What two rows must share to be duplicates: their messages."""
    return json.dumps(row["messages"], ensure_ascii=False, sort_keys=True)


@dataclass
class Split:
    """The rows on each side and what was dropped on the way."""

    train: list[dict[str, Any]] = field(default_factory=list)
    heldout: list[dict[str, Any]] = field(default_factory=list)
    train_sources: list[str] = field(default_factory=list)
    heldout_sources: list[str] = field(default_factory=list)
    duplicates: int = 0
    held_problems: set[str] = field(default_factory=set)
    problems: set[str] = field(default_factory=set)


def split_rows(rows: TrainingRows, fraction: float, seed: int) -> Split:
    """Deduplicate ``rows`` and split them by problem (see the module docstring)."""
    problems = {problem_of(str(r["id"])) for r in rows.rows}
    held = held_out_problems(problems, fraction, seed)
    split = Split(held_problems=held, problems=problems)
    seen: set[str] = set()
    for row, source in zip(rows.rows, rows.sources, strict=True):
        key = row_key(row)
        if key in seen:
            split.duplicates += 1
            continue
        seen.add(key)
        if problem_of(str(row["id"])) in held:
            split.heldout.append(row)
            split.heldout_sources.append(source)
        else:
            split.train.append(row)
            split.train_sources.append(source)
    return split


def _counts(rows: list[dict[str, Any]], sources: list[str]) -> dict[str, Any]:
    by: Counter[str] = Counter()
    for row, source in zip(rows, sources, strict=True):
        form = "grounded" if row.get("grounded") else "blind"
        by[f"{source}/{row['direction']}/{form}"] += 1
    return {"rows": len(rows), "problems": len({problem_of(str(r["id"])) for r in rows}),
            "records": len({str(r["id"]) for r in rows}), "by_source": dict(sorted(by.items()))}


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    atomic_write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


@dataclass(frozen=True)
class BuildResult:
    """The manifest of a build and where its files are."""

    manifest: dict[str, Any]
    out: Path

    def line(self) -> str:
        m = self.manifest
        return (f"training data: {m['train']['rows']} training rows ({m['train']['problems']} "
                f"problems), {m['heldout']['rows']} held-out rows ({m['heldout']['problems']} "
                f"problems), {m['duplicates']} duplicates dropped -> {self.out}")


def build_training_data(out: Path, corpora: Sequence[str] = DEFAULT_CORPORA, *,
                        heldout: float = 0.1, seed: int = 0, jobs: int | None = None,
                        merge: Sequence[Path] = (), engine: str = "local", actors: int = ACTORS,
                        on_source: Callable[[str], None] | None = None) -> BuildResult:
    """Build ``train.jsonl``, ``heldout.jsonl`` and ``manifest.json`` in ``out`` (see the
    module docstring); ``on_source(name)`` is called before each corpus runs.  ``engine`` and
    ``actors`` run each corpus's pipeline (``ray`` with ``actors`` narration actors narrates
    records side by side); the outputs are the same but where the template narrator's timed
    backward exploration gives out under one load and not the other."""
    if not corpora and not merge:
        raise InvalidArgument("nothing to build from: give a corpus or a run to merge")
    check_engine(engine)
    if actors < 1:
        raise InvalidArgument("--actors must be at least 1")
    held_out_problems(set(), heldout, seed)  # checks the fraction before any work
    out.mkdir(parents=True, exist_ok=True)
    rows = TrainingRows()
    sources: list[dict[str, Any]] = []
    resolved = resolve_sources(corpora, out)
    for source in resolved:
        if on_source is not None:
            on_source(source.name)
        run_dir = out / RUNS / source.name
        result = run_pipeline(RunConfig(corpus=source.path, outdir=run_dir, jobs=jobs,
                                        narrators=("template",),
                                        directions=("forward", "backward"), report=False,
                                        engine=engine, ray_actors=actors))
        accepted = rows_of_run(source.name, run_dir, source.path, rows, jobs)
        sources.append({"name": source.name, "corpus": str(source.path),
                        "corpus_sha256": file_sha256(source.path), "run": str(run_dir),
                        "records": result.summary["records"],
                        "accepted": dict(sorted(accepted.items())),
                        "by_slot": result.summary["by_slot"]})
    for run_dir in merge:
        corpus = run_corpus(run_dir)
        name = f"merge:{run_dir.name}"
        accepted = rows_of_run(name, run_dir, corpus, rows, jobs)
        sources.append({"name": name, "corpus": str(corpus), "corpus_sha256": file_sha256(corpus),
                        "run": str(run_dir), "accepted": dict(sorted(accepted.items()))})
    split = split_rows(rows, heldout, seed)
    if not split.train:
        raise InvalidArgument("no accepted rationales: the training set would be empty")
    _write_jsonl(out / TRAIN, split.train)
    _write_jsonl(out / HELDOUT, split.heldout)
    _write_jsonl(out / HELDOUT_CORPUS, heldout_records(resolved, split.held_problems))
    manifest = {
        "seed": seed, "heldout_fraction": heldout, "prompt_form": "short",
        "split": "by problem: the id up to '#'; held out when sha256('SEED:PROBLEM') < fraction",
        "sources": sources,
        "rows": len(rows.rows), "duplicates": split.duplicates,
        "train": {**_counts(split.train, split.train_sources),
                  "sha256": file_sha256(out / TRAIN)},
        "heldout": {**_counts(split.heldout, split.heldout_sources),
                    "sha256": file_sha256(out / HELDOUT),
                    "problem_ids": sorted(split.held_problems),
                    "corpus": HELDOUT_CORPUS},
    }
    atomic_write_text(out / MANIFEST, json.dumps(manifest, indent=1) + "\n")
    return BuildResult(manifest, out)


def heldout_records(sources: Sequence[Source], problems: set[str]) -> list[dict[str, Any]]:
    """The first record of each of ``problems`` in ``sources`` (in order), as JSON."""
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for source in sources:
        for record in load_corpus(source.path):
            if not isinstance(record, CorpusRecord):
                continue
            problem = problem_of(record.id)
            if problem in problems and problem not in seen:
                seen.add(problem)
                out.append(record.to_json())
    return out


def train_data_command(
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for train.jsonl, "
                                         "heldout.jsonl, heldout_corpus.jsonl, manifest.json "
                                         "(and runs/).")],
    corpus: Annotated[list[str] | None, typer.Option(
        "--corpus", help="Corpus: a JSONL file, a packaged corpus name or 'humaneval' "
        "(repeatable; default: starter, forms, humaneval).")] = None,
    merge: Annotated[list[Path] | None, typer.Option(
        "--merge", help="Also take the accepted rationales of this `codecot run` directory "
        "(repeatable).")] = None,
    heldout: Annotated[float, typer.Option(help="Share of problems held out.")] = 0.1,
    seed: Annotated[int, typer.Option(help="Seed of the held-out split.")] = 0,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", help="Sandbox workers (default: "
                                             "CPU count).")] = None,
    engine: Annotated[str, typer.Option(help="local (one process narrates) or ray (Ray Data: "
                                        "narration actors side by side); the same files under like load.")] = "local",
    actors: Annotated[int, typer.Option(help="Ray engine: narration actors.")] = ACTORS,
) -> None:
    """Build the narrator's training set: template rationales of the corpora, verified, each
    as a grounded and a blind short-prompt row, split by problem (resumes after a kill)."""
    result = build_training_data(
        output, tuple(corpus) if corpus else DEFAULT_CORPORA, heldout=heldout, seed=seed,
        jobs=jobs, merge=tuple(merge or ()), engine=engine, actors=actors,
        on_source=lambda name: typer.echo(f"corpus {name}: running the pipeline", err=True))
    typer.echo(result.line())
