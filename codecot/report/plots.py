"""The report's figures as base64 PNG data (matplotlib, Agg backend: no display needed).

Each function takes the figures of :func:`codecot.report.analysis.analyze` and returns a
``data:image/png;base64,...`` URI, or None when there is nothing to draw.  Importing this module
needs matplotlib (the ``report`` extra).
"""

from __future__ import annotations

import base64
import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

GREEN, RED, GREY, BLUE = "#3a9b5c", "#c8453b", "#9a9a9a", "#3b6fb6"
MODE_COLORS = {"wrong value": "#c8453b", "wrong branch": "#e08a2e", "wrong loop count": "#d6b93a",
               "over-claimed necessity": "#8a4fb4", "inconsistent choice": "#b45f9a",
               "wrong answer": "#7a2520", "unparsed": "#6f6f6f", "unknown": "#a9b7c6"}


def _uri(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def acceptance_plot(by_slot: dict[str, dict[str, Any]]) -> str | None:
    """Stacked horizontal bars: accepted / rejected / errors per narrator/direction."""
    if not by_slot:
        return None
    names = list(by_slot)
    fig, ax = plt.subplots(figsize=(7.5, 0.55 * len(names) + 1.2))
    left = [0.0] * len(names)
    for key, color in (("accepted", GREEN), ("rejected", RED), ("errors", GREY)):
        vals = [by_slot[n][key] / max(1, by_slot[n]["total"]) * 100 for n in names]
        ax.barh(names, vals, left=left, color=color, label=key)
        for i, (v, lo) in enumerate(zip(vals, left, strict=True)):
            if v >= 6:
                ax.text(lo + v / 2, i, f"{v:.0f}%", ha="center", va="center", color="white",
                        fontsize=9)
        left = [a + b for a, b in zip(left, vals, strict=True)]
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of input records")
    ax.invert_yaxis()
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    return _uri(fig)


def bar_plot(counts: dict[str, int], xlabel: str, colors: dict[str, str] | None = None,
             ) -> str | None:
    """Horizontal bars of ``counts`` (largest first)."""
    items = sorted(((k, v) for k, v in counts.items() if v), key=lambda kv: -kv[1])
    if not items:
        return None
    fig, ax = plt.subplots(figsize=(7.5, 0.42 * len(items) + 1.0))
    names = [k for k, _ in items]
    vals = [v for _, v in items]
    ax.barh(names, vals, color=[(colors or {}).get(n, BLUE) for n in names])
    for i, v in enumerate(vals):
        ax.text(v, i, f" {v}", va="center", fontsize=9)
    ax.set_xlabel(xlabel)
    ax.set_xlim(0, max(vals) * 1.15)
    ax.invert_yaxis()
    return _uri(fig)


def first_error_plot(first: dict[str, Any]) -> str | None:
    """Histogram of where the first bad step falls (0 = first step, 1 = last step)."""
    bins = first.get("bins") or []
    if not any(bins):
        return None
    edges = first["bin_edges"]
    fig, ax = plt.subplots(figsize=(7.5, 3.0))
    width = edges[1] - edges[0]
    ax.bar([e + width / 2 for e in edges[:-1]], bins, width=width * 0.92, color=RED)
    ax.set_xlim(0, 1)
    ax.set_xlabel("relative position of the first bad step in the rationale (0 = first, 1 = last)")
    ax.set_ylabel("rejected rationales")
    return _uri(fig)



def bar_panels_plot(by_group: dict[str, dict[str, int]], xlabel: str, max_groups: int = 8,
                    max_bars: int = 6) -> str | None:
    """One small panel of horizontal bars per group (largest first), two panels a row: the
    ``max_bars`` largest counts of each of the ``max_groups`` groups with the largest totals."""
    groups = sorted((g for g in by_group if any(by_group[g].values())),
                    key=lambda g: (-sum(by_group[g].values()), g))[:max_groups]
    if not groups:
        return None
    cols = 1 if len(groups) == 1 else 2
    rows = (len(groups) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(7.5 if cols == 2 else 5.0, 0.3 * max_bars * rows
                                                   + 0.9 * rows + 0.3), squeeze=False)
    top = max(max(by_group[g].values()) for g in groups)
    for ax, group in zip(axes.flat, groups, strict=False):
        items = sorted(((k, v) for k, v in by_group[group].items() if v),
                       key=lambda kv: (-kv[1], kv[0]))[:max_bars]
        ax.barh([k for k, _ in items], [v for _, v in items], color=RED, height=0.7)
        for i, (_, v) in enumerate(items):
            ax.text(v, i, f" {v}", va="center", fontsize=8)
        ax.set_title(group, fontsize=9.5)
        ax.set_xlim(0, top * 1.2)
        ax.set_ylim(max_bars - 0.5, -0.5)
        ax.tick_params(labelsize=8.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(xlabel, fontsize=8.5)
    for ax in list(axes.flat)[len(groups):]:
        ax.axis("off")
    fig.tight_layout()
    return _uri(fig)
