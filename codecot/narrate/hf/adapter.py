"""LoRA adapters for the HF narrator: which one to load, applying it, and its prompt form.

``--adapter DIR`` names a folder written by ``codecot train`` (``adapter_config.json`` and the
LoRA weights; ``training_card.json`` says the prompt form it was trained with); ``--adapter
none`` gives the bare model.  Without ``--adapter`` the embedded SmolLM2 gets the adapter shipped
in the package (:data:`SHIPPED_ADAPTER`), and any other model stays bare.  When the shipped
adapter is missing (not trained yet) the bare model is used after a one-line notice.

A model with an adapter is prompted in the form its training rows had (``short``: the problem
only, see :mod:`codecot.narrate.prompts`); the bare model in the ``long`` form (rules and
examples).  The adapter is merged into the base weights, so generation costs what the base
model's does.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from codecot.errors import InvalidArgument, MissingDependency
from codecot.narrate.hf.model import EMBEDDED_NAMES, LoadedModel, load_model
from codecot.narrate.prompts import PROMPT_FORMS

#: The folder of the adapter shipped for the embedded SmolLM2 (``codecot train`` output).
SHIPPED_ADAPTER = Path(__file__).resolve().parent / "adapters" / "smollm2-narrator"
ADAPTER_CONFIG = "adapter_config.json"
TRAINING_CARD = "training_card.json"
CHAT_TEMPLATE_FILE = "chat_template.jinja"
#: The ``--adapter`` value that asks for the bare model.
NO_ADAPTER = "none"
#: The prompt form of an adapter whose card does not name one.
DEFAULT_ADAPTER_FORM = "short"
_INSTALL_PEFT = "pip install peft (part of 'codecot[hf]')"


@contextmanager
def quiet_checkpointing_alias() -> Iterator[None]:
    """Silence transformers' FutureWarning about ``is_gradient_checkpointing``, the deprecated
    alias PEFT still reads when it wraps a model (nothing the user can act on)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*",
                                category=FutureWarning)
        yield


def is_adapter_dir(folder: Path) -> bool:
    """Whether ``folder`` holds a saved adapter (its ``adapter_config.json``)."""
    return (folder / ADAPTER_CONFIG).is_file()


def resolve_adapter(model: str | None, adapter: str | None) -> Path | None:
    """The adapter folder to apply for ``--model`` and ``--adapter`` (None: the bare model).

    Raises :class:`InvalidArgument` when a named folder is missing or holds no adapter.
    """
    if adapter is not None:
        if adapter.lower() == NO_ADAPTER:
            return None
        folder = Path(adapter).expanduser()
        if not folder.is_dir():
            raise InvalidArgument(f"--adapter {adapter}: no such folder (give a folder written "
                                  f"by `codecot train`, or 'none' for the bare model)")
        if not is_adapter_dir(folder):
            raise InvalidArgument(f"--adapter {adapter}: no {ADAPTER_CONFIG} in it (not a "
                                  f"`codecot train` output)")
        return folder
    if model is not None and model not in EMBEDDED_NAMES:
        return None
    if is_adapter_dir(SHIPPED_ADAPTER):
        return SHIPPED_ADAPTER
    print(f"codecot: the shipped narrator adapter is missing ({SHIPPED_ADAPTER}); using the "
          f"bare model", file=sys.stderr)
    return None


def adapter_prompt_form(folder: Path) -> str:
    """The prompt form the adapter in ``folder`` was trained with: its training card's
    ``prompt_form``, else :data:`DEFAULT_ADAPTER_FORM`."""
    try:
        form = json.loads((folder / TRAINING_CARD).read_text(encoding="utf-8")).get("prompt_form")
    except (OSError, ValueError, AttributeError):
        form = None
    return form if form in PROMPT_FORMS else DEFAULT_ADAPTER_FORM


def load_adapter(model: Any, path: str | Path, *, merge: bool = True) -> Any:
    """Apply the adapter saved in ``path`` (by ``codecot train``) to ``model``, a loaded base
    model of the same architecture, and return the model to use.

    With ``merge`` (the default) the LoRA weights are folded into the base weights and a plain
    transformers model comes back: generation costs exactly what the base model's does, and the
    adapter cannot be switched off again.  ``merge=False`` returns PEFT's ``PeftModel`` wrapping
    ``model`` (the adapter kept apart, e.g. for ``disable_adapter()``).  Either way ``model``
    itself is modified in place and the result is in eval mode.  Weights saved in another
    dtype than the model's (e.g. bfloat16) are cast to the model's.
    """
    folder = Path(path)
    if not is_adapter_dir(folder):
        raise InvalidArgument(f"adapter {folder}: no {ADAPTER_CONFIG} (not a codecot train output)")
    if importlib.util.find_spec("peft") is None:
        raise MissingDependency(f"loading a narrator adapter needs peft: {_INSTALL_PEFT}")
    from peft import PeftModel

    with quiet_checkpointing_alias():
        peft_model = PeftModel.from_pretrained(model, str(folder), is_trainable=False)
    result = peft_model.merge_and_unload() if merge else peft_model
    result.eval()
    return result


@dataclass(frozen=True)
class NarratorModel:
    """A loaded model with its adapter (None: bare) and the prompt form to use."""

    loaded: LoadedModel
    adapter: str | None
    prompt_form: str


def prompt_form_for(adapter: Path | None, requested: str = "auto") -> str:
    """``requested`` unless it is ``auto``: then the adapter's form, or ``long`` when bare."""
    if requested != "auto":
        if requested not in PROMPT_FORMS:
            raise InvalidArgument(f"prompt form {requested!r}: choose auto, "
                                  f"{' or '.join(PROMPT_FORMS)}")
        return requested
    return "long" if adapter is None else adapter_prompt_form(adapter)


def saved_chat_template(folder: Path) -> str | None:
    """The chat template saved with an adapter's tokenizer (``chat_template.jinja``, or the
    ``chat_template`` of ``tokenizer_config.json``), if any."""
    jinja = folder / CHAT_TEMPLATE_FILE
    if jinja.is_file():
        return jinja.read_text(encoding="utf-8")
    try:
        config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    template = config.get("chat_template") if isinstance(config, dict) else None
    return template if isinstance(template, str) else None


def apply_adapter(loaded: LoadedModel, folder: Path) -> LoadedModel:
    """``loaded`` with the adapter of ``folder`` merged in; a tokenizer without a chat template
    gets the one saved with the adapter (the template it was trained with)."""
    model = load_adapter(loaded.model, folder)
    tokenizer = loaded.tokenizer
    if not getattr(tokenizer, "chat_template", None):
        template = saved_chat_template(folder)
        if template is not None:
            tokenizer.chat_template = template
    return replace(loaded, model=model, tokenizer=tokenizer)


def load_narrator_model(model: str | None, adapter: str | None, *, device: str = "cpu",
                        dtype: str = "auto", prompt_form: str = "auto") -> NarratorModel:
    """Load ``model`` (see :func:`~codecot.narrate.hf.model.load_model`), apply the adapter
    :func:`resolve_adapter` chooses, and choose the prompt form (:func:`prompt_form_for`)."""
    folder = resolve_adapter(model, adapter)
    form = prompt_form_for(folder, prompt_form)
    loaded = load_model(model, device=device, dtype=dtype)
    if folder is None:
        return NarratorModel(loaded, None, form)
    label = "shipped" if folder == SHIPPED_ADAPTER else str(folder)
    return NarratorModel(apply_adapter(loaded, folder), label, form)
