"""Loading the narration grammar and building its parser.

The ``.lark`` files are package data: a wheel ships them as ``codecot/grammars/`` (see
``pyproject.toml``); an editable checkout keeps them in ``<repo>/grammars/``.  The LALR parser
is built once per process (with Lark's on-disk cache) and shared.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def grammar_dirs() -> tuple[Path, ...]:
    """Directories searched for ``*.lark`` files, in order: the installed package, the repo."""
    return (_PACKAGE_DIR / "grammars", _PACKAGE_DIR.parent / "grammars")


def grammar_path(name: str = "narration") -> Path:
    """Path of the grammar file ``<name>.lark``; raises ``FileNotFoundError`` if absent."""
    for directory in grammar_dirs():
        path = directory / f"{name}.lark"
        if path.is_file():
            return path
    searched = ", ".join(str(d) for d in grammar_dirs())
    raise FileNotFoundError(f"grammar {name!r} not found in {searched}")


@functools.cache
def load_grammar(name: str = "narration") -> str:
    """Text of the grammar ``<name>.lark``."""
    return grammar_path(name).read_text(encoding="utf-8")


def build_parser(transformer: Transformer[Any, Any] | None = None, *, start: str = "start",
                 cache: bool = True) -> Lark:
    """A new LALR parser (contextual lexer) for the narration grammar.

    With ``transformer`` the parser transforms while parsing and returns the transformer's
    result instead of a tree.  ``cache`` enables Lark's on-disk cache of the parse table.
    """
    return Lark(
        load_grammar(),
        parser="lalr",
        lexer="contextual",
        start=start,
        transformer=transformer,
        maybe_placeholders=True,
        cache=cache,
        import_paths=[str(d) for d in grammar_dirs()],
    )


@functools.cache
def get_parser() -> Lark:
    """The shared tree-building parser (built on first use, then reused)."""
    return build_parser()


class _Tok(Token):
    """A Token with only type, value and offsets (what the rule callbacks read)."""

    __slots__ = ()

    def __new__(cls, type_: str, value: str, start: int, end: int) -> _Tok:
        self = str.__new__(cls, value)
        self.type = type_
        self.value = value
        self.start_pos = start
        self.end_pos = end
        return self


def _is_pass_through(rule: Any) -> bool:
    """Whether reducing ``rule`` returns its only child unchanged (an inlined ``?rule``
    alternative made of one nonterminal, with no alias)."""
    from lark.grammar import NonTerminal

    return (len(rule.expansion) == 1 and isinstance(rule.expansion[0], NonTerminal)
            and bool(rule.options.expand1) and not rule.alias)


class _Spliced(list[Any]):
    """The kept children of an inlined helper rule (``_name``, including Lark's ``__x_star_N``
    repetitions), to be spliced into the parent's children.  ``children`` is the list itself,
    so that a parent reduced by Lark's own child filter splices it like the Tree Lark builds."""

    __slots__ = ()

    @property
    def children(self) -> list[Any]:
        return self


def _as_spliced(items: list[Any]) -> _Spliced:
    # a left-recursive repetition arrives here as the _Spliced it extended: keep it (no copy)
    return items if items.__class__ is _Spliced else _Spliced(items)


def _direct_callback(rule: Any, transformer: Any) -> Any:
    """The callback for ``rule`` without Lark's wrappers: the transformer method (or, for an
    inlined helper rule without one, :func:`_as_spliced`) called on the kept children, with
    the children of inlined helper rules spliced in, as Lark's LALR child filter does; for a
    ``?`` rule keeping one child, that child.  None (use Lark's callback) for rules with
    placeholders, other ``?`` rules and wrapped methods."""
    options = rule.options
    if options.expand1 and not rule.alias and not options.empty_indices:
        kept = [i for i, sym in enumerate(rule.expansion) if options.keep_all_tokens
                or not (sym.is_term and getattr(sym, "filter_out", False))]
        if len(kept) == 1 and not _is_inlined(rule.expansion[kept[0]]):
            only = kept[0]  # e.g. ``?step: core "."?``: the one kept child is the value
            return lambda args: args[only]
    name = str(rule.alias or rule.origin.name)
    method = getattr(transformer, name, None)
    if method is None:
        if not name.startswith("_"):
            return None
        method = _as_spliced
    elif getattr(method, "visit_wrapper", None) is not None:
        return None
    if (options.expand1 and not rule.alias) or options.empty_indices:
        return None
    include: list[tuple[int, bool]] = []
    for i, sym in enumerate(rule.expansion):
        if options.keep_all_tokens or not (sym.is_term and getattr(sym, "filter_out", False)):
            include.append((i, _is_inlined(sym)))
    if any(expand for _, expand in include):
        return _splicing(method, tuple(include))
    if len(include) == len(rule.expansion) and method is not _as_spliced:
        return method
    picked = tuple(i for i, _ in include)
    return lambda args: method([args[i] for i in picked])


