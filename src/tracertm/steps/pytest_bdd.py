"""pytest-bdd's binding of feature files to test modules, and which step definitions a bound scenario sees.

pytest-bdd runs a scenario only from a test module that binds it — ``scenarios("a.feature", "dir/", ...)`` (every
scenario of those files, a folder's ``**/*.feature``) or ``@scenario("a.feature", "Scenario name")`` — and looks its
steps up among the step fixtures visible from that module's test item (``scenario.find_fixturedefs_for_step``:
pytest's ``getfixturedefs`` for the item): the module's own, those of the ``conftest.py`` files of its folder and
of its parents up to the rootdir, and those of ``pytest_plugins`` modules (global). A step decorator puts its
fixture (``pytestbdd_stepdef_<type or *>_<parser name>``, made unique in the namespace: ``_1``, ``_2``...) into the
namespace of the module it runs in (``steps.step``: ``get_caller_module_locals``), so ``from steps import *`` brings
another module's definitions into a test module or a conftest.py (with that importer's visibility), while importing
a step *function* by name does not (the fixture stays behind). When several visible definitions match, pytest-bdd
sorts them by their fixture's scope (``iterparentnodeids(baseid)``: a conftest.py's folder before the modules in it)
and pytest's fixture lookup takes the last: a module's definition overrides a conftest's, a nearer conftest a
farther one. That is one test module's *view* (:class:`View`).

Paths in ``scenarios``/``@scenario`` are relative to the module's folder, or to ``bdd_features_base_dir`` (read from
the pytest configuration file, relative to the rootdir), or to an explicit ``features_base_dir=`` (relative to the
rootdir, where pytest is taken to run). The rootdir of a module is found as pytest finds it when run on that module
(``_pytest.config.findpaths.locate_config``): the nearest folder upwards holding a configuration file that
configures pytest — ``pytest.toml``, ``.pytest.toml``, ``pytest.ini``, ``.pytest.ini`` (always), ``pyproject.toml``
(``[tool.pytest]`` or ``[tool.pytest.ini_options]``), ``tox.ini`` (``[pytest]``), ``setup.cfg`` (``[tool:pytest]``),
first of these in a folder —, else the nearest folder with a ``pyproject.toml``, else the repository's top. Only
modules pytest collects (``python_files``, default ``test_*.py`` and ``*_test.py``) bind anything.

A scenario no module binds keeps tracertm's view of every definition (``matching.settle``). A scenario several
modules bind is undefined when it is undefined in any of them, and defined by each module's definition (one per
view: all of them count as used).

Nothing here runs user code: the facts come from ``ast`` (``module_facts``) and the configuration files are read as
text (``parse_config``).
"""

from __future__ import annotations

import ast
import configparser
import fnmatch
import hashlib
import posixpath
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Protocol, TypeVar

from tracertm.errors import Diagnostic
from tracertm.parsers.step_text import as_written
from tracertm.steps.model import StepDefinition, StepFile
from tracertm.text import ByteColumns

T = TypeVar("T")

# pytest's configuration files, in its precedence order within one folder (``CONFIG_LOADERS_BY_NAME``).
CONFIG_NAMES = ("pytest.toml", ".pytest.toml", "pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")
DEFAULT_PYTHON_FILES = ("test_*.py", "*_test.py")


def is_config(path: str) -> bool:
    """Whether ``path`` is named like one of pytest's configuration files."""
    return posixpath.basename(path) in CONFIG_NAMES


# ---------------------------------------------------------------------------------------------------- facts


@dataclass(frozen=True)
class Bind:
    """One ``scenarios(...)`` call (``scenario`` None: every scenario of ``paths``) or ``@scenario(path, name)``;
    ``base_dir``: its ``features_base_dir=``; ``line``/``column``: where the call is written."""

    paths: tuple[str, ...]
    scenario: str | None = None
    base_dir: str | None = None
    line: int = field(default=0, compare=False)
    column: int = field(default=0, compare=False)


