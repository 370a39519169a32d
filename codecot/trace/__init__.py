"""Tracing: run a function under ``sys.settrace`` and describe its execution as events."""

from codecot.trace.model import Event, Frame, LoopPosition, Trace
from codecot.trace.tracer import MAX_EVENTS, trace_in_process, trace_job
from codecot.trace.values import MAX_REPR_CHARS, decode, encode, type_tag

__all__ = [
    "MAX_EVENTS",
    "MAX_REPR_CHARS",
    "Event",
    "Frame",
    "LoopPosition",
    "Trace",
    "decode",
    "encode",
    "trace_in_process",
    "trace_job",
    "type_tag",
]
