"""Python step files → step definitions, read with ``ast`` (no user code runs).

behave: ``@given/@when/@then/@step`` (and title-case aliases), with the matcher ``use_step_matcher(...)`` selects
for the definitions that follow it in the module (default ``parse``, or the one ``environment.py`` leaves:
``environment_matcher``; behave registers a function's stacked decorators bottom-up: ``BehaveStepFile``);
``register_type(Name=func)`` declares a parse
type, its pattern read from ``@parse.with_pattern(r"...")``, ``func.pattern = r"..."`` or parse_type's
``TypeBuilder.make_choice([...])`` (one that cannot be read is a warning, and matches any text); behave's
``environment.py`` (loaded before the step modules) declares types too, and its decorators count only when it
imports them; ``define_parameter_type(ParameterType(...))`` and ``define_parameter_type_with(...)`` declare the
types of behave's cucumber-expressions matcher. pytest-bdd: ``@given/@when/@then/@step`` with a plain string
(exact text) or ``parsers.parse/cfparse/re/string(...)``, ``target_fixture=``, ``converters=``, ``extra_types=``
(the types of that definition alone: ``ParameterTypeDecl.registry`` is its identity).

A file is a pytest-bdd file when it imports ``pytest_bdd``; otherwise a behave file when it imports ``behave`` or
lives in a ``steps`` folder (behave hands step modules the decorators without an import); otherwise it defines
nothing (an ordinary test module).

The parameter types are read by ``steps.python_types``, what the module's names hold by ``steps.python_names``.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass, field, replace

from tracertm.errors import Diagnostic, ParseError
from tracertm.steps.behave_layout import is_environment
from tracertm.steps.pytest_bdd import PytestStepFile, module_facts, source
from tracertm.steps.pytest_bdd import dotted_name as _dotted  # one reading of a dotted name for both
from tracertm.steps.model import (
    Framework,
    Keyword,
    Parameter,
    ParameterTypeDecl,
    PatternKind,
    StepDefinition,
    StepFile,
    assign_identities,
)
from tracertm.steps.python_names import Alternatives, Unreadable, alternatives, flat, rebound_names, string_value
from tracertm.steps.python_types import (BEHAVE_CONVERTERS, cucumber_type, extra_types_value, parse_type,
                                         unread_extra_types)
from tracertm.text import ByteColumns

_DECORATORS: dict[str, Keyword] = {
    "given": "given", "when": "when", "then": "then", "step": "step",
    "Given": "given", "When": "when", "Then": "then", "Step": "step",
}
_BEHAVE_MATCHERS: dict[str, PatternKind] = {
    "parse": "parse", "cfparse": "cfparse", "re": "regex", "re0": "regex",
    "cucumber_expressions": "cucumber-expression",
}
# behave's own default matcher (``StepMatcherFactory.DEFAULT_MATCHER_NAME``).
DEFAULT_MATCHER = "parse"
_PYTEST_BDD_PARSERS: dict[str, PatternKind] = {
    "parse": "parse", "cfparse": "cfparse", "re": "regex", "string": "string"
}
_RE_FLAGS = {"I": "i", "IGNORECASE": "i", "S": "s", "DOTALL": "s", "M": "m", "MULTILINE": "m", "X": "x",
             "VERBOSE": "x", "A": "a", "ASCII": "a"}


@dataclass
class _Module:
    path: str
    framework: Framework
    keywords: dict[str, Keyword] = field(default_factory=dict)  # local decorator name → keyword
    modules: set[str] = field(default_factory=set)  # local names of the behave / pytest_bdd modules
    parsers: dict[str, PatternKind] = field(default_factory=dict)  # local name → pytest-bdd parser
    parser_modules: set[str] = field(default_factory=lambda: {"parsers"})
    constants: dict[str, str] = field(default_factory=dict)  # module-level NAME = "literal"
    constant_lines: dict[str, int] = field(default_factory=dict)  # where each of ``constants`` is assigned
    values: dict[str, ast.expr] = field(default_factory=dict)  # module-level NAME = <anything else>
    _rebound: set[str] | None = None  # ``rebound()``, made when first asked
    imported: set[str] = field(default_factory=set)  # every part of the names of the modules it imports
    behave_converters: dict[str, str] = field(default_factory=dict)  # local name → a ``behave.parameter_type`` one
    tree: ast.Module | None = None  # the whole module (read again only for what few definitions need)
    patterns: dict[str, ast.expr] = field(default_factory=dict)  # module-level NAME.pattern = <value>
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=dict)
    matcher: PatternKind = "parse"
    simplified: bool = False  # behave's ``re`` matcher (not ``re0``): the pattern goes between ``^`` and ``$``
    current: str = DEFAULT_MATCHER  # behave's matcher in effect, by name (``matcher``/``simplified`` follow it)
    default: str = DEFAULT_MATCHER  # what behave's ``use_default_step_matcher()`` goes back to (by name)
    definitions: list[StepDefinition] = field(default_factory=list)
    stacks: list[int] = field(default_factory=list)  # per definition: which decorated function it is on
    written_for_re: set[int] = field(default_factory=set)  # indexes in ``definitions`` read with the ``re`` matcher
    types: list[ParameterTypeDecl] = field(default_factory=list)
    # pytest-bdd: per type of ``types``, the index in ``definitions`` of the definition whose parser it was given to
    # (its ``extra_types``): the type is that definition's alone (``_scoped``).
    owners: list[int] = field(default_factory=list)
    cucumber_registered: int | None = None  # ``BehaveStepFile.cucumber_registered``
    cucumber_selected: list[tuple[int, int]] = field(default_factory=list)  # ``BehaveStepFile.cucumber_selected``
    unknown_matchers: list[int] = field(default_factory=list)  # ``BehaveStepFile.unknown_matchers``
    errors: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    columns: ByteColumns = field(default_factory=lambda: ByteColumns(""))  # of the module's text

    def use(self, name: str) -> None:
        """Select behave's matcher ``name`` (one of ``_BEHAVE_MATCHERS``) for the definitions that follow."""
        self.current, self.matcher, self.simplified = name, _BEHAVE_MATCHERS[name], name == "re"

    def error(self, node: ast.AST, message: str) -> None:
        self.errors.append(Diagnostic(self.path, getattr(node, "lineno", 0), self.columns.of(node), message))

    def rebound(self) -> set[str]:
        """The module-level names bound more than once (``rebound_names``): a pattern or ``extra_types`` naming
        one has no value certain without running the module. Made on first use: most step files name none."""
        if self._rebound is None:
            self._rebound = rebound_names(self.tree)
        return self._rebound


