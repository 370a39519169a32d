"""Progress output of long commands when stderr is not a terminal."""

from __future__ import annotations

import pytest

from codecot.progress import progress_bar


def test_off_a_terminal_progress_is_whole_lines(capsys: pytest.CaptureFixture[str]) -> None:
    with progress_bar(3, "trace") as bar:
        for _ in range(3):
            bar.update(1)
    err = capsys.readouterr().err
    assert "\r" not in err
    lines = err.splitlines()
    assert lines and all(line.startswith("trace:") for line in lines)
    assert "3/3" in lines[-1]


def test_codecot_progress_0_turns_it_off(capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODECOT_PROGRESS", "0")
    with progress_bar(2, "solve") as bar:
        bar.update(2)
    assert capsys.readouterr().err == ""
