"""The rationale grammar for constrained decoding, derived from ``grammars/narration.lark``.

``narration.lark`` stays the single source of truth: this module reads the rules and
terminals of the compiled Lark parser (:func:`codecot.claims.grammar.get_parser`) and writes
them out in the Lark dialect that llguidance reads (an Earley parser with a greedy lexer):

* every terminal becomes a regex; lookaheads (``(?!\\w)``, unsupported there) are dropped and
  control characters escaped;
* every rule becomes plain BNF (Lark has already expanded ``?``, ``*``, ``[]`` and aliases);
  the space skipped between lexemes is ASCII spaces and tabs only (:data:`DECODING_SPACE`);
* a rationale is ``(step "\\n"){0,N-1}`` followed by one final step and nothing else: the
  final answer forward (``So the answer is ...``), the final input backward (``So the input
  is ...``).  Middle steps cannot be a final step, forward middle steps cannot be the
  backward-only kinds (goals, requirements, choices, checks), and backward middle steps only
  those kinds, which are all the backward checker decides (:data:`FORWARD_ONLY`,
  :data:`EXCLUDED_CORE`).

* a step may end in a whole number and its full stop (``returns 3.``): llguidance's lexer is
  greedy and would read ``3.`` as an unfinished float, so every rule that can end in an
  integer gets a variant ending in one ``INT_DOT`` lexeme (``3.``), used only right before
  the end of a step (:func:`_int_dot_variants`).  Nowhere else can ``3.`` be written, so
  ``42. In this`` (a float followed by more words) cannot be generated.

* the language is narrowed to what ``parse_step`` accepts in a claim: no comprehensions,
  lambdas or starred arguments (:data:`CLAIM_REJECTED`; echoed statements
  holding them cannot be written), a branch condition's value ends in True or False, only a
  name or an attribute can be called (``f(3)``, ``s.upper()``; not ``xs[0](3)``), and a
  ``returns`` step's subject is a function name or a call (``g(3) returns 4``; not
  ``a + b returns 4``), where the call form takes a plain value (no ``, which is``), an
  answer or check without ``returns`` is one ``a == b`` comparison, and the subject of a
  state step (``X is now``, ``X becomes``, ``X equals``) is a name (maybe in parentheses:
  ``(then)``) with subscripts or attributes (``total``, ``counts['a']``, ``self.size``; not
  ``n == 4`` or ``xs.pop()``).

* llguidance has no terminal priorities: where the LALR parser's contextual lexer would read a
  word as a keyword (``then`` at the start of a step, ``now`` after ``is``, ``even`` after
  ``be``), llguidance could read it as a name and go on in a way the real parser rejects.  So
  ``NAME`` here excludes every keyword that some LALR state accepts together with a name
  (:func:`ambiguous_keywords`, computed from the parse table), and Python's keywords.  The
  cost: a program variable spelled like one of those words (``even``, ``empty``) cannot be
  named by a constrained model.
"""

from __future__ import annotations

import functools
import keyword
import re
from typing import Any

from codecot.narrate.hf.lark_regex import ascii_case, literal_regex, terminal_regex

#: Body alternatives (Lark aliases) a rationale must end with, by direction.
FINAL_KINDS: dict[str, frozenset[str]] = {
    "forward": frozenset({"answer"}),
    "backward": frozenset({"input_step"}),
}

#: Body alternatives (Lark aliases; None: a bare state form) that only a forward middle step
#: may use: the backward checker decides none of them (they come out unknown).
FORWARD_ONLY = frozenset({None, "state_or_condition", "condition", "condition_explicit",
                          "echo_step", "loop_iter", "loop_skip", "loop_end", "loop_break",
                          "subject_returns", "function_returns", "this_raises", "catch",
                          "call_step"})

#: Body alternatives a middle step may not use, by direction.
EXCLUDED_MIDDLE: dict[str, frozenset[str | None]] = {
    "forward": frozenset({"answer", "input_step", "goal", "must", "then_must", "let", "let_eq",
                          "let_satisfy", "check"}),
    "backward": frozenset({"answer", "input_step"}) | FORWARD_ONLY,
}