@dataclass(frozen=True)
class ModuleFacts:
    """What a Python file tells about pytest's and pytest-bdd's view: the features it binds, the modules whose names
    it takes with ``from m import *`` (``(level, dotted name)``), its ``pytest_plugins``, and whether it defines
    ``__all__`` (then ``import *`` of it brings no step fixture)."""

    binds: tuple[Bind, ...] = ()
    star_imports: tuple[tuple[int, str], ...] = ()
    plugins: tuple[str, ...] = ()
    exports: bool = False

    def __bool__(self) -> bool:
        return bool(self.binds or self.star_imports or self.plugins or self.exports)


@dataclass(frozen=True)
class PytestStepFile(StepFile):
    """A Python step file (or a test module / conftest.py without definitions) with its ``ModuleFacts``."""

    facts: ModuleFacts = field(default_factory=ModuleFacts)


@dataclass(frozen=True)
class PytestConfig:
    """A pytest configuration file: whether it configures pytest (as ``locate_config`` decides: a ``pyproject.toml``
    without the tables does not, but may still be the rootdir's last resort), and what pytest-bdd reads from it."""

    configures: bool
    features_base_dir: str | None = None
    python_files: tuple[str, ...] | None = None


@dataclass(frozen=True)
class PytestConfigFile(StepFile):
    """A configuration file among the step files: no definitions, its ``PytestConfig``."""

    config: PytestConfig = field(default_factory=lambda: PytestConfig(False))


class _Unreadable(Exception):
    def __init__(self, node: ast.AST, message: str) -> None:
        super().__init__(message)
        self.node = node


