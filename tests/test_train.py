"""``codecot train`` on a tiny random Llama built here (word-level tokenizer, 2 layers of 32).

Nothing is downloaded: the model and its tokenizer are made from the test's own rows.  The
rows are memorisable (the answer follows from the question), so a few steps at a high learning
rate lower the loss; the weights are drawn wide (``initializer_range=0.5``) because with the
usual 0.02 a 32-wide output head cannot move its logits far from uniform.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("trl")
pytest.importorskip("peft")
torch = pytest.importorskip("torch")

from typer.testing import CliRunner  # noqa: E402

from codecot.cli import app  # noqa: E402
from codecot.errors import InvalidArgument, MissingDependency  # noqa: E402
from codecot.train import hardware  # noqa: E402
from codecot.train.data import (  # noqa: E402
    ChatRow,
    DatasetSplit,
    drop_cut_traces,
    held_out_ids,
    id_fraction,
    load_split,
    parse_mix,
    parse_row,
    weigh_rows,
)
from codecot.train.settings import TrainSettings  # noqa: E402

CHATML = ("{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + "
          "message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}"
          "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")
SYSTEM = "You reason about code step by step ."


def _row(i: int, direction: str) -> dict[str, Any]:
    if direction == "forward":
        user, answer = (f"What does f({i}) return ?",
                        f"Line 1 : x is {i} .\nLine 2 : y is {i * i} .\nThe answer is {i * i} .")
    else:
        user, answer = (f"Find an input such that f(??) == {i * i} .",
                        f"The output is {i * i} .\nx must be {i} .\nThe input is {i} .")
    return {"id": f"p{i}", "direction": direction, "narrator": "template",
            "messages": [{"role": "system", "content": SYSTEM},
                         {"role": "user", "content": user},
                         {"role": "assistant", "content": answer}]}


def _tiny_model(folder: Path, rows: list[dict[str, Any]], chat_template: str | None) -> Path:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    split = pre_tokenizers.Whitespace()
    words = {"###", "System", "User", "Assistant", ":", "system", "user", "assistant"}
    for row in rows:
        for msg in row["messages"]:
            words.update(w for w, _ in split.pre_tokenize_str(msg["content"]))
    vocab = {name: i for i, name in enumerate(["<pad>", "</s>", "<unk>", "<|im_start|>",
                                                "<|im_end|>"])}
    for word in sorted(words):
        vocab[word] = len(vocab)
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = split
    core.decoder = decoders.WordPiece()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core, eos_token="</s>", pad_token="<pad>", unk_token="<unk>",
        additional_special_tokens=["<|im_start|>", "<|im_end|>"])
    if chat_template is not None:
        tokenizer.chat_template = chat_template
    config = LlamaConfig(vocab_size=len(vocab), hidden_size=32, intermediate_size=64,
                         num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2,
                         max_position_embeddings=256, initializer_range=0.5,
                         bos_token_id=None, eos_token_id=1,
                         pad_token_id=0)
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A dataset of 6 problems x 2 directions (+ a duplicate and a bad line) and two tiny
    models: one whose tokenizer has no chat template, one with a ChatML template."""
    root = tmp_path_factory.mktemp("tiny")
    rows = [_row(i, d) for i in range(6) for d in ("forward", "backward")]
    lines = [json.dumps(r) for r in rows] + [json.dumps(rows[3]), "{not json", '{"id": "x"}']
    data = root / "dataset.jsonl"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"data": data, "plain": _tiny_model(root / "plain", rows, None),
            "chatml": _tiny_model(root / "chatml", rows, CHATML)}


def _settings(tiny: dict[str, Path], out: Path, **changes: Any) -> TrainSettings:
    base: dict[str, Any] = dict(dataset=tiny["data"], output=out, model=str(tiny["plain"]),
                                max_steps=12, learning_rate=2e-2, batch_size=4, threads=1,
                                eval_fraction=0.2, dtype="float32", device="cpu")
    base.update(changes)
    return TrainSettings(**base)


