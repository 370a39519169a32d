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
