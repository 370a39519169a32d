"""``codecot bench narrate``: constrained against free decoding with the HF narrator.

One model load, the same prompts, seed and batches for every mode, run alternately (the
order reversed on odd batches) so that load on the machine hits them alike.  Modes: free,
constrained (grammar masks computed beside the forward pass), with ``serial`` constrained
with the masks computed between forward passes, and with ``full_prefill`` constrained without
the shared-prefix cache (every prompt prefilled in full).  Prompts are batched as the
narrator batches them (by context, then length).  Reported per mode: decoded tokens and
seconds after each batch's first step, the median tokens/s over batches, the prefill seconds
(each batch's time to its first new token; each mode has its own prefix cache), and the parse
rate of the generated steps (``parse_step``, the claim parser; and the bare Lark grammar).
"""

from __future__ import annotations

import functools
import statistics
import sys
import time
from pathlib import Path
from typing import Any


def _tick(ticks: list[tuple[float, int]], n: int) -> None:
    ticks.append((time.perf_counter(), n))


def _parse_counts(texts: list[str]) -> dict[str, Any]:
    from lark.exceptions import LarkError

    from codecot.claims import StepParseError, parse_rationale
    from codecot.claims.grammar import get_parser

    steps = claims = grammar = 0
    unparsed: list[str] = []
    for text in texts:
        for claim in parse_rationale(text):
            steps += 1
            claims += not isinstance(claim, StepParseError)
            if isinstance(claim, StepParseError) and len(unparsed) < 8:
                unparsed.append(f"{claim.text!r}: {claim.message}")
        for line in filter(str.strip, text.split("\n")):
            try:
                get_parser().parse(line.strip())
                grammar += 1
            except LarkError:
                pass
    return {"steps": steps, "claim_parsed": claims, "grammar_parsed": grammar,
            "unparsed_examples": unparsed}


