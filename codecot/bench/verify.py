"""``codecot bench verify``: forward verification speed and mutant detection, as JSON figures.

Traces the corpus in the sandbox, writes template rationales, then (in this process, one core)
times (CPU time) parsing and checking of every step, and checks every certified mutant of every forward
rationale: per operator, the share rejected and the share whose first non-verified step is the
mutated one.

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
from codecot.narrate.template import TemplateNarrator
from codecot.trace.run import trace_records
from codecot.verify.mutate import mutate_rationale
from codecot.verify.record import plan, verdict_record


def _first_bad(rec: dict[str, Any]) -> int | None:
    for step in rec["steps"]:
        if step["verdict"] != "verified":
            return int(step["index"])
    return None


def bench_verify(corpus: str | Path, *, jobs: int | None = None, rounds: int = 3,
                 seed: int = 0) -> dict[str, Any]:
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
        "mutants": {op: {"count": by_op[op],
                         "rejected_pct": round(100 * rejected[op] / by_op[op], 2),
                         "first_error_at_mutation_pct": round(100 * localised[op] / by_op[op], 2)}
                    for op in sorted(by_op)},
        "mutants_total": sum(by_op.values()),
        "missed_examples": misses,
    }
