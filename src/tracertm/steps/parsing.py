"""One step file (path, bytes) → ``StepFile``: the language by file name, then that language's parser.

Pure: no database, no git, no user code run. A file that cannot be read at all (too big, binary, invalid UTF-8 —
or in the encoding its language reads it in, ``source_text`` —, a Python syntax error) is a ``ParseError``; a
definition that cannot be read is an error inside the ``StepFile`` and the rest of the file still counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields as dataclass_fields
from dataclasses import is_dataclass, replace
from importlib import import_module

from tracertm.errors import ParseError
from tracertm.parsers.common import decode_text
from tracertm.parsers.records import DEFAULT_OPTIONS, ParserOptions
from tracertm.text import is_text
from tracertm.steps.behave_layout import base as behave_base
from tracertm.steps.behave_layout import is_environment as is_behave_environment
from tracertm.steps.behave_layout import is_step_module
from tracertm.steps.model import ParameterTypeDecl, StepDefinition, StepFile
from tracertm.steps.python_source import python_text
from tracertm.steps.source_text import step_text

# File name ending → language.
SUFFIXES: dict[str, str] = {
    ".py": "python",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "typescript",
    ".java": "java",
    ".kt": "kotlin",
    ".go": "go",
    ".rb": "ruby",
    ".cs": "csharp",
}


# language → the module of this package that reads it (tree-sitter based; Python is read with ast).
_MODULES = {"javascript": "javascript", "typescript": "javascript", "java": "java", "kotlin": "kotlin",
            "go": "golang", "ruby": "ruby", "csharp": "csharp"}

# language → its name in messages.
_NAMES = {"python": "Python", "javascript": "JavaScript", "typescript": "TypeScript", "java": "Java",
          "kotlin": "Kotlin", "go": "Go", "ruby": "Ruby", "csharp": "C#"}


# The ``ParserOptions.extra`` entry that carries, per behave features folder (``behave_base``), the step matcher its
# environment.py leaves (``python.environment_matcher``): a step module's definitions depend on it, and the options
# travel with the file to the parse workers (``with_matchers``).
BEHAVE_MATCHERS = "behave_step_matchers"


def environment_matchers(items: Iterable[tuple[str, bytes]], options: ParserOptions = DEFAULT_OPTIONS
                         ) -> dict[str, str]:
    """Features folder (``behave_base``) → the step matcher its environment.py leaves in effect, for the
    environment.py files among ``items`` (path, bytes); one that cannot be read leaves behave's default."""
    out: dict[str, str] = {}
    for path, data in items:
        base = behave_base(path)
        if base is None or not is_behave_environment(path):
            continue
        from tracertm.steps import python  # only for an environment.py

        try:
            out[base] = python.environment_matcher(python_text(path, data, options))
        except ParseError:
            out[base] = python.DEFAULT_MATCHER
    return out


def with_matchers(options: ParserOptions, matchers: Mapping[str, str]) -> ParserOptions:
    """``options`` carrying ``matchers`` (features folder → behave step matcher, over any it carries already) for
    the step modules it parses; ``options`` itself when there is nothing to add."""
    if not matchers:
        return options
    known = dict(options.extra.get(BEHAVE_MATCHERS) or {})
    known.update(matchers)
    return replace(options, extra={**options.extra, BEHAVE_MATCHERS: known})


def behave_matcher(path: str, options: ParserOptions) -> str | None:
    """The behave step matcher the environment.py of ``path``'s features folder leaves, as ``options`` carry it
    (``with_matchers``); None: behave's default."""
    base = behave_base(path)
    if base is None or is_behave_environment(path):
        return None
    found = (options.extra.get(BEHAVE_MATCHERS) or {}).get(base)
    return found if isinstance(found, str) else None


# The ``ParserOptions.extra`` entry that carries, per behave step module (path), the default step matcher the step
# modules of its folder loaded before it leave with ``use_default_step_matcher(name)`` (``module_defaults``): the
# parse workers parse each file alone, so what its predecessors set travels with the options.
BEHAVE_DEFAULTS = "behave_module_defaults"

# What a step module must contain to change the default matcher of the modules after it (however it is imported).
_SETS_DEFAULT = b"use_default_step_matcher"


def may_set_default(data: bytes) -> bool:
    """Whether the behave step module ``data`` may change the default step matcher of the step modules behave
    loads after it (``use_default_step_matcher``): a cheap test on the bytes, no parse."""
    return _SETS_DEFAULT in data


def module_defaults(
    items: Iterable[tuple[str, bytes]], options: ParserOptions = DEFAULT_OPTIONS, others: Iterable[str] = ()
) -> dict[str, str]:
    """Step module path → the default step matcher the step modules of its folder loaded before it (file-name
    order) leave, for the behave step modules among ``items`` and ``others`` (paths whose bytes are not needed:
    no module wanted comes after them) that follow one calling ``use_default_step_matcher`` (the others start from
    their environment.py's, ``behave_matcher``). ``items`` must hold every step module of the folders wanted that
    comes before the last one wanted; only those that may set a default are parsed."""
    import posixpath

    out: dict[str, str] = {}
    defaults: dict[str, str] = {}  # folder → the default the modules seen so far leave
    given = dict(items)
    for path in sorted(set(given) | set(others)):
        if not is_step_module(path):
            continue
        folder = posixpath.dirname(path)
        current = defaults.get(folder)
        if current is not None:
            out[path] = current
        data = given.get(path)
        if data is not None and may_set_default(data):
            try:
                parsed = parse_step_file(path, data, options, current)
            except ParseError:
                continue  # behave would not load it: it sets nothing
            found = getattr(parsed, "default_matcher", None)
            if isinstance(found, str):
                defaults[folder] = found
    return out


