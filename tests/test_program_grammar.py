"""Decoding grammars narrowed to a record's program: what they admit and what they refuse."""

from __future__ import annotations

import random
import re

import pytest

from codecot.claims import parse_step
from codecot.claims.errors import StepParseError
from codecot.claims.parse import parse_rationale
from codecot.corpus import CorpusRecord, load_records
from codecot.narrate.hf.program_facts import (
    BUILTIN_NAMES,
    ProgramFacts,
    program_facts,
    python_tokens,
)
from codecot.narrate.hf.program_grammar import program_grammar
from codecot.narrate.hf.word_bounds import (
    continues_number,
    continues_word,
    ends_in_keyword,
    open_number,
    open_word,
)
from tests.helpers import record, trace_of
from tests.hf_helpers import DEMO, ll_tokenizer

CODE = ("def f(n, words):\n"
        "    total = 0\n"
        "    if not words:\n"
        "        total += n % 10\n"
        "    while total < n:\n"
        "        total = total * 2 + 1\n"
        "    out = words.upper()\n"
        "    return total + len(out)\n")


def _facts_of(code: str, input_: str, entry: str | None = "f") -> ProgramFacts:
    """The facts of ``code`` called with ``input_`` (``entry`` None: its only function)."""
    rec = CorpusRecord(id="t", code=code, input=input_, entry=entry)
    facts = program_facts(rec, trace_of(rec))
    assert facts is not None
    return facts


def _facts() -> ProgramFacts:
    return _facts_of(CODE, "7, ''")


def test_facts_hold_the_programs_names_lines_statements_conditions_and_call() -> None:
    facts = _facts()
    assert {"n", "words", "total", "out", "upper", "f"} <= facts.names
    assert {"len", "startswith", "ValueError"} <= facts.names  # builtins and their methods
    assert "True" not in facts.names and "self" not in facts.names
    assert facts.lines == (1, 2, 3, 4, 5, 6, 7, 8)
    assert dict(facts.echoes) == {2: "total = 0", 4: "total += n % 10",
                                  6: "total = total * 2 + 1", 7: "out = words.upper()"}
    assert dict(facts.conditions) == {3: "not words", 5: "total < n"}
    assert dict(facts.returns) == {8: "total + len(out)"}
    assert facts.return_lines == (8,) and facts.loop_lines == (5,)
    assert facts.call == "f(7, '')" and facts.goal == "f(n, words)" and facts.entry == "f"
    assert facts.bindings == "n = 7 and words = ''" and facts.arity == 2
    assert facts.literal_args == (True, True)


def test_python_tokens_keep_an_attribute_with_its_dot() -> None:
    assert python_tokens("out = words.upper()") == ["out", "=", "words", ".upper", "(", ")"]
    assert python_tokens("x = 1.5 + y") == ["x", "=", "1.5", "+", "y"]


def test_facts_of_code_that_does_not_parse_are_none() -> None:
    assert program_facts(CorpusRecord(id="x", code="def f(:\n", input="1"), {"ok": False}) is None


def _accepts(direction: str, text: str, facts: ProgramFacts, *, closing: bool = False) -> bool:
    llg, lt = ll_tokenizer()
    grammar = program_grammar(direction, facts, 1 if closing else 40)
    matcher = llg.LLMatcher(lt, llg.LLMatcher.grammar_from_lark(grammar), log_level=0)
    assert not matcher.is_error(), matcher.get_error()
    tokens = [*lt.tokenize_str(text), lt.eos_token]
    return bool(matcher.validate_tokens(tokens) == len(tokens))


FORWARD_END = "\nSo f(7, '') returns 7."


