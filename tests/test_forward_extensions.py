"""Forward verification of steps using bytes, str.format, keyword arguments, builtins as values
and mutating calls: each true step verified, each false one refuted with Python's value."""

from __future__ import annotations

import pytest

from codecot.corpus import CorpusRecord
from tests.helpers import record, verify_text

BYTES = "def f(s):\n    b = s.encode()\n    return b[1:]\n"
FORMAT = ("def f(s, n):\n    t = '{name}!'.format(name=s)\n    u = '{:03d}|{:>4}'.format(n, s)\n"
          "    return t + u\n")
TRANSLATE = ("def f(s, words):\n    table = str.maketrans('ab', 'xy')\n"
             "    r = sorted(words, key=len)\n    return s.translate(table)\n")
POP = "def f(nums):\n    n = len(nums)\n    return nums.pop(1)\n"
POP2 = "def f(a):\n    return a.pop() + a.pop()\n"
DICT = "def f(d):\n    x = d.popitem()\n    return d.setdefault('k', [])\n"
SHADOW = "def f(str):\n    return str.upper()\n"

CASES = [
    # (code, input, true step, false step, text the refutation must show)
    (BYTES, "'abc'", "Line 2: b is b'abc'.", "Line 2: b is b'abd'.", "b is b'abc', not b'abd'"),
    (BYTES, "'é'", "Line 2: b = s.encode(), so b is b'\\xc3\\xa9'.", "Line 2: b is b'\\xe9'.",
     "b is b'\\xc3\\xa9'"),
    (BYTES, "'abc'", "Line 3: the function returns b[1:], which is b'bc'.",
     "Line 3: the function returns b[1:], which is b'ab'.", "returns b'bc', not b'ab'"),
    (BYTES, "'abc'", "Line 2: b is s.encode().", "Line 2: b is s.encode().upper().",
     "b is b'abc'"),
    (FORMAT, "'ab', 7", "Line 2: t is '{name}!'.format(name=s).",
     "Line 2: t is '{name}?'.format(name=s).", "t is 'ab!'"),
    (FORMAT, "'ab', 7", "Line 3: u is '007|  ab'.", "Line 3: u is '{:03d}|{:<4}'.format(n, s).",
     "u is '007|  ab'"),
    (TRANSLATE, "'abc', ['ccc', 'a']", "Line 2: table is str.maketrans('ab', 'xy').",
     "Line 2: table is str.maketrans('ab', 'xz').", "table is {97: 120, 98: 121}"),
    (TRANSLATE, "'abc', ['ccc', 'a']", "Line 3: r is sorted(words, key=len).",
     "Line 3: r is sorted(words, key=len, reverse=True).", "r is ['a', 'ccc']"),
    (TRANSLATE, "'abc', ['ccc', 'a']",
     "Line 4: the function returns s.translate(str.maketrans('ab', 'xy')), which is 'xyc'.",
     "Line 4: the function returns s.translate(str.maketrans('ab', 'yx')), which is 'xyc'.",
     "s.translate(str.maketrans('ab', 'yx')) is 'yxc'"),
    (POP, "[4, 5, 6]", "Line 3: the function returns nums.pop(1), which is 5.",
     "Line 3: the function returns nums.pop(1), which is 6.", "returns 5, not 6"),
    (POP, "[4, 5, 6]", "Line 3: the function returns nums.pop(1), which is 5.",
     "Line 3: the function returns nums.pop(0), which is 5.", "nums.pop(0) is 4, not 5"),
    (POP2, "[1, 2, 3]", "Line 2: the function returns a.pop() + a.pop(), which is 5.",
     "Line 2: the function returns a.pop() + a.pop(), which is 6.", "returns 5, not 6"),
    (DICT, "{'a': 1, 'b': 2}", "Line 2: x = d.popitem(), so x is ('b', 2).",
     "Line 2: x is ('a', 1).", "x is ('b', 2)"),
    (DICT, "{'a': 1, 'b': 2}",
     "Line 3: the function returns d.setdefault('k', []), which is [].",
     "Line 3: the function returns d.setdefault('a', []), which is [].",
     "d.setdefault('a', []) is 1"),
    (SHADOW, "'ab'", "Line 2: the function returns str.upper(), which is 'AB'.",
     "Line 2: the function returns str.lower(), which is 'AB'.", "str.lower() is 'ab'"),
]


@pytest.mark.parametrize(("code", "args", "true_step", "false_step", "shown"), CASES)
def test_true_step_verified_and_false_step_refuted(code: str, args: str, true_step: str,
                                                   false_step: str, shown: str) -> None:
    rec = record(code, args)
    [good] = verify_text(rec, true_step)["steps"]
    assert good["verdict"] == "verified", good
    [bad] = verify_text(rec, false_step)["steps"]
    assert bad["verdict"] == "refuted", bad
    assert shown in bad["detail"], bad["detail"]


def test_a_builtins_name_is_not_a_missing_variable() -> None:
    # `str` is no variable of the program: it is the builtin, never "no variable str is in scope"
    rec = record(TRANSLATE, "'abc', ['ccc', 'a']")
    out = verify_text(rec, "Line 2: table is dict(str.maketrans('ab', 'xy')).")
    assert [s["verdict"] for s in out["steps"]] == ["verified"]
    out = verify_text(rec, "Line 2: table is zz.maketrans('ab', 'xy').")
    [step] = out["steps"]
    assert step["verdict"] == "refuted", step  # an unknown name is still no variable


def test_a_program_function_used_as_a_value_is_unknown() -> None:
    code = ("def g(w):\n    return -len(w)\n\n"
            "def f(words):\n    r = sorted(words, key=g)\n    return r\n")
    rec = CorpusRecord(id="t", code=code, input="['a', 'bb']", entry="f")
    [step] = verify_text(rec, "Line 5: r is sorted(words, key=g).")["steps"]
    assert step["verdict"] == "unknown" and "function of the program" in step["detail"]


def test_whole_rationale_with_mutations_is_accepted() -> None:
    text = "\n".join([
        "Call f with nums = [4, 5, 6].",
        "Line 2: n = len(nums), so n is 3.",
        "Line 3: the function returns nums.pop(1), which is 5.",
        "So f([4, 5, 6]) returns 5.",
    ])
    out = verify_text(record(POP, "[4, 5, 6]"), text)
    assert [s["verdict"] for s in out["steps"]] == ["verified"] * 4
    assert out["accepted"] is True
