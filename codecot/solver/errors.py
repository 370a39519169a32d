"""Exceptions raised by the solver layer.

:class:`Unsupported` means the compiler cannot express something faithfully (the claim is then
``unknown``, never guessed).  :class:`PythonError` means the Python evaluation of the expression
raises for the given (concrete) operands; a claim whose expression raises is false.
"""

from __future__ import annotations


class Unsupported(Exception):
    """The expression or value has no faithful encoding in the solver layer."""


class PythonError(Exception):
    """Evaluating the expression in Python would raise ``exc_type`` (e.g. ``"IndexError"``)."""

    def __init__(self, exc_type: str, message: str = "") -> None:
        super().__init__(f"{exc_type}: {message}" if message else exc_type)
        self.exc_type = exc_type
        self.message = message

    @classmethod
    def from_exception(cls, exc: BaseException) -> PythonError:
        return cls(type(exc).__name__, str(exc))
