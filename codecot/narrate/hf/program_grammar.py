"""Decoding grammars narrowed to one record's program (program-derived constraints).

The rationale grammar (:mod:`codecot.narrate.hf.grammar`) admits any step of the narration
language.  For a given record much of that is known to be wrong before a word is written:
a name the program never uses, a line number it does not have, a quoted statement that is not
the text of the line it is quoted on.  :func:`program_grammar` rewrites the derived rules for
one record's :class:`~codecot.narrate.hf.program_facts.ProgramFacts`:

* a name is one of the program's identifiers or a builtin's name, and an attribute name
  after ``.`` one the program writes after a ``.`` or an attribute of a builtin value type
  (``'a'.n`` or ``x.RecursionError`` are not offered);
* ``Line N`` names a line that holds a statement, forward one that runs in the entry
  function's own frame (not in a helper's or a nested function's body: the forward verifier
  does not check the steps of other frames, so such a step could only be ``unknown``);
* after ``Line N (iteration k):`` an echoed statement (``Line 4: total += n, so ...``) can only
  be line N's own text, and ``the condition X is ...`` only line N's condition (as the template
  narrator renders it); on a line with neither, those forms are not offered;
* backward, ``Line N: X must ...`` on a ``return`` line has the returned expression as ``X``,
  the goal's call (``We need f(x) to ...``) is the entry function over its parameters, the
  final input passes as many arguments as the record's call (each no wider than arithmetic:
  ``So the arguments are 7 and -2`` would be one ``and``), and a choice chooses one value
  (``Let a be 148 and b == 412`` would choose ``a == (148 and b == 412)``) of a parameter
  (the verifier decides choices about the parameters alone; without parameters, no choice,
  and no requirement but on a ``return`` line);
* forward, the subject of a state step (``X is now``, ``X becomes``, ``X equals``) and the
  names a loop step binds are variables of the program (not a function it defines, a builtin
  or a module: no step can state such a value); an attribute read in such a subject, or in
  the subject of ``X is V`` after ``Line N:``, is a data attribute (not ``out.append[0]``);
  and neither that subject of ``X is V`` nor the call of ``X returns V`` is a call of a
  builtin type's method that returns None (:data:`MUTATORS`);
* forward, a step stating a call's result (``isPrime(n) returns True``) only where the
  program may call a function it defines (it defines several, or calls its one by name): the
  trace holds no other calls;
* forward, the final answer's call (``So f(98765) == 35``) is the record's call, in the
  closing grammar (the final step alone, written when the token budget runs low) too: the
  decoder's search for a way to end a pressed final step may write the call's tokens
  (:class:`~codecot.narrate.hf.decode.Decoder`).  ``final_call`` False leaves it open, for a
  final step that must end in fewer tokens than the call takes.

These are facts about the program's text, never about its execution: values, truth values and
branches stay the model's to write (and the verifier's to decide).
"""

from __future__ import annotations

import functools

from codecot.narrate.hf.grammar import (
    DEFAULT_MAX_STEPS,
    EXCLUDED_MIDDLE,
    MIDDLE_CLONES,
    assemble,
    derived_symbols,
    rationale_rules,
)
from codecot.narrate.hf.lark_regex import literal_regex
from codecot.narrate.hf.program_facts import ProgramFacts, python_tokens

#: Step forms (Lark aliases) about a loop, offered after ``Line N:`` only on a loop's line.
LOOP_STEPS = frozenset({"loop_iter", "loop_skip", "loop_end", "loop_break"})

#: Methods of the builtin value types that change their object and return None.
MUTATORS = frozenset({"append", "extend", "insert", "remove", "sort", "reverse", "clear",
                      "update", "add", "discard", "difference_update", "intersection_update",
                      "symmetric_difference_update"})

#: Backward step forms (Lark aliases) that choose an input, and those that require one.
CHOICES = frozenset({"let", "let_eq", "let_satisfy"})
REQUIREMENTS = frozenset({"must", "then_must"})



def _line_regex(number: str) -> str:
    """``Line <number>`` in any case (``number`` may be a regex group)."""
    return f"[lL][iI][nN][eE][ \\t]+{number}"


