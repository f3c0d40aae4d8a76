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
(exact text) or ``parsers.parse/cfparse/re/string(...)``, ``target_fixture=``, ``converters=``, ``extra_types=``.

A file is a pytest-bdd file when it imports ``pytest_bdd``; otherwise a behave file when it imports ``behave`` or
lives in a ``steps`` folder (behave hands step modules the decorators without an import); otherwise it defines
nothing (an ordinary test module).
"""

from __future__ import annotations

import ast
import re
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
_PYTEST_BDD_PARSERS: dict[str, PatternKind] = {"parse": "parse", "cfparse": "cfparse", "re": "regex", "string": "string"}
_RE_FLAGS = {"I": "i", "IGNORECASE": "i", "S": "s", "DOTALL": "s", "M": "m", "MULTILINE": "m", "X": "x",
             "VERBOSE": "x", "A": "a", "ASCII": "a"}


class _Unreadable(Exception):
    """A definition whose pattern is not a literal: reported at ``node``, the rest of the file goes on."""

    def __init__(self, node: ast.AST, message: str) -> None:
        super().__init__(message)
        self.node = node


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
        """The module-level names bound more than once (``_rebound_names``): a pattern or ``extra_types`` naming
        one has no value certain without running the module. Made on first use: most step files name none."""
        if self._rebound is None:
            self._rebound = _rebound_names(self.tree)
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
      it first and checks the ones above against it); ``definitions`` stay in file order, each at its own line.
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
        raise ParseError(
            path, exc.lineno or 0, exc.offset or 0, f"Python syntax error ({exc.msg}); step definitions not read"
        ) from None
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
    imports = module_imports(_flat(tree.body))
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
        facts, warnings = module_facts(path, module.constants, _flat(tree.body), columns)
        return PytestStepFile(path, "python", definitions, tuple(module.types), tuple(module.errors),
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


def _plain(path: str, tree: ast.Module, columns: ByteColumns) -> StepFile:
    """A Python file that defines no steps; a conftest.py or test module that takes another module's step fixtures
    (``from steps import *``, ``pytest_plugins``) keeps those facts for pytest-bdd's views (``steps.pytest_bdd``)."""
    statements = _flat(tree.body)
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
    """The modules the import statements among ``statements`` (a module's, ``_flat``) run, each (the dots of a
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
    ``"parse"`` (behave's default) when the file cannot be read or sets nothing readable."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return DEFAULT_MATCHER
    module = _Module("features/environment.py", "behave", tree=tree)
    _collect_names(module, tree.body)
    _walk(module, tree.body)
    return module.current


# ------------------------------------------------------------------------------------------- names in scope


def _flat(body: list[ast.stmt]) -> list[ast.stmt]:
    """Module-level statements, looking into ``if``/``try``/``with`` blocks (not into functions or classes)."""
    out: list[ast.stmt] = []
    for node in body:
        out.append(node)
        if isinstance(node, ast.If):
            out.extend(_flat(node.body) + _flat(node.orelse))
        elif isinstance(node, ast.Try):
            out.extend(_flat(node.body) + _flat(node.orelse) + _flat(node.finalbody))
            for handler in node.handlers:
                out.extend(_flat(handler.body))
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            out.extend(_flat(node.body))
    return out


def _collect_names(module: _Module, body: list[ast.stmt]) -> None:
    owner = "pytest_bdd" if module.framework == "pytest-bdd" else "behave"
    for node in _flat(body):
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
                elif node.module == "behave.parameter_type" and alias.name in _BEHAVE_CONVERTERS:
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
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Attribute):
            target = node.targets[0]
            if target.attr == "pattern" and isinstance(target.value, ast.Name):  # parse's ``func.pattern = r"..."``
                module.patterns[target.value.id] = node.value
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            module.functions[node.name] = node


def _string(module: _Module, node: ast.expr, what: str) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name) and node.id in module.constants:
        # The value the name has when Python evaluates ``node``: certain only for a name bound once, above it.
        assigned = module.constant_lines.get(node.id, 0)
        if node.id in module.rebound():
            raise _Unreadable(node, f"{what} is the name {node.id}, which the module binds more than once; tracertm "
                                    "reads patterns without running code — write it as a literal or bind it once")
        if assigned > getattr(node, "lineno", assigned):
            raise _Unreadable(node, f"{what} is the name {node.id}, assigned only below it (line {assigned}): Python "
                                    "raises NameError here — assign it above its use")
        return module.constants[node.id]
    if isinstance(node, ast.JoinedStr):
        raise _Unreadable(node, f"{what} is an f-string; tracertm reads patterns without running code — "
                                "write it as a string literal")
    raise _Unreadable(node, f"{what} is not a string literal ({source(node, 60)}); tracertm reads patterns "
                            "without running code — write it as a literal or a module-level string constant")


def _rebound_names(tree: ast.Module | None) -> set[str]:
    """The names the module binds more than once at module level — assigned twice, augmented or annotated, as a
    loop's or a ``with``'s target, deleted, defined or imported over — or that a function declares ``global``: a
    ``NAME = "literal"`` (``_collect_names``) does not say their value where a decorator uses them."""
    if tree is None:
        return set()
    out: set[str] = set()
    stores: dict[str, set[tuple[int, int]]] = {}  # positions: ``_flat`` lists an ``if``'s statements again
    for statement in _flat(tree.body):
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stores.setdefault(statement.name, set()).add((statement.lineno, statement.col_offset))
            out.update(name for n in ast.walk(statement) if isinstance(n, ast.Global) for name in n.names)
            continue
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            for alias in statement.names:
                local = alias.asname or alias.name.split(".")[0]
                stores.setdefault(local, set()).add((statement.lineno, statement.col_offset))
            continue
        pending: list[ast.AST] = [statement]
        while pending:  # the statement's own scope: not into functions, classes, lambdas, comprehensions
            n = pending.pop()
            if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
                stores.setdefault(n.id, set()).add((n.lineno, n.col_offset))
            pending.extend(c for c in ast.iter_child_nodes(n) if not isinstance(c, _OWN_SCOPES))
    return out | {name for name, where in stores.items() if len(where) > 1}


# Nodes whose names are their own (Python 3: a comprehension's variables too), not the module's.
_OWN_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.ListComp, ast.SetComp,
               ast.DictComp, ast.GeneratorExp)


# ------------------------------------------------------------------------------------------------- the walk


def _run_at_import(module: _Module, body: list[ast.stmt]) -> list[ast.stmt]:
    """The statements of ``body`` that run when the module is imported, in order: module-level ones (``_flat``)
    and, in a behave file, those of class bodies — a class body runs at import, so behave registers a step
    decorator on a method there, as at module level (the method gets the context as ``self``). A function's body
    runs only when it is called: decorators there are not read. pytest-bdd puts a step's fixture into the
    namespace the decorator runs in, a class's for a method, which the scenarios of the module do not see."""
    out: list[ast.stmt] = []
    for node in _flat(body):
        out.append(node)
        if module.framework == "behave" and isinstance(node, ast.ClassDef):
            out.extend(_run_at_import(module, node.body))
    return out


