"""Exceptions raised by codecot's API for bad arguments or a missing environment."""


class CodecotError(Exception):
    """Base class of codecot's own errors."""


class InvalidArgument(CodecotError, ValueError):
    """An API or CLI argument is invalid (wrong value, missing file, bad option combination)."""


class MissingDependency(CodecotError, ImportError):
    """An optional package is needed; the message says what to install."""
