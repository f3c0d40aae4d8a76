"""The parameter types a Python step module declares, read without running it: behave's ``register_type(Name=f)``
(the pattern parse reads from the converter: ``@parse.with_pattern(r"...")``, ``f.pattern = r"..."``, parse_type's
``TypeBuilder``), its cucumber-expressions matcher's ``define_parameter_type(...)``, and pytest-bdd's
``extra_types=`` (with ``field_types``: the types a parse pattern's fields name). A type that cannot be read is a
warning, and matches any text. Split from ``steps.python``, whose walk of a module calls ``parse_type``,
``cucumber_type`` and ``extra_types_value``."""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

from tracertm.errors import Diagnostic
from tracertm.steps.model import ParameterTypeDecl, PatternKind
from tracertm.steps.pytest_bdd import source
from tracertm.steps.pytest_bdd import dotted_name as _dotted  # one reading of a dotted name for both
from tracertm.steps.python_names import Unreadable, string_value

if TYPE_CHECKING:
    from tracertm.steps.python import _Module


def cucumber_type(module: _Module, call: ast.Call, name: str) -> None:
    """behave's types for its cucumber-expressions matcher (``behave.cucumber_expression``), which go to that
    matcher's own ``ParameterTypeRegistry``, not to parse's ``register_type``: ``define_parameter_type(ParameterType(
    name, regexp, ...))`` (or a module-level name bound to one) and ``define_parameter_type_with(name, regexp, ...)``.
    ``regexp``: a string, a list of strings, or a readable converter's ``.pattern`` (``_type_patterns``)."""
    args: list[ast.expr] = list(call.args)
    keywords = call.keywords
    if name == "define_parameter_type":
        made = args[0] if args else next((k.value for k in keywords if k.arg == "parameter_type"), None)
        if isinstance(made, ast.Name) and made.id not in module.rebound():
            made = module.values.get(made.id, made)
        if not (isinstance(made, ast.Call) and (_dotted(made.func) or "").endswith("ParameterType")):
            module.error(made or call, "define_parameter_type() is not given a ParameterType(...) tracertm can read "
                                       "without running code")
            return
        args, keywords = list(made.args), made.keywords
    given = dict(zip(("name", "regexp"), args)) | {k.arg: k.value for k in keywords if k.arg in ("name", "regexp")}
    try:
        type_name = string_value(module, given["name"], "the parameter type name") if "name" in given else None
    except Unreadable as exc:
        module.error(exc.node, str(exc))
        return
    if type_name is None or "regexp" not in given:
        module.error(call, f"{name}() is given no name or no regexp")
        return
    regexp = given["regexp"]
    try:
        if isinstance(regexp, (ast.List, ast.Tuple)):
            regexps = tuple(string_value(module, e, "a regexp") for e in regexp.elts)
        elif isinstance(regexp, ast.Attribute) and regexp.attr == "pattern":
            regexps = _type_patterns(module, regexp.value, set()) or (r".+?",)
        else:
            regexps = (string_value(module, regexp, "the regexp"),)
    except Unreadable as exc:
        module.warnings.append(Diagnostic(
            module.path, getattr(exc.node, "lineno", call.lineno), module.columns.of(exc.node),
            f"parameter type {type_name!r} cannot be read: {exc}; tracertm matches it as any text ('.+?'), which "
            "may match steps behave does not", "warning"))
        regexps = (r".+?",)
    module.types.append(ParameterTypeDecl(type_name, regexps, module.framework, "python", module.path, call.lineno,
                                          registry="cucumber"))


def parse_type(module: _Module, name: str, value: ast.expr, line: int) -> ParameterTypeDecl:
    """A parse type: the pattern parse reads from its converter (``converter.pattern``), when it can be read
    without running code; otherwise a warning, and no pattern (parse's default, any text: ``.+?``)."""
    try:
        regexps = _type_patterns(module, value, set())
    except Unreadable as exc:
        module.warnings.append(Diagnostic(
            module.path, getattr(exc.node, "lineno", line), module.columns.of(exc.node),
            f"parameter type {name!r} cannot be read: {exc}; tracertm matches it as any text ('.+?'), which may "
            f"match steps {module.framework} does not", "warning"))
        regexps = ()
    return ParameterTypeDecl(name, regexps, module.framework, "python", module.path, line)


