"""The in-process tracer: events, control flow, errors, determinism, hostile programs."""

from __future__ import annotations

import builtins
from typing import Any

from codecot.trace import Trace, trace_in_process, trace_job
from codecot.trace.tracer import prepare_payload
from codecot.trace.values import decode


def compact(record: dict[str, Any], with_vars: bool = True) -> list[tuple[Any, ...]]:
    """Events as short tuples that are easy to write down by hand."""
    out: list[tuple[Any, ...]] = []
    for e in record["events"]:
        kind = e["event"]
        if kind == "line":
            out.append(("line", e["line"], e["vars"]) if with_vars else ("line", e["line"]))
        elif kind == "branch":
            out.append(("branch", e["line"], e["kind"], e["taken"]))
        elif kind == "loop_iter":
            out.append(("iter", e["line"], e["iteration"]))
        elif kind == "loop_end":
            out.append(("end", e["line"], e["iterations"], e["reason"]))
        elif kind == "call":
            out.append(("call", e["func"], e["depth"], e["args"]))
        elif kind == "return":
            out.append(("return", e["line"], e["value"]))
        elif kind in ("exception", "caught"):
            out.append((kind, e["line"], e["type"]))
    return out


def run(code: str, args: str, check_ahead: bool = True, **kw: Any) -> dict[str, Any]:
    """Trace in process, and (for a program that runs the same every time) check that the
    record compiled ahead by the sandbox pool's ``prepare_payload`` traces the same."""
    record = trace_in_process(code, args, **kw)
    if not check_ahead:
        return record
    payload = {"id": "x", "code": code, "input": args, "entry": kw.get("entry")}
    for key in ("max_events", "max_trace_chars"):
        if key in kw:
            payload[key] = kw[key]
    ahead = trace_job(prepare_payload(payload))
    assert {**ahead, "seconds": 0} == {**record, "seconds": 0}
    return record


ACCUMULATE = """def f(xs):
    total = 0
    for x in xs:
        total += x
    return total"""


def test_for_loop_with_accumulator() -> None:
    record = run(ACCUMULATE, "[3, 4]")
    assert record["ok"] is True
    assert record["error"] is None and record["error_kind"] is None
    assert record["output"] == "7" and record["output_type"] == "int"
    assert record["args"] == {"xs": "[3, 4]"} and record["types"] == {"xs": "list[int]"}
    assert record["entry"] == "f"
    assert compact(record) == [
        ("call", "f", 0, {"xs": "[3, 4]"}),
        ("line", 2, {"xs": "[3, 4]", "total": "0"}),
        ("line", 3, {"xs": "[3, 4]", "total": "0", "x": "3"}),
        ("iter", 3, 1),
        ("line", 4, {"xs": "[3, 4]", "total": "3", "x": "3"}),
        ("line", 3, {"xs": "[3, 4]", "total": "3", "x": "4"}),
        ("iter", 3, 2),
        ("line", 4, {"xs": "[3, 4]", "total": "7", "x": "4"}),
        ("line", 3, {"xs": "[3, 4]", "total": "7", "x": "4"}),
        ("end", 3, 2, "exhausted"),
        ("line", 5, {"xs": "[3, 4]", "total": "7", "x": "4"}),
        ("return", 5, "7"),
    ]
    lines = [e for e in record["events"] if e["event"] == "line"]
    assert [e["loops"] for e in lines] == [
        [],
        [{"head": 3, "iteration": 1}],
        [{"head": 3, "iteration": 1}],
        [{"head": 3, "iteration": 2}],
        [{"head": 3, "iteration": 2}],
        [],
        [],
    ]
    assert lines[1]["types"] == {"xs": "list[int]", "total": "int", "x": "int"}
    assert all(e["func"] == "f" and e["depth"] == 0 for e in record["events"])


