"""A step definition ready to match (``Compiled``), and what the matchers of every pattern kind share: the
arguments a match gives, the error of a definition that can never match, and a user pattern compiled for matching
under a time bound (``Later``, ``bounded_pattern``). Plus the frameworks whose definitions match only steps of
their keyword (``KEYWORD_SCOPED``, for the index).

The kinds' matchers are built in ``cucumber_matchers``, ``regex_matchers`` and ``parse_matchers``;
``expressions.compile_definition`` picks one by the definition's kind.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tracertm.steps.bounded import BUDGET, TooLarge, TooSlow, compile_pattern
from tracertm.steps.model import Framework, StepDefinition

if TYPE_CHECKING:
    import regex

# Frameworks whose matching looks at the keyword (``step`` definitions match any).
KEYWORD_SCOPED: frozenset[Framework] = frozenset({"behave", "pytest-bdd", "reqnroll", "godog"})


@dataclass(frozen=True)
class Argument:
    """One value a step hands its definition: the matched text (a Cucumber Expression's ``{string}``: the text between
    its quotes, ``cucumber_matchers._unquoted``) and where the matched text is in the step."""

    value: str | None
    start: int
    end: int

    def as_dict(self) -> dict[str, object]:
        return {"value": self.value, "start": self.start, "end": self.end}


Match = Callable[[str], "tuple[Argument, ...] | None"]
# The argument values alone (``Argument.value`` of each), or None: what a match row stores.
Values = Callable[[str], "tuple[str | None, ...] | None"]


@dataclass(frozen=True)
class Compiled:
    """A definition ready to match: ``match(text)`` gives its arguments or None; ``keys`` are lower-case words
    every text it matches contains as whole (space-separated) words — empty when no such word is known;
    ``prefix`` is literal text every text it matches starts with (lower-case when ``fold``: compare
    case-insensitively), ``""`` when there is none. ``values(text)``, when set, is ``match(text)``'s argument
    values without building ``Argument`` objects (sync's matching stores only the values: ``arguments``)."""

    definition: StepDefinition
    match: Match
    keys: frozenset[str]
    prefix: str = ""
    fold: bool = False
    values: Values | None = None

    def arguments(self, text: str) -> tuple[str | None, ...] | None:
        """The values of ``match(text)``'s arguments, in order, or None when it does not match; raises
        ``TooSlow`` as ``match`` does."""
        if self.values is not None:
            return self.values(text)
        found = self.match(text)
        return None if found is None else tuple(a.value for a in found)


class DefinitionError(Exception):
    """A definition that can never match: the reason, and whether it is the project's fault (error) or a limit
    of tracertm (warning)."""

    def __init__(self, message: str, severity: str = "error") -> None:
        super().__init__(message)
        self.severity = severity


def key_words(tokens: Iterable[str], special: str = "") -> frozenset[str]:
    """The lower-case ``tokens`` free of ``special`` characters: words an index can file a definition under."""
    return frozenset(t.lower() for t in tokens if t and not any(c in special for c in t))


# The arguments after ``string`` and ``pos`` of a bounded pattern's match/search/fullmatch, by position: endpos,
# concurrent, partial (their defaults) and the time budget.
TIMED = (None, None, False, BUDGET)


class Later:
    """A user pattern for bounded matching, compiled now or on first use (``compile_definition``'s ``lazy``):
    ``run`` is its bound ``method`` (match, search or fullmatch) once compiled; ``get()`` compiles it, and gives
    None when the ``regex`` package refuses it (the definition then never matches). ``linear``: the pattern runs in
    time linear in the text (``tracertm.steps.linear``), so ``re`` runs it, without the time bound's cost."""

    __slots__ = ("source", "flags", "method", "pattern", "run", "refused", "linear")

    def __init__(self, source: str, flags: int, method: str, pattern: Any = None, linear: bool = False) -> None:
        self.source, self.flags, self.method, self.linear = source, flags, method, linear
        self.pattern = pattern
        self.run: Callable[..., Any] | None = None if pattern is None else getattr(pattern, method)
        self.refused = False

    def get(self) -> Callable[..., Any] | None:
        if self.run is None and not self.refused:
            import regex

            try:
                self.pattern = (re.compile(self.source, self.flags) if self.linear
                                else compile_pattern(self.source, self.flags))
            except (re.error, regex.error, RecursionError, TooLarge):  # an eager compile leaves it out
                self.refused = True
                return None
            self.run = getattr(self.pattern, self.method)
        return self.run

    def find(self, text: str, head: str) -> Any:
        """The match object for ``text``, or None: the literal ``head`` compared, this pattern run from its end
        under the time bound (``TooSlow`` past it)."""
        if head and not text.startswith(head):
            return None
        run = self.run or self.get()
        if run is None:
            return None
        if self.linear:
            return run(text, len(head))
        try:
            # (string, pos, endpos, concurrent, partial, timeout) by position: ``regex`` parses keyword arguments
            # with its slower general parser (0.3 µs of a short step's 2 µs match; ``TIMED``).
            return run(text, len(head), *TIMED)
        except TimeoutError:
            raise TooSlow(text) from None


# An inline flag (``(?i)``, ``(?x)``...) in a parameter type's regex: in ``regex``'s VERSION0 it may apply to the
# whole pattern, the text before the first parameter included.
INLINE_FLAG = re.compile(r"\(\?(?!P[<=>]|[:<=!>#])")


def too_large(exc: TooLarge) -> DefinitionError:
    """The finding for a pattern too large for tracertm to compile (``bounded.LARGEST``): tracertm's limit."""
    return DefinitionError(f"is too large to match: {exc}; its steps are not matched — write smaller repetition "
                           "counts", "warning")


def bounded_pattern(source: str, flags: int) -> regex.Pattern[str]:
    """A user pattern for matching under a time bound (``tracertm.steps.bounded``); a pattern ``re`` accepts but the
    ``regex`` package does not is a limit of tracertm, not the project's error."""
    import regex

    try:
        return compile_pattern(source, flags)
    except regex.error as exc:
        raise DefinitionError(f"regex cannot be matched by tracertm: {one_line(exc)}", "warning") from None
    except TooLarge as exc:
        raise too_large(exc) from None
    except RecursionError:  # ``regex``'s parser recurses per group: a few hundred nested ones (``re`` takes them)
        raise DefinitionError("regex cannot be matched by tracertm: its groups are nested too deeply for tracertm's "
                              "regex engine; nest fewer groups to have its steps matched", "warning") from None


def type_regex_error(what: str, cause: BaseException) -> DefinitionError:
    """The error of a definition one of whose parameter types has a regex that does not compile."""
    return DefinitionError(f"is not a valid {what}: the regex of one of its parameter types does not compile "
                           f"({one_line(cause)}); fix that type's pattern")


def one_line(exc: BaseException) -> str:
    """An exception's message on one line (a finding is one line)."""
    return " ".join(str(exc).split())
