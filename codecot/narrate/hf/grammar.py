"""The rationale grammar for constrained decoding, derived from ``grammars/narration.lark``.

``narration.lark`` stays the single source of truth: this module reads the rules and
terminals of the compiled Lark parser (:func:`codecot.claims.grammar.get_parser`) and writes
them out in the Lark dialect that llguidance reads (an Earley parser with a greedy lexer):

* every terminal becomes a regex; lookaheads (``(?!\\w)``, unsupported there) are dropped and
  control characters escaped;
* every rule becomes plain BNF (Lark has already expanded ``?``, ``*``, ``[]`` and aliases);
* a rationale is ``(step "\\n"){0,N-1}`` followed by one final step and nothing else: the
  final answer forward (``So the answer is ...``), the final input backward (``So the input
  is ...``).  Middle steps cannot be a final step, and forward middle steps cannot be the
  backward-only kinds (goals, requirements, choices, checks).

* ``FLOAT`` also matches a number with a trailing dot (``3.``): llguidance's lexer is greedy
  and would otherwise read ``returns 3.`` as an unfinished float and refuse to end the step.

* the language is narrowed to what ``parse_step`` accepts in a claim: no keyword arguments,
  comprehensions, lambdas or starred arguments (:data:`CLAIM_REJECTED`; echoed statements
  holding them cannot be written), and a branch condition's value ends in True or False.

One difference from the LALR parser remains and is measured, not hidden: terminal priorities
(llguidance lets a keyword also read as a name where the contextual lexer would not).
"""

from __future__ import annotations

import functools
import re
from typing import Any

#: Body alternatives (Lark aliases) a rationale must end with, by direction.
FINAL_KINDS: dict[str, frozenset[str]] = {
    "forward": frozenset({"answer"}),
    "backward": frozenset({"input_step"}),
}

#: Body alternatives a middle step may not use, by direction.
EXCLUDED_MIDDLE: dict[str, frozenset[str]] = {
    "forward": frozenset({"answer", "input_step", "goal", "must", "then_must", "let", "let_eq",
                          "let_satisfy", "check"}),
    "backward": frozenset({"answer", "input_step"}),
}

#: Expression forms the grammar has only so that echoed statements parse; ``parse_step``
#: rejects a claim holding one, so generation leaves them out everywhere.
CLAIM_REJECTED = frozenset({"kwarg", "star_arg", "genexp", "listcomp", "setcomp", "dictcomp",
                            "lambdef"})

#: Step forms whose value chain must end in True or False (a branch outcome).
BOOLEAN_OUTCOME = frozenset({"condition", "condition_explicit"})

#: Most steps a generated rationale may have (the final step included).
DEFAULT_MAX_STEPS = 40

_TRAILING_DOT_NUMBER = r"\d[\d_]*\."
_LOOKAHEAD = re.compile(r"\(\?[!=]")


def _strip_lookarounds(regex: str) -> str:
    """``regex`` without its ``(?!...)`` / ``(?=...)`` groups (balanced-parenthesis scan)."""
    out = []
    i = 0
    while i < len(regex):
        m = _LOOKAHEAD.match(regex, i)
        if m is None:
            if regex[i] == "\\" and i + 1 < len(regex):
                out.append(regex[i:i + 2])
                i += 2
                continue
            out.append(regex[i])
            i += 1
            continue
        depth = 0
        j = i
        while j < len(regex):
            ch = regex[j]
            if ch == "\\":
                j += 2
                continue
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        i = j + 1
    return "".join(out)


def _escape_for_slashes(regex: str) -> str:
    """Write ``regex`` so it can sit between ``/.../`` in a grammar file."""
    out = []
    escaped = False
    for ch in regex:
        if escaped:
            out.append(ch)
            escaped = False
            continue
        if ch == "\\":
            escaped = True
            out.append(ch)
        elif ch == "/":
            out.append("\\/")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\f":
            out.append("\\f")
        elif ord(ch) > 126 or ord(ch) < 32:
            out.append(f"\\x{{{ord(ch):x}}}")
        else:
            out.append(ch)
    return "".join(out)


def _terminal_regex(term: Any) -> str:
    """The regex of a Lark ``TerminalDef`` in llguidance's syntax."""
    from lark.lexer import PatternStr

    pattern = term.pattern
    if isinstance(pattern, PatternStr):
        body = re.escape(pattern.value)
        regex = f"(?i:{body})" if "i" in pattern.flags else body
    else:
        regex = _strip_lookarounds(pattern.to_regexp())
    return _escape_for_slashes(regex)


def _term_name(name: str) -> str:
    return "T_" + re.sub(r"[^A-Za-z0-9_]", "_", name).upper()


