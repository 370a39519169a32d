"""Narrators by name: ``get_narrator("template" | "hf", **options)``.

``template`` takes ``seed`` and ``max_iterations``.  ``hf`` is imported lazily from
``codecot.narrate.hf`` (it needs the ``hf`` extra: torch, transformers, ...); its options
(``model``, ``grounded``, ``batch_size``, ``max_new_tokens``, ``device``, ``threads``, ``seed``,
...) become its ``HFSettings``, leaving out those that are ``None``.  Options a narrator does not take are
ignored, so one set of CLI options can serve several narrators in one run.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from typing import Any

from codecot.errors import InvalidArgument, MissingDependency
from codecot.narrate.base import Narrator

NARRATORS = ("template", "hf")
HF_CLASS_NAMES = ("HFNarrator", "HfNarrator", "HuggingFaceNarrator")


def parse_narrators(spec: str) -> tuple[str, ...]:
    """``"template,hf"`` -> ``("template", "hf")``; unknown or repeated names are an error."""
    names = tuple(n.strip() for n in spec.split(",") if n.strip())
    if not names:
        raise InvalidArgument("--narrator needs at least one narrator name")
    unknown = [n for n in names if n not in NARRATORS]
    if unknown:
        raise InvalidArgument(f"unknown narrator(s) {', '.join(unknown)}; choose from "
                              f"{', '.join(NARRATORS)}")
    if len(set(names)) != len(names):
        raise InvalidArgument(f"--narrator {spec}: a narrator is named twice")
    return names


def get_narrator(name: str, **options: Any) -> Narrator:
    """Build the narrator ``name`` with the options it accepts."""
    if name == "template":
        from codecot.narrate.template import TemplateNarrator

        return TemplateNarrator(**_accepted(TemplateNarrator, options))
    if name == "hf":
        cls = hf_class()
        settings_cls = getattr(importlib.import_module(cls.__module__), "HFSettings", None)
        if settings_cls is not None:  # HFNarrator(HFSettings(...))
            narrator: Narrator = cls(settings_cls(**_accepted(settings_cls, options)))
        else:
            narrator = cls(**_accepted(cls, options))
        return narrator
    raise InvalidArgument(f"unknown narrator {name!r}; choose from {', '.join(NARRATORS)}")


def hf_class() -> Any:
    """The HF narrator class; :class:`MissingDependency` when it or its packages are missing."""
    missing = [pkg for pkg in ("torch", "transformers") if importlib.util.find_spec(pkg) is None]
    if missing:
        raise MissingDependency(f"--narrator hf needs {', '.join(missing)}: "
                                "pip install 'codecot[hf]'")
    try:
        module = importlib.import_module("codecot.narrate.hf")
    except ImportError as exc:
        raise MissingDependency(f"--narrator hf cannot be loaded ({exc}); "
                                "pip install 'codecot[hf]'") from exc
    for attr in HF_CLASS_NAMES:
        cls = getattr(module, attr, None)
        if cls is not None:
            return cls
    raise MissingDependency("--narrator hf: this build of codecot has no HF narrator "
                            f"(codecot.narrate.hf defines none of {', '.join(HF_CLASS_NAMES)})")


def _accepted(cls: Any, options: dict[str, Any]) -> dict[str, Any]:
    params = inspect.signature(cls).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return {k: v for k, v in options.items() if v is not None}
    return {k: v for k, v in options.items() if k in params and v is not None}