_MANY = {"with_many": r"(%s)(\s*%s\s*(%s))*", "with_many0": r"(%s)?(\s*%s\s*(%s))*"}  # parse_type's Cardinality
_BUILTIN_TYPES = {"int": (r"-?\d+",), "float": (r"-?\d*\.?\d+",), "str": (r".+?",)}
# behave's own converters (``behave.parameter_type``, behave 1.2.7 and later: each ``@parse.with_pattern``), which
# step libraries register under their own names (``register_type(Unquoted=parse_unquoted_text)``).
BEHAVE_CONVERTERS = {
    "parse_number": (r"\d+",), "parse_any_text": (r".*",), "parse_unquoted_text": (r'[^"]*',),
    "parse_path": (r'[^"]*',), "parse_path_as_text": (r'[^"]*',), "parse_environment_var": (r"\$\w+",),
}
_CASE_TRANSFORMS = {"str.lower": str.lower, "str.upper": str.upper}


def _type_patterns(module: _Module, value: ast.expr, seen: set[str]) -> tuple[str, ...]:
    """The pattern of a parse type converter as parse sees it (``()``: it has none, parse's ``.+?``):
    ``func.pattern = r"..."`` (assigned at module level), ``@parse.with_pattern(r"...")``,
    ``with_pattern(r"...")(func)``, parse_type's ``TypeBuilder.make_choice([...])`` and ``make_enum({...})``, a
    lambda or a function with neither (none), ``int``/``float``/``str``; ``Unreadable`` for anything else."""
    if isinstance(value, ast.Name):
        if value.id in module.patterns:  # assigned after the def: it wins over the decorator's
            return (string_value(module, module.patterns[value.id], "its pattern attribute"),)
        func = module.functions.get(value.id)
        rebound = module.values.get(value.id)
        if func is not None and not (rebound is not None and rebound.lineno > func.lineno and value.id not in seen):
            for decorator in func.decorator_list:
                if isinstance(decorator, ast.Call) and (_dotted(decorator.func) or "").endswith("with_pattern"):
                    return (_with_pattern(module, decorator),)
            return ()
        if value.id in _BUILTIN_TYPES:
            return _BUILTIN_TYPES[value.id]
        if value.id in module.behave_converters and value.id not in module.values:
            return BEHAVE_CONVERTERS[module.behave_converters[value.id]]
        if rebound is not None and value.id not in seen:  # ``f = with_pattern(...)(f)``, ``T = make_choice(...)``
            return _type_patterns(module, rebound, seen | {value.id})
        raise Unreadable(value, f"{value.id} is not a function or a converter made in this file")
    if isinstance(value, ast.Lambda):
        return ()
    if isinstance(value, ast.Call):
        if isinstance(value.func, ast.Call) and (_dotted(value.func.func) or "").endswith("with_pattern"):
            return (_with_pattern(module, value.func),)
        called = (_dotted(value.func) or "").rsplit(".", 1)[-1]
        if called == "make_choice":
            return (_choice_pattern(module, value),)
        if called in _MANY and value.args:
            # parse_type's ``TypeBuilder.with_many(converter, pattern=None, listsep=",")`` (``with_many0``: none
            # allowed): ``Cardinality.make_pattern``'s schema around the item's pattern, the separator unescaped.
            # (behave's own TypeBuilder adds one group around it: the same texts.)
            given = dict(zip(("converter", "pattern", "listsep"), value.args))
            given |= {kw.arg: kw.value for kw in value.keywords if kw.arg}
            item = given.get("pattern")
            if item is not None and not (isinstance(item, ast.Constant) and item.value is None):
                items: tuple[str, ...] = (string_value(module, item, "with_many()'s pattern"),)
            else:
                items = _type_patterns(module, given["converter"], seen) or (r".+?",)
            sep = string_value(module, given["listsep"], "with_many()'s listsep") if "listsep" in given else ","
            return tuple(_MANY[called] % (p, sep, p) for p in items)
        if called == "make_enum" and value.args and isinstance(value.args[0], ast.Dict):
            keys = value.args[0].keys
            return ("|".join(string_value(module, k, "an enum name") if k is not None else "" for k in keys),)
    raise Unreadable(value, f"{source(value, 60)} is computed when the step code runs")


def _with_pattern(module: _Module, decorator: ast.Call) -> str:
    if not decorator.args:
        raise Unreadable(decorator, "with_pattern() has no pattern")
    return string_value(module, decorator.args[0], "the with_pattern() pattern")