def test_while_true_with_break() -> None:
    code = """def f(n):
    i = 0
    while True:
        i += 1
        if i >= n:
            break
    return i"""
    record = run(code, "2")
    assert record["output"] == "2"
    assert compact(record, with_vars=False) == [
        ("call", "f", 0, {"n": "2"}),
        ("line", 2),
        ("line", 3),
        ("branch", 3, "while", True),
        ("iter", 3, 1),
        ("line", 4),
        ("line", 5),
        ("branch", 5, "if", False),
        ("line", 3),
        ("branch", 3, "while", True),
        ("iter", 3, 2),
        ("line", 4),
        ("line", 5),
        ("branch", 5, "if", True),
        ("line", 6),
        ("end", 3, 2, "break"),
        ("line", 7),
        ("return", 7, "2"),
    ]


def test_while_condition_exhausted() -> None:
    code = """def f(n):
    while n > 0:
        n -= 2
    return n"""
    record = run(code, "3")
    assert record["output"] == "-1"
    assert compact(record, with_vars=False) == [
        ("call", "f", 0, {"n": "3"}),
        ("line", 2),
        ("branch", 2, "while", True),
        ("iter", 2, 1),
        ("line", 3),
        ("line", 2),
        ("branch", 2, "while", True),
        ("iter", 2, 2),
        ("line", 3),
        ("line", 2),
        ("branch", 2, "while", False),
        ("end", 2, 2, "exhausted"),
        ("line", 4),
        ("return", 4, "-1"),
    ]


def test_continue() -> None:
    code = """def f(xs):
    out = []
    for x in xs:
        if x < 0:
            continue
        out.append(x)
    return out"""
    record = run(code, "[1, -2, 3]")
    assert record["output"] == "[1, 3]"
    assert compact(record, with_vars=False) == [
        ("call", "f", 0, {"xs": "[1, -2, 3]"}),
        ("line", 2),
        ("line", 3),
        ("iter", 3, 1),
        ("line", 4),
        ("branch", 4, "if", False),
        ("line", 6),
        ("line", 3),
        ("iter", 3, 2),
        ("line", 4),
        ("branch", 4, "if", True),
        ("line", 5),
        ("line", 3),
        ("iter", 3, 3),
        ("line", 4),
        ("branch", 4, "if", False),
        ("line", 6),
        ("line", 3),
        ("end", 3, 3, "exhausted"),
        ("line", 7),
        ("return", 7, "[1, 3]"),
    ]


def test_nested_loops_with_inner_break() -> None:
    code = """def f(m):
    hits = 0
    for a in range(m):
        for b in range(m):
            if b > a:
                break
            hits += 1
    return hits"""
    record = run(code, "2")
    assert record["output"] == "3"
    loop_events = [t for t in compact(record, with_vars=False) if t[0] in ("iter", "end")]
    assert loop_events == [
        ("iter", 3, 1),
        ("iter", 4, 1),
        ("iter", 4, 2),
        ("end", 4, 2, "break"),
        ("iter", 3, 2),
        ("iter", 4, 1),
        ("iter", 4, 2),
        ("end", 4, 2, "exhausted"),
        ("end", 3, 2, "exhausted"),
    ]
    line7 = [e["loops"] for e in record["events"] if e["event"] == "line" and e["line"] == 7]
    assert line7 == [
        [{"head": 3, "iteration": 1}, {"head": 4, "iteration": 1}],
        [{"head": 3, "iteration": 2}, {"head": 4, "iteration": 1}],
        [{"head": 3, "iteration": 2}, {"head": 4, "iteration": 2}],
    ]


CHAIN = """def f(x):
    if x < 0:
        s = 'neg'
    elif x == 0:
        s = 'zero'
    else:
        s = 'pos'
    return s"""


def test_if_elif_else_each_outcome() -> None:
    def branches(arg: str) -> list[tuple[Any, ...]]:
        return [t for t in compact(run(CHAIN, arg)) if t[0] == "branch"]

    assert branches("-1") == [("branch", 2, "if", True)]
    assert branches("0") == [("branch", 2, "if", False), ("branch", 4, "elif", True)]
    assert branches("5") == [("branch", 2, "if", False), ("branch", 4, "elif", False)]
    assert run(CHAIN, "5")["output"] == "'pos'"
    lines = [t[1] for t in compact(run(CHAIN, "5")) if t[0] == "line"]
    assert lines == [2, 4, 7, 8]


