"""Resource limits applied to every sandboxed job."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

MB_BYTES = 1024 * 1024


class InvalidLimits(ValueError):
    """A `Limits` value is out of range."""


@dataclass(frozen=True)
class Limits:
    """Per-job limits; the defaults suit small corpus programs.

    `cpu_seconds` is enforced with RLIMIT_CPU in the child, `wall_seconds` by the worker
    (SIGKILL to the child's process group), `memory_mb` with RLIMIT_AS, `file_size_mb` with
    RLIMIT_FSIZE, `max_processes` with RLIMIT_NPROC plus the audit hook (0 forbids any new
    process), and `output_chars` caps the captured stdout+stderr of a job.
    `result_mb` caps the JSON result a job may send back. `scratch_mb` sizes the private tmpfs
    that holds a worker's job directories and captured output (where it can be mounted, i.e.
    as root): all files one job writes together.
    """

    cpu_seconds: float = 5.0
    wall_seconds: float = 10.0
    memory_mb: int = 1024
    file_size_mb: int = 8
    max_processes: int = 0
    output_chars: int = 10_000
    result_mb: int = 8
    scratch_mb: int = 64

    def __post_init__(self) -> None:
        for name in (
            "cpu_seconds",
            "wall_seconds",
            "memory_mb",
            "file_size_mb",
            "result_mb",
            "scratch_mb",
        ):
            if not getattr(self, name) > 0:
                raise InvalidLimits(f"Limits.{name} must be positive, got {getattr(self, name)!r}")
        if self.max_processes < 0:
            raise InvalidLimits(f"Limits.max_processes must be >= 0, got {self.max_processes!r}")
        if self.output_chars < 0:
            raise InvalidLimits(f"Limits.output_chars must be >= 0, got {self.output_chars!r}")

    def to_dict(self) -> dict[str, Any]:
        """The limits as a JSON-able dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Limits:
        """Limits from `to_dict` output; unknown keys are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