def framework_of(path: str, tree: ast.Module) -> Framework | None:
    """pytest-bdd, behave, or None for a Python file that defines no steps (see the module docstring)."""
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module.split(".")[0])
    if "pytest_bdd" in imported:
        return "pytest-bdd"
    if ("behave" in imported or "/steps/" in f"/{path}") and path.rsplit("/", 1)[-1] != "conftest.py":
        return "behave"
    return None


@dataclass(frozen=True)
class BehaveStepFile(StepFile):
    """A behave step file, with what behave's load-time ``AmbiguousStep`` check needs beyond the definitions
    (``report._behave_refuses``):

    - ``registration``: the definitions' indexes in behave's registration order — functions in file order, a
      function's stacked decorators bottom-up (Python applies the innermost decorator first, so behave registers
      it first and checks the ones above against it); ``definitions`` stay in file order, each at its function's
      first decorator's line (behave's location of it).
    - ``written_for_re``: the identities of the regex definitions read with the ``re`` matcher. Such a definition
      is recorded ``^X$`` as it matches, but behave checks the earlier definitions against the text written, ``X``
      — while a ``re0`` one recorded ``^X$`` was written so."""

    registration: tuple[int, ...] = ()
    written_for_re: frozenset[str] = frozenset()
    imports: frozenset[str] = frozenset()  # the modules it imports at module level, by each part of their names
    # The default step matcher this module leaves for the step modules behave loads after it: its last module-level
    # ``use_default_step_matcher(name)`` names it; else the one it started with (``parse``'s ``step_matcher``).
    default_matcher: str = DEFAULT_MATCHER
    # behave's ``cucumber_expressions`` matcher exists only once ``use_step_matcher_for_cucumber_expressions()`` has
    # registered it (else selecting it is a KeyError): the line of the module's first module-level call, and where
    # the module selects the matcher by name before it, (line, column) each (``report._unregistered_matcher``).
    cucumber_registered: int | None = None
    cucumber_selected: tuple[tuple[int, int], ...] = ()
    unknown_matchers: tuple[int, ...] = ()  # the lines selecting a matcher behave has not (KeyError there too)

    @property
    def registered(self) -> tuple[StepDefinition, ...]:
        """The definitions in behave's registration order."""
        return tuple(self.definitions[i] for i in self.registration)