def dotted_name(node: ast.expr) -> str | None:
    """The dotted name an expression spells (``pytest_bdd.scenarios``), or None when it is not a plain name."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = dotted_name(node.value)
        return f"{head}.{node.attr}" if head else None
    return None


def source(node: ast.AST, limit: int | None = None) -> str:
    """``node`` written back as Python (its first ``limit`` characters), for a message or a parameter's type. An
    expression nested too deeply for ``ast.unparse`` — a concatenation of 1,500 literals, which Python compiles —
    is named by its kind instead: its RecursionError must not make the whole file unreadable."""
    try:
        written = ast.unparse(node)
    except RecursionError:
        written = f"<a {type(node).__name__} expression nested too deeply to show>"
    return written if limit is None else written[:limit]


def module_facts(path: str, constants: Mapping[str, str], statements: Sequence[ast.stmt], columns: ByteColumns
                 ) -> tuple[ModuleFacts, list[Diagnostic]]:
    """The ``ModuleFacts`` of a parsed module (``statements``: its module-level statements, looking into
    ``if``/``try``/``with``, loops and ``match`` cases; ``constants``: its module-level string constants;
    ``columns``: of its text), and a warning for each binding that cannot be read without running code (the
    module then binds nothing through it)."""
    scenario_names: dict[str, tuple[tuple[str, ...], dict[str, ast.expr]]] = {}  # local name → bound args of scenario
    scenarios_names: set[str] = set()
    bdd_modules: set[str] = set()
    partials: set[str] = set()
    for node in statements:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "pytest_bdd":
                    bdd_modules.add(alias.asname or alias.name)
                elif alias.name == "functools":
                    partials.add(f"{alias.asname or 'functools'}.partial")
        elif isinstance(node, ast.ImportFrom) and node.module == "pytest_bdd" and node.level == 0:
            for alias in node.names:
                if alias.name == "scenario":
                    scenario_names[alias.asname or alias.name] = ((), {})
                elif alias.name == "scenarios":
                    scenarios_names.add(alias.asname or alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module == "functools" and node.level == 0:
            partials.update(alias.asname or alias.name for alias in node.names if alias.name == "partial")

    def string(node: ast.expr) -> str:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name) and node.id in constants:
            return constants[node.id]
        raise _Unreadable(node, f"{source(node, 60)} is not a string literal")

    def is_scenario(name: str | None) -> bool:
        return name is not None and (name in scenario_names or any(name == f"{m}.scenario" for m in bdd_modules))

    def is_scenarios(name: str | None) -> bool:
        return name is not None and (name in scenarios_names or any(name == f"{m}.scenarios" for m in bdd_modules))

    binds: list[Bind] = []
    warnings: list[Diagnostic] = []
    star: list[tuple[int, str]] = []
    plugins: list[str] = []
    exports = False

    def warn(node: ast.AST, what: str, exc: _Unreadable) -> None:
        warnings.append(Diagnostic(path, getattr(exc.node, "lineno", getattr(node, "lineno", 0)),
                                   columns.of(exc.node),
                                   f"{what} cannot be read ({exc}); tracertm reads it without running code, so it "
                                   "does not know which features this module binds (their scenarios see every "
                                   "pytest-bdd definition)", "warning"))

    def base_dir(keywords: Mapping[str, ast.expr]) -> str | None:
        value = keywords.get("features_base_dir")
        if value is None or (isinstance(value, ast.Constant) and value.value is None):
            return None
        return string(value)

    def scenario_bind(call: ast.Call) -> Bind:
        name = dotted_name(call.func)
        bound_args, bound_kwargs = scenario_names.get(name or "", ((), {}))
        args = [*bound_args, *(string(a) for a in call.args)]
        keywords = {**bound_kwargs, **{k.arg: k.value for k in call.keywords if k.arg}}
        if "feature_name" in keywords:
            args.insert(0, string(keywords["feature_name"]))
        if "scenario_name" in keywords:
            args.insert(1, string(keywords["scenario_name"]))
        if len(args) < 2:
            raise _Unreadable(call, "@scenario has no feature file or no scenario name")
        return Bind((args[0],), args[1], base_dir(keywords), call.lineno, columns.of(call))

    for node in statements:
        if isinstance(node, ast.ImportFrom) and any(alias.name == "*" for alias in node.names):
            star.append((node.level, node.module or ""))
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            value = node.value
            if "__all__" in names:
                exports = True
            if "pytest_plugins" in names and value is not None:
                items = value.elts if isinstance(value, (ast.List, ast.Tuple)) else [value]
                for item in items:
                    try:
                        plugins.append(string(item))
                    except _Unreadable:
                        continue
            if (len(names) == 1 and isinstance(value, ast.Call) and dotted_name(value.func) in partials and value.args
                    and is_scenario(dotted_name(value.args[0]))):
                try:  # ``scenario = partial(scenario, "a.feature")`` (pytest-bdd's README)
                    scenario_names[names[0]] = (tuple(string(a) for a in value.args[1:]),
                                                {k.arg: k.value for k in value.keywords if k.arg})
                except _Unreadable as exc:
                    warn(node, "a scenario partial's feature file", exc)
        elif (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
              and is_scenarios(dotted_name(node.value.func))):
            call = node.value
            try:
                keywords = {k.arg: k.value for k in call.keywords if k.arg}
                binds.append(Bind(tuple(string(a) for a in call.args), None, base_dir(keywords), call.lineno,
                                  columns.of(call)))
            except _Unreadable as exc:
                warn(call, "a scenarios() feature path", exc)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call) and is_scenario(dotted_name(decorator.func)):
                    try:
                        binds.append(scenario_bind(decorator))
                    except _Unreadable as exc:
                        warn(decorator, "a @scenario feature file or scenario name", exc)
    return ModuleFacts(tuple(binds), tuple(star), tuple(plugins), exports), warnings


def parse_config(path: str, text: str) -> PytestConfigFile:
    """A pytest configuration file (``is_config``) as pytest's ``findpaths`` loaders read it; one that does not parse
    is a warning (pytest refuses to start on it) and configures nothing here."""
    name = posixpath.basename(path)
    try:
        if name.endswith(".toml"):
            import tomllib

            document = tomllib.loads(text)
            if name == "pyproject.toml":
                tool = document.get("tool")
                table = tool.get("pytest") if isinstance(tool, dict) else None
                if not isinstance(table, dict):
                    return PytestConfigFile(path, "config", config=PytestConfig(False))
                ini = table.get("ini_options")
                values = ini if isinstance(ini, dict) else {k: v for k, v in table.items() if k != "ini_options"}
                if not isinstance(ini, dict) and not values:
                    return PytestConfigFile(path, "config", config=PytestConfig(False))
            else:
                pytest_table = document.get("pytest")
                values = pytest_table if isinstance(pytest_table, dict) else {}
            return _absolute_base(PytestConfigFile(path, "config", config=_config(values)), text)
        parser = configparser.ConfigParser(interpolation=None, strict=False, comment_prefixes=("#", ";"),
                                           inline_comment_prefixes=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read_string(text, source=path)
        section = {"setup.cfg": "tool:pytest"}.get(name, "pytest")
        if not parser.has_section(section):
            return PytestConfigFile(path, "config", config=PytestConfig(name in ("pytest.ini", ".pytest.ini")))
        return _absolute_base(PytestConfigFile(path, "config", config=_config(dict(parser.items(section)))), text)
    except (ValueError, configparser.Error) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return unreadable_config(path, text, _error_line(exc), message)
    except RecursionError:  # tomllib recurses per nested array or inline table
        deep = _DEEP.search(text)
        line = text.count("\n", 0, deep.start()) + 1 if deep else 1
        return unreadable_config(path, text, line, "arrays or inline tables nested too deeply")


# An array or inline table opening 100 levels deep: where a file tomllib cannot nest goes too deep.
_DEEP = re.compile(r"[\[{](?:[ \t\r\n]*[\[{]){99}")


def unreadable_config(path: str, text: str, line: int, message: str) -> PytestConfigFile:
    """A pytest configuration file that cannot be read (``message`` says why, at ``line``): a warning (pytest
    refuses to start on it), that configures nothing here — or nothing at all said, when it is a tox.ini, setup.cfg
    or pyproject.toml that configures no pytest (``text``: as much of it as could be read)."""
    name = posixpath.basename(path)
    if not name.startswith(("pytest.", ".pytest.")) and not _PYTEST_SECTION.search(text):
        # Not ours to judge (a project without pytest-bdd would get a warning, an error under ``check --strict``,
        # for a file it never runs).
        return PytestConfigFile(path, "config", config=PytestConfig(False))
    warning = Diagnostic(path, line, 0, f"cannot read this pytest configuration file ({message}); its "
                                        "bdd_features_base_dir and python_files are not read", "warning")
    return PytestConfigFile(path, "config", warnings=(warning,), config=PytestConfig(False))


# The section of a shared configuration file that pytest reads: ``[pytest]``, ``[tool:pytest]``, ``[tool.pytest]``,
# ``[tool.pytest.ini_options]``.
_PYTEST_SECTION = re.compile(r"(?m)^[ \t]*\[[ \t]*(pytest|tool:pytest|tool\.pytest(\.ini_options)?)[ \t]*\]")


def _absolute_base(found: PytestConfigFile, text: str) -> PytestConfigFile:
    """``found`` with a warning at its ``bdd_features_base_dir`` line when that is an absolute path: pytest-bdd
    joins it to the rootdir with ``os.path.join``, which keeps an absolute path as it is — a folder of one machine,
    that no other clone has; tracertm reads paths inside the repository only, so it binds none of the features of
    the modules this file configures (their scenarios see every definition)."""
    base = found.config.features_base_dir
    if base is None or not (posixpath.isabs(base) or re.match(r"[A-Za-z]:[\\/]|\\\\", base)):
        return found
    at = re.search(r"(?m)^[ \t]*bdd_features_base_dir[ \t]*[=:]", text)
    line = text.count("\n", 0, at.start()) + 1 if at else 1
    folder = posixpath.dirname(found.path) or "."
    warning = Diagnostic(found.path, line, 0, f"bdd_features_base_dir is an absolute path ({base!r}): it names a "
                         "folder on one machine, and tracertm binds none of the features of the test modules this "
                         f"file configures; make it a path relative to the rootdir ({folder})", "warning")
    return replace(found, warnings=(*found.warnings, warning))


def _error_line(exc: Exception) -> int:
    """The 1-based line a configuration file's parse error names (configparser's, tomllib's), else 1."""
    line = getattr(exc, "lineno", None)
    if line is None and isinstance(exc, configparser.ParsingError) and exc.errors:
        line = exc.errors[0][0]
    if line is None:
        found = re.search(r"at line (\d+)", str(exc))
        line = int(found.group(1)) if found else 1
    return int(line) if isinstance(line, int) and line >= 1 else 1


