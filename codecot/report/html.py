"""``report.html``: one self-contained page (inline CSS, plots as embedded base64 PNGs).

Sections: run overview and time per stage; acceptance by narrator and direction; errors that
stopped records before verification; refuted steps by claim kind; error modes; where the first
error falls; examples of each error mode with the claimed and the true value side by side; for
guided runs, the resamples per step kind (:mod:`codecot.report.resamples`); and, for runs over
mutants, what each mutation operator's mutants became.  Runs with free-form
rationales get per narrator/direction sentence verdicts, the most common refuted statement
kinds, and (at the end) up to ``max_rationales`` rationales shown in full with each sentence
coloured by its verdict (:mod:`codecot.report.free_html`).  Without matplotlib the page still
has every table, and says the plots are missing.
"""

from __future__ import annotations

import json
import sys
from html import escape
from pathlib import Path
from typing import Any

from codecot.errors import InvalidArgument
from codecot.jsonl import atomic_write_text
from codecot.manifest import read_progress
from codecot.report import free_html
from codecot.report.freeform import Selection, select_from_run
from codecot.report.resamples import resample_section

#: free-form rationales shown in full by default
SHOWN_RATIONALES = 40

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;background:#f6f6f4;color:#222}
main{max-width:1100px;margin:0 auto;padding:24px 32px 48px}
h1{font-size:26px;margin:8px 0 4px}h2{font-size:19px;margin:32px 0 8px;border-bottom:1px solid #ddd;
padding-bottom:4px}p.sub{color:#666;margin:0 0 16px}
table{border-collapse:collapse;margin:8px 0 12px;background:#fff;font-size:13.5px}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eee}td.n{text-align:right;font-variant-numeric:tabular-nums}
img{max-width:100%;background:#fff;border:1px solid #e3e3e3;margin:6px 0}
code,.mono{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:12.5px}
.claimed{background:#fbe9e7}.true{background:#e8f5e9}.muted{color:#777}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 14px;min-width:150px}
.card b{display:block;font-size:22px}
td.wrap{max-width:460px;word-break:break-word}
""" + free_html.CSS


def _table(headers: list[str], rows: list[list[Any]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td class='n'>{escape(str(c))}</td>" if i in numeric
                         else f"<td>{c if isinstance(c, _Raw) else escape(str(c))}</td>"
                         for i, c in enumerate(r)) + "</tr>"
        for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


class _Raw(str):
    """Cell content that is already HTML."""


def _img(uri: str | None, alt: str) -> str:
    if uri is None:
        return f"<p class='muted'>({escape(alt)}: nothing to plot)</p>"
    return f"<img src='{uri}' alt='{escape(alt)}'>"


def _plots(a: dict[str, Any]) -> dict[str, str | None] | None:
    try:
        from codecot.report import plots
    except ImportError:
        return None
    return {
        "acceptance": plots.acceptance_plot(a["by_slot"]),
        "refuted": plots.bar_plot(a["refuted_by_kind"], "refuted steps"),
        "modes": plots.bar_plot(a["error_modes"], "bad steps", plots.MODE_COLORS),
        "first": plots.first_error_plot(a["first_error"]),
        "free_refuted": plots.bar_panels_plot(
            {slot: {k["kind"]: k["refuted"] for k in v["refuted_kinds"]}
             for slot, v in a.get("free", {}).get("by_slot", {}).items()}, "refuted statements"),
    }


def _free_summary(free: dict[str, Any], img: Any) -> list[str]:
    """Sentence verdicts and the most common refuted statement kinds per narrator/direction."""
    by_slot = free["by_slot"]
    parts = ["<h2>Free-form rationales</h2>",
             "<p>Each sentence of a free-form rationale is <i>verified</i>, <i>refuted</i> (one of "
             "its statements is false), <i>unknown</i> (a statement could not be decided) or "
             "<i>prose</i> (nothing checkable was read from it). Coverage: sentences with a "
             "statement, over sentences that are not headings or markup.</p>"]
    parts.append(_table(
        ["narrator/direction", "rationales", "accepted", "mean coverage %", "verified",
         "refuted", "unknown", "prose"],
        [[slot, v["rationales"], v["accepted"], f"{100 * v['coverage_mean']:.1f}",
          *[v["sentences"][w] for w in ("verified", "refuted", "unknown", "prose")]]
         for slot, v in by_slot.items()], set(range(1, 8))))
    parts.append("<h2>Most common refuted statement kinds</h2>")
    parts.append(img("free_refuted", "refuted statement kinds per narrator"))
    rows = [[slot, k["kind"], k["refuted"], f"{100 * k['share']:.1f}", k["statements"],
             f"{100 * k['refuted_rate']:.1f}",
             _Raw(f"<span class='mono'>{escape(k['example'])}</span>")]
            for slot, v in by_slot.items() for k in v["refuted_kinds"]]
    if rows:
        parts.append(_table(["narrator/direction", "statement kind", "refuted",
                             "% of the narrator's refuted", "statements of the kind read",
                             "% of them refuted", "example"], rows, {2, 3, 4, 5}))
    else:
        parts.append("<p>No refuted statements.</p>")
    return parts


def render(summary: dict[str, Any], free: Selection | None = None) -> str:
    """The report page for a run's summary (with its ``analysis``); ``free`` holds the
    free-form rationales to show in full."""
    a = summary["analysis"]
    figs = _plots(a)
    img = (lambda key, alt: _img(figs[key], alt)) if figs is not None else (
        lambda key, alt: "<p class='muted'>(plots need matplotlib: pip install matplotlib)</p>")
    total = {k: sum(v[k] for v in a["by_slot"].values()) for k in ("accepted", "rejected", "errors")}
    facts = [escape(str(summary.get("corpus"))), f"{summary.get('records')} records",
             "narrators " + escape(", ".join(summary.get("narrators") or [])),
             f"policy {escape(str(summary.get('policy')))}"]
    if summary.get("format") not in (None, "steps"):
        facts.append(f"format {escape(str(summary['format']))} (free-form policy "
                     f"{escape(str(summary.get('free_policy')))})")
    if summary.get("engine") is not None:
        facts.append(f"engine {escape(str(summary['engine']))}")
    if summary.get("incomplete"):
        facts.append("<b>incomplete run</b> (resume it with the same command)")
    parts = [f"<h1>codecot run report</h1><p class='sub'>{' &middot; '.join(facts)}</p>"]
    parts.append("<div class='cards'>" + "".join(
        f"<div class='card'><b>{v}</b>{escape(k)}</div>"
        for k, v in [("accepted rationales", total["accepted"]),
                     ("rejected rationales", total["rejected"]),
                     ("errors", total["errors"]),
                     ("dataset rows", summary.get("dataset", {}).get("rows", 0))]) + "</div>")
    stages = summary.get("stage_seconds") or {}
    if stages:
        parts.append(_table(["stage", "seconds"], [[k, f"{v:.2f}"] for k, v in stages.items()], {1}))

    parts.append("<h2>Acceptance by narrator and direction</h2>")
    parts.append(img("acceptance", "acceptance"))
    parts.append(_table(["narrator/direction", "accepted", "rejected", "errors", "total",
                         "accepted % of records", "accepted % of narrated"],
                        [[k, v["accepted"], v["rejected"], v["errors"], v["total"],
                          f"{100 * v['acceptance']:.1f}", f"{100 * v['acceptance_of_narrated']:.1f}"]
                         for k, v in a["by_slot"].items()], {1, 2, 3, 4, 5, 6}))
    if a["rejection_reasons"]:
        parts.append(_table(["rejection reason", "rationales"],
                            [[k, v] for k, v in a["rejection_reasons"].items()], {1}))

    errs = a["errors"]
    free_figures = a.get("free") or {}
    if free_figures.get("rationales"):
        parts += _free_summary(free_figures, img)

    parts.append("<h2>Records not verified (errors)</h2>")
    if errs["total"]:
        parts.append(_table(["error kind", "rows"], [[k, v] for k, v in errs["by_kind"].items()], {1}))
        parts.append(_table(["id", "narrator/direction", "stage", "error"],
                            [[e["id"], f"{e['narrator']}/{e['direction']}", e["stage"],
                              _Raw(f"<span class='mono'>{escape(str(e['error']))}</span>")]
                             for e in errs["examples"]]))
    else:
        parts.append("<p>None: every record was traced and narrated.</p>")

    parts.append("<h2>Refuted steps by claim kind</h2>")
    parts.append(img("refuted", "refuted steps by claim kind"))
    kinds = a["steps_by_kind"]
    words = sorted({w for c in kinds.values() for w in c})
    parts.append(_table(["claim kind", *words], [[k, *[c.get(w, 0) for w in words]]
                                                 for k, c in kinds.items()],
                        set(range(1, len(words) + 1))))

    parts.append("<h2>Error modes</h2>")
    parts.append(img("modes", "error modes"))
    by_slot = a["error_modes_by_slot"]
    modes = list(a["error_modes"])
    if modes:
        parts.append(_table(["narrator/direction", *modes],
                            [[s, *[c.get(m, 0) for m in modes]] for s, c in by_slot.items()],
                            set(range(1, len(modes) + 1))))

    first = a["first_error"]
    parts.append("<h2>Where the first error falls</h2>")
    parts.append(img("first", "first error position"))
    if first["rationales"]:
        parts.append(f"<p>{first['rationales']} rationales have a bad step; median relative "
                     f"position of the first one: {first['median']:.2f}.</p>")
        parts.append(_table(["mode of the first error", "rationales"],
                            [[k, v] for k, v in first["mode_of_first_error"].items()], {1}))

    parts.append("<h2>Examples of each error mode</h2>")
    if not a["examples"]:
        parts.append("<p>No bad steps.</p>")
    for mode, exs in a["examples"].items():
        parts.append(f"<h3>{escape(mode)}</h3>")
        parts.append(_table(
            ["record", "step", "claimed", "true", "verifier says"],
            [[f"{e['id']} ({e['narrator']}/{e['direction']})"
              + (f" · mutant: {e['operator']}" if e.get("operator") else ""),
              _Raw(f"<span class='mono'>{e['index']}: {escape(str(e['text']))}</span>"),
              _Raw(f"<span class='mono claimed'>{escape(e['claimed'] or '')}</span>"),
              _Raw(f"<span class='mono true'>{escape(e['true'] or '')}</span>"),
              _Raw(f"<span class='mono'>{escape(e['detail'] or e['verdict'])}</span>")]
             for e in exs]))
    if section := resample_section(a.get("resamples")):
        parts.append(section)
    if a["mutants"]:
        parts.append("<h2>Mutants by operator</h2>")
        parts.append(_table(["operator", "rejected", "accepted (missed)"],
                            [[op, c["rejected"], c["accepted"]] for op, c in a["mutants"].items()],
                            {1, 2}))
    if free is not None and (free.shown or free.hidden):
        parts.append("<h2>Free-form rationales in full</h2>")
        parts.append(free_html.render_selection(free))
    body = "\n".join(parts)
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>codecot report</title><style>{CSS}</style></head><body><main>{body}"
            f"</main></body></html>\n")


def write_report(outdir: Path, summary: dict[str, Any],
                 max_rationales: int = SHOWN_RATIONALES) -> Path:
    """Write ``outdir/report.html`` from ``summary`` (showing at most ``max_rationales``
    free-form rationales of the run in full); return its path."""
    path = outdir / "report.html"
    atomic_write_text(path, render(summary, select_from_run(outdir, max_rationales)))
    return path


def _fill_from_progress(outdir: Path, summary: dict[str, Any]) -> None:
    """Fill what a run writes into ``summary.json`` only when it finishes (settings, records,
    stage seconds, dataset rows) from ``progress.json`` and ``dataset.jsonl``, so a report of
    a killed or running run says what it holds; marks such a summary ``incomplete``."""
    try:
        progress = read_progress(outdir)
    except InvalidArgument:
        progress = None
    if progress is not None:
        for key in ("corpus", "narrators", "directions", "policy", "engine"):
            summary.setdefault(key, progress.config.get(key))
        summary.setdefault("records", progress.records_done)
        summary.setdefault("stage_seconds",
                           {k: round(v, 3) for k, v in progress.stage_seconds.items()})
        summary["incomplete"] = not progress.complete
    if "dataset" not in summary:
        try:
            with open(outdir / "dataset.jsonl", encoding="utf-8") as fh:
                summary["dataset"] = {"rows": sum(1 for line in fh if line.strip())}
        except OSError:
            pass


def report_outdir(outdir: Path, max_rationales: int = SHOWN_RATIONALES,
                  ) -> tuple[Path, dict[str, Any]]:
    """Recompute the analysis of a run directory, update ``summary.json``, write the report
    (with at most ``max_rationales`` free-form rationales in full)."""
    from codecot.report.analysis import analyze

    summary_path = outdir / "summary.json"
    summary: dict[str, Any] = {}
    if summary_path.exists():
        try:
            summary = json.loads(summary_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            print(f"{summary_path} is not valid JSON; writing a new one", file=sys.stderr)
    analysis = analyze(outdir)
    _fill_from_progress(outdir, summary)
    summary.setdefault("corpus", None)
    summary.setdefault("records", None)
    summary["analysis"] = analysis
    summary["by_slot"] = analysis["by_slot"]
    summary["errors"] = analysis["errors"]["total"]
    path = write_report(outdir, summary, max_rationales)
    summary["report"] = str(path)
    atomic_write_text(summary_path, json.dumps(summary, indent=1) + "\n")
    return path, summary