def _walk(module: _Module, body: list[ast.stmt]) -> None:
    for number, node in enumerate(_run_at_import(module, body)):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            _module_call(module, node.value)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in node.decorator_list:
                try:
                    found = _definition(module, node, decorator)
                except _Unreadable as exc:
                    module.error(exc.node, f"step definition of {node.name}() cannot be read: {exc}")
                    continue
                if found is not None:
                    if module.simplified and module.framework == "behave":
                        module.written_for_re.add(len(module.definitions))
                    module.definitions.append(found)
                    module.stacks.append(number)


def _matcher_name(module: _Module, call: ast.Call, node: ast.expr) -> str | None:
    """The step matcher ``node`` names, or None when it cannot be read or behave has no such matcher (an error of
    the module at the call). Naming ``cucumber_expressions`` before the module registers it is recorded."""
    try:
        value = _string(module, node, "the step matcher name")
    except _Unreadable as exc:
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
                module.types.append(_parse_type(module, kw.arg, kw.value, call.lineno))
    elif name in ("define_parameter_type", "define_parameter_type_with"):
        _cucumber_type(module, call, name)


def _cucumber_type(module: _Module, call: ast.Call, name: str) -> None:
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
        type_name = _string(module, given["name"], "the parameter type name") if "name" in given else None
    except _Unreadable as exc:
        module.error(exc.node, str(exc))
        return
    if type_name is None or "regexp" not in given:
        module.error(call, f"{name}() is given no name or no regexp")
        return
    regexp = given["regexp"]
    try:
        if isinstance(regexp, (ast.List, ast.Tuple)):
            regexps = tuple(_string(module, e, "a regexp") for e in regexp.elts)
        elif isinstance(regexp, ast.Attribute) and regexp.attr == "pattern":
            regexps = _type_patterns(module, regexp.value, set()) or (r".+?",)
        else:
            regexps = (_string(module, regexp, "the regexp"),)
    except _Unreadable as exc:
        module.warnings.append(Diagnostic(
            module.path, getattr(exc.node, "lineno", call.lineno), module.columns.of(exc.node),
            f"parameter type {type_name!r} cannot be read: {exc}; tracertm matches it as any text ('.+?'), which "
            "may match steps behave does not", "warning"))
        regexps = (r".+?",)
    module.types.append(ParameterTypeDecl(type_name, regexps, module.framework, "python", module.path, call.lineno,
                                          registry="cucumber"))


