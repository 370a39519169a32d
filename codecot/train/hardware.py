"""Device, dtype and thread choices for training.

``--device auto`` is CUDA when torch sees a GPU, else the CPU.  ``--dtype auto`` is bfloat16 on
CUDA and on a CPU with native bfloat16 arithmetic (the ``avx512_bf16`` or ``amx_bf16`` flag in
``/proc/cpuinfo``), else float32.  ``--threads`` defaults to the CPUs this process may run on.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from codecot.errors import InvalidArgument, MissingDependency

DEVICES = ("auto", "cpu", "cuda")
DTYPES = ("auto", "float32", "bfloat16", "float16")
#: cpuinfo flags that mean the CPU computes in bfloat16 natively.
BF16_CPU_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
INSTALL_TRAIN = ("pip install 'codecot[train]' (torch==2.13.0 transformers trl peft datasets "
                 "accelerate; matplotlib for loss.png)")


TRAIN_MODULES = ("torch", "transformers", "trl", "peft", "datasets", "accelerate", "matplotlib")


def require_train(modules: tuple[str, ...] = TRAIN_MODULES) -> None:
    """Raise :class:`MissingDependency` naming what to install when one of ``modules`` (by
    default everything ``codecot train`` uses) is not installed."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise MissingDependency(f"codecot train needs {', '.join(missing)}: {INSTALL_TRAIN}")


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The feature flags of the first CPU in ``cpuinfo`` (empty where it cannot be read)."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip() in ("flags", "Features"):
            return frozenset(value.split())
    return frozenset()


def cpu_has_bf16(flags: frozenset[str] | None = None) -> bool:
    """Whether the CPU has native bfloat16 arithmetic (see :data:`BF16_CPU_FLAGS`)."""
    return bool((cpu_flags() if flags is None else flags) & BF16_CPU_FLAGS)


def resolve_device(device: str) -> str:
    """``cpu`` or ``cuda`` for a ``--device`` value; ``cuda`` without a GPU is an error."""
    import torch

    if device not in DEVICES:
        raise InvalidArgument(f"--device {device}: choose {', '.join(DEVICES)}")
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise InvalidArgument("--device cuda: CUDA is not available")
    return device


def resolve_dtype(dtype: str, device: str, flags: frozenset[str] | None = None) -> str:
    """The dtype name for ``--dtype`` on ``device`` (see the module docstring)."""
    if dtype not in DTYPES:
        raise InvalidArgument(f"--dtype {dtype}: choose {', '.join(DTYPES)}")
    if dtype != "auto":
        return dtype
    if device == "cuda":
        return "bfloat16"
    return "bfloat16" if cpu_has_bf16(flags) else "float32"


def default_threads() -> int:
    """The number of CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def set_threads(threads: int | None) -> int:
    """Set torch's intra-op threads to ``threads`` (default :func:`default_threads`); return it."""
    import torch

    count = default_threads() if threads is None else threads
    if count < 1:
        raise InvalidArgument(f"--threads {count}: must be at least 1")
    torch.set_num_threads(count)
    return count