@pytest.mark.parametrize(("text", "admitted"), [
    # the call step binds the record's arguments to the entry's parameters
    ("We call f with n = 7 and words = ''.", True),
    ("Call f with n=7 and words=''.", True),
    ("Call f with n = 7.", False),
    ("Call f with x = 7 and words = ''.", False),
    ("Call f with n = 8 and words = ''.", False),
    # a line's own statement, spaced any way, and only on its own line
    ("Line 2: total = 0, so total is 0.", True),
    ("Line 4 (iteration 1): total+=n%10, so total is 7.", True),
    ("Line 2: total = 1, so total is 1.", False),
    ("Line 6: total += n % 10, so total is 7.", False),
    ("Line 3: total = 0, so total is 0.", False),
    # a line's own condition (parenthesized where a step needs it), only on its line
    ("Line 3: the condition not words is True, so the branch is taken.", True),
    ("Line 3: (not words) is True, so the branch is taken.", True),
    ("Line 5 (iteration 2): the condition total < n is False, so the loop stops.", True),
    ("Line 3: the condition total < n is True, so the branch is taken.", False),
    ("Line 2: the condition total < n is True, so the branch is taken.", False),
    # names from the program and builtins only; lines that hold a statement only
    ("Line 7: out is now ''.", True),
    ("Line 7: len(out) is 0.", True),
    ("Line 7: result is now ''.", False),
    ("Line 9: total is 7.", False),
    ("Line 7: out.upper() is ''.", True),
    ("Line 7: out.title() is ''.", True),
    ("Line 7: out.shout() is ''.", False),
    # a state step says what a name (or its item or attribute) holds now
    ("Line 7: out[0] is now ''.", True),
    ("Line 7: (out) becomes ''.", True),
    ("Line 7: out.upper() is now ''.", False),
    ("Line 7: out == '' is now True.", False),
    ("Line 7: len(out) becomes 0.", False),
    ("Line 7: out + '' equals ''.", False),
    # loop steps on a loop's line, returns on a return's line
    ("Line 5: the loop runs 1 time.", True),
    ("Line 2: the loop runs 1 time.", False),
    ("Line 8 returns total + len(out), which is 7.", True),
    ("Line 8: the function returns 7.", True),
    ("Line 2 returns 0.", False),
    ("Line 2: the function returns 0.", False),
])
def test_forward_middle_steps(text: str, admitted: bool) -> None:
    assert _accepts("forward", text + FORWARD_END, _facts()) is admitted


@pytest.mark.parametrize("space", ["\u00a0", "\f", "\r"])
def test_generated_text_spaces_with_ascii_spaces_and_tabs_only(space: str) -> None:
    step = "Line 2: total = 0, so{}total is 0."
    assert _accepts("forward", step.format(" ") + FORWARD_END, _facts())
    assert _accepts("forward", step.format("\t") + FORWARD_END, _facts())
    assert not _accepts("forward", step.format(space) + FORWARD_END, _facts())
    assert _accepts("forward", "So f(7, '') returns 7.", _facts(), closing=True)
    assert not _accepts("forward", f"So f(7, ''){space}returns 7.", _facts(), closing=True)
    # the parser still reads such text (written by others)
    claims = parse_rationale(step.format(space) + FORWARD_END)
    assert len(claims) == 2 and not any(isinstance(c, StepParseError) for c in claims)


@pytest.mark.parametrize(("text", "admitted"), [
    ("So f(7, '') returns 7.", True),
    ("Therefore f(7,'') == 7.", True),
    ("So f(8, '') returns 7.", False),
    ("So f(7) returns 7.", False),
])
def test_forward_final_answer_is_about_the_records_call(text: str, admitted: bool) -> None:
    facts = _facts()
    assert _accepts("forward", text, facts) is admitted
    assert _accepts("forward", text, facts, closing=True) is admitted


@pytest.mark.parametrize(("text", "admitted"), [
    ("We need f(n, words) to return 7.", True),
    ("We need f(words, n) to return 7.", False),
    ("Line 8: total + len(out) must be 7.", True),
    ("Line 8: (total + len(out)) must be 7.", True),
    ("Line 8: total must be 7.", False),
    ("Line 8: n must satisfy total + len(out) == 7.", True),
    ("Line 8: n must satisfy n == 7.", False),
    ("Line 9: total must be 7.", False),
    ("Line 2: total must be 0.", False),  # a requirement under a line header: a return's
    ("Line 2: total is now 0.", False),  # a state: forward only
])
def test_backward_goal_and_return_requirements(text: str, admitted: bool) -> None:
    assert _accepts("backward", text + "\nSo the input is 7, ''.", _facts()) is admitted


@pytest.mark.parametrize(("text", "admitted"), [
    ("So the input is 7, ''.", True),
    ("The arguments are -7, 'ab',", True),
    ("So the arguments are 7 and ''.", False),  # one argument, `7 and ''`
    ("So the input is 7.", False),
    ("So the input is 7, '', 3.", False),
    ("So the input is 7 == 7, ''.", False),
    ("So the input is empty.", False),
])
def test_backward_final_input_passes_as_many_arguments_as_the_call(text: str,
                                                                  admitted: bool) -> None:
    assert _accepts("backward", text, _facts()) is admitted
    assert _accepts("backward", text, _facts(), closing=True) is admitted
    # a function of no arguments takes none
    rec = record("def g():\n    return 3\n", "")
    none = program_facts(rec, trace_of(rec))
    assert none is not None and none.arity == 0
    assert _accepts("backward", "So the input is empty.", none)
    assert not _accepts("backward", "So the input is 3.", none)


