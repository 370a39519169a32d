"""Lenient mode on free-form rationales in the style of public chain-of-thought datasets."""

from __future__ import annotations

from codecot.claims.expr import Call, Const, ListExpr, Name
from codecot.claims.lenient import extract_claims, split_sentences
from codecot.claims.model import (
    AnswerClaim,
    CallClaim,
    LoopEndClaim,
    ReturnClaim,
    StateClaim,
)

# 1. CRUXEval-style "execute the code step by step" with an [ANSWER] block.
CRUX = """Let's execute the code step by step:

1. The function f is called with text = 'bcksrut' and value = 'q'.
2. Inside the function, text_list = list(text), so text_list is ['b', 'c', 'k', 's', 'r', 'u', 't'].
3. Then text_list.append(value) adds 'q' to the end. The value of text_list is now ['b', 'c', 'k', 's', 'r', 'u', 't', 'q'].
4. The function returns ''.join(text_list), which is 'bcksrutq'.
5. The return value of the function is therefore 'bcksrutq'.
[ANSWER]
assert f('bcksrut', 'q') == 'bcksrutq'
[/ANSWER]"""

# 2. A loop trace written as prose.
LOOP = """We start with nums = [1, 2, 3] and total = 0.
On line 3, the loop iterates over nums.
In the first iteration, n = 1, so total becomes 1.
In the second iteration, n = 2, and total is now 3.
Finally n = 3 and total = 6.
The loop ends after 3 iterations.
So the function returns 6.
[ANSWER] f([1, 2, 3]) == 6 [/ANSWER]"""

# 3. Markdown-heavy reasoning with a final answer sentence.
MARKDOWN = """The function takes a string s. It counts the vowels.
**Step 1:** count = 0
**Step 2:** For each character, if it is a vowel, we increment count.
For 'hello', the vowels are 'e' and 'o', so count is 2.
The output is 2.
Therefore, the answer is f('hello') == 2."""


def test_crux_style() -> None:
    result = extract_claims(CRUX)
    kinds = [type(c) for c in result.claims]
    assert CallClaim in kinds and AnswerClaim in kinds and ReturnClaim in kinds
    answer = next(c for c in result.claims if isinstance(c, AnswerClaim))
    assert answer.call == Call("f", (Const("bcksrut"), Const("q")))
    assert answer.value == Const("bcksrutq")
    states = {(c.target, c.chain[-1]) for c in result.claims if isinstance(c, StateClaim)}
    assert (Name("text_list"), ListExpr(tuple(Const(ch) for ch in "bcksrut"))) in states
    assert "Let's execute the code step by step:" in result.prose
    assert result.coverage == 0.75  # 6 of 8 sentences ([ANSWER] tags are not sentences)


def test_loop_prose() -> None:
    result = extract_claims(LOOP)
    ends = [c for c in result.claims if isinstance(c, LoopEndClaim)]
    assert [(c.iterations, c.how) for c in ends] == [(3, "exhausted")]
    states = [c for c in result.claims if isinstance(c, StateClaim)]
    assert StateClaim(target=Name("total"), chain=(Const(1),)) in [
        StateClaim(target=s.target, chain=s.chain) for s in states]
    assert result.prose == ("On line 3, the loop iterates over nums.",)
    assert result.coverage == 7 / 8


def test_markdown() -> None:
    result = extract_claims(MARKDOWN)
    assert isinstance(result.claims[-1], AnswerClaim)
    assert result.claims[-1].value == Const(2)
    assert ReturnClaim(expr=None, value=Const(2)) in [
        ReturnClaim(expr=c.expr, value=c.value) for c in result.claims
        if isinstance(c, ReturnClaim)]
    assert result.coverage == 4 / 7
    assert all(c.index == i for i, c in enumerate(result.claims))


def test_prose_only_and_empty() -> None:
    result = extract_claims("This is just prose. Nothing to see here!")
    assert result.claims == () and result.coverage == 0.0
    assert len(result.prose) == 2
    assert extract_claims("").coverage == 0.0


def test_strict_steps_pass_through() -> None:
    text = "Call f with xs = [1].\nLine 2: ys is [1, 2].\nSo f([1]) returns 2."
    result = extract_claims(text)
    assert result.coverage == 1.0
    assert result.claims[1] == StateClaim(index=1, span=result.claims[1].span, line=2,
                                          target=Name("ys"),
                                          chain=(ListExpr((Const(1), Const(2))),))


def test_sentence_split_respects_quotes_and_numbers() -> None:
    text = "x is 'a. B' now. y is 1.5. Done"
    parts = [text[a:b] for a, b in split_sentences(text)]
    assert parts == ["x is 'a. B' now.", " y is 1.5.", " Done"]