#: Step forms (core alternatives) a middle step may not use, by direction: backward, those
#: stating what a line returns, raises or leaves (unknown there too).
EXCLUDED_CORE: dict[str, frozenset[str | None]] = {
    "forward": frozenset(),
    "backward": frozenset({"after_line", "line_raises", "line_returns", "line_returns_which"}),
}

#: Expression forms the grammar has only so that echoed statements parse; ``parse_step``
#: rejects a claim holding one, so generation leaves them out everywhere.
CLAIM_REJECTED = frozenset({"star_arg", "genexp", "listcomp", "setcomp", "dictcomp", "lambdef"})

_BYTES_ESCAPE = r"\\([ -MO-TV-tv-wy-~]|x[0-9a-fA-F]{2})"  # ASCII but x, u, U and N
_STRING_ESCAPE = r"\\([^xuUN\n]|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U000[0-9a-fA-F]{5}|U0010[0-9a-fA-F]{4})"

#: Terminals narrowed to what ``parse_step`` accepts in a claim: string literals without the
#: ``f`` prefix (f-strings are no values), bytes literals of printable ASCII, and with escapes the
#: literal decoder reads (no malformed ``\x``, ``\u``, ``\U``, no ``\N{...}``); products
#: without ``@`` (matrix multiplication is no claim operator).
CLAIM_TERMINALS = {
    "STRING": (f"[rRuU]?('([^'\\\\\\n]|{_STRING_ESCAPE})*'"
               f"|\"([^\"\\\\\\n]|{_STRING_ESCAPE})*\")"),
    "BYTES": f"[bB]('([ -&(-\\[\\]-~]|{_BYTES_ESCAPE})*'|\"([ !#-\\[\\]-~]|{_BYTES_ESCAPE})*\")",
    "MUL_OP": r"\/\/|[*\/%]",
}

#: Step forms whose value chain must end in True or False (a branch outcome).
BOOLEAN_OUTCOME = frozenset({"condition", "condition_explicit"})

#: The space a generated rationale may write between lexemes: ASCII spaces and tabs.  The
#: parser also skips form feeds, carriage returns and no-break spaces (text from other
#: writers), but a model sampled hot wrote runs of no-break spaces until its budget ran out.
DECODING_SPACE = r"[ \t]+"

#: Most steps a generated rationale may have (the final step included).
DEFAULT_MAX_STEPS = 40

#: Python keywords: never a name, whatever the parser state.
PYTHON_KEYWORDS = frozenset(keyword.kwlist)
def _term_name(name: str) -> str:
    return "T_" + re.sub(r"[^A-Za-z0-9_]", "_", name).upper()


def _rule_name(name: str) -> str:
    return "r_" + re.sub(r"[^A-Za-z0-9_]", "_", name).lower()


#: Rules in the derived grammar: rule name -> alternatives, each a list of symbol names
#: (``T_*`` terminals, other names rules); an empty list is the empty alternative.
Rules = dict[str, list[list[str]]]

_INT_DOT = "T_INT_DOT"
_EQUALS = "EQUALS_OP"  # a terminal of the derived grammar: "==" alone (COMP_OP is every comparison)


def derived_symbols(expansion: list[Any], rename: dict[str, str]) -> list[str]:
    """The derived names of a Lark expansion's symbols (rules renamed by ``rename``)."""
    return [_term_name(sym.name) if sym.is_term else rename.get(sym.name, _rule_name(sym.name))
            for sym in expansion]