@pytest.mark.parametrize(("text", "admitted"), [
    ("So the input is 7, ''.", True),
    ("So the input is -7, 'a' 'b'.", True),  # adjacent strings are one literal
    ("So the input is (7), b''.", True),
    ("So the input is 7.5, 'x'.", True),
    ("So the input is 7, 'a' + 'b'.", False),  # a literal only: this would not be run
    ("So the input is 7 * 2, ''.", False),
    ("So the input is +7, ''.", False),  # a unary plus is an operation, not a literal
    ("So the input is n, ''.", False),
    ("So the input is len('abc'), ''.", False),
])
def test_backward_final_input_writes_a_literal_where_the_call_passes_one(text: str,
                                                                         admitted: bool) -> None:
    assert _accepts("backward", text, _facts()) is admitted
    assert _accepts("backward", text, _facts(), closing=True) is admitted


@pytest.mark.parametrize(("text", "admitted"), [
    ("Check: f(7, '') == 7.", True),
    ("Check: f(-3, 'x',) returns 9.", True),
    ("Check: f(7, 'a' + 'b') == 7.", False),  # not run: unknown
    ("Check: g(7, '') == 7.", False),  # another function: refuted
    ("Check: f(7) == 7.", False),
    ("Check: f(n, words) == 7.", False),
])
def test_backward_check_calls_the_entry_as_the_records_call_does(text: str,
                                                                 admitted: bool) -> None:
    assert _accepts("backward", text + "\nSo the input is 7, ''.", _facts()) is admitted


@pytest.mark.parametrize(("text", "admitted"), [
    ("So the input is [3, -1, (2, 'a')], {'k': [None, True]}, abs.", True),
    ("So the input is [], {}, len.", True),  # the record passes a function: not a literal
    ("So the input is {1, 2}, {1: 2,}, abs.", True),
    ("So the input is [3, x], {}, abs.", False),
    ("So the input is [3].copy(), {}, abs.", False),
    ("So the input is {1: 2, 3}, {}, abs.", False),
])
def test_final_input_literals_nest_and_a_non_literal_argument_stays_open(text: str,
                                                                          admitted: bool) -> None:
    rec = record("def g(items, table, fn):\n    return [fn(x) for x in items], table\n",
                 "[1], {'a': 1}, abs")
    facts = program_facts(rec, trace_of(rec))
    assert facts is not None and facts.literal_args == (True, True, False)
    assert _accepts("backward", text, facts) is admitted


@pytest.mark.parametrize(("text", "admitted"), [
    ("Let n be 7.", True),
    ("Choose words = 'a' + 'b'.", True),
    ("n can be greater than 3.", True),
    ("Let n be 7 and words == ''.", False),  # one choice: n == (7 and words == '')
    ("Choose n = 7 and words = ''.", False),
    ("n could be equal to 7 or 8.", False),
    ("Let n satisfy n > 3 and n < 9.", True),  # a condition may be any test
])
def test_backward_choices_choose_one_value(text: str, admitted: bool) -> None:
    assert _accepts("backward", text + "\nSo the input is 7, ''.", _facts()) is admitted


@pytest.mark.parametrize(("text", "admitted"), [
    ("Line 2: total is 0.", True),
    ("Line 7: words.upper() is ''.", True),
    ("Line 5: total < n is True.", True),  # line 5's own condition
    ("Line 5: (total < n) is False.", True),
    ("Line 2: total == 0 is True.", False),  # a condition claim on a line without one
    ("Line 5: total > n is False.", False),  # not line 5's condition
    ("Line 2: not words is True.", False),
])
def test_x_is_a_truth_value_only_for_the_lines_own_condition(text: str, admitted: bool) -> None:
    assert _accepts("forward", text + FORWARD_END, _facts()) is admitted