def _parse_type(module: _Module, name: str, value: ast.expr, line: int) -> ParameterTypeDecl:
    """A parse type: the pattern parse reads from its converter (``converter.pattern``), when it can be read
    without running code; otherwise a warning, and no pattern (parse's default, any text: ``.+?``)."""
    try:
        regexps = _type_patterns(module, value, set())
    except _Unreadable as exc:
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
_BEHAVE_CONVERTERS = {
    "parse_number": (r"\d+",), "parse_any_text": (r".*",), "parse_unquoted_text": (r'[^"]*',),
    "parse_path": (r'[^"]*',), "parse_path_as_text": (r'[^"]*',), "parse_environment_var": (r"\$\w+",),
}
_CASE_TRANSFORMS = {"str.lower": str.lower, "str.upper": str.upper}


def _type_patterns(module: _Module, value: ast.expr, seen: set[str]) -> tuple[str, ...]:
    """The pattern of a parse type converter as parse sees it (``()``: it has none, parse's ``.+?``):
    ``func.pattern = r"..."`` (assigned at module level), ``@parse.with_pattern(r"...")``,
    ``with_pattern(r"...")(func)``, parse_type's ``TypeBuilder.make_choice([...])`` and ``make_enum({...})``, a
    lambda or a function with neither (none), ``int``/``float``/``str``; ``_Unreadable`` for anything else."""
    if isinstance(value, ast.Name):
        if value.id in module.patterns:  # assigned after the def: it wins over the decorator's
            return (_string(module, module.patterns[value.id], "its pattern attribute"),)
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
            return _BEHAVE_CONVERTERS[module.behave_converters[value.id]]
        if rebound is not None and value.id not in seen:  # ``f = with_pattern(...)(f)``, ``T = make_choice(...)``
            return _type_patterns(module, rebound, seen | {value.id})
        raise _Unreadable(value, f"{value.id} is not a function or a converter made in this file")
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
                items: tuple[str, ...] = (_string(module, item, "with_many()'s pattern"),)
            else:
                items = _type_patterns(module, given["converter"], seen) or (r".+?",)
            sep = _string(module, given["listsep"], "with_many()'s listsep") if "listsep" in given else ","
            return tuple(_MANY[called] % (p, sep, p) for p in items)
        if called == "make_enum" and value.args and isinstance(value.args[0], ast.Dict):
            keys = value.args[0].keys
            return ("|".join(_string(module, k, "an enum name") if k is not None else "" for k in keys),)
    raise _Unreadable(value, f"{source(value, 60)} is computed when the step code runs")


