"""``parse`` / ``cfparse`` step definitions → matchers (``compile_parse``), through the ``parse`` / ``parse_type``
packages with the project's types; their regex is matched under the time bound where this version of ``parse``
exposes it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from re import _parser as sre_parse  # type: ignore[attr-defined]  # Python's own regex parser (always loaded)

from tracertm.steps.bounded import TooSlow, compile_pattern
from tracertm.steps.compiled import TIMED, Argument, Compiled, DefinitionError, key_words, one_line, type_regex_error
from tracertm.steps.model import StepDefinition

if TYPE_CHECKING:
    import regex

def compile_parse(definition: StepDefinition, types: dict[str, Callable[[str], str]]) -> Compiled:
    """The matcher of a ``parse`` / ``cfparse`` pattern with the project's ``types`` (``Registries.parse_types``),
    matching the whole text; ``DefinitionError`` when it cannot match."""
    # behave compiles case-sensitively; pytest-bdd leaves parse's default (case-insensitive) unless the parser is
    # given ``case_sensitive=True`` (the ``c`` flag, ``python._case_flag``).
    pytest_bdd = definition.framework == "pytest-bdd"
    sensitive = not pytest_bdd or "c" in definition.flags
    try:
        if definition.kind == "cfparse":
            from parse_type.cfparse import Parser

            parser: Any = Parser(definition.pattern, extra_types=types, case_sensitive=sensitive)
        else:
            import parse

            parser = parse.compile(definition.pattern, extra_types=types, case_sensitive=sensitive)
        # parse compiles its regex on first use, raising NotImplementedError (its re.error, reworded) when a
        # custom type's pattern does not compile: found here, it is an error at the definition, not a crash of
        # the first step matched against it.
        getattr(parser, "_match_re", None)
    except NotImplementedError as exc:
        cause = exc.__context__ if isinstance(exc.__context__, re.error) else exc
        raise type_regex_error(f"{definition.kind} pattern", cause) from None
    except ValueError as exc:
        raise DefinitionError(
            f"is not a valid {definition.kind} pattern ({one_line(exc)}); register custom types with "
            "register_type / extra_types") from None
    except (re.error, TypeError, KeyError, AttributeError) as exc:
        raise DefinitionError(f"is not a valid {definition.kind} pattern ({one_line(exc)})") from None
    except OverflowError:  # a field's width past ``re``'s MAXREPEAT ({:99999999999d}): parse's compile raises it
        raise DefinitionError(f"is not a valid {definition.kind} pattern (a field's width or a repetition count is "
                              f"larger than Python's re allows, {sre_parse.MAXREPEAT - 1}); write a smaller one"
                              ) from None
    except RecursionError:  # a custom type's regex nested past ``re``'s limit
        raise DefinitionError(f"is not a valid {definition.kind} pattern (a custom type's regex nests its groups too "
                              "deeply for Python's re); nest fewer groups") from None

    bounded = _bounded_parser(parser)
    # A pattern the ``regex`` package refuses (a custom type's regex nested a few hundred groups deep: its compiler
    # recurses) is matched by parse's own ``re`` regex, without the time bound but with the same handling of a
    # converter refusing the text; ``parser.parse`` only where this version of parse hides that regex.
    unbounded: Any = getattr(parser, "_match_re", None) if bounded is None else None

    def match(text: str) -> tuple[Argument, ...] | None:
        if bounded is None and unbounded is None:
            try:
                found = parser.parse(text)
            except Exception:  # noqa: BLE001 - a converter refused the text: no spans to give, so no match
                return None
        else:
            if bounded is not None:
                try:
                    matched = bounded.match(text, 0, *TIMED)  # (``Later.find``)
                except TimeoutError:
                    raise TooSlow(text) from None
            else:
                matched = unbounded.match(text)
            if matched is None:
                return None
            try:
                found = parser.evaluate_result(matched)
            except Exception:  # noqa: BLE001 - a converter refused the text (parse's date types: "31/02/2020")
                if pytest_bdd:
                    return None  # pytest-bdd's ``is_matching``: a converter's ValueError is no match
                # behave runs this definition for the step, which fails when it runs: a match, at parse's spans.
                return tuple(Argument(text[a:b], a, b) for a, b in sorted(_spans(parser, matched)))
        if found is None or not hasattr(found, "spans"):
            return None
        # pytest-bdd hands the step function ``.named`` only: a ``{}`` field is matched but passes no value.
        return tuple(Argument(text[a:b], a, b) for a, b in _ordered(found.spans, pytest_bdd))

    head = definition.pattern.split("{", 1)[0] if "{" in definition.pattern else definition.pattern
    head = head.replace("}}", "}")
    return Compiled(definition, match, key_words(_parse_literals(definition.pattern)),
                    head if sensitive else head.lower(), not sensitive)


def _ordered(spans: dict[int | str, tuple[int, int]], named_only: bool) -> list[tuple[int, int]]:
    """A parse result's field ``spans`` in behave's order of its step's arguments (``ParseMatcher.check_match``): the
    fixed fields, then the named ones, sorted by where they start alone — a field that takes nothing where another
    starts ({name:Opt}{:f} on "3.14") keeps its place in that list, not the shorter span's place first.
    ``named_only``: the named fields alone (pytest-bdd's)."""
    fixed: list[int | str] = [] if named_only else sorted(key for key in spans if isinstance(key, int))
    keys = [*fixed, *(key for key in spans if isinstance(key, str))]
    return sorted((spans[key] for key in keys), key=lambda span: span[0])


def _spans(parser: Any, matched: Any) -> list[tuple[int, int]]:
    """The spans of a ``parse`` parser's fields in ``matched`` (its regex's match), as ``parser.evaluate_result``
    gives them, without running the fields' converters."""
    named = [matched.span(k) for k in parser._named_fields]
    return named + [matched.span(n + 1) for n in parser._fixed_fields]


def _parse_literals(pattern: str) -> list[str]:
    """The words of a parse pattern free of fields, as the text they match: ``{{`` and ``}}`` stand for ``{`` and
    ``}`` (``{who} sees {{x}}`` matches "Bob sees {x}": its word is ``{x}``, not ``x``)."""
    return [token.replace("{{", "{").replace("}}", "}") for token in pattern.split(" ")
            if not any(c in "{}" for c in re.sub(r"\{\{|\}\}", "", token))]


def _bounded_parser(parser: Any) -> regex.Pattern[str] | None:
    """The regex a ``parse`` parser matches with (its custom types' patterns included), for bounded matching:
    ``parser.parse(text)`` is ``parser.evaluate_result(parser._match_re.match(text))``. None when this version of
    ``parse`` no longer exposes it (then ``parser.parse`` is used, unbounded)."""
    try:
        own = parser._match_re
        return compile_pattern(own.pattern, own.flags) if own is not None else None
    except Exception:  # noqa: BLE001 - an internal of parse, or a pattern regex refuses: parse's own matching
        return None