def _rule_name(name: str) -> str:
    return "r_" + re.sub(r"[^A-Za-z0-9_]", "_", name).lower()


def _expansion(symbols: list[Any], rename: dict[str, str]) -> str:
    if not symbols:
        return '""'
    parts = []
    for sym in symbols:
        if sym.is_term:
            parts.append(_term_name(sym.name))
        else:
            parts.append(rename.get(sym.name, _rule_name(sym.name)))
    return " ".join(parts)


def _rules_text(lark: Any) -> tuple[list[str], dict[str, list[tuple[list[Any], str | None]]]]:
    """The grammar's rules as llguidance lines, and the alternatives of each rule (narrowed
    to what ``parse_step`` accepts in a claim, see :data:`CLAIM_REJECTED`)."""
    from lark.grammar import NonTerminal

    alternatives: dict[str, list[tuple[list[Any], str | None]]] = {}
    for rule in lark.rules:
        alias = str(rule.alias) if rule.alias else None
        if alias in CLAIM_REJECTED:
            continue
        expansion = list(rule.expansion)
        if alias in BOOLEAN_OUTCOME:
            expansion = [NonTerminal("tf_chain") if not s.is_term and s.name == "chain" else s
                         for s in expansion]
        alternatives.setdefault(rule.origin.name, []).append((expansion, alias))
    equal = next(t.name for t in lark.terminals if t.pattern.value == "=")
    true, false = (next(t.name for t in lark.terminals if t.pattern.value == word)
                   for word in ("True", "False"))
    lines = [f"r_tf_chain: ({_rule_name('ttest')} {_term_name(equal)})* "
             f"({_term_name(true)} | {_term_name(false)})"]
    for name, alts in alternatives.items():
        body = "\n    | ".join(_expansion(exp, {}) for exp, _ in alts)
        lines.append(f"{_rule_name(name)}: {body}")
    return lines, alternatives


def _terminals_text(lark: Any) -> list[str]:
    lines = []
    for t in lark.terminals:
        regex = _terminal_regex(t)
        if t.name == "FLOAT":
            # A greedy lexer cannot split "3." into INT and the step's full stop, so a number
            # followed by the full stop must read as one lexeme.
            regex = f"{regex}|{_TRAILING_DOT_NUMBER}"
        lines.append(f"{_term_name(t.name)}: /{regex}/")
    by_name = {t.name: t for t in lark.terminals}
    for name in lark.lexer_conf.ignore:
        lines.append(f"%ignore /{_terminal_regex(by_name[name])}/")
    return lines


@functools.cache
def step_grammar() -> str:
    """The grammar of one step (``start: step``), in llguidance's Lark dialect."""
    from codecot.claims.grammar import get_parser

    lark = get_parser()
    rules, _ = _rules_text(lark)
    return "\n".join(["%llguidance {}", "start: r_step", *rules, *_terminals_text(lark)]) + "\n"


@functools.cache
def rationale_grammar(direction: str, max_steps: int = DEFAULT_MAX_STEPS) -> str:
    """The grammar of a whole rationale for ``direction`` with at most ``max_steps`` steps.

    Steps are separated by one newline; the last step is a final step (see
    :data:`FINAL_KINDS`) and nothing may follow it.
    """
    from codecot.claims.grammar import get_parser

    if direction not in FINAL_KINDS:
        raise ValueError(f"unknown direction {direction!r}")
    if max_steps < 1:
        raise ValueError("max_steps must be at least 1")
    lark = get_parser()
    rules, alts = _rules_text(lark)
    excluded = EXCLUDED_MIDDLE[direction]
    final = FINAL_KINDS[direction]
    # Middle steps: clones of step -> core -> body, with the excluded body alternatives gone.
    rename = {"step": "m_step", "core": "m_core", "body": "m_body"}
    extra = []
    for name, clone in rename.items():
        keep = [exp for exp, alias in alts[name] if not (name == "body" and alias in excluded)]
        extra.append(f"{clone}: " + "\n    | ".join(_expansion(e, rename) for e in keep))
    finals = [exp for exp, alias in alts["body"] if alias in final]
    extra.append("f_body: " + "\n    | ".join(_expansion(e, {}) for e in finals))
    dot = next(t.name for t in lark.terminals if t.pattern.value == ".")
    extra.append(f"f_step: f_body {_term_name(dot)}?")
    head = ["%llguidance {}"]
    if max_steps > 1:
        head.append(f"start: m_line{{0,{max_steps - 1}}} f_step")
        head.append("m_line: m_step T_NEWLINE")
    else:
        head.append("start: f_step")
    return "\n".join([*head, *extra, *rules, *_terminals_text(lark), 'T_NEWLINE: "\\n"']) + "\n"