def _with_pattern(module: _Module, decorator: ast.Call) -> str:
    if not decorator.args:
        raise _Unreadable(decorator, "with_pattern() has no pattern")
    return _string(module, decorator.args[0], "the with_pattern() pattern")


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
        raise _Unreadable(listed or call, "make_choice() is not given a list of string literals")
    choices = [_string(module, e, "a choice") for e in listed.elts]
    transform = args.get("transform")
    if isinstance(transform, ast.Constant) and transform.value is None:
        transform = None
    if transform is not None:
        function = _CASE_TRANSFORMS.get(_dotted(transform) or "")
        if function is None:
            raise _Unreadable(transform, f"make_choice()'s transform {source(transform, 40)} is computed")
        choices = [function(c) for c in choices]
    strict = args.get("strict")
    if strict is not None and not (isinstance(strict, ast.Constant) and strict.value in (None, True, False)):
        raise _Unreadable(strict, "make_choice()'s strict is computed")
    if module.framework == "pytest-bdd" and not (isinstance(strict, ast.Constant) and strict.value is False):
        exact = "|".join(re.escape(c) for c in choices)
        return exact if transform is not None else f"(?-i:{exact})"
    return "|".join(choices)


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
    module: _Module, func: ast.FunctionDef | ast.AsyncFunctionDef, decorator: ast.expr
) -> StepDefinition | None:
    if not isinstance(decorator, ast.Call):
        return None
    keyword = _keyword_of(module, decorator.func)
    if keyword is None:
        return None
    kwargs = {kw.arg: kw.value for kw in decorator.keywords if kw.arg}
    target = decorator.args[0] if decorator.args else kwargs.get("name") or kwargs.get("step_text")
    if target is None:
        raise _Unreadable(decorator, "the decorator has no pattern")
    flags = ""
    if module.framework == "behave":
        kind = module.matcher
        pattern = _string(module, target, "the pattern")
        if module.simplified:
            pattern = _simplified_regex(target, pattern)
    else:
        kind, pattern, flags = _pytest_bdd_pattern(module, target)
        type_ = kwargs.get("type_")
        if keyword == "step" and isinstance(type_, ast.Constant) and type_.value in ("given", "when", "then"):
            keyword = _DECORATORS[type_.value]
    params = _parameters(module, func, kwargs.get("converters"))
    fixture = kwargs.get("target_fixture")
    return StepDefinition(
        keyword=keyword,
        pattern=pattern,
        kind=kind,
        framework=module.framework,
        language="python",
        path=module.path,
        line=decorator.lineno,
        column=module.columns.of(decorator),
        function=func.name,
        parameters=params,
        flags=flags,
        target_fixture=fixture.value if isinstance(fixture, ast.Constant) and isinstance(fixture.value, str) else None,
    )


def _simplified_regex(node: ast.expr, pattern: str) -> str:
    """The regex behave's ``re`` matcher (``SimplifiedRegexMatcher``) compiles: the pattern as written between
    ``^`` and ``$`` — textually, so ``a|b`` is ``^a|b$`` — and applies with ``re.match``, as ``re0`` does with the
    pattern itself; behave's own ``steps.usage`` shows it so. A pattern with its own ``^`` or ``$`` makes behave
    raise ValueError when it loads the module: an error at the definition, not a silent match."""
    if pattern.startswith("^") or pattern.endswith("$"):
        raise _Unreadable(node, f"the pattern {pattern!r} uses begin/end markers (^, $), which behave's 're' step "
                                "matcher rejects (ValueError); remove them or use_step_matcher('re0')")
    return f"^{pattern}$"


