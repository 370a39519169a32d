"""Isolated execution of untrusted corpus code: a pool of warm workers, one guarded fork per job.

Public API: `SandboxPool`, `Limits`, `SandboxError`. Exports are loaded lazily so that the
worker processes (which import this package) stay small and fork fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from codecot.sandbox.limits import InvalidLimits, Limits
    from codecot.sandbox.pool import SandboxError, SandboxPool

__all__ = ["InvalidLimits", "Limits", "SandboxError", "SandboxPool"]

_WHERE = {
    "InvalidLimits": "codecot.sandbox.limits",
    "Limits": "codecot.sandbox.limits",
    "SandboxError": "codecot.sandbox.pool",
    "SandboxPool": "codecot.sandbox.pool",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'codecot.sandbox' has no attribute {name!r}")