def _alternatives(lark: Any) -> dict[str, list[tuple[list[Any], str | None]]]:
    """The alternatives (Lark symbols, alias) of each rule of the compiled grammar, narrowed to
    what ``parse_step`` accepts in a claim (see :data:`CLAIM_REJECTED`)."""
    from lark.grammar import NonTerminal, Terminal

    alternatives: dict[str, list[tuple[list[Any], str | None]]] = {}
    for rule in lark.rules:
        alias = str(rule.alias) if rule.alias else None
        if alias in CLAIM_REJECTED:
            continue
        expansion = list(rule.expansion)
        options = alternatives.setdefault(rule.origin.name, [])
        if alias in BOOLEAN_OUTCOME:
            expansion = [NonTerminal("tf_chain") if not s.is_term and s.name == "chain" else s
                         for s in expansion]
        elif alias == "call_expr":  # the callee: a name or an attribute
            expansion = [NonTerminal("callee"), *expansion[1:]]
        elif rule.origin.name == "answer_body" and len(expansion) == 1:  # ttest: a == b
            expansion = [NonTerminal("arith"), Terminal(_EQUALS), NonTerminal("arith")]
        elif rule.origin.name == "state_form":  # ttest (IS NOW | BECOMES | EQUALS) chain
            expansion = [NonTerminal("state_subject"), *expansion[1:]]
        elif alias == "subject_returns":  # ttest RETURNS ret
            options.append(([Terminal("NAME"), *expansion[1:]], alias))
            expansion = [NonTerminal("call_form"), expansion[1], NonTerminal("ttest")]
        options.append((expansion, alias))
    return alternatives


def _terminal_named(lark: Any, value: str) -> str:
    return _term_name(next(t.name for t in lark.terminals if t.pattern.value == value))


def _base_rules(lark: Any, alts: dict[str, list[tuple[list[Any], str | None]]]) -> Rules:
    """Every grammar rule in derived form, plus ``r_tf_chain`` (a value chain ending in True
    or False), ``r_callee`` (what may be called), ``r_call_form`` (a call) and
    ``r_state_subject`` (what a state step may say changed)."""
    rules: Rules = {_rule_name(name): [derived_symbols(exp, {}) for exp, _ in options]
                    for name, options in alts.items()}
    name, subject = _term_name("NAME"), {"atom_expr": "r_state_subject"}
    rules["r_state_subject"] = [
        [name], [_terminal_named(lark, "("), name, _terminal_named(lark, ")")],
        *(derived_symbols(exp, subject) for exp, alias in alts["atom_expr"]
          if alias in ("getitem", "attribute"))]
    rules["r_callee"] = [[_term_name("NAME")], [_rule_name("atom_expr"), _term_name("DOT_NAME")]]
    rules["r_call_form"] = [derived_symbols(exp, {}) for exp, alias in alts["atom_expr"]
                            if alias == "call_expr"]
    equal = _terminal_named(lark, "=")
    rules["r_tf_prefix"] = [[], ["r_tf_prefix", _rule_name("ttest"), equal]]
    rules["r_tf_chain"] = [["r_tf_prefix", _terminal_named(lark, word)]
                           for word in ("True", "False")]
    return rules


def _int_dot_variants(rules: Rules, dot: str) -> Rules:
    """``rules`` where every ``X <full stop>`` ending an alternative (a step's last expression
    and its full stop) also reads as ``X_id``: ``X`` with its final integer and the full stop
    written as one ``INT_DOT`` lexeme.  Only variants reachable that way are added."""
    int_term = _term_name("INT")
    ends_int: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, options in rules.items():
            if name not in ends_int and any(
                    alt and (alt[-1] == int_term or alt[-1] in ends_int) for alt in options):
                ends_int.add(name)
                changed = True

    def variant(symbol: str) -> str:
        return _INT_DOT if symbol == int_term else f"{symbol}_id"

    out: Rules = {name: [list(alt) for alt in options] for name, options in rules.items()}
    wanted: list[str] = []
    for options in out.values():
        for alt in list(options):
            if len(alt) >= 2 and alt[-1] == dot and alt[-2] in ends_int:
                options.append([*alt[:-2], variant(alt[-2])])
                wanted.append(alt[-2])
    done: set[str] = set()
    while wanted:
        name = wanted.pop()
        if name in done:
            continue
        done.add(name)
        out[f"{name}_id"] = [[*alt[:-1], variant(alt[-1])] for alt in rules[name]
                             if alt and (alt[-1] == int_term or alt[-1] in ends_int)]
        wanted.extend(alt[-1] for alt in rules[name] if alt and alt[-1] in ends_int)
    return out


