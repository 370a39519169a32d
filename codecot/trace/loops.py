"""Which loop iterations each event of a trace runs in, as the narration labels them."""

from __future__ import annotations

from typing import Any


def loop_contexts(events: list[dict[str, Any]]) -> list[list[tuple[int, int, int, int]]]:
    """For each depth-0 event, its active loops as (head, instance, iteration, total).

    Line events carry their own ``loops``; other events share the context of the line event
    before them.  A loop instance continues while its head keeps its position and its iteration
    does not go back; ``loop_end`` gives the instance's total iteration count.
    """
    totals: dict[int, int] = {}
    current: list[tuple[int, int, int]] = []  # (head, instance, iteration)
    closed: dict[int, int] = {}  # head -> instance that most recently left the context
    per_event: list[list[tuple[int, int, int]]] = []
    counter = 0
    for ev in events:
        kind = ev.get("event")
        if kind == "line":
            new: list[tuple[int, int, int]] = []
            for pos, loop in enumerate(ev.get("loops") or []):
                head, it = int(loop["head"]), int(loop["iteration"])
                if pos < len(current) and current[pos][0] == head and current[pos][2] <= it:
                    new.append((head, current[pos][1], it))
                else:
                    counter += 1
                    new.append((head, counter, it))
            live = {inst for _, inst, _ in new}
            for head, inst, _ in current:
                if inst not in live:
                    closed[head] = inst
            current = new
        elif kind == "loop_end":
            head = int(ev.get("line", 0))
            found: int | None = next((i for h, i, _ in reversed(current) if h == head), closed.get(head))
            if found is not None:
                totals[found] = int(ev.get("iterations", 0))
        per_event.append(list(current))
    return [[(h, i, it, totals.get(i, it)) for h, i, it in ctx] for ctx in per_event]