def test_one_line_bodies() -> None:
    code = """def f(x):
    if x > 1: x = x * 10
    if x > 100: return -1
    for i in range(2): x += i
    n = 0
    while n < 3: n += 1
    if x: return x
    return 0"""
    record = run(code, "5")
    assert record["output"] == "51"
    assert compact(record, with_vars=False) == [
        ("call", "f", 0, {"x": "5"}),
        ("line", 2),
        ("branch", 2, "if", True),
        ("line", 3),
        ("branch", 3, "if", False),
        ("line", 4),
        ("iter", 4, 1),
        ("line", 4),
        ("iter", 4, 2),
        ("line", 4),
        ("end", 4, 2, "exhausted"),
        ("line", 5),
        ("line", 6),
        ("branch", 6, "while", True),
        ("iter", 6, 1),
        ("line", 6),
        ("branch", 6, "while", True),
        ("iter", 6, 2),
        ("line", 6),
        ("branch", 6, "while", True),
        ("iter", 6, 3),
        ("branch", 6, "while", False),
        ("end", 6, 3, "exhausted"),
        ("line", 7),
        ("branch", 7, "if", True),
        ("return", 7, "51"),
    ]
    taken = run(code, "50")
    assert taken["output"] == "-1"
    assert ("branch", 3, "if", True) in compact(taken)


def test_recursion_depths_and_returns() -> None:
    code = """def fact(n):
    if n <= 1:
        return 1
    return n * fact(n - 1)"""
    record = run(code, "3")
    assert record["entry"] == "fact" and record["output"] == "6"
    calls = [(e["depth"], e["args"]) for e in record["events"] if e["event"] == "call"]
    assert calls == [(0, {"n": "3"}), (1, {"n": "2"}), (2, {"n": "1"})]
    returns = [
        (e["depth"], e["line"], e["value"]) for e in record["events"] if e["event"] == "return"
    ]
    assert returns == [(2, 3, "1"), (1, 4, "2"), (0, 4, "6")]
    frames = Trace.from_record(record).frames()
    assert [(fr.func, fr.depth, len(fr.lines())) for fr in frames] == [
        ("fact", 0, 2),
        ("fact", 1, 2),
        ("fact", 2, 2),
    ]


def test_helper_calls_and_comprehensions() -> None:
    code = """def double(v):
    return 2 * v

def f(xs):
    ys = [double(x) for x in xs]
    return sum(ys)"""
    record = run(code, "[1, 2]")
    assert record["entry"] == "f" and record["output"] == "6"
    assert compact(record) == [
        ("call", "f", 0, {"xs": "[1, 2]"}),
        ("call", "double", 1, {"v": "1"}),
        ("line", 2, {"v": "1"}),
        ("return", 2, "2"),
        ("call", "double", 1, {"v": "2"}),
        ("line", 2, {"v": "2"}),
        ("return", 2, "4"),
        ("line", 5, {"xs": "[1, 2]", "ys": "[2, 4]"}),
        ("line", 6, {"xs": "[1, 2]", "ys": "[2, 4]"}),
        ("return", 6, "6"),
    ]
    assert {e["func"] for e in record["events"]} == {"f", "double"}


def test_exception_raised_and_caught() -> None:
    code = """def f(xs):
    out = []
    for x in xs:
        try:
            out.append(10 // x)
        except ZeroDivisionError:
            out.append(None)
    return out"""
    record = run(code, "[5, 0]")
    assert record["ok"] and record["output"] == "[2, None]"
    events = compact(record, with_vars=False)
    assert events[events.index(("exception", 5, "ZeroDivisionError")) :] == [
        ("exception", 5, "ZeroDivisionError"),
        ("caught", 6, "ZeroDivisionError"),
        ("line", 6),
        ("line", 7),
        ("line", 3),
        ("end", 3, 2, "exhausted"),
        ("line", 8),
        ("return", 8, "[2, None]"),
    ]
    exc = next(e for e in record["events"] if e["event"] == "exception")
    assert exc["message"] == "integer division or modulo by zero"