def _is_inlined(sym: Any) -> bool:
    """Whether Lark splices this symbol's children into its parent's (a ``_rule``)."""
    return not sym.is_term and str(sym.name).startswith("_")


def _splicing(method: Any, include: tuple[tuple[int, bool], ...]) -> Any:
    """A callback splicing the children of the inlined children in ``include``."""

    def callback(args: list[Any]) -> Any:
        kept: list[Any] = []
        for i, expand in include:
            if not expand:
                kept.append(args[i])
            elif kept:
                kept += args[i].children
            else:  # the first child: extend its list in place, as Lark does
                kept = args[i].children
        return method(kept)

    return callback


class FastParseFailed(Exception):
    """The fast driver could not parse the text; reparse with Lark for the error."""


class FastParser:
    """A lean driver for the LALR table of a Lark parser built with an embedded transformer.

    Lark's own loop costs far more per token than the table lookups it performs, so this class
    runs the same table with the same rule callbacks, and lexes with one compiled scanner per
    parser state built from the terminals that state accepts, ordered as Lark orders them (so
    the contextual-lexer rules hold: a keyword is a keyword only where the parser accepts it,
    otherwise a name).  Two deliberate differences, both stricter: a keyword is only matched as
    a whole word, and any failure raises :class:`FastParseFailed` so that the caller reparses
    with Lark to get Lark's error (or, should the two ever disagree, Lark's result).
    """

    _WORD = "WORD__"

    def __init__(self, lark: Lark, start: str = "start",
                 positioned: frozenset[str] | None = None) -> None:
        """Build the driver from ``lark`` (made with a transformer).  Terminals kept as rule
        children arrive at the callbacks as Tokens when named in ``positioned`` (all kept
        terminals when it is ``None``), else as plain strings."""
        from lark.lexer import PatternStr
        from lark.parsers.lalr_analysis import Shift

        inner = lark.parser.parser.parser  # ParsingFrontend -> LALR_Parser -> _Parser
        transformer = lark.options.transformer
        table = inner.parse_table
        self._start = table.start_states[start]
        self._end = table.end_states[start]
        self._actions: dict[int, dict[str, Any]] = {}
        for state, acts in table.states.items():
            row: dict[str, Any] = {}
            for sym, (action, arg) in acts.items():
                if action is Shift:
                    row[sym] = arg
                elif _is_pass_through(arg):
                    row[sym] = str(arg.origin.name)  # may be a Token (a str subclass)
                else:
                    callback = _direct_callback(arg, transformer) or inner.callbacks[arg]
                    row[sym] = (len(arg.expansion), str(arg.origin.name), callback)
            self._actions[state] = row
        # Terminals some rule keeps as a child get a Token; the others only their text.
        self._kept = frozenset(
            sym.name for rule in lark.rules for sym in rule.expansion
            if sym.is_term and (not getattr(sym, "filter_out", False)
                                or rule.options.keep_all_tokens))
        if positioned is not None:
            self._kept &= positioned
        terms = {t.name: t for t in lark.terminals}
        name_re = re.compile(terms["NAME"].pattern.to_regexp())
        self._keywords: dict[str, tuple[str, bool]] = {}
        self._regex_terms: dict[str, Any] = {}
        for name, term in terms.items():
            pattern = term.pattern
            if isinstance(pattern, PatternStr) and name_re.fullmatch(pattern.value):
                self._keywords[name] = (pattern.value, "i" in pattern.flags)
            else:
                self._regex_terms[name] = term
        self._ignore = frozenset(lark.lexer_conf.ignore)
        self._scanners: dict[frozenset[str], tuple[re.Pattern[str], dict[str, str],
                                                   dict[str, str], bool]] = {}
        self._state_scanner: dict[int, tuple[re.Pattern[str], dict[str, str],
                                             dict[str, str], bool]] = {}
        self._chains: dict[tuple[int, int, str], int] = {}

    def _follow_chain(self, below: int, top: int, ttype: str) -> int:
        """Top state after the pass-through reductions that ``ttype`` triggers on ``top``."""
        act = self._actions[top].get(ttype)
        while act.__class__ is str:
            top = self._actions[below][act]
            act = self._actions[top].get(ttype)
        return top

    def _scanner(self, state: int) -> tuple[re.Pattern[str], dict[str, str], dict[str, str],
                                            bool]:
        accepts = frozenset(s for s in self._actions[state] if s.isupper())
        cached = self._scanners.get(accepts)
        if cached is None:
            cached = self._build_scanner(accepts)
            self._scanners[accepts] = cached
        self._state_scanner[state] = cached
        return cached

    def _build_scanner(self, accepts: frozenset[str]) -> tuple[re.Pattern[str], dict[str, str],
                                                               dict[str, str], bool]:
        exact: dict[str, str] = {}
        folded: dict[str, str] = {}
        for name in accepts:
            if name in self._keywords:
                value, insensitive = self._keywords[name]
                if insensitive:
                    folded[value.lower()] = name
                else:
                    exact[value] = name
        names = [n for n in self._regex_terms if n in accepts]
        has_words = bool(exact or folded or "NAME" in accepts)
        if has_words and "NAME" not in names:
            names.append("NAME")
        names.sort(key=lambda n: (-self._regex_terms[n].priority,
                                  -self._regex_terms[n].pattern.max_width,
                                  -len(self._regex_terms[n].pattern.value), n))
        parts = []
        for n in names:
            group = self._WORD if n == "NAME" else n
            parts.append(f"(?P<{group}>{self._regex_terms[n].pattern.to_regexp()})")
        ignore = "|".join(self._regex_terms[n].pattern.to_regexp() for n in self._ignore)
        regex = f"(?:{ignore})*(?:{'|'.join(parts)})" if ignore else "|".join(parts)
        return re.compile(regex), exact, folded, "NAME" in accepts

    def parse(self, text: str) -> Any:
        """Parse ``text`` and return the transformer's result; raise FastParseFailed."""
        actions = self._actions
        scanners = self._state_scanner
        chains = self._chains
        kept = self._kept
        word = self._WORD
        end = self._end
        state = self._start
        states = [state]
        values: list[Any] = []
        row = actions[state]
        pos = 0
        n = len(text)
        while True:
            if pos >= n:
                ttype = "$END"
                token: Any = None
            else:
                scanner = scanners.get(state) or self._scanner(state)
                m = scanner[0].match(text, pos)
                if m is None:
                    raise FastParseFailed(pos)
                ttype = m.lastgroup or ""
                if not ttype:  # no terminal is acceptable here (the scanner matched nothing)
                    raise FastParseFailed(pos)
                value = m.group(ttype)
                end_pos = m.end()
                if ttype == word:
                    ttype = scanner[1].get(value) or scanner[2].get(value.lower()) or "NAME"
                token = (_Tok(ttype, value, end_pos - len(value), end_pos) if ttype in kept
                         else value)
                pos = end_pos
                if pos < n and text[pos] in " \t":
                    pos += 1
            while True:
                act = row.get(ttype)
                if act is None:
                    raise FastParseFailed(pos)
                cls = act.__class__
                if cls is int:
                    state = act
                    states.append(state)
                    values.append(token)
                    row = actions[state]
                    break
                if cls is str:
                    # an inlined one-child rule: its value passes through unchanged; follow
                    # the whole chain of such reductions with one memoised lookup
                    key = (states[-2], state, ttype)
                    top = chains.get(key)
                    if top is None:
                        top = self._follow_chain(states[-2], state, ttype)
                        chains[key] = top
                    state = states[-1] = top
                    row = actions[state]
                    if token is None and state == end:
                        return values[-1]
                    continue
                size, origin, callback = act
                if size:
                    args = values[-size:]
                    del states[-size:]
                    del values[-size:]
                else:
                    args = []
                values.append(callback(args))
                state = actions[states[-1]][origin]
                states.append(state)
                row = actions[state]
                if token is None and state == end:
                    return values[-1]