def parse(path: str, text: str, step_matcher: str = DEFAULT_MATCHER) -> StepFile:
    """The step definitions of one Python file; a syntax error is a ``ParseError`` for the whole file.

    ``step_matcher``: behave's matcher in effect when the step modules load — the one ``environment.py`` leaves
    (``environment_matcher``), which behave makes the default of every step module. A behave file is a
    ``BehaveStepFile`` (its registration order, and which regexes were written for ``re``)."""
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as exc:
        raise ParseError(path, exc.lineno or 0, exc.offset or 0, syntax_error_message(exc, text)) from None
    except (RecursionError, MemoryError):  # Python's own parser and compiler stop there too: the module cannot load
        raise ParseError(path, 1, 0, "Python code nested too deeply for Python's parser (as when the module "
                                     "loads); step definitions not read — split the most deeply nested expression"
                         ) from None
    except ValueError as exc:
        raise ParseError(path, 0, 0, f"cannot parse Python ({type(exc).__name__})") from None
    framework = framework_of(path, tree)
    columns = ByteColumns(text)
    if framework is None:
        return _plain(path, tree, columns)
    imports = module_imports(flat(tree.body))
    module = _Module(path, framework, tree=tree, columns=columns)
    if framework == "behave":
        if step_matcher not in _BEHAVE_MATCHERS:
            raise ValueError(f"unknown behave step matcher {step_matcher!r}")
        module.default = step_matcher
        module.use(step_matcher)
        if not is_environment(path):  # behave hands environment.py no step decorators
            module.keywords = dict(_DECORATORS)  # behave injects them into step modules (not into environment.py)
    _collect_names(module, tree.body)
    _walk(module, tree.body)
    definitions = assign_identities(path, module.definitions)
    if framework != "behave":
        # pytest-bdd: which features the module binds, what it imports with ``*`` (``steps.pytest_bdd``).
        facts, warnings = module_facts(path, module.constants, flat(tree.body), columns)
        return PytestStepFile(path, "python", definitions, _scoped(module, definitions), tuple(module.errors),
                              (*module.warnings, *warnings), imports, facts)
    registration = sorted(range(len(definitions)), key=lambda i: (module.stacks[i], -i))  # by function, bottom-up
    # Each definition carries its place too: matching and the stored rows (``records.fields_of``) need it without
    # the file.
    place = {i: n for n, i in enumerate(registration)}
    definitions = tuple(replace(d, registration=place[i]) for i, d in enumerate(definitions))
    return BehaveStepFile(
        path, "python", definitions, tuple(module.types), tuple(module.errors), tuple(module.warnings), imports,
        tuple(registration), frozenset(definitions[i].identity for i in module.written_for_re),
        frozenset(module.imported), module.default, module.cucumber_registered, tuple(module.cucumber_selected),
        tuple(module.unknown_matchers))


# Lines Python 3.11 refuses that 3.12 reads: PEP 695's ``type X = …`` and ``def f[T](…)`` / ``class C[T]:``.
_NEWER_SYNTAX = re.compile(r"\s*(?:type\s+\w+\s*(?:\[[^\]]*\])?\s*=|(?:async\s+)?def\s+\w+\s*\[|class\s+\w+\s*\[)")