def test_exception_propagates_from_helper_and_ends_loop() -> None:
    code = """def check(v):
    if v > 2:
        raise ValueError('too big: %d' % v)
    return v

def f(xs):
    try:
        for x in xs:
            check(x)
    except ValueError as err:
        return str(err)
    return 'ok'"""
    record = run(code, "[1, 3]")
    assert record["output"] == "'too big: 3'"
    tail = [t for t in compact(record, with_vars=False) if t[0] in ("exception", "caught", "end")]
    assert tail == [
        ("exception", 3, "ValueError"),
        ("exception", 9, "ValueError"),
        ("end", 8, 2, "exception"),
        ("caught", 10, "ValueError"),
    ]
    depths = [e["depth"] for e in record["events"] if e["event"] == "exception"]
    assert depths == [1, 0]


def test_uncaught_exception_record() -> None:
    code = """def f(a, b):
    c = a + 1
    return c / b"""
    record = run(code, "1, 0")
    assert record["ok"] is False
    assert record["error_kind"] == "exception"
    assert record["error"] == "ZeroDivisionError: division by zero (line 3)"
    assert record["output"] is None
    assert compact(record) == [
        ("call", "f", 0, {"a": "1", "b": "0"}),
        ("line", 2, {"a": "1", "b": "0", "c": "2"}),
        ("line", 3, {"a": "1", "b": "0", "c": "2"}),
        ("exception", 3, "ZeroDivisionError"),
    ]


def test_recursion_error_and_memory_kinds() -> None:
    record = run("def f(n):\n    return f(n + 1)", "0", check_ahead=False)  # stack depth varies
    assert record["error_kind"] == "exception"
    assert record["error"].startswith("RecursionError")
    memory = run("def f():\n    raise MemoryError()", "")
    assert memory["error_kind"] == "memory"


def test_syntax_error() -> None:
    record = run("def f(x:\n    return x", "1")
    assert record["ok"] is False and record["error_kind"] == "syntax_error"
    assert record["error"].startswith("SyntaxError") and "(line 1)" in record["error"]
    assert record["events"] == []


def test_bad_input() -> None:
    code = "def f(x):\n    return x"
    name_error = run(code, "y")
    assert name_error["error_kind"] == "bad_input"
    assert name_error["error"] == "bad input: NameError: name 'y' is not defined"
    arity = run(code, "1, 2")
    assert arity["error_kind"] == "bad_input"
    assert "TypeError" in arity["error"]
    syntax = run(code, "1, (")
    assert syntax["error_kind"] == "bad_input" and "SyntaxError" in syntax["error"]
    escape = run(code, "1)\nimport os\ndef g(): (2")
    assert escape["error_kind"] == "bad_input"


def test_input_forms() -> None:
    code = "def f(*args, **kwargs):\n    return args, kwargs"
    assert run(code, "")["output"] == "((), {})"
    assert run(code, "1,")["output"] == "((1,), {})"
    assert run(code, "1, z=2,")["output"] == "((1,), {'z': 2})"
    assert run(code, "[1,\n 2]  # comment")["output"] == "(([1, 2],), {})"
    glob = run("N = 3\nWORDS = ['a']\ndef f(x):\n    return x * N", "N,")
    assert glob["output"] == "9"
    assert glob["globals"] == {"N": "3", "WORDS": "['a']"}


def test_entry_resolution() -> None:
    two = "def g(x):\n    return x\n\ndef f(x):\n    return g(x) + 1"
    assert run(two, "1")["entry"] == "f" and run(two, "1")["output"] == "2"
    assert run(two, "1", entry="g")["output"] == "1"
    missing = run("def g(x):\n    return x\ndef h(x):\n    return x", "1")
    assert missing["error_kind"] == "bad_record"
    assert run("def only(x):\n    return x", "4")["entry"] == "only"


