"""One step file (path, bytes) → ``StepFile``: the language by file name, then that language's parser.

Pure: no database, no git, no user code run. A file that cannot be read at all (too big, binary, invalid UTF-8,
a Python syntax error) is a ``ParseError``; a definition that cannot be read is an error inside the ``StepFile``
and the rest of the file still counts.
"""

from __future__ import annotations

from importlib import import_module

from tracertm.errors import ParseError
from tracertm.parsers.common import decode_text
from tracertm.parsers.records import DEFAULT_OPTIONS, ParserOptions
from tracertm.steps.model import StepFile

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
_MODULES = {"javascript": "javascript", "typescript": "javascript", "java": "java", "kotlin": "kotlin", "go": "golang",
            "ruby": "ruby", "csharp": "csharp"}


def language_of(path: str) -> str | None:
    """The language of a step file by its name, or None when tracertm cannot read that language."""
    dot = path.rfind(".")
    return SUFFIXES.get(path[dot:].lower()) if dot != -1 else None


def parse_step_file(path: str, data: bytes, options: ParserOptions = DEFAULT_OPTIONS) -> StepFile:
    """The step definitions and parameter types of one file, or ``ParseError`` when it cannot be read at all."""
    language = language_of(path)
    if language is None:
        raise ParseError(path, 0, 0, "step files of this language are not supported; remove it from step_paths")
    text = decode_text(path, data, options)
    try:
        if language == "python":
            from tracertm.steps import python

            return python.parse(path, text)
        from tracertm.steps.syntax import GrammarMissing

        try:
            module = import_module(f"tracertm.steps.{_MODULES[language]}")
            result: StepFile = module.parse(path, text.encode("utf-8"))
            return result
        except GrammarMissing as exc:
            raise ParseError(path, 0, 0, str(exc)) from None
    except ParseError:
        raise
    except RecursionError:
        raise ParseError(path, 0, 0, "file is nested too deeply to read its step definitions") from None
