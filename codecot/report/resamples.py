"""Where guided decoding needed resamples (``--guided K``): figures and the report's table.

A guided rationale record holds ``guided`` (K, the tries per step), ``resamples`` (the
tries beyond the first of each written step, in step order) and ``skipped`` (per step, the
rounds of K failed tries thrown away before it; absent in older records).  Each step's kind
comes from the verdict record's step at the same index.  Per narrator/direction and step kind,
:class:`ResampleFigures` counts the steps, their mean resamples, the share that needed any,
the share that used every try and the share written after a skip.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any


@dataclass
class _Counts:
    steps: int = 0
    resamples: int = 0
    resampled: int = 0
    exhausted: int = 0
    skipped: int = 0

    def add(self, n: int, tries: int, skipped: int) -> None:
        self.steps += 1
        self.resamples += n
        self.resampled += n > 0
        self.exhausted += n >= tries - 1 > 0
        self.skipped += skipped > 0

    def to_json(self) -> dict[str, Any]:
        steps = max(self.steps, 1)
        return {"steps": self.steps, "resamples": self.resamples,
                "mean_resamples": round(self.resamples / steps, 4),
                "share_resampled": round(self.resampled / steps, 4),
                "share_every_try": round(self.exhausted / steps, 4),
                "share_after_skip": round(self.skipped / steps, 4)}


@dataclass
class ResampleFigures:
    """Resample counts of guided rationales by ``narrator/direction`` and step kind."""

    by_slot: dict[str, dict[str, _Counts]] = field(default_factory=dict)
    tries: dict[str, int] = field(default_factory=dict)
    rationales: int = 0

    def add(self, rec: dict[str, Any]) -> None:
        """Count one verdict record (records without guided resamples are skipped)."""
        resamples = rec.get("resamples")
        steps = rec.get("steps") or []
        tries = rec.get("guided")
        if not isinstance(resamples, list) or not isinstance(tries, int) or tries < 1 \
                or len(resamples) != len(steps):
            return
        slot = f"{rec.get('narrator')}/{rec.get('direction')}"
        self.rationales += 1
        self.tries[slot] = tries
        kinds = self.by_slot.setdefault(slot, {})
        skipped = rec.get("skipped")
        if not isinstance(skipped, list) or len(skipped) != len(steps):
            skipped = [0] * len(steps)
        for step, n, skips in zip(steps, resamples, skipped, strict=True):
            kind = str(step.get("kind"))
            for key in (kind, "all steps"):
                kinds.setdefault(key, _Counts()).add(int(n), tries, int(skips))

    def to_json(self) -> dict[str, Any]:
        return {"rationales": self.rationales,
                "by_slot": {slot: {"guided": self.tries[slot],
                                   "kinds": {k: c.to_json() for k, c in sorted(
                                       kinds.items(), key=lambda kc: (kc[0] == "all steps",
                                                                      -kc[1].resamples, kc[0]))}}
                            for slot, kinds in sorted(self.by_slot.items())}}


def resample_section(figures: dict[str, Any] | None) -> str:
    """The report's HTML section on guided resamples ('' when the run had none)."""
    if not figures or not figures.get("rationales"):
        return ""
    rows = []
    for slot, entry in figures["by_slot"].items():
        for kind, c in entry["kinds"].items():
            rows.append(
                f"<tr><td>{escape(slot)}</td><td>{entry['guided']}</td><td>{escape(kind)}</td>"
                f"<td class='n'>{c['steps']}</td><td class='n'>{c['mean_resamples']:.2f}</td>"
                f"<td class='n'>{100 * c['share_resampled']:.1f}</td>"
                f"<td class='n'>{100 * c['share_every_try']:.1f}</td>"
                f"<td class='n'>{100 * c.get('share_after_skip', 0.0):.1f}</td></tr>")
    head = "".join(f"<th>{h}</th>" for h in (
        "narrator/direction", "tries (K)", "step kind", "steps", "mean resamples",
        "% resampled", "% used every try", "% after a skip"))
    return ("<h2>Guided decoding: resamples by step kind</h2>"
            f"<p>{figures['rationales']} guided rationales. Each step was checked as it was "
            "written; a refuted, unknown or unparsed step was sampled again, up to K tries. "
            "Resamples are the tries beyond the first. A step whose K tries all failed may be "
            "skipped: written again, about another line.</p>"
            f"<table><tr>{head}</tr>{''.join(rows)}</table>")