def syntax_error_message(exc: SyntaxError, text: str) -> str:
    """The error of a step file Python's ``ast`` refuses. tracertm reads it with the Python it runs on: a module
    written for a newer one (PEP 701's f-strings reusing their quotes, PEP 695's ``type`` aliases and generic
    ``def``/``class``, all Python 3.12) is refused here though the test run loads it — say so, and what to do."""
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    lines = text.splitlines()
    at = lines[exc.lineno - 1] if exc.lineno and 0 < exc.lineno <= len(lines) else ""
    if sys.version_info < (3, 12) and (exc.msg.startswith("f-string") or _NEWER_SYNTAX.match(at)):
        return (f"Python syntax error ({exc.msg}) for Python {running}, which tracertm runs on; this line looks like "
                "Python 3.12 syntax (an f-string reusing its quotes, a type alias or type parameters); step "
                "definitions not read — run tracertm on Python 3.12 or later, or write the line for "
                f"Python {running}")
    return (f"Python syntax error ({exc.msg}) for Python {running}, which tracertm runs on; step definitions not "
            "read — fix the line (a module written for a newer Python needs tracertm run on that version)")


def _scoped(module: _Module, definitions: tuple[StepDefinition, ...]) -> tuple[ParameterTypeDecl, ...]:
    """A pytest-bdd module's types, each in the registry of the definition whose parser it was given to (its
    identity): ``parsers.parse/cfparse`` hand their ``extra_types`` to that one ``parse`` parser, so the same name
    in another definition's ``extra_types`` is another type, and a definition without it does not know it."""
    return tuple(replace(t, registry=definitions[owner].identity)
                 for t, owner in zip(module.types, module.owners, strict=True))


def _plain(path: str, tree: ast.Module, columns: ByteColumns) -> StepFile:
    """A Python file that defines no steps; a conftest.py or test module that takes another module's step fixtures
    (``from steps import *``, ``pytest_plugins``) keeps those facts for pytest-bdd's views (``steps.pytest_bdd``)."""
    statements = flat(tree.body)
    imports = module_imports(statements)
    if not any(isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names)
               or isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "pytest_plugins"
                                                       for t in node.targets)
               for node in statements):
        return StepFile(path, "python", module_imports=imports)
    constants = {node.targets[0].id: node.value.value for node in statements
                 if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                 and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)}
    facts, warnings = module_facts(path, constants, statements, columns)
    return PytestStepFile(path, "python", warnings=tuple(warnings), module_imports=imports, facts=facts)