def bench_narrate(corpus: Path, *, records: int = 30, direction: str = "forward",
                  grounded: bool = True, model: str | None = None, batch_size: int = 4,
                  max_new_tokens: int = 256, threads: int | None = 1, seed: int = 0,
                  device: str = "cpu", serial: bool = False, full_prefill: bool = False,
                  dtype: str = "auto", adapter: str | None = None) -> dict[str, Any]:
    """Measure the modes (see the module) on the first ``records`` traced records of
    ``corpus``."""
    from codecot.bench.common import valid_records
    from codecot.narrate.hf import HFNarrator, HFSettings
    from codecot.narrate.hf.generate import PrefixCache, generate_batch
    from codecot.trace.run import trace_records

    recs = valid_records(corpus)
    traces = list(trace_records(recs))
    good = [(r, t) for r, t in zip(recs, traces, strict=True) if t.get("ok")][:records]
    settings = HFSettings(model=model, grounded=grounded, constrain=True, batch_size=batch_size,
                          max_new_tokens=max_new_tokens, seed=seed, device=device,
                          threads=threads, dtype=dtype, adapter=adapter)
    narrator = HFNarrator(settings)
    lm, tok = narrator.loaded.model, narrator.loaded.tokenizer
    keyed = []
    for r, t in good:
        prompt, context = narrator.prompt_and_context(r, t, direction)
        keyed.append((narrator.batch_key(prompt, context), prompt, r.id))
    prompts = [(p, rid) for _, p, rid in sorted(keyed, key=lambda k: k[0])]
    names = ("free", "constrained") + (("constrained_serial",) if serial else ()) \
        + (("constrained_full_prefill",) if full_prefill else ())
    modes: dict[str, dict[str, Any]] = {m: {"tokens": 0, "seconds": 0.0, "rates": [],
                                            "texts": [], "finished": 0,
                                            "mask_seconds": 0.0, "prefill": [],
                                            "cache": None if m.endswith("full_prefill")
                                            else PrefixCache(lm)}
                                        for m in names}
    batches = [prompts[i:i + batch_size] for i in range(0, len(prompts), batch_size)]
    for index, batch in enumerate(batches):
        order = names if index % 2 == 0 else names[::-1]
        for mode in order:
            ticks: list[tuple[float, int]] = []
            start = time.perf_counter()
            gens = generate_batch(
                lm, tok, [p for p, _ in batch], [direction] * len(batch),
                constraint=None if mode == "free" else narrator.constraint,
                overlap=mode != "constrained_serial",
                prefix_cache=modes[mode]["cache"],
                max_new_tokens=max_new_tokens, temperature=0.0, seed=seed,
                max_steps=settings.max_steps,
                on_tokens=functools.partial(_tick, ticks))
            end = time.perf_counter()
            # decoding rate: tokens after the first decoding step over the time they took
            # (the first step includes the prompt's prefill, identical for both modes)
            tokens = sum(n for _, n in ticks[1:])
            seconds = end - ticks[0][0] if ticks else 0.0
            stats = modes[mode]
            stats["prefill"].append(ticks[0][0] - start if ticks else 0.0)
            stats["tokens"] += tokens
            stats["seconds"] += seconds
            stats["rates"].append(tokens / seconds if seconds else 0.0)
            stats["mask_seconds"] += gens[0].mask_seconds if gens else 0.0
            stats["texts"] += [g.text for g in gens]
            stats["finished"] += sum(g.finished for g in gens)
        print(f"batch {index + 1}/{len(batches)}: " + ", ".join(
            f"{m} {modes[m]['rates'][-1]:.1f} tok/s" for m in modes), file=sys.stderr)
    out: dict[str, Any] = {"corpus": str(corpus), "records": len(prompts),
                           "direction": direction, "grounded": grounded,
                           "model": narrator.loaded.name, "adapter": narrator.adapter,
                           "prompt_form": narrator.prompt_form, "batch_size": batch_size,
                           "max_new_tokens": max_new_tokens, "threads": threads}
    for mode, stats in modes.items():
        counts = _parse_counts(stats["texts"])
        steps = max(counts["steps"], 1)
        out[mode] = {
            "tokens": stats["tokens"], "seconds": round(stats["seconds"], 1),
            "tokens_per_s_median": round(statistics.median(stats["rates"]), 2),
            "tokens_per_s_overall": round(stats["tokens"] / stats["seconds"], 2),
            "prefill_seconds": round(sum(stats["prefill"]), 1),
            "prefill_seconds_median": round(statistics.median(stats["prefill"]), 2),
            "rationales_finished": stats["finished"],
            "grammar_mask_seconds": round(stats["mask_seconds"], 2),
            **counts,
            "claim_parse_rate": round(counts["claim_parsed"] / steps, 4),
            "grammar_parse_rate": round(counts["grammar_parsed"] / steps, 4),
        }
    f = out["free"]["tokens_per_s_median"]
    for mode in names[1:]:
        key = "constrained_slowdown" + mode[len("constrained"):]
        out[key] = round(1 - out[mode]["tokens_per_s_median"] / f, 4) if f else None
    if full_prefill:
        cached = out["constrained"]["prefill_seconds"]
        full = out["constrained_full_prefill"]["prefill_seconds"]
        out["prefill_speedup_from_prefix_cache"] = round(full / cached, 2) if cached else None
    return out


def summarize_verdicts(path: Path, top: int = 5) -> dict[str, Any]:
    """Acceptance and the most common refuted claim kinds/details of a verdicts file, per
    direction (for reporting the hf narrator's runs)."""
    import re
    from collections import Counter

    from codecot.jsonl import iter_jsonl

    per: dict[str, dict[str, Any]] = {}
    for _, obj in iter_jsonl(path):
        if not isinstance(obj, dict):
            continue
        d = per.setdefault(str(obj.get("direction")), {
            "rationales": 0, "accepted": 0, "verdicts": Counter(), "refuted_kinds": Counter(),
            "refuted_details": Counter(), "unparsed": 0})
        d["rationales"] += 1
        d["accepted"] += bool(obj.get("accepted"))
        for step in obj.get("steps", []):
            verdict = str(step.get("verdict"))
            d["verdicts"][verdict] += 1
            if verdict == "refuted":
                d["refuted_kinds"][str(step.get("kind"))] += 1
                detail = re.sub(r"\d+|'[^']*'", "_", str(step.get("detail", "")))[:70]
                d["refuted_details"][detail] += 1
    return {direction: {"rationales": d["rationales"], "accepted": d["accepted"],
                        "acceptance": round(d["accepted"] / max(d["rationales"], 1), 4),
                        "step_verdicts": dict(d["verdicts"]),
                        "top_refuted_kinds": d["refuted_kinds"].most_common(top),
                        "top_refuted_details": d["refuted_details"].most_common(top)}
            for direction, d in per.items()}