def test_an_attribute_is_one_the_program_writes_or_a_builtin_types() -> None:
    facts = _facts()
    assert "upper" in facts.attributes and "real" in facts.attributes  # its own; int's
    assert "total" not in facts.attributes and "ValueError" not in facts.attributes
    assert _accepts("forward", "Line 7: words.upper() is ''." + FORWARD_END, facts)
    assert _accepts("forward", "Line 7: out.startswith('') is True." + FORWARD_END, facts)
    assert not _accepts("forward", "Line 7: words.total is ''." + FORWARD_END, facts)
    assert not _accepts("forward", "Line 7: out.ValueError is ''." + FORWARD_END, facts)


def test_a_call_result_is_stated_only_where_the_program_calls_its_own_function() -> None:
    facts = _facts()
    assert not facts.calls_own
    assert not _accepts("forward", "Line 7: words.upper() returns ''." + FORWARD_END, facts)
    assert _accepts("forward", "Line 7: out is now ''." + FORWARD_END, facts)
    code = "def g(x):\n    return x * 2\n\ndef f(n):\n    return g(n) + 1\n"
    helper = _facts_of(code, "3")
    assert helper.calls_own
    assert _accepts("forward", "Line 5: g(3) returns 6.\nSo f(3) == 7.", helper)
    # a helper may be called through a parameter
    code = "def double(n):\n    return 2 * n\n\ndef f(op, n):\n    return op(n)\n"
    passed = _facts_of(code, "double, 3")
    assert passed.calls_own


NESTED = ("def helper(x):\n"
          "    return x * 2\n"
          "\n"
          "def f(xs):\n"
          "    def inner(y):\n"
          "        return y + 1\n"
          "    out = []\n"
          "    for x in xs:\n"
          "        out.append(inner(helper(x)))\n"
          "    return out\n")


def test_forward_steps_name_only_the_lines_of_the_entry_functions_frame() -> None:
    facts = _facts_of(NESTED, "[1]")

    assert facts.frame_lines == (4, 5, 7, 8, 9, 10)  # inner's def line runs in f's frame
    assert facts.lines == (1, 2, 4, 5, 6, 7, 8, 9, 10)
    end = "\nSo f([1]) returns [3]."
    assert _accepts("forward", "Line 7: out is now []." + end, facts)
    assert _accepts("forward", "Line 10 returns out, which is [3]." + end, facts)
    # a helper's line and a nested function's body line run in other frames
    assert not _accepts("forward", "Line 2 returns x * 2, which is 2." + end, facts)
    assert not _accepts("forward", "Line 6: the function returns y + 1, which is 3." + end, facts)
    assert not _accepts("forward", "Line 2: x is 1." + end, facts)
    assert facts.in_frame().lines == facts.frame_lines
    assert ProgramFacts(frozenset(), (1, 2)).in_frame().lines == (1, 2)  # frame not known


def test_a_state_or_loop_binding_names_a_variable_of_the_program() -> None:
    # NESTED defines helper and inner: functions, whose values no step can state; x, out and
    # the parameters are variables
    facts = _facts_of(NESTED, "[1]")

    assert facts.variables == {"x", "y", "xs", "out"}
    end = "\nSo f([1]) returns [3]."
    assert _accepts("forward", "Line 8: iteration 1 starts with x = 1." + end, facts)
    assert _accepts("forward", "Line 7: out is now []." + end, facts)
    assert _accepts("forward", "Line 9 (iteration 1): out[0] becomes 3." + end, facts)
    assert not _accepts("forward", "Line 8: iteration 1 starts with inner = 1." + end, facts)
    assert not _accepts("forward", "Line 7: inner is now 2." + end, facts)
    assert not _accepts("forward", "Line 7: helper becomes 2." + end, facts)
    assert not _accepts("forward", "Line 7: len becomes 2." + end, facts)
    assert _accepts("forward", "Line 7: len(xs) is 1." + end, facts)  # not a state step