def module_imports(statements: list[ast.stmt]) -> tuple[tuple[int, str], ...]:
    """The modules the import statements among ``statements`` (a module's, ``flat``) run, each (the dots of a
    relative import, its dotted name): ``from a import b`` runs ``a`` and, when it is a submodule, ``a.b``."""
    out: list[tuple[int, str]] = []
    for node in statements:
        if isinstance(node, ast.Import):
            out += [(0, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            subs = [f"{module}.{a.name}" if module else a.name for a in node.names if a.name != "*"]
            out += [(node.level, n) for n in ([module] if module else []) + subs]
    return tuple(dict.fromkeys(out))


def environment_matcher(text: str) -> str:
    """The name of behave's step matcher that ``features/environment.py`` (``text``) leaves in effect: the default
    of every step module. behave runs environment.py (``Runner.load_hooks``) before it loads the step modules
    (``Runner.load_step_definitions``); ``runner_util.load_step_modules`` then calls
    ``use_current_step_matcher_as_default()`` and, after each step module, ``use_default_step_matcher()`` — so a
    module's own ``use_step_matcher`` lasts to its end, and the next one starts again from environment.py's
    (behave 1.2.6 did the same by hand: ``default_matcher = matchers.current_matcher``, restored after each
    module). Only module-level calls count: hooks such as ``before_all`` run after the step modules are loaded.
    ``"parse"`` (behave's default) when the file cannot be read or sets nothing readable (nor one over the step
    files' token limit, ``size_limit``: its own parse is that error)."""
    from tracertm.steps.size_limit import TooManyTokens, check_tokens

    try:
        check_tokens(text)
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError, TooManyTokens):
        return DEFAULT_MATCHER
    module = _Module("features/environment.py", "behave", tree=tree)
    _collect_names(module, tree.body)
    _walk(module, tree.body)
    return module.current


# ------------------------------------------------------------------------------------------- names in scope


def _collect_names(module: _Module, body: list[ast.stmt]) -> None:
    owner = "pytest_bdd" if module.framework == "pytest-bdd" else "behave"
    for node in flat(body):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            module.imported.update(part for name in (
                [a.name for a in node.names] if isinstance(node, ast.Import)
                else [node.module or "", *(f"{node.module or ''}.{a.name}" for a in node.names)])
                for part in name.split(".") if part)
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == owner:
                    module.modules.add(alias.asname or alias.name)
                elif alias.name == "pytest_bdd.parsers":
                    module.parser_modules.add(alias.asname or "pytest_bdd.parsers")
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module.split(".")[0]
            for alias in node.names:
                local = alias.asname or alias.name
                if base == owner and node.module == owner and alias.name in _DECORATORS:
                    module.keywords[local] = _DECORATORS[alias.name]
                elif node.module == "pytest_bdd" and alias.name == "parsers":
                    module.parser_modules.add(local)
                elif node.module == "pytest_bdd.parsers" and alias.name in _PYTEST_BDD_PARSERS:
                    module.parsers[local] = _PYTEST_BDD_PARSERS[alias.name]
                elif node.module.startswith("behave") and alias.name in _DECORATORS:
                    module.keywords[local] = _DECORATORS[alias.name]
                elif node.module == "behave.parameter_type" and alias.name in BEHAVE_CONVERTERS:
                    module.behave_converters[local] = alias.name
                elif local in module.keywords:
                    # ``from hypothesis import given`` in a behave step module: the name behave injected is
                    # another module's from here on — ``@given(st.lists(...))`` is no step definition.
                    del module.keywords[local]
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                module.constants[node.targets[0].id] = node.value.value
                module.constant_lines[node.targets[0].id] = node.lineno
            else:
                module.values[node.targets[0].id] = node.value
                aliased = _keyword_of(module, node.value) if _plain_name(node.value) else None
                if aliased is not None:  # ``g = given``: ``@g("…")`` registers as ``@given("…")`` does
                    module.keywords[node.targets[0].id] = aliased
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Attribute):
            target = node.targets[0]
            if target.attr == "pattern" and isinstance(target.value, ast.Name):  # parse's ``func.pattern = r"..."``
                module.patterns[target.value.id] = node.value
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            module.functions[node.name] = node


# ------------------------------------------------------------------------------------------------- the walk


def _run_at_import(module: _Module, body: list[ast.stmt]) -> list[ast.stmt]:
    """The statements of ``body`` that run when the module is imported, in order: module-level ones (``flat``)
    and, in a behave file, those of class bodies — a class body runs at import, so behave registers a step
    decorator on a method there, as at module level (the method gets the context as ``self``). A function's body
    runs only when it is called: decorators there are not read. pytest-bdd puts a step's fixture into the
    namespace the decorator runs in, a class's for a method, which the scenarios of the module do not see."""
    out: list[ast.stmt] = []
    for node in flat(body):
        out.append(node)
        if module.framework == "behave" and isinstance(node, ast.ClassDef):
            out.extend(_run_at_import(module, node.body))
    return out


def _walk(module: _Module, body: list[ast.stmt]) -> None:
    branches = alternatives(body)  # the if/try branches each statement sits in (``StepDefinition.alternatives``)
    for number, node in enumerate(_run_at_import(module, body)):
        value = node.value if isinstance(node, (ast.Expr, ast.Assign)) else None
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Call) and value.args \
                and _plain_name(value.func.func) and _keyword_of(module, value.func.func) is not None:
            # The call form ``given("…")(func)``: what the decorator does, applied by hand.
            _add(module, node, number, value.func, branches, _applied(module, value.args[0]), value.lineno)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            _module_call(module, node.value)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in node.decorator_list:
                _add(module, node, number, decorator, branches, node, None)
        if isinstance(node, (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign)):
            _unread_step_calls(module, node)