def _choice_pattern(module: _Module, call: ast.Call) -> str:
    """parse_type's ``TypeBuilder.make_choice(choices, transform=None, strict=None)``: ``pattern`` is the choices
    (after ``transform``) joined with ``|``, not escaped. behave matches that regex case-sensitively, and a text
    the strict converter refuses is still the step's match (it fails when it runs); pytest-bdd's parse ignores
    case, but a converter's ValueError is no match there: with ``strict`` (the default) exactly the choices."""
    kwargs = {kw.arg: kw.value for kw in call.keywords if kw.arg}
    names = ("choices", "transform", "strict")
    args = dict(zip(names, call.args)) | {k: v for k, v in kwargs.items() if k in names}
    listed = args.get("choices")
    if not isinstance(listed, (ast.List, ast.Tuple)) or any(isinstance(e, ast.Starred) for e in listed.elts):
        raise Unreadable(listed or call, "make_choice() is not given a list of string literals")
    choices = [string_value(module, e, "a choice") for e in listed.elts]
    transform = args.get("transform")
    if isinstance(transform, ast.Constant) and transform.value is None:
        transform = None
    if transform is not None:
        function = _CASE_TRANSFORMS.get(_dotted(transform) or "")
        if function is None:
            raise Unreadable(transform, f"make_choice()'s transform {source(transform, 40)} is computed")
        choices = [function(c) for c in choices]
    strict = args.get("strict")
    if strict is not None and not (isinstance(strict, ast.Constant) and strict.value in (None, True, False)):
        raise Unreadable(strict, "make_choice()'s strict is computed")
    if module.framework == "pytest-bdd" and not (isinstance(strict, ast.Constant) and strict.value is False):
        exact = "|".join(re.escape(c) for c in choices)
        return exact if transform is not None else f"(?-i:{exact})"
    return "|".join(choices)


# parse's own format types (``parse.Parser``'s conversions): not ones ``extra_types`` must bring.
_PARSE_BUILTIN_TYPES = frozenset({"l", "n", "d", "b", "o", "x", "f", "F", "e", "E", "g", "G", "w", "W", "s", "S",
                                  "D", "ti", "te", "tg", "ta", "th", "tc", "tt", "ts", "%"})
_FIELD_TYPE = re.compile(r"\{[^{}:]*:[^{}]*?([A-Za-z_]\w*)[?*+]?\}")


def field_types(pattern: str) -> list[str]:
    """The type names of a parse/cfparse pattern's fields that are no parse built-in (``{who:Person}``:
    ``Person``; cfparse's cardinality ``Person+`` names ``Person`` too)."""
    if ":" not in pattern:
        return []
    found = _FIELD_TYPE.findall(pattern.replace("{{", "").replace("}}", ""))
    return [t for t in dict.fromkeys(found) if t not in _PARSE_BUILTIN_TYPES]


def extra_types_value(module: _Module, name: ast.Name, pattern: str, kind: PatternKind, line: int
                      ) -> ast.expr | None:
    """``extra_types=NAME``: the dict literal or ``dict(...)`` call NAME is bound to once at module level and never
    changed (``NAME[k] = ...``, ``NAME.update(...)``); anything else is unreadable (``unread_extra_types``)."""
    value = module.values.get(name.id)
    if (name.id not in module.rebound() and not _changed(module.tree, name.id)
            and (isinstance(value, ast.Dict) or isinstance(value, ast.Call) and _dotted(value.func) == "dict")):
        return value
    unread_extra_types(module, name, pattern, kind, line)
    return None


def _changed(tree: ast.Module | None, name: str) -> bool:
    """Whether ``name`` is changed anywhere in the module after it is bound: an item or attribute assigned or
    deleted, a method called on it (``update``, ``setdefault``...), augmented, or declared ``global``."""
    if tree is None:
        return True
    for node in ast.walk(tree):
        if isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(node.value, ast.Name) \
                and node.value.id == name and (not isinstance(node.ctx, ast.Load) or isinstance(node, ast.Attribute)):
            return True
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and node.target.id == name:
            return True
        if isinstance(node, ast.Global) and name in node.names:
            return True
    return False


def unread_extra_types(module: _Module, node: ast.expr, pattern: str, kind: PatternKind, line: int) -> None:
    """``extra_types`` tracertm cannot read without running code: a warning, and the pattern's own types are
    taken as any text (``.+?``) — never a claim that the pattern is invalid."""
    if kind not in ("parse", "cfparse"):
        return
    names = field_types(pattern)
    for type_name in names:
        module.types.append(ParameterTypeDecl(type_name, (), module.framework, "python", module.path, line))
    module.warnings.append(Diagnostic(
        module.path, getattr(node, "lineno", line), module.columns.of(node),
        f"extra_types={source(node, 60)} cannot be read without running code (tracertm reads a dict literal, "
        f"dict(...) or a module-level name bound once to one); its types ({', '.join(names) or 'none used'}) are "
        "matched as any text ('.+?'), which may match steps pytest-bdd does not", "warning"))