class _Narrowing:
    """Rewrites the derived rules of a ``direction`` rationale for one program (the parts of
    :func:`program_grammar`)."""

    def __init__(self, direction: str, facts: ProgramFacts) -> None:
        self.direction = direction
        self.facts = facts.in_frame() if direction == "forward" else facts
        self.lark, self.alts, self.rules = rationale_rules(direction)
        self.terms: dict[str, str] = {}  # added terminals: derived name -> regex
        self.limited: dict[str, frozenset[str]] = {}  # added name terminals -> their names
        self._tokens: dict[str, str] = {}  # a literal's token text -> its terminal

    def literal(self, rule: str, *texts: str) -> str:
        """Rule ``rule`` matching one of ``texts`` Python token by Python token (spaces
        between tokens are free, as everywhere in the grammar)."""
        if rule not in self.rules:
            self.rules[rule] = [[self._token(token) for token in python_tokens(text)]
                                for text in texts]
        return rule

    def _token(self, token: str) -> str:
        if token not in self._tokens:
            self._tokens[token] = f"T_P_{len(self._tokens)}"
            self.terms[self._tokens[token]] = literal_regex(token)
        return self._tokens[token]

    def _one_choice(self, alt: list[str], alias: str | None) -> list[str]:
        """A backward choice (``Let x be 4``, ``Choose x = 4``) whose value is no wider than
        arithmetic: ``Let a be 148 and b == 412`` would choose ``a == (148 and b == 412)``."""
        if alias == "let_eq" and alt[-1] == "r_ttest":
            return [*alt[:-1], "r_arith"]
        if alias == "let" and alt[-1] == "r_be_rel":
            if "p_be_rel" not in self.rules:
                self.rules["p_be_rel"] = [["r_arith" if s == "r_ttest" else s for s in rel]
                                          for rel in self.rules["r_be_rel"]]
            return [*alt[:-1], "p_be_rel"]
        return alt

    def middle_body(self) -> list[tuple[list[str], str | None]]:
        """The middle body's alternatives (with their aliases), the goal's call and the call
        step's bindings narrowed to the program."""
        facts, forward = self.facts, self.direction == "forward"
        body = [(derived_symbols(exp, MIDDLE_CLONES), alias) for exp, alias in self.alts["body"]
                if alias not in EXCLUDED_MIDDLE[self.direction]]
        if facts.goal is not None and not forward:
            goal = self.literal("p_goal", facts.goal)
            body = [(_replace_at(alt, 2, goal) if alias == "goal" else alt, alias)
                    for alt, alias in body]
        if facts.bindings is not None and facts.entry is not None and forward:
            entry = self.literal("p_entry", facts.entry)
            bound = self.literal("p_bindings", facts.bindings)
            body = [([*alt[:-3], entry, alt[-2], bound] if alias == "call_step" else alt, alias)
                    for alt, alias in body]
        if not forward:
            body = [(self._one_choice(alt, alias), alias) for alt, alias in body]
            if facts.parameters is not None:
                body = self._parameter_choices(body, facts.parameters)
            if facts.entry is not None and facts.arity is not None:
                body = [([*alt[:-1], self._check_call()] if alias == "check" else alt, alias)
                        for alt, alias in body]
        else:
            if not facts.calls_own:
                body = [(alt, alias) for alt, alias in body if alias != "subject_returns"]
            else:  # `out.append(x) returns [2]`: it returns None
                call = self._value_subject("p_value_call_form")
                body = [([call if s == "r_call_form" else s for s in alt]
                         if alias == "subject_returns" else alt, alias) for alt, alias in body]
            if facts.variables:
                body = self._variable_subjects(body, facts.variables)
        return body

    def _value_subject(self, rule: str = "p_value_arith") -> str:
        """Rule ``p_value_arith``: arithmetic (``r_arith``) that is not, at its top, a call of a
        builtin type's method that changes the object and returns None (``results.append(x) is
        [5]`` can only be refuted; the model meant ``results.append(x), so results is now
        [5]``); ``p_value_call_form``: a call (``r_call_form``) that is not one.  The methods are
        those of :data:`MUTATORS` the program does not define."""
        if rule in self.rules:
            return rule
        spine = {"r_arith": "p_value_arith", "r_term": "p_value_term",
                 "r_factor": "p_value_factor", "r_power": "p_value_power",
                 "r_atom_expr": "p_value_atom_expr", "r_callee": "p_value_callee"}
        for original, clone in spine.items():
            self.rules[clone] = [[spine.get(s, s) for s in alt] for alt in self.rules[original]]
        kept = sorted(self.facts.attributes - (MUTATORS - self.facts.functions))
        self.terms["T_P_VALUE_DOT_NAME"] = "\\x{2e}(" + "|".join(map(literal_regex, kept)) + ")"
        self.rules["p_value_callee"] = [["T_P_VALUE_DOT_NAME" if s == "T_DOT_NAME" else s
                                         for s in alt] for alt in self.rules["p_value_callee"]]
        data = self._data_dot()  # an attribute read, not called: data (not `out.append[0]`)
        self.rules["p_value_atom_expr"] = [[data if s == "T_DOT_NAME" else s for s in alt]
                                           for alt in self.rules["p_value_atom_expr"]]
        self.rules["p_value_call_form"] = [[spine.get(s, s) for s in alt]
                                           for alt in self.rules["r_call_form"]]
        return rule

    def _limited(self, term: str, names: frozenset[str]) -> str:
        """Terminal ``term``: a name that is one of ``names``."""
        self.limited[term] = names
        return term

    def _subject_rule(self, rule: str, term: str) -> str:
        """Rule ``rule``: a state step's subject (``r_state_subject``: a name, maybe in
        parentheses, with subscripts or attributes) whose name is terminal ``term`` and whose
        attributes are data attributes (``facts.data_attributes``: ``out.append[0]`` holds
        nothing to state)."""
        dot = self._data_dot()
        self.rules[rule] = [[term if s == "T_NAME" else rule if s == "r_state_subject" else
                             dot if s == "T_DOT_NAME" else s
                             for s in alt] for alt in self.rules["r_state_subject"]]
        return rule

    def _data_dot(self) -> str:
        """The terminal of ``.name`` for a data attribute (``facts.data_attributes``;
        ``T_DOT_NAME``, any attribute, when none are known)."""
        data = self.facts.data_attributes
        if not data:
            return "T_DOT_NAME"
        if "T_P_DATA_DOT_NAME" not in self.terms:
            self.terms["T_P_DATA_DOT_NAME"] = \
                "\\x{2e}(" + "|".join(map(literal_regex, sorted(data))) + ")"
        return "T_P_DATA_DOT_NAME"

    def _variable_subjects(self, body: list[tuple[list[str], str | None]],
                           variables: frozenset[str]) -> list[tuple[list[str], str | None]]:
        """Forward: what a state step says changed (``X is now``, ``X becomes``, ``X
        equals``) and what a loop step binds (``iteration 2 starts with i = 1``) are the
        program's variables: a function it defines (``isPrime``), a builtin or a module has no
        value a step can state."""
        var = self._limited("T_P_VAR", variables)
        self.rules["r_state_subject"] = [[self._subject_rule("p_var_subject", var)]]
        rename = {"r_binding_list": "p_loop_binding_list", "r_binding": "p_loop_binding",
                  "T_NAME": var}
        for rule in ("r_bindings", "r_binding_list", "r_binding"):
            self.rules["p_loop_" + rule.removeprefix("r_")] = [
                [rename.get(s, s) for s in alt] for alt in self.rules[rule]]
        return [([("p_loop_bindings" if s == "r_bindings" else s) for s in alt]
                 if alias == "loop_iter" else alt, alias) for alt, alias in body]

    def _parameter_choices(self, body: list[tuple[list[str], str | None]],
                           parameters: tuple[str, ...]) -> list[tuple[list[str], str | None]]:
        """Backward: a choice (``Let x be 4``, ``x can be 4``) chooses a parameter of the
        entry function (the verifier decides choices about the parameters alone); a function
        without parameters has no choice to make."""
        if not parameters:
            return [(alt, alias) for alt, alias in body if alias not in CHOICES]
        subject = self._subject_rule("p_param_subject",
                                     self._limited("T_P_PARAM", frozenset(parameters)))
        out = []
        for alt, alias in body:
            if alias in CHOICES and "r_ttest" in alt:
                alt = _replace_at(alt, alt.index("r_ttest"), subject)
            out.append((alt, alias))
        return out

    def line_body(self, line: int, body: list[tuple[list[str], str | None]]) -> list[list[str]]:
        """The body alternatives after ``Line N:``: an echo only of line N's statement, a
        condition only line N's (also as ``X is True``: any other subject of ``X is ...``
        is no wider than arithmetic), loop steps only on a loop's line, ``the function
        returns`` only on a ``return`` line, ``the except clause catches`` only on an
        ``except`` line; backward, a requirement on a ``return`` line only about what it
        returns (``X must ...``, or ``name must satisfy X == ...``)."""
        echo, condition = dict(self.facts.echoes).get(line), dict(self.facts.conditions).get(line)
        returned = dict(self.facts.returns).get(line)
        out: list[list[str]] = []

        def cond() -> str:  # line N's condition, plain or parenthesized (a rule made once)
            assert condition is not None
            return self.literal(f"p_cond_{line}", *_bracketed(condition))

        for alt, alias in body:
            if ((alias in LOOP_STEPS and line not in self.facts.loop_lines)
                    or (alias == "function_returns" and line not in self.facts.return_lines)
                    or (alias == "catch" and line not in self.facts.handler_lines)):
                continue
            if alias == "echo_step":
                if echo is not None:
                    out.append([self.literal(f"p_echo_{line}", echo), "T_COMMA", *alt[1:]])
            elif alias in ("condition_explicit", "condition"):
                if condition is not None:
                    out.append(_replace_at(alt, alt.index("r_ttest"), cond()))
            elif alias == "state_or_condition" and alt[:1] == ["r_ttest"]:
                # `X is True` with a comparison or boolean X reads as a condition claim: only
                # line N's own condition may be one; any other subject is a state's (arithmetic)
                out.append([self._value_subject(), *alt[1:]])
                if condition is not None:
                    out.append([cond(), *alt[1:]])
            elif alias in ("must", "then_must") and returned is not None \
                    and self.direction == "backward":
                requirement = f"p_requirement_{line}"
                subject = self.literal(f"p_ret_{line}", *_bracketed(returned))
                self.rules[requirement] = [
                    [subject, "T__MUST", "r_must_rel"],
                    ["T_NAME", "T__MUST", "T__SATISFY", subject, self._token("=="), "r_arith"]]
                out.append([requirement if s == "r_requirement" else s for s in alt])
            else:
                out.append(alt)
        return out

    def grammar(self, max_steps: int, final_call: bool) -> str:
        facts, rules = self.facts, self.rules
        body = self.middle_body()
        # without parameters, a requirement not placed on a line is about no input at all
        # (`s must satisfy s.count('c') == 2` on a local `s`): the verifier cannot decide it
        unplaced = REQUIREMENTS if facts.parameters == () else frozenset()
        rules["m_body"] = [alt for alt, alias in body
                           if alias != "echo_step" and alias not in unplaced]
        core = [alt for alt in rules["m_core"] if alt[:1] != ["r_header"]]
        rules["p_iteration_header"] = [derived_symbols(exp, {}) for exp, alias
                                       in self.alts["header"] if alias == "iteration_header"]
        core.append(["p_iteration_header", "T_COLON", "m_body"])
        backward = self.direction == "backward"
        for line in facts.return_lines if backward else facts.lines:
            ref = f"T_P_LINE_{line}"
            self.terms[ref] = _line_regex(str(line))
            rules[f"p_ref_{line}"] = [[ref], [ref, "T_LPAR", "T__ITERATION", "T_INT", "T_RPAR"]]
            rules[f"p_body_{line}"] = self.line_body(line, body)
            core.append([f"p_ref_{line}", "T_COLON", f"p_body_{line}"])
        rules["m_core"] = self._return_refs(core)
        rules["r_exc"] = [[self._token(name)] for name in sorted(facts.exceptions)]
        if backward and facts.arity is not None:
            rules["r_input_args"] = self._input_args(facts.arity, facts.literal_args)
        if self.direction == "forward" and final_call and facts.call:
            call = self.literal("p_call", facts.call)
            rules["p_answer"] = [[call, "T_EQUALS_OP", "r_arith"],
                                 [call, "T__RETURNS", "r_ttest"]]
            rules["f_body"] = [["p_answer" if s == "r_answer_body" else s for s in alt]
                               for alt in rules["f_body"]]
        lines = "(" + "|".join(map(str, facts.lines)) + ")" if facts.lines else "0"
        attributes = "|".join(literal_regex(n) for n in sorted(facts.attributes))
        return assemble(self.lark, rules, max_steps, names=facts.names,
                        overrides={"LINE_REF": _line_regex(lines),
                                   "DOT_NAME": f"\\x{{2e}}({attributes})"},
                        extra_terminals=self.terms, limited_names=self.limited)


    def _input_args(self, arity: int, literal: tuple[bool, ...]) -> list[list[str]]:
        """A backward final step's input: ``arity`` arguments, each a value no wider than
        arithmetic (``So the arguments are 7 and -2`` would read as one ``and``), and a plain
        literal where the record's call passes one: the verifier runs a final input only when
        each argument is a literal or the record's own text, so ``[4, -1].count(4)`` there
        could only be ``unknown``."""
        if arity == 0:
            return [["T__EMPTY"], ["T__NO", "T__ARGUMENTS"]]
        args = self._arguments(arity, literal)
        return [args, [*args, "T_COMMA"]]

    def _arguments(self, arity: int, literal: tuple[bool, ...]) -> list[str]:
        """``arity`` comma-separated arguments: a plain literal where the record's call passes
        one, else a value no wider than arithmetic."""
        args: list[str] = []
        for k in range(arity):
            args += ([] if k == 0 else ["T_COMMA"]) + [
                self._plain_literal_rule() if k < len(literal) and literal[k] else "r_arith"]
        return args

    def _check_call(self) -> str:
        """Rule ``p_check``, a backward check's body: the entry called as the record's call is
        (as many arguments, a plain literal where it passes one; the verifier runs no other
        check and refutes a check of another function), then ``== value`` or ``returns
        value``."""
        if "p_check" not in self.rules:
            facts = self.facts
            assert facts.entry is not None and facts.arity is not None
            entry = self.literal("p_entry", facts.entry)
            args = self._arguments(facts.arity, facts.literal_args)
            calls = [[entry, "T_LPAR", *args, "T_RPAR"]]
            if args:
                calls.append([entry, "T_LPAR", *args, "T_COMMA", "T_RPAR"])
            self.rules["p_check"] = [[*call, *end] for call in calls
                                     for end in (["T_EQUALS_OP", "r_arith"],
                                                 ["T__RETURNS", "r_ttest"])]
        return "p_check"

    def _plain_literal_rule(self) -> str:
        """Rule ``p_lit``: a plain literal, as :func:`~codecot.verify.backward.is_literal` reads
        one without calls (a number with a minus sign or none, a string, bytes,
        ``True``/``False``/``None``, and lists, tuples, sets and dicts of plain literals),
        parentheses allowed around one."""
        if "p_lit" in self.rules:
            return "p_lit"
        minus = self._token("-")
        scalars = [alt for alt in self.rules["r_atom"] if len(alt) == 1 and alt[0] != "T_NAME"]
        numbers = [["T_INT"], ["T_FLOAT"], ["T_IMAG"]]
        self.rules["p_lit_more"] = [["T_COMMA", "p_lit"], ["p_lit_more", "T_COMMA", "p_lit"]]
        self.rules["p_lit_item"] = [["p_lit", "T_COLON", "p_lit"]]
        self.rules["p_lit_items"] = [["T_COMMA", "p_lit_item"],
                                     ["p_lit_items", "T_COMMA", "p_lit_item"]]

        def enclosed(left: str, right: str, item: str, more: str) -> list[list[str]]:
            """``left item, item, ... right``, with or without a trailing comma."""
            return [[left, *inner, right] for inner in
                    ([item], [item, "T_COMMA"], [item, more], [item, more, "T_COMMA"])]

        seq = [["T_LSQB", "T_RSQB"], *enclosed("T_LSQB", "T_RSQB", "p_lit", "p_lit_more"),
               ["T_LPAR", "T_RPAR"], *enclosed("T_LPAR", "T_RPAR", "p_lit", "p_lit_more"),
               ["T_LBRACE", "T_RBRACE"], *enclosed("T_LBRACE", "T_RBRACE", "p_lit", "p_lit_more"),
               *enclosed("T_LBRACE", "T_RBRACE", "p_lit_item", "p_lit_items")]
        self.rules["p_lit"] = scalars + [[minus, *n] for n in numbers] + seq
        return "p_lit"

    def _return_refs(self, core: list[list[str]]) -> list[list[str]]:
        """``core`` where ``Line N returns ...`` names only a line holding a ``return``."""
        if not self.facts.return_lines:
            return [alt for alt in core if alt[:2] != ["r_line_ref", "T__RETURNS"]]
        lines = "(" + "|".join(map(str, self.facts.return_lines)) + ")"
        self.terms["T_P_RETURN_LINE"] = _line_regex(lines)
        self.rules["p_return_ref"] = [["T_P_RETURN_LINE"], ["T_P_RETURN_LINE", "T_LPAR",
                                                            "T__ITERATION", "T_INT", "T_RPAR"]]
        return [["p_return_ref", *alt[1:]] if alt[:2] == ["r_line_ref", "T__RETURNS"] else alt
                for alt in core]


@functools.lru_cache(maxsize=256)
def program_grammar(direction: str, facts: ProgramFacts, max_steps: int = DEFAULT_MAX_STEPS,
                    *, final_call: bool = True) -> str:
    """The rationale grammar of ``direction`` narrowed to ``facts`` (see the module doc);
    ``max_steps`` 1 gives the closing grammar (the final step alone); ``final_call`` False
    leaves the final answer's call open."""
    return _Narrowing(direction, facts).grammar(max_steps, final_call)


def _bracketed(text: str) -> tuple[str, ...]:
    """``text`` and, unless it is already, ``(text)``: a step may need either (``(not xs) is
    True``, ``the condition not xs is True``)."""
    return (text,) if text.startswith("(") and text.endswith(")") else (text, f"({text})")


def _replace_at(alt: list[str], index: int, symbol: str) -> list[str]:
    return [*alt[:index], symbol, *alt[index + 1:]]