def _config(values: Mapping[str, object]) -> PytestConfig:
    base = values.get("bdd_features_base_dir")
    files = values.get("python_files")
    if isinstance(files, str):
        python_files: tuple[str, ...] | None = tuple(files.split())
    elif isinstance(files, list):
        python_files = tuple(str(f) for f in files)
    else:
        python_files = None
    return PytestConfig(True, base.strip() if isinstance(base, str) and base.strip() else None, python_files)


# ---------------------------------------------------------------------------------------------------- views


@dataclass(frozen=True)
class View:
    """What one test module's scenarios see: each visible pytest-bdd definition (identity) → its place in pytest's
    pick, (scope rank, registration order of its fixture name); the last one wins."""

    module: str
    places: Mapping[str, tuple[int, int]]


@dataclass(frozen=True)
class Rule:
    """A binding: ``module`` runs the scenarios of ``target`` (a feature file, or every one in that folder) —
    all of them, or the one named ``scenario``. ``written``, ``line``, ``column``: the path as the module writes it,
    and where (for findings)."""

    module: str
    target: str
    scenario: str | None = None
    written: str = field(default="", compare=False)
    line: int = field(default=0, compare=False)
    column: int = field(default=0, compare=False)


def _ancestors(folder: str) -> list[str]:
    """``folder`` and its parents, nearest first, ending with the top (``""``)."""
    out = [folder]
    while folder:
        folder = posixpath.dirname(folder)
        out.append(folder)
    return out