def _rules_lines(rules: Rules) -> list[str]:
    return [f"{name}: " + "\n    | ".join(" ".join(alt) if alt else '""' for alt in options)
            for name, options in rules.items()]


#: Context key of the start of a step in :func:`keyword_conflicts`.
STEP_START = "<step>"


@functools.cache
def keyword_conflicts() -> dict[str, frozenset[str]]:
    """For each terminal (derived name) after which the LALR parser may accept a name or a
    keyword at once, those keywords (lower-cased where case-insensitive); :data:`STEP_START`
    holds the ones at the start of a step.  The contextual lexer reads such a word as the
    keyword there, so a constrained decoder without terminal priorities must not read it as a
    name in that context."""
    from lark.lexer import PatternStr

    from codecot.claims.grammar import get_parser

    lark = get_parser()
    terminals = {t.name: t for t in lark.terminals}
    name = re.compile(terminals["NAME"].pattern.to_regexp())
    table = lark.parser.parser.parser.parse_table
    clash: dict[Any, set[str]] = {}
    for state, actions in table.states.items():
        if "NAME" not in actions:
            continue
        words = set()
        for term in actions:
            pattern = terminals[term].pattern if term in terminals else None
            if isinstance(pattern, PatternStr) and name.fullmatch(pattern.value):
                words.add(pattern.value.lower() if "i" in pattern.flags else pattern.value)
        if words:
            clash[state] = words
    out: dict[str, set[str]] = {}
    for actions in table.states.values():
        for symbol, (action, target) in actions.items():
            if action.name == "Shift" and target in clash and symbol in terminals:
                out.setdefault(_term_name(symbol), set()).update(clash[target])
    for state in table.start_states.values():
        out.setdefault(STEP_START, set()).update(clash.get(state, ()))
    return {k: frozenset(v) for k, v in out.items()}


def _first_last(rules: Rules) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """FIRST and LAST terminal sets of every rule (empty alternatives contribute nothing)."""
    first: dict[str, set[str]] = {name: set() for name in rules}
    last: dict[str, set[str]] = {name: set() for name in rules}
    changed = True
    while changed:
        changed = False
        for name, options in rules.items():
            for alt in options:
                if not alt:
                    continue
                for table, symbol in ((first, alt[0]), (last, alt[-1])):
                    found = table[symbol] if symbol in rules else {symbol}
                    if not found <= table[name]:
                        table[name] |= found
                        changed = True
    return first, last


def _name_variants(rules: Rules, starts: list[str], limited: frozenset[str] = frozenset(),
                   ) -> tuple[Rules, list[frozenset[str]]]:
    """``rules`` where a name right after a terminal of :func:`keyword_conflicts` (or at the
    start of a step, for the rules in ``starts``) is a ``T_NAME_<k>`` terminal that cannot be
    spelled like one of the conflicting keywords; also the banned word set of each ``k``.  The
    terminals in ``limited`` (names limited to a set, see :func:`assemble`) get such variants
    too (``<terminal>_<k>``)."""
    conflicts = keyword_conflicts()
    name_terms = {_term_name("NAME"), *limited}
    first, last = _first_last(rules)
    sets: list[frozenset[str]] = []

    def key(words: frozenset[str]) -> int:
        if words not in sets:
            sets.append(words)
        return sets.index(words)

    def after(symbol: str) -> frozenset[str]:
        ends = last[symbol] if symbol in rules else {symbol}
        return frozenset().union(*(conflicts.get(t, frozenset()) for t in ends))

    def variant(symbol: str, k: int) -> str:
        return f"{symbol}_{k}" if symbol in name_terms else f"{symbol}__n{k}"

    def needs(symbol: str, words: frozenset[str]) -> bool:
        return bool(words) and (symbol in name_terms or bool(name_terms & first.get(symbol, set())))

    def rewrite(alt: list[str], lead: int | None) -> list[str]:
        out = list(alt)
        for i, symbol in enumerate(alt):
            if i == 0:
                if lead is not None and needs(symbol, sets[lead]):
                    out[0] = variant(symbol, lead)
                continue
            words = after(alt[i - 1])
            if needs(symbol, words):
                out[i] = variant(symbol, key(words))
        return out

    result: Rules = {name: [rewrite(alt, None) for alt in options]
                     for name, options in rules.items()}
    for name in starts:
        result[name] = [rewrite(alt, key(conflicts.get(STEP_START, frozenset())))
                        for alt in rules[name]]
    pending = [(sym, int(k)) for options in result.values() for alt in options for sym in alt
               for sym, _, k in [sym.rpartition("__n")] if _ and sym in rules]
    done: set[tuple[str, int]] = set()
    while pending:
        name, k = pending.pop()
        if (name, k) in done:
            continue
        done.add((name, k))
        result[f"{name}__n{k}"] = alts = [rewrite(alt, k) for alt in rules[name]]
        pending.extend((sym.rpartition("__n")[0], k2) for alt in alts for sym in alt[:1]
                       for k2 in [k] if sym.endswith(f"__n{k}"))
    return result, sets


