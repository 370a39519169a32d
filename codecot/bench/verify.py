"""``codecot bench verify``: forward verification speed and mutant detection, as JSON figures.

Traces the corpus in the sandbox, writes template rationales, then (in this process, one core)
times (CPU time) parsing and checking of every step, and checks every certified mutant of every forward
rationale: per operator, the share rejected and the share whose first non-verified step is the
mutated one.  With ``backward=True`` it does the same for certified mutants of the backward template
rationales (:mod:`codecot.verify.mutate_backward`), verified with the concolic engine in the sandbox
(``backward_mutants``; the first bad step is the first one neither proved nor consistent).

The parser's step cache (:func:`codecot.claims.parse.clear_cache`) is emptied before every timed
round, so a round only profits from steps repeated within the corpus, as one pass over a corpus
would; ``parse_cache_hit_pct`` says how many steps of a round were such repeats.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

from codecot.bench.common import valid_records
from codecot.claims import parse as parse_module
from codecot.corpus import CorpusRecord
from codecot.narrate.template import TemplateNarrator
from codecot.trace.run import trace_records
from codecot.verify.mutate import mutate_rationale
from codecot.verify.record import plan, verdict_record

_GOOD = frozenset({"verified", "proved", "consistent"})


def _first_bad(rec: dict[str, Any]) -> int | None:
    for step in rec["steps"]:
        if step["verdict"] not in _GOOD:
            return int(step["index"])
    return None


def _table(by_op: Counter[str], rejected: Counter[str], localised: Counter[str]) -> dict[str, Any]:
    return {op: {"count": by_op[op],
                 "rejected_pct": round(100 * rejected[op] / by_op[op], 2),
                 "first_error_at_mutation_pct": round(100 * localised[op] / by_op[op], 2)}
            for op in sorted(by_op)}


def backward_mutants(pairs: list[tuple[CorpusRecord, dict[str, Any]]], *, jobs: int | None = None,
                     seed: int = 0, progress: Any = None) -> dict[str, Any]:
    """Certified mutants of the backward template rationales of ``pairs`` (record, trace), each
    verified with the backward engine: per operator, the share rejected and the share whose
    first bad step is the mutated one, with examples of misses."""
    import contextlib

    from codecot.pipeline.verify_stage import session_factory
    from codecot.sandbox import Limits, SandboxPool
    from codecot.trace.run import TRACE_TASK
    from codecot.verify.mutate_backward import mutate_backward, pool_runner

    narrator = TemplateNarrator(seed=seed)
    by_op: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    localised: Counter[str] = Counter()
    misses: list[dict[str, Any]] = []
    gold_accepted = 0
    with contextlib.ExitStack() as stack:
        sessions = session_factory(stack, jobs, Limits())
        pool = stack.enter_context(SandboxPool(jobs=jobs, limits=Limits(), task=TRACE_TASK))
        for rec, trace in pairs:
            rat = narrator.narrate(rec, trace, "backward").to_json()
            gold = verdict_record(plan(rat, rec), _traces_for(plan(rat, rec), pool),
                                  backward=sessions)
            gold_accepted += bool(gold["accepted"])
            for mutant in mutate_backward(rat, trace, str(rec.output), pool_runner(rec.code, rec.entry, pool),
                                          seed):
                op = mutant["mutation"]["operator"]
                p = plan(mutant, rec)
                out = verdict_record(p, _traces_for(p, pool), backward=sessions)
                by_op[op] += 1
                rejected[op] += not out["accepted"]
                at = _first_bad(out) == mutant["mutation"]["step"]
                localised[op] += at
                if (out["accepted"] or not at) and sum(m["operator"] == op for m in misses) < 3:
                    misses.append({"id": rec.id, "operator": op, "mutation": mutant["mutation"],
                                   "accepted": out["accepted"],
                                   "first_bad": _first_bad(out),
                                   "steps": [(s["verdict"], s["detail"][:120]) for s in out["steps"]]})
            if progress is not None:
                progress.update(1)
    return {"rationales": len(pairs), "template_accepted": gold_accepted,
            "mutants": _table(by_op, rejected, localised), "mutants_total": sum(by_op.values()),
            "missed_examples": misses}


def _backward(pairs: list[tuple[CorpusRecord, dict[str, Any], dict[str, Any]]], jobs: int | None,
              seed: int) -> dict[str, Any]:
    from codecot.progress import progress_bar

    chosen = [(r, t) for r, t, _ in pairs if r.output is not None]
    with progress_bar(len(chosen), "backward mutants") as bar:
        return backward_mutants(chosen, jobs=jobs, seed=seed, progress=bar)


def _traces_for(p: Any, pool: Any) -> list[dict[str, Any] | None]:
    from codecot.trace.run import trace_records

    rec = p.record
    sources = [s for s in p.inputs if s is not None]
    records = [CorpusRecord(id=rec.id, code=rec.code, input=s, entry=rec.entry) for s in sources]
    traced = iter(list(trace_records(records, pool=pool)))
    return [None if s is None else next(traced) for s in p.inputs]


def bench_verify(corpus: str | Path, *, jobs: int | None = None, rounds: int = 3,
                 seed: int = 0, backward: bool = False) -> dict[str, Any]:
    records = valid_records(corpus)
    traces = list(trace_records(records, jobs=jobs))
    narrator = TemplateNarrator(seed=seed)
    pairs = [(r, t, narrator.narrate(r, t, "forward").to_json())
             for r, t in zip(records, traces, strict=True) if t.get("ok")]
    claims = 0
    per_round: list[float] = []
    parse_s: list[float] = []
    check_s: list[float] = []
    per_rationale_ms: list[float] = []
    accepted = 0
    hits = 0
    for k in range(rounds):
        parse_module.clear_cache()
        gc.collect()  # every round starts with the same garbage to collect: none
        start = time.process_time()
        parsed = [plan(rat, rec) for rec, _, rat in pairs]
        mid = time.process_time()
        hits = parse_module.cache_hits()
        for p, (_, trace, _) in zip(parsed, pairs, strict=True):
            t0 = time.process_time()
            out = verdict_record(p, [trace])
            per_rationale_ms.append(1000 * (time.process_time() - t0))
            if k == 0:
                claims += len(out["steps"])
                accepted += out["accepted"]
        end = time.process_time()
        parse_s.append(mid - start)
        check_s.append(end - mid)
        per_round.append(end - start)
    total = statistics.median(per_round)
    by_op: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    localised: Counter[str] = Counter()
    misses: list[dict[str, Any]] = []
    for rec, trace, rat in pairs:
        for mutant in mutate_rationale(rat, trace, seed):
            op = mutant["mutation"]["operator"]
            out = verdict_record(plan(mutant, rec), [trace])
            by_op[op] += 1
            rejected[op] += not out["accepted"]
            localised[op] += _first_bad(out) == mutant["mutation"]["step"]
            if out["accepted"] and len(misses) < 5:
                misses.append({"id": rec.id, "operator": op, "mutation": mutant["mutation"]})
    return {
        "bench": "verify",
        "corpus": str(corpus),
        "rationales": len(pairs),
        "template_accepted": accepted,
        "claims": claims,
        "clock": "process CPU time, one core",
        "claims_per_s_one_core": round(claims / total, 1),
        "parse_steps_per_s": round(claims / statistics.median(parse_s), 1),
        "parse_cache_hit_pct": round(100 * hits / claims, 2) if claims else 0.0,
        "check_claims_per_s": round(claims / statistics.median(check_s), 1),
        "ms_per_rationale_median": round(statistics.median(per_rationale_ms), 3),
        "rounds_s": [round(x, 3) for x in per_round],
        "parse_rounds_s": [round(x, 3) for x in parse_s],
        "check_rounds_s": [round(x, 3) for x in check_s],
        "mutants": _table(by_op, rejected, localised),
        "mutants_total": sum(by_op.values()),
        "missed_examples": misses,
        **({"backward": _backward(pairs, jobs, seed)} if backward else {}),
    }