def with_defaults(options: ParserOptions, defaults: Mapping[str, str]) -> ParserOptions:
    """``options`` carrying ``defaults`` (step module → the default matcher its folder's earlier modules leave,
    ``module_defaults``); ``options`` itself when there is nothing to add."""
    if not defaults:
        return options
    return replace(options, extra={**options.extra, BEHAVE_DEFAULTS: dict(defaults)})


def module_default(path: str, options: ParserOptions) -> str | None:
    """The default step matcher the earlier step modules of ``path``'s folder leave, as ``options`` carry it
    (``with_defaults``); None: its environment.py's (``behave_matcher``)."""
    found = (options.extra.get(BEHAVE_DEFAULTS) or {}).get(path)
    return found if isinstance(found, str) else None


def storable(step_file: StepFile) -> StepFile:
    """``step_file`` without the definitions and parameter types whose text no database stores — a NUL (PostgreSQL
    refuses it) or a lone surrogate, which a string literal's escapes (``"\\0"``, ``"\\ud800"``) can make —: each is
    an error at its line instead (the rest of the file still counts)."""

    def bad(value: object) -> bool:
        if isinstance(value, str):
            return "\x00" in value or not is_text(value)
        if isinstance(value, (tuple, list)):
            return any(bad(v) for v in value)
        if is_dataclass(value) and not isinstance(value, type):  # a Parameter
            return any(bad(getattr(value, f.name)) for f in dataclass_fields(value))
        return False

    items: list[StepDefinition | ParameterTypeDecl] = [*step_file.definitions, *step_file.parameter_types]
    refused = [item for item in items if any(bad(getattr(item, f.name)) for f in dataclass_fields(item))]
    if not refused:
        return step_file
    from tracertm.errors import Diagnostic

    errors = [Diagnostic(item.path, item.line, getattr(item, "column", 0),
                         "this step definition's text holds a NUL character or invalid UTF-8 (from an escape in its "
                         "literal), which no database stores; it is not read") for item in refused]
    return replace(step_file, definitions=tuple(d for d in step_file.definitions if d not in refused),
                   parameter_types=tuple(t for t in step_file.parameter_types if t not in refused),
                   errors=(*step_file.errors, *errors))


def language_of(path: str) -> str | None:
    """The language of a step file by its name, or None when tracertm cannot read that language."""
    dot = path.rfind(".")
    return SUFFIXES.get(path[dot:].lower()) if dot != -1 else None


def parse_step_file(
    path: str, data: bytes, options: ParserOptions = DEFAULT_OPTIONS, step_matcher: str | None = None
) -> StepFile:
    """The step definitions and parameter types of one file, or ``ParseError`` when it cannot be read at all. A
    behave step module is read with ``step_matcher`` as its default matcher when given (what the modules loaded
    before it leave: ``steps.project.parse_step_files``), else the one ``options`` carry for it (``with_defaults``:
    sync's parse workers), else the one its environment.py leaves, when ``options`` carry it (``with_matchers``)."""
    from tracertm.steps.pytest_bdd import is_config, parse_config, unreadable_config

    if is_config(path):  # pytest's configuration: bdd_features_base_dir, python_files, the rootdir
        try:
            config_text = decode_text(path, data, options)
        except ParseError as exc:  # binary, not UTF-8 or oversized: a warning when it configures pytest
            return unreadable_config(path, data[: options.max_file_size].decode("utf-8", "replace"), exc.line,
                                     exc.message)
        return parse_config(path, config_text)
    language = language_of(path)
    if language is None:
        raise ParseError(path, 0, 0, "step files of this language are not supported; remove it from step_paths")
    # Each language's tool reads a file in its own encoding: Python's and Ruby's comments, C#'s and Kotlin's UTF-16.
    text, encoding = step_text(path, language, data, options)
    from tracertm.steps.size_limit import TooManyTokens, check_tokens

    try:
        if language == "python":
            from tracertm.steps import python

            check_tokens(text)  # (tree-sitter's readers check theirs in ``syntax.parse_tree``: Go's only with godog)
            matcher = step_matcher or module_default(path, options) or behave_matcher(path, options)
            return storable(python.parse(path, text) if matcher is None
                            else python.parse(path, text, step_matcher=matcher))
        from tracertm.steps.syntax import GrammarMissing

        try:
            module = import_module(f"tracertm.steps.{_MODULES[language]}")
            if language == "ruby":  # whose patterns depend on the encoding Ruby reads the file in
                return storable(module.parse(path, text.encode("utf-8"), encoding))
            return storable(module.parse(path, text.encode("utf-8")))
        except GrammarMissing as exc:
            raise ParseError(path, 0, 0, str(exc)) from None
    except ParseError:
        raise
    except TooManyTokens as exc:
        raise ParseError(path, exc.line, exc.column, exc.message(_NAMES.get(language, language))) from None
    except RecursionError:  # a reader that recurses (Reqnroll's tag expressions, Go's nested MustCompile calls)
        # No better line is known here: line 1, as python.py gives for what Python's parser cannot nest.
        name = _NAMES.get(language, language)
        raise ParseError(path, 1, 0, f"{name} code nested too deeply for tracertm's reader; step definitions "
                                     "not read — split the most deeply nested expression") from None
