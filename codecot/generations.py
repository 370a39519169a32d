"""Import CRUXEval-style model generations as corpus and rationale records.

A *generations file* is one JSON object mapping a benchmark record's id to the list of texts a
model generated for it (``{"sample_0": ["text", ...], ...}``).  The *benchmark* is JSONL in
codecot's corpus format (``{"id", "code", "input", "output"}``).  :func:`import_generations`
turns them into corpus records and one rationale record per generated text:
``{"id", "direction", "narrator", "sample", "text"}``, where ``direction`` is ``forward`` for
the output-prediction task and ``backward`` for input prediction, ``narrator`` names the
generations file and ``sample`` is the text's position in its list.

Generated texts often carry parts of the prompt around the rationale; :func:`clean_generation`
cuts them off (see its doc).  Nothing here runs the code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codecot.corpus import CorpusRecord, read_corpus
from codecot.errors import InvalidArgument
from codecot.jsonl import write_jsonl

TASKS = {"output": "forward", "input": "backward"}

_END_TOKEN = re.compile(r"<\|[^\s|<>]{1,40}\|>|</s>")
_ANSWER_END = re.compile(r"\[/ANSWER\]", re.I)
_PYTHON_BLOCK = re.compile(r"[ \t]*\[PYTHON\].*?(?:\[/PYTHON\][ \t]*\n?|\Z)", re.I | re.S)
#: a tag with its line when the line holds nothing else
_THOUGHT_TAG = re.compile(r"^[ \t]*\[/?THOUGHT\][ \t]*(?:\n|\Z)|\[/?THOUGHT\]", re.I | re.M)
#: the task's assertion with its blank, e.g. ``assert f('ab') == ??`` or ``assert f(??) == 3``
_QUESTION_LINE = re.compile(r"[ \t]*assert\b[^\n]*\?\?[^\n]*(?:\n|\Z)")
#: CRUXEval's instruction paragraph: up to the first blank line, at most 10 lines
_INSTRUCTION = re.compile(r"[ \t]*You are given a Python function\b[^\n]*(?:\n(?![ \t]*\n)[^\n]*){0,9}")
_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+\n")


@dataclass
class ImportResult:
    """What :func:`import_generations` read and wrote, and what it skipped (``warnings``)."""

    records: int = 0
    generations: int = 0
    rationales: int = 0
    empty: int = 0
    warnings: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"{self.records} benchmark records, {self.rationales} rationales from "
                f"{self.generations} generations ({self.empty} empty after cleaning, "
                f"{len(self.warnings)} warnings)")


def clean_generation(text: str) -> str:
    """The rationale in a generated ``text``, with the prompt text around it cut off.

    In this order: everything from the first end-of-text token (``<|EOT|>``,
    ``<|endoftext|>``, ``<|im_end|>``, ``</s>``, ...) on; everything after the first
    ``[/ANSWER]``; every ``[PYTHON] ... [/PYTHON]`` block (a repeat of the program, or the
    start of a new few-shot example; an unclosed block runs to the end); the ``[THOUGHT]`` and
    ``[/THOUGHT]`` tags; then, at the start, repeats of the question: CRUXEval's instruction
    paragraph ("You are given a Python function ...", up to a blank line, at most 10 lines)
    and the assertion with its blank
    (``assert f(...) == ??``).  Runs of blank lines left behind become one blank line, and the
    result is stripped.
    """
    end = _END_TOKEN.search(text)
    if end:
        text = text[:end.start()]
    answer = _ANSWER_END.search(text)
    if answer:
        text = text[:answer.end()]
    text = _PYTHON_BLOCK.sub("", text)
    text = _THOUGHT_TAG.sub("", text)
    while True:
        stripped = text.lstrip()
        for pattern in (_INSTRUCTION, _QUESTION_LINE):
            m = pattern.match(stripped)
            if m and m.end() > 0:
                stripped = stripped[m.end():]
        if stripped == text.lstrip():
            break
        text = stripped
    return _BLANK_LINES.sub("\n\n", text).strip()


def read_generations(path: str | Path) -> dict[str, list[str]]:
    """The generations file at ``path`` as ``{id: [text, ...]}``.

    Raises :class:`InvalidArgument` naming the file (and the id) when it is not JSON, not an
    object, or maps an id to anything but a list of strings.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidArgument(f"cannot read generations file {path}: {exc.strerror}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidArgument(f"generations file {path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidArgument(f"generations file {path} must hold a JSON object "
                              f"{{id: [text, ...]}}, not a {type(data).__name__}")
    for key, texts in data.items():
        if not isinstance(texts, list):
            raise InvalidArgument(f"generations file {path}: {key!r} must map to a list of "
                                  f"strings, not a {type(texts).__name__}")
        for k, text in enumerate(texts):
            if not isinstance(text, str):
                raise InvalidArgument(f"generations file {path}: {key!r} item {k} must be a "
                                      f"string, not a {type(text).__name__}")
    return data


def read_benchmark(path: str | Path, result: ImportResult) -> list[CorpusRecord]:
    """The benchmark's records; malformed lines become warnings in ``result``."""
    if not Path(path).is_file():
        raise InvalidArgument(f"benchmark file {path} does not exist or is not a file")
    records: list[CorpusRecord] = []
    for rec in read_corpus(path):
        if isinstance(rec, CorpusRecord):
            records.append(rec)
        else:
            result.warnings.append(f"skipping benchmark record: {rec.message}")
    return records


def rationale_records(generations: dict[str, list[str]], records: Sequence[CorpusRecord],
                      task: str, narrator: str, result: ImportResult) -> list[dict[str, Any]]:
    """One rationale record per generated text whose id is in ``records`` (others are warned
    about and skipped; so is an input-task id whose record has no output)."""
    direction = TASKS[task]
    by_id = {r.id: r for r in records}
    out: list[dict[str, Any]] = []
    for rid, texts in generations.items():
        rec = by_id.get(rid)
        if rec is None:
            result.warnings.append(f"skipping {len(texts)} generation(s) for {rid!r}: "
                                   "no benchmark record has that id")
            continue
        if direction == "backward" and rec.output is None:
            result.warnings.append(f"skipping {len(texts)} generation(s) for {rid!r}: the "
                                   "benchmark record has no output to predict an input for")
            continue
        for k, raw in enumerate(texts):
            result.generations += 1
            text = clean_generation(raw)
            result.empty += not text
            out.append({"id": rid, "direction": direction, "narrator": narrator, "sample": k,
                        "text": text})
    return out


def import_generations(generations: str | Path, benchmark: str | Path, task: str,
                       outdir: str | Path) -> ImportResult:
    """Write ``outdir/corpus.jsonl`` (the benchmark's records) and ``outdir/rationales.jsonl``
    (the cleaned generations); ``task`` is ``output`` or ``input``."""
    if task not in TASKS:
        raise InvalidArgument(f"task must be output or input, not {task!r}")
    result = ImportResult()
    gens = read_generations(generations)
    records = read_benchmark(benchmark, result)
    result.records = len(records)
    rats = rationale_records(gens, records, task, Path(generations).stem, result)
    out = Path(outdir)
    if out.exists() and not out.is_dir():
        raise InvalidArgument(f"{out} exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(out / "corpus.jsonl", (r.to_json() for r in records))
    result.rationales = write_jsonl(out / "rationales.jsonl", rats)
    return result