def _join(folder: str, path: str) -> str | None:
    """``path`` relative to ``folder``, normalized; None when it leaves the repository or is absolute."""
    if posixpath.isabs(path):
        return None
    joined = posixpath.normpath(posixpath.join(folder, path)) if folder or path else ""
    if joined == ".":
        return ""
    if joined == ".." or joined.startswith("../"):
        return None
    return joined


class Bindings:
    """The bindings and views of a project's step files (see the module docstring). Empty (falsy) when no test
    module binds a feature: then every scenario sees every definition, as before."""

    def __init__(self, files: Mapping[str, StepFile]) -> None:
        self._files = files
        self._configs = {p: f.config for p, f in files.items() if isinstance(f, PytestConfigFile)}
        self._facts = {p: f.facts for p, f in files.items() if isinstance(f, PytestStepFile)}
        self._namespaces: dict[str, dict[str, StepDefinition]] = {}
        self.rules: list[Rule] = []
        self.views: dict[str, View] = {}
        for path in sorted(self._facts):
            binds = self._facts[path].binds
            if not binds or posixpath.basename(path) == "conftest.py":
                continue
            root, config = self._rootdir(posixpath.dirname(path))
            patterns = (config.python_files if config is not None else None) or DEFAULT_PYTHON_FILES
            if not any(fnmatch.fnmatchcase(posixpath.basename(path), p) for p in patterns):
                continue  # pytest does not collect it: its scenarios() make no test
            configured = config.features_base_dir if config is not None else None
            before = len(self.rules)
            for bind in binds:
                if bind.base_dir is not None:
                    base = _join(root, bind.base_dir)
                elif configured is not None:
                    base = _join(root, configured)
                else:
                    base = posixpath.dirname(path)
                if base is None:
                    continue
                for feature in bind.paths:
                    target = _join(base, feature)
                    if target is not None:
                        self.rules.append(Rule(path, target, bind.scenario, feature, bind.line, bind.column))
            if len(self.rules) > before:
                self.views[path] = self._view(path, root)
        # Only the rules and views are kept (a matcher carries these to the parse workers).
        self._files, self._configs, self._facts, self._namespaces = {}, {}, {}, {}
        self._cache: dict[str, list[tuple[str, str | None]]] = {}
        self._chosen: dict[tuple[str, str], tuple[View, ...] | None] = {}

    def __bool__(self) -> bool:
        return bool(self.rules)

    # -- configuration

    def _rootdir(self, folder: str) -> tuple[str, PytestConfig | None]:
        fallback: str | None = None
        for d in _ancestors(folder):
            for name in CONFIG_NAMES:
                config = self._configs.get(posixpath.join(d, name) if d else name)
                if config is None:
                    continue
                if config.configures:
                    return d, config
                if name == "pyproject.toml" and fallback is None:
                    fallback = d
        return (fallback if fallback is not None else ""), None

    # -- namespaces

    def _resolve(self, importer: str, level: int, dotted: str) -> str | None:
        """The step file a module reference from ``importer`` names (``from .common import *``: level 1), or None."""
        parts = [p for p in dotted.split(".") if p]
        if level:
            base = posixpath.dirname(importer)
            for _ in range(level - 1):
                base = posixpath.dirname(base)
            folders = [base]
        else:
            folders = _ancestors(posixpath.dirname(importer))
        for folder in folders:
            stem = posixpath.join(folder, *parts) if parts else folder
            for candidate in (f"{stem}.py", posixpath.join(stem, "__init__.py") if stem else "__init__.py"):
                if candidate in self._files and candidate != importer:
                    return candidate
        return None

    def _namespace(self, path: str, stack: frozenset[str] = frozenset()) -> dict[str, StepDefinition]:
        """Fixture name → definition of the step fixtures in the namespace of module ``path``: those ``import *``
        brings (in import order, a later one replacing an earlier one of the same name), then its own (made unique
        against the names already there, as ``steps.find_unique_name`` does)."""
        known = self._namespaces.get(path)
        if known is not None:
            return known
        names: dict[str, StepDefinition] = {}
        facts = self._facts.get(path)
        for level, dotted in facts.star_imports if facts is not None else ():
            source = self._resolve(path, level, dotted)
            if source is None or source in stack:
                continue
            source_facts = self._facts.get(source)
            if source_facts is not None and source_facts.exports:
                continue  # ``__all__`` decides what ``*`` brings: not the injected fixtures
            names.update(self._namespace(source, stack | {path}))
        step_file = self._files.get(path)
        own = sorted((d for d in step_file.definitions if d.framework == "pytest-bdd"),
                     key=lambda d: (d.line, d.column)) if step_file is not None else []
        for d in own:
            base = fixture_name(d)
            name, n = base, 0
            while name in names:
                n += 1
                name = f"{base}_{n}"
            names[name] = d
        if not stack:
            self._namespaces[path] = names
        return names

    def _view(self, module: str, root: str) -> View:
        """The scopes a test module's item sees, outermost first: ``pytest_plugins`` modules (global), the
        conftest.py files from the rootdir down to the module's folder, the module."""
        folder = posixpath.dirname(module)
        chain = [d for d in reversed(_ancestors(folder)) if d == root or d.startswith(root + "/") or not root]
        conftests = [c for d in chain
                     if (c := posixpath.join(d, "conftest.py") if d else "conftest.py") in self._files
                     and c != module]
        scopes: list[tuple[int, str]] = []
        for holder in [*conftests, module]:
            facts = self._facts.get(holder)
            for plugin in facts.plugins if facts is not None else ():
                source = self._resolve(holder, 0, plugin)
                if source is not None and (0, source) not in scopes:
                    scopes.append((0, source))
        scopes += [(rank, c) for rank, c in enumerate(conftests, start=1)]
        scopes.append((len(conftests) + 1, module))
        registered: dict[str, int] = {}
        places: dict[str, tuple[int, int]] = {}
        for rank, holder in scopes:
            namespace = self._namespace(holder)
            for name in sorted(namespace):  # pytest's parsefactories: dir() order
                order = registered.setdefault(name, len(registered))
                identity = namespace[name].identity
                place = (rank, order)
                if places.get(identity, (-1, -1)) < place:
                    places[identity] = place
        return View(module, places)

    # -- lookups

    def views_for(self, path: str, scenario: str) -> tuple[View, ...] | None:
        """The views of the modules that run scenario ``scenario`` of feature file ``path``; None when none does."""
        key = (path, scenario)
        if key in self._chosen:
            return self._chosen[key]
        rules = self._cache.get(path)
        if rules is None:
            rules = self._cache[path] = [
                (r.module, r.scenario) for r in self.rules
                if r.target == path or r.target == "" or path.startswith(r.target + "/")]
        modules = sorted({m for m, name in rules if name is None or name == scenario})
        found = tuple(self.views[m] for m in modules) if modules else None
        self._chosen[key] = found
        return found

    def stale(self, features: Mapping[str, Collection[str] | None],
              invalid: Collection[str] = ()) -> list[Diagnostic]:
        """A warning at each binding pytest-bdd refuses when it collects the module (``FileNotFoundError``,
        ``ScenarioNotFound``): a feature file or folder with no feature file tracertm reads (``features``: every
        feature file's path → its scenario titles, or None where they are not known), a scenario title its file
        does not have. A file outside tracertm's ``feature_paths`` is reported as well: its scenarios are not
        tracertm's to match. So is a binding of a feature file in ``invalid`` (not valid Gherkin), or of a folder
        holding one: pytest-bdd parses every file it binds while collecting the module, and a parse error fails
        the whole module — its other feature files' scenarios do not run either, which the file's own parse error
        does not say."""
        out: list[Diagnostic] = []
        folders = {posixpath.dirname(p) for p in features}
        folders |= {d for f in folders for d in _ancestors(f)}
        broken = sorted(invalid)
        for r in self.rules:
            how = (f"@scenario({r.written!r}, {r.scenario!r})" if r.scenario is not None
                   else f"scenarios({r.written!r})")
            bad = next((p for p in broken if p == r.target or r.target == "" or p.startswith(r.target + "/")),
                       None)
            if bad is not None:
                message = (f"{how}: {bad} is not valid Gherkin; pytest-bdd fails collecting this module, so none "
                           "of its scenarios run (those of its other feature files included) — fix the feature "
                           "file ('tracertm check' lists its errors)")
            elif r.target in features:
                titles = features[r.target]
                if r.scenario is None or titles is None or r.scenario in titles:
                    continue
                message = (f"{how}: {r.target} has no scenario named {r.scenario!r}; pytest-bdd fails collecting "
                           "this module (ScenarioNotFound) — use the scenario's title as its feature file writes it")
            elif r.target in folders:
                continue
            else:
                message = (f"{how}: {r.target or '.'} is no feature file or folder of feature files tracertm reads "
                           "(missing, or outside feature_paths); pytest-bdd fails collecting this module when it "
                           "is missing — fix the path, bdd_features_base_dir or features_base_dir")
            out.append(Diagnostic(r.module, r.line, r.column, message, "warning"))
        return out

    def conjunction_first(self, path: str, uses: Iterable[StepUseLike]) -> list[Diagnostic]:
        """An error at each scenario's or Background's first step that is no Given/When/Then (``And``, ``But``,
        ``*``) in feature file ``path``, for the scenarios a module binds: pytest-bdd's parser raises ``StepError``
        ("First step in a scenario or background must start with 'Given', 'When' or 'Then'") and pytest fails
        collecting that module. ``uses``: the file's executed steps (``scenarios.StepUse``), scenario by scenario."""
        out: dict[int, Diagnostic] = {}
        previous: tuple[int, bool] | None = None  # (scenario line, in the Background) of the step before
        for use in uses:
            here = (use.scenario_line, use.background)
            if here == previous:
                continue
            first_of_part = previous is None or previous[0] != use.scenario_line or not use.background
            previous = here
            if not first_of_part or use.line in out or use.keyword.strip() in _STEP_KEYWORDS():
                continue
            views = self.views_for(path, use.scenario)
            if views is None:
                continue
            modules = ", ".join(v.module for v in views)
            where = "the Background" if use.background else f"scenario {use.scenario!r}"
            out[use.line] = Diagnostic(
                path, use.line, use.column,
                f"step '{as_written(use.keyword.strip(), use.text)}' starts {where}: pytest-bdd refuses to collect "
                f"{modules} "
                "(StepError: the first step of a scenario or background must start with 'Given', 'When' or 'Then'), "
                "so none of its scenarios run — start it with Given, When or Then",
                names=tuple(v.module for v in views))
        return list(out.values())

    def rule_keys(self) -> dict[str, str]:
        """A digest per binding rule — its module, target, scenario and the module's view — → its target: what a sync
        keeps to tell which features a change of bindings concerns."""
        view_digest = {m: hashlib.sha256(repr(sorted(v.places.items())).encode()).hexdigest()[:16]
                       for m, v in self.views.items()}
        out: dict[str, str] = {}
        for r in self.rules:
            text = repr((r.module, r.target, r.scenario, view_digest.get(r.module)))
            out[hashlib.sha256(text.encode()).hexdigest()[:20]] = r.target
        return out

    @property
    def signature(self) -> str:
        """What decides every bound verdict (empty when nothing is bound)."""
        if not self.rules:
            return ""
        return hashlib.sha256(repr(sorted(self.rule_keys())).encode()).hexdigest()