def _pytest_bdd_pattern(module: _Module, node: ast.expr) -> tuple[PatternKind, str, str]:
    """A pytest-bdd step name: a string (exact), or ``parsers.X(pattern, ...)``."""
    if not isinstance(node, ast.Call):
        return "string", _string(module, node, "the step name"), ""
    dotted = _dotted(node.func) or ""
    head, _, tail = dotted.rpartition(".")
    if dotted in module.parsers:
        kind = module.parsers[dotted]
    elif head in module.parser_modules and tail in _PYTEST_BDD_PARSERS:
        kind = _PYTEST_BDD_PARSERS[tail]
    else:
        raise _Unreadable(node, f"{dotted or 'the call'}(...) is not a pytest_bdd parser (parse, cfparse, re, string)")
    kwargs = {kw.arg: kw.value for kw in node.keywords if kw.arg}
    first = node.args[0] if node.args else kwargs.get("name")
    if first is None:
        raise _Unreadable(node, "the parser has no pattern")
    pattern = _string(module, first, "the pattern")
    flags = _case_flag(node, kwargs) if kind in ("parse", "cfparse") else ""
    flag_node = node.args[1] if len(node.args) > 1 else kwargs.get("flags")
    if kind == "regex" and flag_node is not None:
        for part in ast.walk(flag_node):
            name = part.attr if isinstance(part, ast.Attribute) else part.id if isinstance(part, ast.Name) else ""
            flags += _RE_FLAGS.get(name, "")
    extra = kwargs.get("extra_types")
    if isinstance(extra, ast.Name):
        extra = _extra_types_value(module, extra, pattern, kind, node.lineno)
    if isinstance(extra, ast.Dict):
        for key, value in zip(extra.keys, extra.values):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                module.types.append(_parse_type(module, key.value, value, node.lineno))
    elif isinstance(extra, ast.Call) and _dotted(extra.func) == "dict":
        for kw in extra.keywords:
            if kw.arg:
                module.types.append(_parse_type(module, kw.arg, kw.value, node.lineno))
    elif extra is not None and not (isinstance(extra, ast.Constant) and extra.value is None):
        _unread_extra_types(module, extra, pattern, kind, node.lineno)
    return kind, pattern, "".join(sorted(set(flags)))


def _case_flag(node: ast.Call, kwargs: dict[str, ast.expr]) -> str:
    """``c`` for ``parsers.parse/cfparse(pattern, extra_types, case_sensitive)`` given a true ``case_sensitive``,
    which pytest-bdd hands to ``parse`` (its default ignores case); ``_Unreadable`` when it is computed."""
    given = node.args[2] if len(node.args) > 2 else kwargs.get("case_sensitive")
    if given is None:
        return ""
    if not isinstance(given, ast.Constant):
        raise _Unreadable(given, f"case_sensitive={source(given, 40)} is computed when the step code runs")
    return "c" if given.value else ""


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


def _extra_types_value(module: _Module, name: ast.Name, pattern: str, kind: PatternKind, line: int
                       ) -> ast.expr | None:
    """``extra_types=NAME``: the dict literal or ``dict(...)`` call NAME is bound to once at module level and never
    changed (``NAME[k] = ...``, ``NAME.update(...)``); anything else is unreadable (``_unread_extra_types``)."""
    value = module.values.get(name.id)
    if (name.id not in module.rebound() and not _changed(module.tree, name.id)
            and (isinstance(value, ast.Dict) or isinstance(value, ast.Call) and _dotted(value.func) == "dict")):
        return value
    _unread_extra_types(module, name, pattern, kind, line)
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


def _unread_extra_types(module: _Module, node: ast.expr, pattern: str, kind: PatternKind, line: int) -> None:
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


def _parameters(
    module: _Module, func: ast.FunctionDef | ast.AsyncFunctionDef, converters: ast.expr | None
) -> tuple[Parameter, ...]:
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