@pytest.fixture(scope="module")
def trained(tiny: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One 12-step run on the tiny model (its result, used by several tests)."""
    from codecot.train.run import run_training

    out = tmp_path_factory.mktemp("adapter")
    return run_training(_settings(tiny, out, log_file=out / "log.jsonl"))


# --- data -----------------------------------------------------------------------------------


def test_read_dedups_skips_bad_lines_and_splits_by_id(tiny: dict[str, Path]) -> None:
    split = load_split(tiny["data"], eval_fraction=0.2)
    assert (split.lines, split.bad_lines, split.duplicates) == (15, 2, 1)
    assert len(split.train) + len(split.held_out) == 12
    train_ids = {r.id for r in split.train}
    held_ids = {r.id for r in split.held_out}
    assert held_ids and not train_ids & held_ids
    assert all(sum(r.id == i for r in split.held_out) == 2 for i in held_ids)  # both directions
    assert held_ids == held_out_ids(train_ids | held_ids, 0.2)
    assert held_ids == {i for i in train_ids | held_ids if id_fraction(i) < 0.2} or len(held_ids) == 1


def test_held_out_ids_are_stable_and_never_everything() -> None:
    ids = {f"id{i}" for i in range(200)}
    held = held_out_ids(ids, 0.1)
    assert 5 < len(held) < 40
    assert held_out_ids(ids | {"new"}, 0.1) - {"new"} == held  # an id keeps its side
    assert held_out_ids({"a", "b"}, 0.0) == set()
    assert len(held_out_ids({"a", "b"}, 0.01)) == 1  # a tiny fraction still holds one out
    assert held_out_ids({"only"}, 0.5) == set()
    with pytest.raises(InvalidArgument):
        held_out_ids(ids, 1.0)


def test_explicit_eval_file_overrides_the_split(tiny: dict[str, Path], tmp_path: Path) -> None:
    other = tmp_path / "eval.jsonl"
    other.write_text(json.dumps(_row(9, "forward")) + "\n", encoding="utf-8")
    split = load_split(tiny["data"], eval_fraction=0.5, eval_path=other)
    assert len(split.train) == 12 and [r.id for r in split.held_out] == ["p9"]


def test_eval_limit_keeps_evenly_spaced_held_out_rows(tiny: dict[str, Path]) -> None:
    full = load_split(tiny["data"], eval_fraction=0.5)
    assert len(full.held_out) >= 4
    limited = load_split(tiny["data"], eval_fraction=0.5, eval_limit=2)
    assert limited.train == full.train
    assert limited.held_out == [full.held_out[0], full.held_out[len(full.held_out) // 2]]
    assert load_split(tiny["data"], eval_fraction=0.5, eval_limit=99).held_out == full.held_out


def test_prompt_form_is_the_one_every_row_names(tmp_path: Path) -> None:
    from codecot.train.data import prompt_form_of

    rows = [_row(i, "forward") for i in range(3)]
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps({**r, "prompt_form": "short"}) + "\n" for r in rows))
    assert prompt_form_of(path) == "short"
    mixed = [{**rows[0], "prompt_form": "short"}, {**rows[1], "prompt_form": "long"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in mixed))
    assert prompt_form_of(path) is None
    path.write_text(json.dumps(rows[0]) + "\n")
    assert prompt_form_of(path) is None


def test_parse_row_rejects_rows_without_a_final_assistant_message() -> None:
    good = _row(1, "forward")
    assert parse_row(good) is not None
    assert parse_row({**good, "messages": good["messages"][:2]}) is None
    assert parse_row({**good, "messages": [{"role": "robot", "content": "x"}]}) is None
    assert parse_row([good]) is None


def _formed(i: int, direction: str, grounded: bool, trace: str = "x = 1") -> ChatRow:
    row = {**_row(i, direction), "grounded": grounded}
    if grounded:
        row["messages"][1]["content"] += f"\n\nTrace:\n{trace}\n\nWrite the rationale."
    parsed = parse_row(row)
    assert parsed is not None
    return parsed


def test_a_row_knows_its_form_from_direction_and_grounded() -> None:
    assert _formed(1, "forward", True).form == "grounded-forward"
    assert _formed(1, "backward", False).form == "blind-backward"
    assert parse_row(_row(1, "forward")).form is None  # type: ignore[union-attr]
    assert parse_row({**_row(1, "sideways"), "grounded": True}).form is None  # type: ignore[union-attr]


def test_parse_mix_reads_weights_and_rejects_bad_ones() -> None:
    assert parse_mix("") == {}
    assert parse_mix("grounded-forward=2, blind-backward=0.25") == {
        "grounded-forward": 2.0, "blind-backward": 0.25}
    for bad in ("grounded=2", "blind-forward", "blind-forward=-1", "blind-forward=x",
                "blind-forward=inf", "blind-forward=1,blind-forward=2"):
        with pytest.raises(InvalidArgument, match="--mix"):
            parse_mix(bad)


def test_weigh_rows_repeats_thins_and_drops_forms() -> None:
    rows = [_formed(i, d, g) for i in range(200) for d in ("forward", "backward")
            for g in (True, False)]
    mix = {"grounded-forward": 2.0, "blind-forward": 0.0, "blind-backward": 0.5}
    weighed = weigh_rows(rows, mix, seed=0)
    count = {form: sum(r.form == form for r in weighed) for form in
             ("grounded-forward", "grounded-backward", "blind-forward", "blind-backward")}
    assert count["grounded-forward"] == 400 and count["grounded-backward"] == 200
    assert count["blind-forward"] == 0
    assert 70 < count["blind-backward"] < 130
    assert weigh_rows(rows, mix, seed=0) == weighed  # the same rows for the same seed
    assert weigh_rows(rows, mix, seed=1) != weighed
    assert weigh_rows(rows, {}, seed=0) == rows
    with pytest.raises(InvalidArgument, match="no training row"):
        weigh_rows([parse_row(_row(1, "forward"))], {"grounded-forward": 2.0}, 0)  # type: ignore[list-item]
    with pytest.raises(InvalidArgument, match="leaves no training row"):
        weigh_rows(rows, dict.fromkeys(mix | {"grounded-backward": 0.0}, 0.0), 0)


def test_drop_cut_traces_keeps_whole_traces_and_blind_rows() -> None:
    whole, cut = _formed(1, "forward", True), _formed(2, "forward", True, "x = 'abc...")
    elided = _formed(3, "backward", True, "x = 1\n... (9 more events) ...\nx = 2")
    blind = _formed(4, "forward", False)
    split = DatasetSplit(train=[whole, cut, elided, blind], held_out=[cut])
    drop_cut_traces(split)
    assert split.train == [whole, blind] and split.cut_traces == 2
    assert split.held_out == [cut]
    with pytest.raises(InvalidArgument, match="--whole-traces"):
        drop_cut_traces(DatasetSplit(train=[cut]))


def test_trainer_takes_the_weighed_whole_trace_rows(tiny: dict[str, Path],
                                                    tmp_path: Path) -> None:
    from codecot.train.build import build_trainer

    rows = [{**_row(i, d), "grounded": d == "forward"} for i in range(6)
            for d in ("forward", "backward")]
    for row in rows[:2]:  # problem 0's forward row shows a cut trace
        if row["grounded"]:
            row["messages"][1]["content"] += "\n\nTrace:\nx = 'ab...\n\nWrite it."
    data = tmp_path / "formed.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    settings = _settings(tiny, tmp_path, dataset=data, eval_fraction=0.0, whole_traces=True,
                         mix="grounded-forward=3,blind-backward=0")
    split = load_split(data, eval_fraction=0.0)
    built = build_trainer(settings, split, device="cpu", dtype="float32", threads=1, callbacks=[])
    assert split.cut_traces == 1
    assert [r.form for r in split.train] == ["grounded-forward"] * 15
    assert len(built.trainer.train_dataset) == 15
    with pytest.raises(InvalidArgument, match="--mix"):
        _settings(tiny, tmp_path, mix="forward=2").check()


# --- settings and hardware ------------------------------------------------------------------


def test_dtype_follows_device_and_cpu_flags() -> None:
    assert hardware.resolve_dtype("auto", "cuda") == "bfloat16"
    assert hardware.resolve_dtype("auto", "cpu", frozenset({"avx512f", "amx_bf16"})) == "bfloat16"
    assert hardware.resolve_dtype("auto", "cpu", frozenset({"avx512_bf16"})) == "bfloat16"
    assert hardware.resolve_dtype("auto", "cpu", frozenset({"avx2", "avx512f"})) == "float32"
    assert hardware.resolve_dtype("float32", "cuda") == "float32"
    with pytest.raises(InvalidArgument):
        hardware.resolve_dtype("int8", "cpu")


def test_cpu_flags_are_read_from_cpuinfo(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse avx512_bf16\n", encoding="utf-8")
    assert hardware.cpu_flags(info) == {"fpu", "sse", "avx512_bf16"}
    assert hardware.cpu_flags(tmp_path / "missing") == frozenset()


def test_threads_are_set_explicitly() -> None:
    before = torch.get_num_threads()
    try:
        assert hardware.set_threads(1) == 1 and torch.get_num_threads() == 1
        assert hardware.set_threads(None) == hardware.default_threads()
        assert torch.get_num_threads() == hardware.default_threads()
    finally:
        torch.set_num_threads(before)


def test_missing_package_names_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "trl" else real(name, *a))
    with pytest.raises(MissingDependency, match=r"trl.*codecot\[train\]"):
        hardware.require_train()


def test_settings_reject_bad_values(tiny: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="--max-steps"):
        _settings(tiny, tmp_path, max_steps=0).check()
    with pytest.raises(InvalidArgument, match="--lora-dropout"):
        _settings(tiny, tmp_path, lora_dropout=1.5).check()
    with pytest.raises(InvalidArgument, match="--eval-limit"):
        _settings(tiny, tmp_path, eval_limit=0).check()
    with pytest.raises(InvalidArgument, match="--adapter-dtype"):
        _settings(tiny, tmp_path, adapter_dtype="int4").check()
    with pytest.raises(InvalidArgument, match="--micro-batch 3"):
        _settings(tiny, tmp_path, micro_batch=3).check()
    assert _settings(tiny, tmp_path).micro_batch_for("cpu") == 1
    assert _settings(tiny, tmp_path).micro_batch_for("cuda") == 4
    assert _settings(tiny, tmp_path, micro_batch=2).micro_batch_for("cpu") == 2
    a = _settings(tiny, tmp_path)
    assert a.fingerprint("x") == _settings(tiny, tmp_path, max_steps=99).fingerprint("x")
    assert a.fingerprint("x") != _settings(tiny, tmp_path, lora_r=8).fingerprint("x")
    assert a.fingerprint("x") != a.fingerprint("y")


# --- the label mask -------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["plain", "chatml"])
def test_loss_covers_only_the_assistant_turn(tiny: dict[str, Path], tmp_path: Path,
                                             variant: str) -> None:
    from codecot.train.build import build_trainer

    settings = _settings(tiny, tmp_path, model=str(tiny[variant]))
    split = load_split(tiny["data"], eval_fraction=0.2)
    built = build_trainer(settings, split, device="cpu", dtype="float32", threads=1, callbacks=[])
    tok = built.tokenizer
    assert built.fallback_template == (variant == "plain")
    end = "</s>" if variant == "plain" else "<|im_end|>"
    prepared = built.trainer.train_dataset
    assert len(prepared) == len(split.train)
    for row, example in zip(split.train, prepared, strict=True):
        messages = [{"role": r, "content": c} for r, c in row.messages]
        prompt = tok.apply_chat_template(messages[:-1], add_generation_prompt=True,
                                         tokenize=True, return_dict=True)["input_ids"]
        ids, labels = example["input_ids"], example["labels"]
        assert ids[:len(prompt)] == prompt
        assert all(label == -100 for label in labels[:len(prompt)])
        trained_ids = labels[len(prompt):]
        assert trained_ids == ids[len(prompt):]
        expected = tok(row.messages[-1][1], add_special_tokens=False)["input_ids"]
        assert trained_ids == [*expected, tok.convert_tokens_to_ids(end)]


def test_skip_long_drops_rows_instead_of_cutting_them(tiny: dict[str, Path],
                                                      tmp_path: Path) -> None:
    from codecot.train.build import build_trainer, row_tokens

    split = load_split(tiny["data"], eval_fraction=0.2)
    settings = _settings(tiny, tmp_path, max_length=8)
    built = build_trainer(settings, load_split(tiny["data"], eval_fraction=0.2), device="cpu",
                          dtype="float32", threads=1, callbacks=[])
    lengths = sorted(row_tokens(built.tokenizer, r) for r in split.train + split.held_out)
    limit = lengths[-1] - 1  # the longest rows go
    skipping = _settings(tiny, tmp_path, max_length=limit, skip_long=True)
    kept = load_split(tiny["data"], eval_fraction=0.2)
    built = build_trainer(skipping, kept, device="cpu", dtype="float32", threads=1, callbacks=[])
    assert 0 < kept.too_long < len(lengths)
    assert kept.too_long == sum(n > limit for n in lengths)
    assert all(row_tokens(built.tokenizer, r) <= limit for r in kept.train + kept.held_out)
    assert len(built.trainer.train_dataset) == len(kept.train)
    with pytest.raises(InvalidArgument, match="--max-length"):
        build_trainer(_settings(tiny, tmp_path, max_length=2, skip_long=True),
                      load_split(tiny["data"], eval_fraction=0.2), device="cpu",
                      dtype="float32", threads=1, callbacks=[])


# --- the completion-only loss ----------------------------------------------------------------


def _first_batch(built: Any) -> dict[str, Any]:
    return dict(built.trainer.data_collator([built.trainer.train_dataset[0]]))


def test_completion_loss_is_the_models_own_loss(tiny: dict[str, Path], tmp_path: Path) -> None:
    from codecot.train.build import build_trainer
    from codecot.train.loss import completion_loss

    built = build_trainer(_settings(tiny, tmp_path), load_split(tiny["data"], eval_fraction=0.2),
                          device="cpu", dtype="float32", threads=1, callbacks=[])
    model, batch = built.trainer.model, _first_batch(built)
    model.eval()
    with torch.no_grad():
        reference = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                          labels=batch["labels"]).loss.item()
        ours = completion_loss(model, batch)
        assert ours.loss.item() == pytest.approx(reference, rel=1e-5)
        assert ours.tokens == int((batch["labels"][:, 1:] != -100).sum()) > 0
        assert 0 <= ours.correct <= ours.tokens and ours.entropy_sum > 0
        halved = completion_loss(model, batch, num_items_in_batch=2 * ours.tokens)
        assert halved.loss.item() == pytest.approx(reference / 2, rel=1e-5)
        changed = dict(batch, labels=batch["labels"].clone())
        last = int((changed["labels"][0] != -100).nonzero()[-1])
        changed["labels"][0, last] = (changed["labels"][0, last] + 1) % model.config.vocab_size
        assert completion_loss(model, changed).loss.item() != pytest.approx(reference, rel=1e-5)


def test_completion_logits_train_like_trls_own_loss(tiny: dict[str, Path],
                                                     tmp_path: Path) -> None:
    from trl import SFTTrainer

    from codecot.train.run import run_training

    runs = {}
    for flag in (True, False):
        result = run_training(_settings(tiny, tmp_path / str(flag), max_steps=3,
                                        completion_logits=flag))
        runs[flag] = [e for e in result.trainer.state.log_history if "loss" in e]
        assert isinstance(result.trainer, SFTTrainer)
        assert (type(result.trainer) is not SFTTrainer) == flag
        assert result.card["completion_logits"] is flag
    assert [e["loss"] for e in runs[True]] == pytest.approx([e["loss"] for e in runs[False]],
                                                            rel=1e-4)
    for key in ("mean_token_accuracy", "entropy", "num_tokens"):
        assert [e[key] for e in runs[True]] == pytest.approx([e[key] for e in runs[False]],
                                                             rel=1e-4), key


def test_bench_train_times_both_losses_on_the_same_rows(tiny: dict[str, Path]) -> None:
    from codecot.bench.train import MODES, bench_train

    figures = bench_train(tiny["data"], steps=3, rounds=2, model=str(tiny["plain"]), threads=1,
                          dtype="float32")
    assert set(figures["tokens_per_s_median"]) == set(MODES)
    assert all(rate > 0 for rate in figures["tokens_per_s_median"].values())
    assert figures["speedup"] == pytest.approx(figures["tokens_per_s_median"]["completion"]
                                               / figures["tokens_per_s_median"]["trl"])
    runs = figures["losses"]
    assert [len(r) for r in runs["completion"]] == [len(r) for r in runs["trl"]] == [3, 3]
    assert runs["completion"][0] == pytest.approx(runs["completion"][1], rel=1e-6)  # seeded
    assert 0 <= figures["loss_max_relative_gap"] < 1e-4
    result = CliRunner().invoke(app, ["bench", "train", str(tiny["data"]), "--steps", "0"])
    assert result.exit_code == 2 and "--steps" in result.output
    # off the CPU both modes would run TRL's loss: refused before any training
    with pytest.raises(InvalidArgument, match="use --device cpu"):
        bench_train(tiny["data"], steps=3, rounds=2, model=str(tiny["plain"]), device="cuda")


# --- a training run -------------------------------------------------------------------------


def test_training_lowers_the_loss_and_writes_the_outputs(trained: Any) -> None:
    out: Path = trained.adapter_dir
    for name in ("adapter_model.safetensors", "adapter_config.json", "tokenizer.json",
                 "tokenizer_config.json", "training_card.json", "loss.png"):
        assert (out / name).is_file(), name
    assert (out / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    losses = [e["loss"] for e in trained.trainer.state.log_history if "loss" in e]
    assert len(losses) == 12
    assert sum(losses[-3:]) / 3 < 0.6 * sum(losses[:3]) / 3
    saved_template = json.loads((out / "tokenizer_config.json").read_text()).get("chat_template")
    if saved_template is None:  # newer transformers write it to its own file
        saved_template = (out / "chat_template.jinja").read_text()
    assert "### Assistant" in saved_template


def test_card_numbers_are_consistent(trained: Any) -> None:
    card = json.loads((trained.adapter_dir / "training_card.json").read_text())
    state = trained.trainer.state
    assert card == trained.card
    assert card["steps"] == state.global_step == 12 and card["resumed_from_step"] == 0
    assert card["rows"]["train"] + card["rows"]["held_out"] == 12
    assert card["rows"]["train_used"] == card["rows"]["train"]  # no row longer than max_length
    assert card["rows"]["held_out"] == 2 * card["rows"]["held_out_ids"]
    assert card["rows"]["duplicates"] == 1 and card["rows"]["bad_lines"] == 2
    assert card["epochs"] == pytest.approx(state.epoch, abs=1e-4) and card["epochs"] > 3
    assert (card["batch_size"], card["micro_batch"]) == (4, 1)  # gradients accumulated on CPU
    assert card["tokens_seen"] == card["session_tokens"] == state.num_input_tokens_seen > 0
    assert card["tokens_per_s"] == pytest.approx(card["tokens_seen"] / card["train_seconds"],
                                                 rel=0.02)
    assert card["wall_seconds"] >= card["train_seconds"] > 0
    losses = [e["loss"] for e in state.log_history if "loss" in e]
    assert card["final_train_loss"] == losses[-1]
    assert card["held_out_loss"] > 0 and 0 <= card["held_out_token_accuracy"] <= 1
    assert card["lora"] == {"r": 16, "alpha": 32, "dropout": 0.05, "target_modules": "all-linear"}
    assert (card["dtype"], card["device"], card["seed"], card["threads"]) == ("float32", "cpu", 0, 1)
    assert card["chat_template"] == "fallback"
    assert card["prompt_form"] is None  # the test rows name no prompt form
    assert set(card["versions"]) >= {"torch", "transformers", "trl", "peft"}
    assert all(card["versions"][k] for k in ("torch", "transformers", "trl", "peft"))
    assert len(card["dataset"]["sha256"]) == 64


def test_log_file_has_one_line_per_step_and_the_evaluation(trained: Any) -> None:
    entries = [json.loads(line) for line in
               (trained.adapter_dir / "log.jsonl").read_text().splitlines()]
    steps = [e for e in entries if "loss" in e]
    assert [e["step"] for e in steps] == list(range(1, 13))
    assert all(e["tokens_per_s"] > 0 and e["lr"] is not None for e in steps)
    assert steps[-1]["tokens"] == trained.card["tokens_seen"]
    evals = [e for e in entries if "eval_loss" in e]
    assert evals == [{"step": 12, "eval_loss": trained.card["held_out_loss"],
                      "eval_token_accuracy": trained.card["held_out_token_accuracy"]}]


def test_same_seed_gives_the_same_adapter(trained: Any, tiny: dict[str, Path],
                                          tmp_path: Path) -> None:
    from safetensors.torch import load_file

    from codecot.train.run import run_training

    again = run_training(_settings(tiny, tmp_path / "again"))
    first = load_file(str(trained.adapter_dir / "adapter_model.safetensors"))
    second = load_file(str(again.adapter_dir / "adapter_model.safetensors"))
    assert first.keys() == second.keys() and first
    assert all(torch.equal(first[k], second[k]) for k in first)
    other = run_training(_settings(tiny, tmp_path / "other", seed=1, max_steps=2))
    third = load_file(str(other.adapter_dir / "adapter_model.safetensors"))
    assert not all(torch.equal(first[k], third[k]) for k in first)


def test_adapter_loads_and_changes_logits(trained: Any, tiny: dict[str, Path],
                                          tmp_path: Path) -> None:
    from transformers import AutoModelForCausalLM

    from codecot.train.adapter import load_adapter

    ids = torch.tensor([[5, 9, 12, 7, 3]])

    def base() -> Any:
        return AutoModelForCausalLM.from_pretrained(str(tiny["plain"]), dtype=torch.float32).eval()

    with torch.no_grad():
        plain = base()(ids).logits
        unmerged = load_adapter(base(), trained.adapter_dir, merge=False)(ids).logits
        merged = load_adapter(base(), trained.adapter_dir)(ids).logits
    assert not torch.allclose(plain, unmerged, atol=1e-4)
    assert torch.allclose(unmerged, merged, atol=1e-4)
    with pytest.raises(InvalidArgument):
        load_adapter(base(), tmp_path)


# --- resuming and the command line ----------------------------------------------------------


def test_cli_run_resumes_from_its_last_checkpoint(tiny: dict[str, Path], tmp_path: Path) -> None:
    from codecot.train.run import run_training

    out = tmp_path / "adapter"
    res = CliRunner().invoke(app, ["train", str(tiny["data"]), "-o", str(out), "--model",
                                   str(tiny["plain"]), "--max-steps", "4", "--save-steps", "2",
                                   "--threads", "1", "--dtype", "float32", "--lr", "0.02"])
    assert res.exit_code == 0, res.output
    assert "trained 4 steps" in res.output and str(out) in res.output
    assert {p.name for p in (out / "checkpoints").glob("checkpoint-*")} == {"checkpoint-2",
                                                                              "checkpoint-4"}
    resumed = run_training(_settings(tiny, out, max_steps=6, save_steps=2, eval_fraction=0.1,
                                          device="auto"))
    assert resumed.resumed_from_step == 4 and resumed.card["resumed_from_step"] == 4
    state = resumed.trainer.state
    assert state.global_step == 6
    assert [e["step"] for e in state.log_history if "loss" in e] == list(range(1, 7))
    assert resumed.card["tokens_seen"] > resumed.card["session_tokens"] > 0
    with pytest.raises(InvalidArgument, match="--restart"):
        run_training(_settings(tiny, out, max_steps=6, eval_fraction=0.1, device="auto",
                               lora_r=4))


def test_cli_reports_usage_errors(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["train", str(tmp_path / "missing.jsonl"), "-o",
                                   str(tmp_path / "out")])
    assert res.exit_code != 0
    assert isinstance(res.exception, InvalidArgument) or "does not exist" in res.output


# --- the adapter in the narrator ------------------------------------------------------------


def test_narrator_applies_a_trained_adapter_and_none_gives_the_bare_model(
        trained: Any, tiny: dict[str, Path], tmp_path: Path) -> None:
    from codecot.narrate.hf import HFNarrator, HFSettings

    def narrator(adapter: str | None) -> Any:
        return HFNarrator(HFSettings(model=str(tiny["plain"]), adapter=adapter, constrain=False,
                                     prefix_cache=False, threads=1))

    tuned, bare, default = (narrator(str(trained.adapter_dir)), narrator("none"), narrator(None))
    ids = torch.tensor([[5, 9, 12, 7, 3]])
    with torch.no_grad():
        logits = {name: n.loaded.model(ids).logits
                  for name, n in (("tuned", tuned), ("bare", bare), ("default", default))}
    assert not torch.allclose(logits["tuned"], logits["bare"], atol=1e-4)
    assert torch.equal(logits["bare"], logits["default"])  # another model gets no default adapter
    assert (tuned.adapter, tuned.prompt_form) == (str(trained.adapter_dir), "short")
    assert (bare.adapter, bare.prompt_form) == (None, "long")
    # the base tokenizer has no chat template: the one trained with comes from the adapter
    assert "### Assistant" in tuned.loaded.tokenizer.chat_template
    assert not getattr(bare.loaded.tokenizer, "chat_template", None)
    with pytest.raises(InvalidArgument, match="no such folder"):
        narrator(str(tmp_path / "missing"))


def test_bfloat16_adapter_is_half_the_size_and_close(trained: Any, tiny: dict[str, Path],
                                                     tmp_path: Path) -> None:
    import shutil

    from transformers import AutoModelForCausalLM

    from codecot.train.adapter import WEIGHTS, cast_adapter_weights, load_adapter

    half = tmp_path / "bf16"
    shutil.copytree(trained.adapter_dir, half, ignore=shutil.ignore_patterns("checkpoints"))
    full_size = (trained.adapter_dir / WEIGHTS).stat().st_size
    assert trained.card["adapter_bytes"] == full_size and trained.card["adapter_dtype"] == "float32"
    assert cast_adapter_weights(half, "bfloat16") < 0.55 * full_size
    ids = torch.tensor([[5, 9, 12, 7, 3]])

    def base() -> Any:
        return AutoModelForCausalLM.from_pretrained(str(tiny["plain"]), dtype=torch.float32).eval()

    with torch.no_grad():
        plain = base()(ids).logits
        full = load_adapter(base(), trained.adapter_dir)(ids).logits
        rounded = load_adapter(base(), half)(ids).logits
    assert rounded.dtype == torch.float32
    assert (rounded - full).abs().max() < 0.05 * (full - plain).abs().max()


def test_init_adapter_goes_on_from_the_saved_weights(trained: Any, tiny: dict[str, Path],
                                                     tmp_path: Path) -> None:
    """Expert iteration's retraining: ``--init-adapter`` starts from the trained LoRA, so one
    step lands near it, while one step of a fresh LoRA is far from it (B starts at zero)."""
    from safetensors.torch import load_file

    from codecot.train.run import run_training

    base = load_file(str(trained.adapter_dir / "adapter_model.safetensors"))
    more = run_training(_settings(tiny, tmp_path / "more", max_steps=1, learning_rate=1e-6,
                                  init_adapter=trained.adapter_dir))
    fresh = run_training(_settings(tiny, tmp_path / "fresh", max_steps=1, learning_rate=1e-6))
    went_on = load_file(str(more.adapter_dir / "adapter_model.safetensors"))
    started = load_file(str(fresh.adapter_dir / "adapter_model.safetensors"))
    assert went_on.keys() == base.keys()
    b_keys = [k for k in base if "lora_B" in k]
    assert b_keys and any(base[k].abs().sum() > 0 for k in b_keys)
    assert all(torch.allclose(went_on[k].float(), base[k].float(), atol=1e-3) for k in b_keys)
    assert not all(torch.allclose(started[k].float(), base[k].float(), atol=1e-3) for k in b_keys)
    card = json.loads((more.adapter_dir / "training_card.json").read_text())
    assert card["init_adapter"] == str(trained.adapter_dir)
    with pytest.raises(InvalidArgument):
        _settings(tiny, tmp_path, init_adapter=tmp_path).check()
