"""The Ray engine on a local Ray instance gives the same outcome as the local engine."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codecot.corpus import packaged_corpus
from codecot.pipeline.engine_local import LocalEngine
from codecot.pipeline.engine_ray import decode_record, encode_record
from codecot.pipeline.run import RunConfig, load_corpus, run_pipeline
from codecot.pipeline.training_data import build_training_data

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
ray = pytest.importorskip("ray")
pytest.importorskip("pyarrow")

EXTRA = [
    '{"id": "x_raise", "code": "def f(x):\\n    return [1][x]", "input": "3"}',
    "{broken json",
    '{"id": "x_loop", "code": "def f(n):\\n    s = 0\\n    for i in range(n):\\n        s += i\\n    return s", "input": "4"}',
]


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        yield
    finally:
        ray.shutdown()


def read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def outcome(out: Path) -> dict[str, list[tuple[str, str, str]]]:
    return {name: [(r["id"], r["narrator"], r["direction"]) for r in read(out / f"{name}.jsonl")]
            for name in ("accepted", "rejected", "errors")}


def test_ray_and_local_engines_agree(local_ray: None, tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("\n".join(packaged_corpus("demo").read_text().splitlines() + EXTRA) + "\n")
    local = run_pipeline(RunConfig(corpus=corpus, outdir=tmp_path / "local", jobs=2,
                                   chunk_size=4, report=False))
    remote = run_pipeline(RunConfig(corpus=corpus, outdir=tmp_path / "ray", jobs=2, chunk_size=4,
                                    engine="ray", report=False))
    assert outcome(tmp_path / "ray") == outcome(tmp_path / "local")
    accepted = outcome(tmp_path / "ray")["accepted"]
    assert [i for i, _, d in accepted if d == "forward"] == [
        *(f"demo_0{i}" for i in range(1, 9)), "x_loop"]
    assert {(e[0], e[2]) for e in outcome(tmp_path / "ray")["errors"]} == {
        ("x_raise", "forward"), ("x_raise", "backward"), ("line10", "forward"),
        ("line10", "backward")}
    fwd = [r for r in read(tmp_path / "ray" / "dataset.jsonl") if r["direction"] == "forward"]
    assert fwd == [r for r in read(tmp_path / "local" / "dataset.jsonl")
                   if r["direction"] == "forward"]
    assert remote.summary["by_slot"] == local.summary["by_slot"]
    assert {"trace", "narrate", "verify"} <= set(remote.summary["stage_seconds"])
    assert (tmp_path / "ray" / "dataset.parquet").exists()


def test_ray_resumes_a_run_the_local_engine_left(local_ray: None, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    demo = packaged_corpus("demo")
    ref = tmp_path / "ref"
    run_pipeline(RunConfig(corpus=demo, outdir=ref, jobs=2, chunk_size=3, report=False))
    original = LocalEngine.process

    def crash_after_one_chunk(self: LocalEngine, chunks: Any) -> Iterator[Any]:
        for n, result in enumerate(original(self, chunks)):
            if n == 1:
                raise KeyboardInterrupt
            yield result

    monkeypatch.setattr(LocalEngine, "process", crash_after_one_chunk)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        run_pipeline(RunConfig(corpus=demo, outdir=out, jobs=2, chunk_size=3, report=False))
    assert json.loads((out / "progress.json").read_text())["records_done"] == 3
    res = run_pipeline(RunConfig(corpus=demo, outdir=out, jobs=2, chunk_size=3, engine="ray",
                                 report=False))
    assert res.resumed
    assert outcome(out) == outcome(ref)


def test_train_data_on_ray_writes_what_the_local_engine_writes(local_ray: None,
                                                              tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("\n".join(packaged_corpus("demo").read_text().splitlines() + EXTRA) + "\n")
    local = build_training_data(tmp_path / "local", [str(corpus)], heldout=0.3, seed=1, jobs=2)
    remote = build_training_data(tmp_path / "ray", [str(corpus)], heldout=0.3, seed=1, jobs=2,
                                 engine="ray", actors=2)
    assert local.manifest["train"]["rows"] > 0 and local.manifest["heldout"]["rows"] > 0
    for side in ("train", "heldout"):
        assert remote.manifest[side]["sha256"] == local.manifest[side]["sha256"], side
    assert (tmp_path / "ray" / "train.jsonl").read_bytes() == (
        tmp_path / "local" / "train.jsonl").read_bytes()


def test_records_survive_the_trip_through_arrow_columns() -> None:
    for rec in load_corpus(packaged_corpus("demo")):
        assert decode_record(encode_record(rec)) == rec