def test_a_value_step_is_not_about_what_a_list_method_returns() -> None:
    # `out.append(...)` returns None: `out.append(x * 2) is [2]` can only fail; the echo with
    # `, so out is now [2]` says what the model means. A program's own `append` may return
    # something.
    code = "def f(xs):\n    out = []\n    for x in xs:\n        out.append(x * 2)\n    return out\n"
    facts = _facts_of(code, "[1]")
    end = "\nSo f([1]) returns [2]."
    assert not _accepts("forward", "Line 4 (iteration 1): out.append(x * 2) is [2]." + end, facts)
    assert not _accepts("forward", "Line 4: out.sort() is [2]." + end, facts)
    assert _accepts("forward", "Line 4 (iteration 1): out.append(x * 2), so out is now [2]." + end,
                    facts)
    assert _accepts("forward", "Line 4: out.count(2) is 1." + end, facts)
    # an attribute read in a state step or in `X is V` holds data: not a method's
    assert not _accepts("forward", "Line 4: out.append[0] becomes 2." + end, facts)
    assert not _accepts("forward", "Line 4: out.append[x] is 2." + end, facts)
    assert not _accepts("forward", "Line 4: out.append is 1." + end, facts)
    assert _accepts("forward", "Line 4: out[0].real becomes 2." + end, facts)
    assert _accepts("forward", "Line 4: out[0].real is 2." + end, facts)
    # a call's result: not a list method's None
    helper = ("def g(x):\n    return x\n\n"
              "def f(xs):\n    out = []\n    for x in xs:\n        out.append(g(x))\n"
              "    return out\n")
    calls = _facts_of(helper, "[1]")
    assert calls.calls_own
    end = "\nSo f([1]) returns [1]."
    assert _accepts("forward", "Line 7 (iteration 1): g(1) returns 1." + end, calls)
    assert not _accepts("forward", "Line 7 (iteration 1): out.append(g(x)) returns [1]." + end,
                        calls)
    own = ("class Log:\n    def __init__(self):\n        self.n = 0\n"
           "    def append(self, x):\n        self.n += x\n        return self.n\n\n"
           "def f(x):\n    log = Log()\n    total = log.append(x)\n    return total\n")
    facts = _facts_of(own, "3")
    assert "append" in facts.functions
    assert _accepts("forward", "Line 10: log.append(x) is 3.\nSo f(3) returns 3.", facts)
    assert _accepts("forward", "Line 10: log.n is now 3.\nSo f(3) returns 3.", facts)


def test_a_backward_choice_chooses_a_parameter() -> None:
    facts = _facts()
    assert facts.parameters == ("n", "words")
    end = "\nSo the input is 7, ''."
    assert _accepts("backward", "Let words be ''." + end, facts)
    assert _accepts("backward", "(n) can be 7." + end, facts)
    assert not _accepts("backward", "Let total be 7." + end, facts)
    assert not _accepts("backward", "out can be ''." + end, facts)
    assert not _accepts("backward", "Let out satisfy out == ''." + end, facts)
    code = "def f():\n    s = 'ab'\n    return s.upper()\n"
    none = _facts_of(code, "")
    assert none.parameters == ()
    goal = "We need f() to return 'AB'.\n"
    assert _accepts("backward", goal + "Check: f() == 'AB'.\nSo the input is empty.", none)
    assert not _accepts("backward", goal + "Let s be 'ab'.\nSo the input is empty.", none)
    # a requirement: only on the return line (about what it returns)
    assert _accepts("backward", goal + "Line 3: s.upper() must be 'AB'.\nSo the input is empty.",
                    none)
    assert not _accepts("backward", goal + "s must satisfy s.count('a') == 1.\n"
                        "So the input is empty.", none)
    # with parameters, a requirement needs no line
    assert _accepts("backward", "n must be 7.\nSo the input is 7, ''.", facts)


def test_every_template_rationale_of_the_demo_corpus_is_admitted() -> None:
    from codecot.narrate.template import TemplateNarrator
    from codecot.trace.run import trace_records

    records = [r for r in load_records(DEMO) if isinstance(r, CorpusRecord)]
    checked = 0
    for seed in (0, 3):
        narrator = TemplateNarrator(seed=seed)
        for rec, trace in zip(records, trace_records(records, jobs=1), strict=True):
            facts = program_facts(rec, trace)
            assert facts is not None
            for direction in ("forward", "backward"):
                text = narrator.narrate(rec, trace, direction).text
                assert _accepts(direction, text, facts), text
                checked += 1
    assert checked == 4 * len(records)


@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_every_line_of_a_random_walk_through_a_program_grammar_parses(direction: str) -> None:
    # the literal statements, conditions and calls must stay inside what parse_step accepts;
    # the walk, like the decoder, glues no word onto a keyword or a closed name
    from tests.test_hf_narrator import _random_walk

    llg, lt = ll_tokenizer()
    facts = _facts()
    grammar = llg.LLMatcher.grammar_from_lark(program_grammar(direction, facts, 8))
    rng = random.Random(0)
    lines = 0
    for _ in range(100):
        for line in _random_walk(llg, lt, grammar, rng, 200,
                                 lambda text, token: _glues(text, token, facts),
                                 lambda text, token: _glues_onto_name(text, token, facts)):
            if line.strip():
                parse_step(line)
                lines += 1
    assert lines >= 10