def _add(module: _Module, statement: ast.stmt, number: int, decorator: ast.expr,
         branches: dict[int, Alternatives], func: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.expr,
         line: int | None) -> None:
    """The definition ``decorator`` makes of ``func`` (a decorated function, or what the call form applies it
    to, registered at ``line``), if any, with the branches ``statement`` sits in; an error when it cannot be read."""
    read = len(module.types)
    try:
        found = _definition(module, func, decorator, line)
    except Unreadable as exc:
        module.error(exc.node, f"step definition of {_function_name(func)}() cannot be read: {exc}")
        del module.types[read:]  # (a pytest-bdd parser's own types: no definition to use them)
        return
    if found is None:
        return
    found = replace(found, alternatives=branches.get(id(statement), ()))
    if module.simplified and module.framework == "behave":
        module.written_for_re.add(len(module.definitions))
    module.owners += [len(module.definitions)] * (len(module.types) - read)
    module.definitions.append(found)
    module.stacks.append(number)


def _applied(module: _Module, node: ast.expr) -> ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.expr:
    """What the call form ``given("…")(node)`` registers: the module's function ``node`` names (defined above it),
    a lambda, else the expression itself (its parameters unknown)."""
    if isinstance(node, ast.Name) and node.id in module.functions:
        return module.functions[node.id]
    return node


def _function_name(func: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.expr) -> str:
    if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return func.name
    return "<lambda>" if isinstance(func, ast.Lambda) else source(func, 60)


def _plain_name(node: ast.expr) -> bool:
    """``given`` or ``behave.given``: what a step decorator's name can be — tested before reading a name of any
    expression (``dotted_name`` recurses: a generated ``a.b.….z`` chain must not exhaust the stack)."""
    return isinstance(node, ast.Name) or isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)


def _unread_step_calls(module: _Module, statement: ast.stmt) -> None:
    """A warning at each call of a step decorator in ``statement`` that neither a decorator nor the call form
    ``given("…")(func)`` applies (``steps = [given("…")]``, ``wrap(given("…"), func)``): the framework may register
    it when the code runs, tracertm reads no definition there. ``d = given("…")`` alone registers nothing."""
    value = statement.value if isinstance(statement, (ast.Expr, ast.Assign)) else None
    handled = {id(value.func)} if isinstance(value, ast.Call) and isinstance(value.func, ast.Call) else set()
    if isinstance(statement, ast.Assign) and isinstance(value, ast.Call):
        handled.add(id(value))
    for node in ast.walk(statement):
        if (isinstance(node, ast.Call) and id(node) not in handled and node.args and _plain_name(node.func)
                and _keyword_of(module, node.func) is not None):
            module.warnings.append(Diagnostic(
                module.path, node.lineno, module.columns.of(node),
                f"step definition {source(node, 60)} is not read: tracertm reads a step decorator applied as "
                f"@{source(node.func, 30)}(…) on a function, or called as {source(node.func, 30)}(…)(function) — "
                "write it so", "warning"))


def _matcher_name(module: _Module, call: ast.Call, node: ast.expr) -> str | None:
    """The step matcher ``node`` names, or None when it cannot be read or behave has no such matcher (an error of
    the module at the call). Naming ``cucumber_expressions`` before the module registers it is recorded."""
    try:
        value = string_value(module, node, "the step matcher name")
    except Unreadable as exc:
        module.error(exc.node, str(exc))
        return None
    if value not in _BEHAVE_MATCHERS:
        module.error(call, f"unknown step matcher {value!r}; behave knows {', '.join(_BEHAVE_MATCHERS)}")
        module.unknown_matchers.append(call.lineno)
        return None
    if value == "cucumber_expressions" and module.cucumber_registered is None:
        module.cucumber_selected.append((call.lineno, module.columns.of(call)))
    return value


