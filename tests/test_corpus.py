"""Corpus format: reading, validation and per-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from codecot.corpus import CorpusRecord, RecordError, default_entry, read_corpus, record_from_json


def write(tmp_path: Path, lines: list[str]) -> Path:
    p = tmp_path / "c.jsonl"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def test_reads_cruxeval_style_record_and_keeps_extra_keys(tmp_path: Path) -> None:
    rec = {
        "id": "sample_3",
        "code": "def f(text, value):\n    return text + value",
        "input": "'bcksrut', 'q'",
        "output": "'bcksrutq'",
        "difficulty": 2,
    }
    [got] = list(read_corpus(write(tmp_path, [json.dumps(rec)])))
    assert isinstance(got, CorpusRecord)
    assert (got.id, got.input, got.output, got.entry) == (
        "sample_3",
        "'bcksrut', 'q'",
        "'bcksrutq'",
        None,
    )
    assert got.extra == {"difficulty": 2}
    assert got.to_json() == rec


def test_malformed_lines_become_errors_naming_the_line(tmp_path: Path) -> None:
    good = json.dumps({"id": "a", "code": "def f():\n    return 1", "input": ""})
    path = write(
        tmp_path, [good, "{not json", "[1, 2]", "", json.dumps({"id": "b", "code": 3, "input": ""})]
    )
    out = list(read_corpus(path))
    assert isinstance(out[0], CorpusRecord)
    assert (
        isinstance(out[1], RecordError)
        and out[1].line_no == 2
        and "malformed JSON" in out[1].message
    )
    assert isinstance(out[2], RecordError) and "expected a JSON object" in out[2].message
    assert (
        isinstance(out[3], RecordError)
        and out[3].id == "b"
        and "'code' must be a string" in out[3].message
    )
    assert len(out) == 4  # the blank line is not a record


def test_missing_id_and_missing_keys(tmp_path: Path) -> None:
    out = list(
        read_corpus(
            write(tmp_path, [json.dumps({"code": "x", "input": ""}), json.dumps({"id": "k"})])
        )
    )
    assert isinstance(out[0], RecordError) and "no 'id'" in out[0].message
    assert isinstance(out[1], RecordError) and "missing 'code'" in out[1].message
    assert "missing 'input'" in out[1].message


def test_duplicate_ids_are_errors(tmp_path: Path) -> None:
    line = json.dumps({"id": "a", "code": "def f():\n    return 1", "input": ""})
    out = list(read_corpus(write(tmp_path, [line, line])))
    assert isinstance(out[0], CorpusRecord)
    assert isinstance(out[1], RecordError) and "duplicate id" in out[1].message


def test_error_record_is_a_trace_shaped_error() -> None:
    err = record_from_json({"id": "z", "code": "", "input": 5}, 7)
    assert isinstance(err, RecordError)
    assert err.to_json() == {
        "id": "z",
        "ok": False,
        "error_kind": "bad_record",
        "error": err.message,
    }
    assert "line 7" in err.message


def test_default_entry() -> None:
    assert default_entry("def g(x):\n    return x") == "g"
    assert default_entry("def h(x):\n    return x\ndef f(x):\n    return h(x)") == "f"
    assert default_entry("def (:") == "f"
    assert CorpusRecord(id="i", code="def k():\n    return 0", input="").entry_name == "k"
    assert (
        CorpusRecord(id="i", code="def k():\n    return 0", input="", entry="q").entry_name == "q"
    )