def test_nondeterminism_detected() -> None:
    rand = run("import random\ndef f():\n    return random.random()", "", check_ahead=False)
    assert rand["ok"] is False and rand["error_kind"] == "nondeterministic"
    clock = run("import time\ndef f():\n    return time.perf_counter()", "", check_ahead=False)
    assert clock["error_kind"] == "nondeterministic"
    seeded = run("import random\ndef f():\n    random.seed(1)\n    return random.randint(1, 9)", "")
    assert seeded["ok"] is True


def test_unrepresentable_and_huge_outputs() -> None:
    obj = run("class A:\n    pass\ndef f():\n    return A()", "")
    assert obj["error_kind"] == "unrepresentable_output"
    assert "<A object>" in obj["error"]
    big = run("def f():\n    return list(range(10**5))", "")
    assert big["error_kind"] == "unrepresentable_output"
    assert "<omitted list len=100000>" in big["error"]
    huge_local = run("def f():\n    xs = list(range(10**5))\n    return len(xs)", "")
    assert huge_local["ok"] and huge_local["output"] == "100000"
    line = next(e for e in huge_local["events"] if e["event"] == "line")
    assert line["vars"]["xs"] == "<omitted list len=100000>"
    assert line["types"]["xs"] == "omitted:list"


def test_event_cap_keeps_exact_output() -> None:
    code = "def f(n):\n    t = 0\n    for i in range(n):\n        t += i\n    return t"
    record = run(code, "1000", max_events=50)
    assert record["ok"] and record["output"] == "499500"
    assert record["events_truncated"] is True and len(record["events"]) == 50
    full = run(code, "10")
    assert full["events_truncated"] is False


def test_monkeypatched_builtins_are_contained() -> None:
    code = """import builtins
def f(xs):
    builtins.repr = lambda v: 1 / 0
    builtins.len = lambda v: -1
    builtins.isinstance = None
    return [x * 2 for x in xs]"""
    record = run(code, "[1, 2]")
    assert record["ok"] is True and record["output"] == "[2, 4]"
    assert builtins.repr([1]) == "[1]" and builtins.len([1]) == 1
    assert isinstance(1, int)


def test_program_disabling_the_tracer_is_marked() -> None:
    code = "import sys\ndef f():\n    sys.settrace(None)\n    return 1"
    record = run(code, "")
    assert record["ok"] is False and record["error_kind"] == "exception"
    assert record["error"] == "program interfered with the tracer"
    assert run(ACCUMULATE, "[1]")["ok"] is True


def test_trace_job_payload_and_model() -> None:
    record = trace_job({"id": "s1", "code": ACCUMULATE, "input": "[1, 2]"})
    assert record["id"] == "s1" and record["stdout"] == "" and record["seconds"] > 0
    trace = Trace.from_record(record)
    assert trace.ok and trace.output_value() == 3 and trace.arg_values() == {"xs": [1, 2]}
    steps = trace.steps()
    assert [s.line for s in steps] == [2, 3, 4, 3, 4, 3, 5]
    assert steps[2].value("total") == 1 and steps[2].loop_iteration(3) == 1
    assert steps[4].loop_iteration() == 2
    ret = next(trace.of_kind("return"))
    assert ret.returned() == 3
    bad = trace_job({"id": "b", "code": 5, "input": ""})
    assert bad["error_kind"] == "bad_record"


def test_user_repr_never_called_in_trace() -> None:
    code = """class Box:
    def __repr__(self):
        while True:
            pass
def f(n):
    b = Box()
    return n"""
    record = run(code, "4")
    assert record["ok"] and record["output"] == "4"
    line = next(e for e in record["events"] if e["event"] == "line")
    assert line["vars"]["b"] == "<Box object>" and line["types"]["b"] == "object:Box"