def _name_regex(lark: Any, banned_words: frozenset[str], names: frozenset[str] | None) -> str:
    """``NAME`` (or, given ``names``, one of them) minus Python's keywords and
    ``banned_words``."""
    name = next(t for t in lark.terminals if t.name == "NAME")
    words = banned_words | PYTHON_KEYWORDS
    exact = sorted(w for w in words if not w.islower())  # True, False, None
    folded = sorted(w for w in words if w.islower())
    banned = "|".join([ascii_case(f"(?i:{'|'.join(folded)})"), *exact])
    regex = (terminal_regex(name) if names is None
             else "(" + "|".join(literal_regex(n) for n in sorted(names)) + ")")
    return f"/{regex}/ & ~/{banned}/"


def _terminals_text(lark: Any, name_sets: list[frozenset[str]],
                    names: frozenset[str] | None = None,
                    overrides: dict[str, str] | None = None,
                    limited: dict[str, frozenset[str]] | None = None) -> list[str]:
    """Terminal lines: every terminal of the parser (``overrides`` replacing the regex of
    some, by parser name), ``NAME`` and its keyword-free variants limited to ``names`` when
    given, and each terminal of ``limited`` with its variants (one of its names)."""
    lines = []
    for term, allowed in (limited or {}).items():
        lines.append(f"{term}: {_name_regex(lark, frozenset(), allowed)}")
        lines.extend(f"{term}_{k}: {_name_regex(lark, words, allowed)}"
                     for k, words in enumerate(name_sets))
    for t in lark.terminals:
        if t.name == "NAME":
            lines.append(f"{_term_name(t.name)}: {_name_regex(lark, frozenset(), names)}")
            lines.extend(f"{_term_name(t.name)}_{k}: {_name_regex(lark, words, names)}"
                         for k, words in enumerate(name_sets))
            continue
        regex = ((overrides or {}).get(t.name) or CLAIM_TERMINALS.get(t.name)
                 or terminal_regex(t))
        lines.append(f"{_term_name(t.name)}: /{regex}/")
        if t.name == "INT":
            lines.append(f"{_INT_DOT}: /({terminal_regex(t)})\\./")
    lines.append(f"%ignore /{DECODING_SPACE}/")
    return lines


def _finish(lark: Any, rules: Rules, starts: list[str], names: frozenset[str] | None = None,
            overrides: dict[str, str] | None = None,
            limited: dict[str, frozenset[str]] | None = None) -> tuple[list[str], list[str]]:
    """Rule and terminal lines of ``rules`` with name contexts and integer full stops (see
    :func:`_terminals_text` for ``names``, ``overrides`` and ``limited``)."""
    rules, name_sets = _name_variants(rules, starts, frozenset(limited or ()))
    rules = _int_dot_variants(rules, _terminal_named(lark, "."))
    return _rules_lines(rules), [*_terminals_text(lark, name_sets, names, overrides, limited),
                                 f'{_term_name(_EQUALS)}: "=="']


