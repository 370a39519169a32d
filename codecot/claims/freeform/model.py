"""What the free-form reader finds: sentences, the statements read from them, and the claim
kinds only free-form text has.

A :class:`Statement` is what one clause of a sentence asserts.  It holds one or more *options*
(most statements have one); an option is a group of claims that must all hold at one moment of
the run (``the condition start != -1 is False (0 != -1)`` gives the condition and ``start == 0``
together).  A statement also carries its context: the iteration and the loop-variable bindings
of the iteration it is in, the line it names, and whether it looks back (``initially``,
``was``).  Claims inside a statement are the strict language's claim classes (line and
iteration unset) plus the four below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from codecot.claims.expr import Expr
from codecot.claims.model import Claim


@dataclass(frozen=True, kw_only=True)
class OutputClaim(Claim):
    """``the output is [4, 7]`` / ``assert f('ab') == 'ba'`` (``call`` when the call is written)."""

    kind: ClassVar[str] = "output"
    value: Expr
    call: Expr | None = None


@dataclass(frozen=True, kw_only=True)
class BranchClaim(Claim):
    """``we enter the loop`` / ``the if block is skipped`` (``loop``: a loop, an if, or either)."""

    kind: ClassVar[str] = "branch"
    loop: bool | None
    taken: bool


@dataclass(frozen=True, kw_only=True)
class DeltaClaim(Claim):
    """``count is incremented by 1``: some line changes ``target`` by ``delta``."""

    kind: ClassVar[str] = "delta"
    target: Expr
    delta: Expr


@dataclass(frozen=True, kw_only=True)
class AppendClaim(Claim):
    """``4 is appended to positions``: some line leaves ``item`` last in ``target``."""

    kind: ClassVar[str] = "append"
    target: Expr
    item: Expr


@dataclass(frozen=True, kw_only=True)
class NothingAddedClaim(Claim):
    """``nothing is appended``, ``'Hello' is not added``: in the iteration the sentence is
    about, ``target`` (or the one collection the program appends to) does not grow (by
    ``item``, when given).  ``word`` is ``appended`` (lists) or ``added`` (lists and sets)."""

    kind: ClassVar[str] = "no_append"
    target: Expr | None = None
    item: Expr | None = None
    word: str = "appended"


@dataclass(frozen=True, kw_only=True)
class ComprehensionClaim(Claim):
    """``the comprehension produces [5, 7, 9]``: the value of the program's one comprehension
    where it is assigned to a name or returned."""

    kind: ClassVar[str] = "comprehension"
    value: Expr


@dataclass(frozen=True, kw_only=True)
class FreeCallClaim(Claim):
    """``f is called with s = 'ab' and n = 2`` or ``called with the argument "hi"``."""

    kind: ClassVar[str] = "call"
    func: str | None
    named: tuple[tuple[str, Expr], ...] = ()
    positional: tuple[Expr, ...] = ()


@dataclass(frozen=True, kw_only=True)
class NamedInputClaim(Claim):
    """``the input could be s = 'ab' and n = 2``: an input given by parameter names."""

    kind: ClassVar[str] = "input"
    named: tuple[tuple[str, Expr], ...]


@dataclass(frozen=True)
class Statement:
    """One checkable statement of a clause (see the module doc)."""

    kind: str
    options: tuple[tuple[Claim, ...], ...]
    clause: str
    iteration: int | None = None
    line: int | None = None
    bindings: tuple[tuple[str, Expr], ...] = ()
    looks_back: bool = False
    #: a statement that needs no moment of the run (working such as ``3 + 4 = 7``)
    pure: bool = False
    #: the iteration is named by the statement's own sentence or a heading above it (not
    #: carried over from an earlier sentence)
    iteration_stated: bool = False


@dataclass(frozen=True)
class Sentence:
    """A sentence of the rationale, its offsets, whether it is markup, and its statements."""

    text: str
    span: tuple[int, int]
    markup: bool
    statements: tuple[Statement, ...] = ()
    #: why nothing was read from a content sentence that looks checkable (too long, ...)
    note: str = ""


@dataclass(frozen=True)
class Reading:
    """The sentences of a free-form rationale and what was read from them."""

    sentences: tuple[Sentence, ...]
    truncated: bool = False

    @property
    def content(self) -> tuple[Sentence, ...]:
        """Sentences that are not headings or markup."""
        return tuple(s for s in self.sentences if not s.markup)

    @property
    def coverage(self) -> float:
        """Sentences with at least one statement, over sentences that are not markup."""
        content = self.content
        if not content:
            return 0.0
        return sum(1 for s in content if s.statements) / len(content)