def test_values_in_events_decode() -> None:
    code = "def f(s):\n    d = {}\n    for c in s:\n        d[c] = d.get(c, 0) + 1\n    return d"
    record = run(code, "'abca'")
    assert record["output"] == "{'a': 2, 'b': 1, 'c': 1}"
    last_line = [e for e in record["events"] if e["event"] == "line"][-1]
    assert decode(last_line["vars"]["d"]) == {"a": 2, "b": 1, "c": 1}
    assert last_line["types"]["d"] == "dict[str, int]"


# --- stdout, resource exhaustion, trace size ----------------------------------------------


def test_stdout_is_the_first_runs_output() -> None:
    code = "print('loaded')\ndef f(x):\n    print('x is', x)\n    import sys\n    sys.stderr.write('e\\n')\n    return x"
    record = run(code, "3")
    assert record["ok"] is True and record["output"] == "3"
    assert record["stdout"] == "loaded\nx is 3\ne\n"
    assert run(ACCUMULATE, "[1]")["stdout"] == ""


def test_stdout_is_capped_with_a_marker() -> None:
    from codecot.trace.tracer import MAX_STDOUT_CHARS

    record = run("def f():\n    print('ab' * 6000, end='')\n    return 0", "")
    assert record["ok"] is True
    assert record["stdout"] == "ab" * (MAX_STDOUT_CHARS // 2) + f"[... {12000 - MAX_STDOUT_CHARS} chars cut]"


def test_printing_the_clock_is_not_output() -> None:
    record = run("import time\ndef f():\n    print(time.perf_counter())\n    return 1", "",
                 check_ahead=False)
    assert record["ok"] is True and record["stdout"].count("\n") == 1


# A program whose runs differ in when they exhaust a resource: a counter kept on a module that
# survives between the two runs (sys.modules is shared) decides which run fails.
FLAKY = """import math
def f(n):
    math._codecot_runs = getattr(math, '_codecot_runs', 0) + 1
    if math._codecot_runs % 2 == {parity}:
        raise {error}()
    return n
"""


def _flaky(parity: int, error: str) -> dict[str, Any]:
    import math

    if hasattr(math, "_codecot_runs"):
        del math._codecot_runs
    try:
        return run(FLAKY.format(parity=parity, error=error), "1")
    finally:
        if hasattr(math, "_codecot_runs"):
            del math._codecot_runs


def test_memory_error_in_either_run_wins_over_nondeterminism() -> None:
    first = _flaky(1, "MemoryError")  # only the first run fails
    assert first["error_kind"] == "memory" and first["error"].startswith("MemoryError")
    second = _flaky(0, "MemoryError")  # only the second run fails
    assert second["error_kind"] == "memory" and second["output"] is None
    other = _flaky(0, "ValueError")  # any other difference stays nondeterministic
    assert other["error_kind"] == "nondeterministic"


def test_recursion_error_in_either_run_is_an_exception() -> None:
    for parity in (0, 1):
        record = _flaky(parity, "RecursionError")
        assert record["error_kind"] == "exception", record
        assert record["error"].startswith("RecursionError")


def test_trace_size_budget_truncates_and_keeps_output() -> None:
    code = "def f(n):\n    xs = list(range(500))\n    t = 0\n    for i in range(n):\n        t += xs[i]\n    return t"
    record = run(code, "300", max_trace_chars=50_000)
    assert record["ok"] is True and record["output"] == str(sum(range(300)))
    assert record["events_truncated"] is True
    carried = sum(len(v) for e in record["events"] for v in e.get("vars", {}).values())
    assert 40_000 < carried <= 50_000
    full = run(code, "3", max_trace_chars=50_000)
    assert full["events_truncated"] is False


def test_default_trace_budget_bounds_the_record_size() -> None:
    import json

    from codecot.trace.tracer import MAX_TRACE_CHARS

    code = "def f(n):\n    big = 'x' * 5000\n    t = 0\n    for i in range(n):\n        t += i\n    return t"
    record = run(code, "3000")
    assert record["ok"] is True and record["output"] == str(sum(range(3000)))
    assert record["events_truncated"] is True
    assert len(json.dumps(record)) < 2 * MAX_TRACE_CHARS
