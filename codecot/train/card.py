"""The training card (``training_card.json``) and the loss curve (``loss.png``)."""

from __future__ import annotations

import importlib.metadata
import json
import os
from pathlib import Path
from typing import Any

CARD = "training_card.json"
LOSS_PNG = "loss.png"
VERSIONED = ("torch", "transformers", "trl", "peft", "datasets", "accelerate")


def package_versions() -> dict[str, str | None]:
    """Installed versions of the training stack (None for a missing package)."""
    versions: dict[str, str | None] = {}
    for name in VERSIONED:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def loss_points(log_history: list[dict[str, Any]]) -> tuple[list[tuple[int, float]],
                                                            list[tuple[int, float]]]:
    """``(training, held-out)`` ``(step, loss)`` points of a trainer's log history."""
    train = [(int(e["step"]), float(e["loss"])) for e in log_history if "loss" in e]
    held = [(int(e["step"]), float(e["eval_loss"])) for e in log_history if "eval_loss" in e]
    return train, held


def write_loss_plot(path: Path, log_history: list[dict[str, Any]], title: str) -> None:
    """Draw the training loss per step, and held-out loss points if any, into ``path`` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    train, held = loss_points(log_history)
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    if train:
        ax.plot([s for s, _ in train], [v for _, v in train], label="training loss", lw=1.2)
    if held:
        ax.plot([s for s, _ in held], [v for _, v in held], "o", color="tab:red",
                label="held-out loss")
    ax.set_xlabel("step")
    ax.set_ylabel("loss (assistant tokens)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp")
    fig.savefig(tmp, format="png")
    plt.close(fig)
    os.replace(tmp, path)


def write_card(path: Path, card: dict[str, Any]) -> None:
    """Write the card as indented JSON, atomically."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def summary_line(card: dict[str, Any], adapter_dir: Path) -> str:
    """The one-line summary ``codecot train`` prints at the end."""
    def num(value: Any, fmt: str) -> str:
        return "n/a" if value is None else format(value, fmt)

    rows = card["rows"]
    return (f"trained {card['steps']} steps ({num(card['epochs'], '.2f')} epochs) on "
            f"{rows['train']} rows, {card['tokens_seen']} tokens at "
            f"{num(card['tokens_per_s'], '.0f')} tok/s; train loss "
            f"{num(card['final_train_loss'], '.4f')}, held-out ({rows['held_out']} rows) loss "
            f"{num(card['held_out_loss'], '.4f')}, token accuracy "
            f"{num(card['held_out_token_accuracy'], '.3f')} -> {adapter_dir}")