def _module_call(module: _Module, call: ast.Call) -> None:
    """behave's module-level calls: ``use_step_matcher``, ``register_type``."""
    name = (_dotted(call.func) or "").rsplit(".", 1)[-1]
    if module.framework != "behave":
        return
    if name in ("use_step_matcher", "step_matcher") and call.args:
        value = _matcher_name(module, call, call.args[0])
        if value is not None:
            module.use(value)
    elif name == "use_default_step_matcher":
        # behave's ``StepMatcherFactory.use_default_step_matcher(name=None)``: back to the default (environment.py's
        # matcher, see ``environment_matcher``); with a name, that one becomes the default first. behave keeps
        # that new default for the step modules of the folder loaded after this one too (``load_step_modules``
        # goes back to the default after each module, not to environment.py's): ``BehaveStepFile.default_matcher``.
        named = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "name"), None)
        if named is not None and not (isinstance(named, ast.Constant) and named.value is None):
            value = _matcher_name(module, call, named)
            if value is None:
                return
            module.default = value
        module.use(module.default)
    elif name == "use_step_matcher_for_cucumber_expressions":
        module.cucumber_registered = module.cucumber_registered or call.lineno
        module.use("cucumber_expressions")
    elif name == "register_type":
        for kw in call.keywords:
            if kw.arg is not None:
                module.types.append(parse_type(module, kw.arg, kw.value, call.lineno))
    elif name in ("define_parameter_type", "define_parameter_type_with"):
        cucumber_type(module, call, name)


def _keyword_of(module: _Module, decorator: ast.expr) -> Keyword | None:
    dotted = _dotted(decorator)
    if dotted is None:
        return None
    if dotted in module.keywords:
        return module.keywords[dotted]
    head, _, tail = dotted.rpartition(".")
    if head and head in module.modules and tail in _DECORATORS:
        return _DECORATORS[tail]
    return None


def _definition(
    module: _Module, func: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.expr, decorator: ast.expr,
    line: int | None = None,
) -> StepDefinition | None:
    if isinstance(decorator, ast.Name) and decorator.id not in module.rebound():
        # ``d = given("…")`` above, then ``@d``: the decorator ``given("…")`` returned
        bound = module.values.get(decorator.id)
        decorator = bound if isinstance(bound, ast.Call) and bound.lineno < decorator.lineno else decorator
    if not isinstance(decorator, ast.Call):
        return None
    keyword = _keyword_of(module, decorator.func)
    if keyword is None:
        return None
    kwargs = {kw.arg: kw.value for kw in decorator.keywords if kw.arg}
    target = decorator.args[0] if decorator.args else kwargs.get("name") or kwargs.get("step_text")
    if target is None:
        raise Unreadable(decorator, "the decorator has no pattern")
    flags = ""
    if module.framework == "behave":
        kind = module.matcher
        pattern = string_value(module, target, "the pattern")
        if module.simplified:
            pattern = _simplified_regex(target, pattern)
    else:
        kind, pattern, flags = _pytest_bdd_pattern(module, target)
        type_ = kwargs.get("type_")
        if keyword == "step" and isinstance(type_, ast.Constant) and type_.value in ("given", "when", "then"):
            keyword = _DECORATORS[type_.value]
    params = _parameters(module, func, kwargs.get("converters"))
    fixture = kwargs.get("target_fixture")
    if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
        # behave locates a definition by its function's code (``Match.make_location``: ``co_firstlineno``), which
        # Python puts at the first decorator's line: stacked decorators share it; pytest-bdd's is the decorator's
        # (the call form's: the call's).
        first: int = func.decorator_list[0].lineno if func.decorator_list else func.lineno
    else:
        first = getattr(func, "lineno", 0)  # a lambda's; an expression's (behave: the function's own, unknown here)
    at = first if module.framework == "behave" else line or decorator.lineno
    return StepDefinition(
        keyword=keyword,
        pattern=pattern,
        kind=kind,
        framework=module.framework,
        language="python",
        path=module.path,
        line=at,
        column=module.columns.of(decorator),
        function=_function_name(func) if not isinstance(func, ast.Lambda) else "",
        parameters=params,
        flags=flags,
        target_fixture=(
            fixture.value if isinstance(fixture, ast.Constant) and isinstance(fixture.value, str) else None
        ),
    )


def _simplified_regex(node: ast.expr, pattern: str) -> str:
    """The regex behave's ``re`` matcher (``SimplifiedRegexMatcher``) compiles: the pattern as written between
    ``^`` and ``$`` — textually, so ``a|b`` is ``^a|b$`` — and applies with ``re.match``, as ``re0`` does with the
    pattern itself; behave's own ``steps.usage`` shows it so. A pattern with its own ``^`` or ``$`` makes behave
    raise ValueError when it loads the module: an error at the definition, not a silent match."""
    if pattern.startswith("^") or pattern.endswith("$"):
        raise Unreadable(node, f"the pattern {pattern!r} uses begin/end markers (^, $), which behave's 're' step "
                               "matcher rejects (ValueError); remove them or use_step_matcher('re0')")
    return f"^{pattern}$"