def test_builtin_names_hold_no_keywords() -> None:
    assert not {"True", "False", "None"} & BUILTIN_NAMES
    assert {"len", "sorted", "append", "startswith", "items"} <= BUILTIN_NAMES


def _glues(text: str, token: str, facts: ProgramFacts) -> bool:
    """Whether the decoder refuses ``token`` after the line ``text`` (a word glued on)."""
    lead = re.match(r"\w*", token)
    if lead is None or (not lead.group() and not token.startswith("\ufffd")):
        return False
    if ends_in_keyword(text):
        return True
    return _glues_onto_name(text, token, facts)


def _glues_onto_name(text: str, token: str, facts: ProgramFacts) -> bool:
    """:func:`_glues` without the keyword rule: the decoder's rule where only a word may
    follow a keyword (llguidance reads it as the start of a longer name)."""
    lead = re.match(r"\w*", token)
    if lead is None or (not lead.group() and not token.startswith("\ufffd")):
        return False
    number = open_number(text)
    if number is not None:
        return not continues_number(number, lead.group())
    word = open_word(text)
    return word is not None and not continues_word(word, lead.group(), facts)


def test_a_word_goes_on_only_into_a_name_a_literal_word_or_a_keyword() -> None:
    facts = _facts()
    assert continues_word("tot", "al", facts) and continues_word("t", "otal", facts)
    assert continues_word("upp", "er", facts) and continues_word("starts", "w", facts)
    assert continues_word("CON", "DIT", facts)  # keywords in any case
    assert continues_word("Li", "ne", facts)  # a word of a regex terminal
    assert not continues_word("total", "x", facts)
    assert not continues_word("f", "EW", facts)  # a whole name does not go on as a keyword
    assert open_word("Line 2: total") == "total"
    assert open_word("Line 2: x is 'tot") is None  # in a string
    assert open_word("Line 2: x is 10") is None  # a number
    assert open_word("Line 2: x is 1e5") is None
    assert open_word("Line 2: x is 3tot") == "tot"  # a word glued onto a number
    assert open_word("Line 2: x is 'a' + tot") == "tot"


def test_a_number_goes_on_only_as_a_number() -> None:
    assert open_number("Line 3") == "3" and open_number("x is 0x1") == "0x1"
    assert open_number("x is total") is None and open_number("x is 'a'") is None
    assert continues_number("3", "5") and continues_number("1", "e") and continues_number("0", "x1f")
    assert continues_number("2", "j") and continues_number("1", "_000")
    assert not continues_number("3", "raises") and not continues_number("1e5", "x")


def test_inside_a_string_a_digit_or_a_keyword_takes_any_word_after_it() -> None:
    facts = _facts()
    assert _glues("Line 2: x is 3", "rd", facts) and _glues("So the", "ory", facts)
    assert open_number("x is '1") is None and not _glues("Line 2: x is '1", "st", facts)
    assert not ends_in_keyword("x is 'the") and not _glues("x is 'the", "ory", facts)
    assert ends_in_keyword("x is 'the' and") and open_number("x is 'a' + 12") == "12"


TRY_CODE = ("def g(xs):\n"
            "    try:\n"
            "        v = xs[3]\n"
            "    except IndexError:\n"
            "        v = -1\n"
            "    return v\n")


@pytest.mark.parametrize(("text", "admitted"), [
    ("Line 3 raises IndexError.", True),
    ("Line 3 raises KeyError.", True),  # any builtin exception class
    ("Line 3 raises xs.", False),
    ("Line 3 raises isidentifier.", False),
    ("Line 4: the except clause catches IndexError.", True),
    ("Line 3: the except clause catches IndexError.", False),  # not an except line
    ("Line 4: the except clause catches upper.", False),
])
def test_exceptions_are_exception_names_and_caught_on_except_lines(text: str,
                                                                  admitted: bool) -> None:
    facts = _facts_of(TRY_CODE, "[1]", entry=None)
    assert facts.handler_lines == (4,)
    assert "IndexError" in facts.exceptions and "xs" not in facts.exceptions
    assert _accepts("forward", f"Call g with xs = [1].\n{text}\nSo g([1]) returns -1.",
                    facts) is admitted
