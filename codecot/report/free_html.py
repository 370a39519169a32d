"""HTML of the report's free-form section: each rationale with its sentences coloured by verdict.

The rationale keeps its line breaks and indentation (``white-space: pre-wrap``); headings are
shown in bold without their hashes, list markers as bullets, ``code spans`` and ``**bold**``
inside one sentence or prose run as code and bold, fenced blocks in a monospace font.  A
sentence with statements is coloured by its verdict (background and an underline style, so the
colours survive printing in black and white), and each refuted statement's detail follows the
sentence as an inline note (an unknown sentence gets a lighter note saying why it was not
decided).  Every piece of text is escaped.  At most ``MAX_TEXT_CHARS`` of a
rationale are shown.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape
from typing import Any

from codecot.report.freeform import SENTENCE_VERDICTS, FreeSentence, Selection, sentences_of

MAX_TEXT_CHARS = 12_000

CSS = """
.free{white-space:pre-wrap;word-break:break-word;background:#fff;border:1px solid #ddd;
border-radius:4px;padding:10px 14px;font-size:14px;line-height:1.6;margin:6px 0 4px;color:#333}
.free code,.free .fence,.free .codeline{font-family:ui-monospace,'DejaVu Sans Mono',monospace;
font-size:12.5px}.free code{background:rgba(0,0,0,.06);border-radius:3px;padding:0 2px}
.free .fence{color:#999}.free .codeline{color:#444}
.free .h{font-weight:700;font-size:15px;color:#111}
.s-verified{background:#e2f3e5;border-bottom:2px solid #3a9b5c}
.s-refuted{background:#fbdcd8;border-bottom:3px double #c8453b}
.s-unknown{background:#fbf0cf;border-bottom:2px dotted #b8860b}
.prose-key{color:#333;border-bottom:1px solid #ccc}
.note{white-space:normal;display:inline;font-size:12px;color:#7a2520;background:#fff;
border:1px solid #c8453b;border-radius:3px;padding:0 4px;margin-left:4px}
.note.why{color:#6b5a1e;border:1px dashed #b8860b}
.rat{margin:18px 0 22px;break-inside:auto}.rat h3{font-size:15px;margin:0 0 2px}
.rat .meta{color:#555;font-size:13px}.acc{color:#2d7a47;font-weight:600}
.rej{color:#b23a30;font-weight:600}.legend span{padding:1px 6px;margin-right:8px}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
"""

_HEADING = re.compile(r"[ \t]{0,3}#{1,6}[ \t]+")
_BULLET = re.compile(r"([ \t]*)[-*+][ \t]+")
_FENCE = re.compile(r"[ \t]*(```|~~~)")
_INLINE = re.compile(r"`([^`\n]+)`|\*\*([^*\n]+)\*\*")


def legend() -> str:
    """One line naming the four sentence colours."""
    words = {"verified": "verified", "refuted": "refuted (the note says what is true)",
             "unknown": "unknown (not decided)", "prose": "prose (nothing checkable read)"}
    return "<p class='legend'>" + "".join(
        f"<span class='{'prose-key' if v == 'prose' else 's-' + v}'>{escape(words[v])}</span>"
        for v in SENTENCE_VERDICTS) + "</p>"


def _inline(raw: str) -> str:
    """Escaped ``raw`` with code spans and bold turned into HTML."""
    out: list[str] = []
    pos = 0
    for m in _INLINE.finditer(raw):
        out.append(escape(raw[pos:m.start()]))
        out.append(f"<code>{escape(m.group(1))}</code>" if m.group(1) is not None
                   else f"<b>{escape(m.group(2))}</b>")
        pos = m.end()
    out.append(escape(raw[pos:]))
    return "".join(out)


def _notes(sentence: FreeSentence) -> str:
    """Notes after a sentence: each refuted statement's detail; for an unknown sentence, why
    its undecided statements were not decided (a lighter note)."""
    wanted = {"refuted": ("✗", "note")}
    if sentence.verdict == "unknown":
        wanted.update({v: ("?", "note why") for v in ("unknown", "unparsed")})
    seen: dict[str, str] = {}
    for step in sentence.steps:
        verdict = str(step.get("verdict"))
        if verdict in wanted and step.get("detail"):
            mark, cls = wanted[verdict]
            seen.setdefault(f"{mark} {step.get('kind')}: {step.get('detail')}", cls)
        elif verdict == "refuted":
            seen.setdefault(f"✗ {step.get('kind')}: refuted", "note")
    return "".join(f"<span class='{cls}'>{escape(n)}</span>" for n, cls in seen.items())


def _title(sentence: FreeSentence) -> str:
    parts = [f"{s.get('kind')}: {s.get('verdict')}" + (f" ({s.get('detail')})" if s.get("detail")
                                                      and s.get("verdict") != "refuted" else "")
             for s in sentence.steps]
    return escape("; ".join(parts), quote=True)


def render_free_text(text: str, sentences: list[FreeSentence]) -> str:
    """The inner HTML of a rationale ``text`` with ``sentences`` (in order, not overlapping)
    coloured; notes of sentences ending past the shown text come last."""
    shown = text[:MAX_TEXT_CHARS]
    out: list[str] = []
    noted: set[int] = set()
    fenced = False
    pos = 0
    for line in shown.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        if _FENCE.match(line):
            fenced = not fenced
            out.append(f"<span class='fence'>{escape(line)}</span>\n")
            continue
        skip, wrap = 0, ("", "")
        inline: Callable[[str], str] = escape if fenced else _inline
        if fenced:
            wrap = ("<span class='codeline'>", "</span>")
        elif (h := _HEADING.match(line)) is not None:
            skip, wrap = h.end(), ("<span class='h'>", "</span>")
        elif (b := _BULLET.match(line)) is not None:
            out.append(escape(b.group(1)) + "• ")
            skip = b.end()
        out.append(wrap[0])
        cut = start + skip
        for i, s in enumerate(sentences):
            if s.end <= cut or s.start >= end:
                continue
            if s.start > cut:
                out.append(inline(shown[cut:s.start]))
            a, z = max(s.start, cut), min(s.end, end)
            out.append(f"<span class='s s-{s.verdict}' title='{_title(s)}'>"
                       f"{inline(shown[a:z])}</span>")
            cut = z
            if s.end <= end:
                out.append(_notes(s))
                noted.add(i)
        out.append(inline(shown[cut:end]) + wrap[1] + "\n")
    html = "".join(out).rstrip("\n")
    rest = [i for i in range(len(sentences)) if i not in noted]
    if len(text) > MAX_TEXT_CHARS:
        html += (f"\n<span class='muted'>… ({len(text) - MAX_TEXT_CHARS:,} more characters not "
                 "shown)</span>")
    tail = "".join(_notes(sentences[i]) for i in rest)
    return html + ("\n" + tail if tail else "")


def render_rationale(rec: dict[str, Any]) -> str:
    """One free-form verdict record: a header line and the coloured text."""
    sentences = sentences_of(rec)
    counts = {v: 0 for v in SENTENCE_VERDICTS}
    for s in sentences:
        counts[s.verdict] += 1
    total = rec.get("sentences")
    if isinstance(total, int) and total > len(sentences):
        counts["prose"] = total - len(sentences)
    outcome = ("<span class='acc'>accepted</span>" if rec.get("accepted") else
               f"<span class='rej'>rejected</span>: {escape(str(rec.get('reason') or ''))}")
    facts = [escape(f"{rec.get('narrator')}/{rec.get('direction')}")]
    if rec.get("sample") is not None:
        facts.append(f"sample {escape(str(rec.get('sample')))}")
    facts.append(outcome)
    cov = rec.get("coverage")
    if isinstance(cov, int | float):
        facts.append(f"coverage {100 * cov:.0f}%")
    facts.append(", ".join(f"{n} {v}" for v, n in counts.items() if n) or "no sentences")
    body = render_free_text(str(rec.get("text") or ""), sentences)
    return (f"<article class='rat'><h3>{escape(str(rec.get('id')))}</h3>"
            f"<div class='meta'>{' · '.join(facts)}</div><div class='free'>{body}</div></article>")


def render_selection(sel: Selection) -> str:
    """The shown rationales and a line counting those left out."""
    parts = [legend()]
    if not sel.shown:
        parts.append("<p>No free-form rationales.</p>")
    parts += [render_rationale(r) for r in sel.shown]
    if sel.hidden:
        rest = "; ".join(f"{escape(slot)}: " + ", ".join(f"{n} {k}" for k, n in sorted(c.items()))
                         for slot, c in sel.not_shown.items())
        parts.append(f"<p class='muted'>{sel.hidden} more free-form rationales not shown "
                     f"(at most {sel.limit} are shown in full; {rest}).</p>")
    return "\n".join(parts)