def _pytest_bdd_pattern(module: _Module, node: ast.expr) -> tuple[PatternKind, str, str]:
    """A pytest-bdd step name: a string (exact), or ``parsers.X(pattern, ...)``."""
    if not isinstance(node, ast.Call):
        return "string", string_value(module, node, "the step name"), ""
    dotted = _dotted(node.func) or ""
    head, _, tail = dotted.rpartition(".")
    if dotted in module.parsers:
        kind = module.parsers[dotted]
    elif head in module.parser_modules and tail in _PYTEST_BDD_PARSERS:
        kind = _PYTEST_BDD_PARSERS[tail]
    else:
        raise Unreadable(node, f"{dotted or 'the call'}(...) is not a pytest_bdd parser (parse, cfparse, re, string)")
    kwargs = {kw.arg: kw.value for kw in node.keywords if kw.arg}
    first = node.args[0] if node.args else kwargs.get("name")
    if first is None:
        raise Unreadable(node, "the parser has no pattern")
    pattern = string_value(module, first, "the pattern")
    flags = _case_flag(node, kwargs) if kind in ("parse", "cfparse") else ""
    flag_node = node.args[1] if len(node.args) > 1 else kwargs.get("flags")
    if kind == "regex" and flag_node is not None:
        for part in ast.walk(flag_node):
            name = part.attr if isinstance(part, ast.Attribute) else part.id if isinstance(part, ast.Name) else ""
            flags += _RE_FLAGS.get(name, "")
    # ``parse.compile(format, extra_types, case_sensitive)`` and ``cfparse.Parser(schema, extra_types, ...)``: the
    # types may come second, unnamed, as pytest-bdd hands its parser's other arguments on as given.
    positional = node.args[1] if len(node.args) > 1 and kind in ("parse", "cfparse") else None
    extra = kwargs.get("extra_types", positional)
    if isinstance(extra, ast.Name):
        extra = extra_types_value(module, extra, pattern, kind, node.lineno)
    if isinstance(extra, ast.Dict):
        for key, value in zip(extra.keys, extra.values):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                module.types.append(parse_type(module, key.value, value, node.lineno))
    elif isinstance(extra, ast.Call) and _dotted(extra.func) == "dict":
        for kw in extra.keywords:
            if kw.arg:
                module.types.append(parse_type(module, kw.arg, kw.value, node.lineno))
    elif extra is not None and not (isinstance(extra, ast.Constant) and extra.value is None):
        unread_extra_types(module, extra, pattern, kind, node.lineno)
    return kind, pattern, "".join(sorted(set(flags)))


def _case_flag(node: ast.Call, kwargs: dict[str, ast.expr]) -> str:
    """``c`` for ``parsers.parse/cfparse(pattern, extra_types, case_sensitive)`` given a true ``case_sensitive``,
    which pytest-bdd hands to ``parse`` (its default ignores case); ``Unreadable`` when it is computed."""
    given = node.args[2] if len(node.args) > 2 else kwargs.get("case_sensitive")
    if given is None:
        return ""
    if not isinstance(given, ast.Constant):
        raise Unreadable(given, f"case_sensitive={source(given, 40)} is computed when the step code runs")
    return "c" if given.value else ""


def _parameters(
    module: _Module, func: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.expr, converters: ast.expr | None
) -> tuple[Parameter, ...]:
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        return ()  # a function the call form names but the module does not define: its parameters are unknown
    args = [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]
    if module.framework == "behave" and args:
        args = args[1:]  # behave passes the context first
    converted: dict[str, str] = {}
    if isinstance(converters, ast.Dict):
        for key, value in zip(converters.keys, converters.values):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                converted[key.value] = source(value)
    return tuple(
        Parameter(a.arg, converted.get(a.arg) or (source(a.annotation) if a.annotation else "")) for a in args
    )