class StepUseLike(Protocol):
    """What ``Bindings.conjunction_first`` reads of a ``scenarios.StepUse``."""

    @property
    def line(self) -> int: ...
    @property
    def column(self) -> int: ...
    @property
    def keyword(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def scenario(self) -> str: ...
    @property
    def scenario_line(self) -> int: ...
    @property
    def background(self) -> bool: ...


@cache
def _STEP_KEYWORDS() -> frozenset[str]:  # noqa: N802 - a constant, computed once
    """The Given/When/Then keywords of every Gherkin language (``*`` and the conjunctions not among them)."""
    from gherkin.dialect import DIALECTS

    return frozenset(k.strip() for d in DIALECTS.values() for kind in ("given", "when", "then")
                     for k in d[kind] if k.strip() != "*")


def fixture_name(d: StepDefinition) -> str:
    """The fixture name pytest-bdd gives a definition before it is made unique (``steps.step``)."""
    return f"pytestbdd_stepdef_{'*' if d.keyword == 'step' else d.keyword}_{d.pattern}"


def views_key(views: Sequence[View]) -> str:
    """A cache key of a scenario's views (its binding modules)."""
    return "\x00" + "\x00".join(v.module for v in views)


def in_view(found: Sequence[tuple[StepDefinition, T]], view: View) -> list[tuple[StepDefinition, T]]:
    """The definitions of ``found`` (every one matching a step) that the module of ``view`` runs: the pytest-bdd ones
    it sees reduced to the last in pytest's order; definitions of other frameworks kept as they are (several
    frameworks' matches stay ambiguous: ``matching.settle``)."""
    places = view.places
    best: tuple[StepDefinition, T] | None = None
    others: list[tuple[StepDefinition, T]] = []
    for pair in found:
        d = pair[0]
        if d.framework != "pytest-bdd":
            others.append(pair)
            continue
        place = places.get(d.identity)
        if place is not None and (best is None or places[best[0].identity] < place):
            best = pair
    if best is None:
        return others
    if not others:
        return [best]
    return sorted([best, *others], key=lambda pair: _file_order(pair[0]))


def _file_order(d: StepDefinition) -> tuple[str, int, int, str]:
    return d.path, d.line, d.column, d.identity


def combine(per_view: Iterable[Sequence[tuple[StepDefinition, T]]]) -> tuple[str, list[tuple[StepDefinition, T]]]:
    """One verdict over a scenario's views: undefined when undefined in any (with the definitions the other modules
    run: they are not unused, though the step counts for none); else ambiguous when ambiguous in any (every
    candidate); else defined by each view's definition (the same one, or one per module). Definitions in file
    order."""
    status = "defined"
    chosen: dict[str, tuple[StepDefinition, T]] = {}
    for matches in per_view:
        if not matches:
            status = "undefined"
        elif len(matches) > 1 and status == "defined":
            status = "ambiguous"
        for pair in matches:
            chosen.setdefault(pair[0].identity, pair)
    return status, sorted(chosen.values(), key=lambda pair: _file_order(pair[0]))


__all__ = ["Bind", "Bindings", "ModuleFacts", "PytestConfig", "PytestConfigFile", "PytestStepFile", "View",
           "combine", "in_view", "is_config", "module_facts", "parse_config", "unreadable_config",
           "views_key"]