@functools.cache
def step_grammar() -> str:
    """The grammar of one step (``start: step``), in llguidance's Lark dialect."""
    from codecot.claims.grammar import get_parser

    lark = get_parser()
    rules = _base_rules(lark, _alternatives(lark))
    rules["start"] = [["r_step"]]
    rule_lines, term_lines = _finish(lark, rules, ["start"])
    return "\n".join(["%llguidance {}", *rule_lines, *term_lines]) + "\n"


@functools.cache
def rationale_grammar(direction: str, max_steps: int = DEFAULT_MAX_STEPS) -> str:
    """The grammar of a whole rationale for ``direction`` with at most ``max_steps`` steps.

    Steps are separated by one newline; the last step is a final step (see
    :data:`FINAL_KINDS`) and nothing may follow it.
    """
    lark, _, rules = rationale_rules(direction)
    return assemble(lark, rules, max_steps)


#: Derived names of the middle-step clones of ``step``, ``core`` and ``body``.
MIDDLE_CLONES = {"step": "m_step", "core": "m_core", "body": "m_body"}


def rationale_rules(direction: str) -> tuple[Any, dict[str, list[tuple[list[Any], str | None]]],
                                             Rules]:
    """The parser, its narrowed alternatives (see :func:`_alternatives`) and the derived rules
    of a ``direction`` rationale: middle steps ``m_line`` (clones of step, core and body
    without the excluded body alternatives, see :data:`MIDDLE_CLONES`) and the final step
    ``f_line``.  A fresh dict each call: callers may rewrite it."""
    from codecot.claims.grammar import get_parser

    if direction not in FINAL_KINDS:
        raise ValueError(f"unknown direction {direction!r}")
    lark = get_parser()
    alts = _alternatives(lark)
    excluded = EXCLUDED_MIDDLE[direction]
    dot = _terminal_named(lark, ".")
    rules: Rules = {}
    for name, clone in MIDDLE_CLONES.items():
        rules[clone] = [derived_symbols(exp, MIDDLE_CLONES) for exp, alias in alts[name]
                        if not (name == "body" and alias in excluded)
                        and not (name == "core" and alias in EXCLUDED_CORE[direction])]
    rules["f_body"] = [derived_symbols(exp, {}) for exp, alias in alts["body"]
                       if alias in FINAL_KINDS[direction]]
    rules["f_step"] = [["f_body", dot], ["f_body"]]
    rules.update(_base_rules(lark, alts))
    rules["m_line"] = [["m_step", "T_NEWLINE"]]
    rules["f_line"] = [["f_step"]]
    return lark, alts, rules


def assemble(lark: Any, rules: Rules, max_steps: int, *, names: frozenset[str] | None = None,
             overrides: dict[str, str] | None = None, extra_terminals: dict[str, str] | None = None,
             limited_names: dict[str, frozenset[str]] | None = None) -> str:
    """The grammar text of ``rules`` (from :func:`rationale_rules`, maybe rewritten): at
    most ``max_steps`` steps, the last one ``f_line``.  ``names`` limits what a name may be,
    ``overrides`` replaces parser terminals' regexes (by parser name),
    ``extra_terminals`` adds terminals (derived name to regex) and ``limited_names`` adds name
    terminals that ``rules`` may use where a ``NAME`` stands (derived name to its non-empty
    set of names; like ``NAME``, never spelled as a keyword the parser would read there)."""
    if max_steps < 1:
        raise ValueError("max_steps must be at least 1")
    rule_lines, term_lines = _finish(lark, rules, ["m_line", "f_line"], names, overrides,
                                     limited_names)
    extra = [f"{name}: /{regex}/" for name, regex in (extra_terminals or {}).items()]
    start = f"start: m_line{{0,{max_steps - 1}}} f_line" if max_steps > 1 else "start: f_line"
    return "\n".join(["%llguidance {}", start, *rule_lines, *term_lines, *extra,
                      'T_NEWLINE: "\\n"']) + "\n"
