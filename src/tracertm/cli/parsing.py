"""argparse, and tracertm's flavour of it: the parser class and the options every verb shares.

A module of its own so that the pre-commit hook, whose command line ``tracertm.cli`` recognises without a parser
(``_hook_args``), never imports argparse (nor gettext and locale, which argparse's messages look up): about 2 ms
of the hook. ``tracertm.cli`` binds these names into its own namespace the first time it builds a parser.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from tracertm.errors import MAX_JOBS, UsageError

__all__ = ["MAX_JOBS", "_Parser", "_common", "argparse", "bounded_float", "bounded_int", "nonblank", "nonblank_path"]


_URL_PASSWORD = re.compile(r"([a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]*@", re.IGNORECASE)


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line through the common error handler."""

    def error(self, message: str) -> NoReturn:
        # Each hint only where the command line has what it is about: given to a 'search' with no query at all (or
        # a '--sort' with no value), it sent the user looking for a '-' word they never wrote.
        if message.endswith("required: QUERY") and any(
            w.startswith("-") and w != "--" and w.split("=", 1)[0] not in self._option_string_actions for w in _words
        ):
            # argparse takes a query starting with '-' ('-ledger': without "ledger") for an option.
            message += "; a query that starts with '-' goes after '--': tracertm search -- '-ledger'"
        elif message == "argument --sort: expected one argument" and any(
            w == "--sort" and after.startswith("-") for w, after in zip(_words, _words[1:])
        ):
            # argparse takes a descending field ('--sort -status') for an option: the value must be joined with '='.
            message += "; a descending sort is joined with '=': --sort=-status,number"
        # argparse echoes what it could not place ("unrecognized arguments: --database-url postgresql://u:PW@h/db"):
        # a password in a URL is never printed.
        message = _URL_PASSWORD.sub(r"\1***@", message)
        raise UsageError(f"{message} (see '{self.prog} --help')")

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> argparse.Namespace:
        """argparse's, but arguments no parser took are blamed on the verb (and action) they were given to: the
        error points at ``tracertm VERB --help``, which lists that verb's options, not at the top-level help."""
        words = list(sys.argv[1:] if args is None else args)
        _words[:] = words  # (for ``error``'s hints, raised by the verbs' parsers)
        if self._subparsers is not None and words and words[0].startswith("-"):
            self._options_before_the_verb(words)
        parsed, extras = self.parse_known_args(words, namespace)
        if extras:
            chosen = [str(word) for dest in _VERB_DESTS if (word := getattr(parsed, dest, None))]
            self.prog, top = " ".join([self.prog, *chosen]), self.prog
            try:
                self.error(f"unrecognized arguments: {' '.join(extras)}")
            finally:
                self.prog = top
        return parsed

    def _options_before_the_verb(self, words: list[str]) -> None:
        """A verb's option written before the verb (``tracertm --format json status``): one line saying where it
        goes, with the command line that means it. argparse left the option over and took its value for the verb:
        "invalid choice: 'json'", which sent the user looking for a command named json."""
        assert self._subparsers is not None
        verbs = self._subparsers._group_actions[0].choices or {}
        own = {option for action in self._actions for option in action.option_strings}  # --traceback, --version
        misplaced = next((w for w in words if w.startswith("-") and w.split("=", 1)[0] not in own), None)
        at = next((i for i, w in enumerate(words) if w in verbs and not w.startswith("-")), None)
        if misplaced is None or (at is not None and words.index(misplaced) > at):
            return
        option = misplaced.split("=", 1)[0]
        if at is None:
            self.error(f"{option}: not an option of {self.prog} itself; a command's options go after the command: "
                       f"{self.prog} COMMAND {option} ...")
        import shlex

        before = [w for w in words[:at] if w not in own]
        command = shlex.join([self.prog, *[w for w in words[:at] if w in own], words[at], *before, *words[at + 1:]])
        self.prog, top = f"{self.prog} {words[at]}", self.prog
        try:
            self.error(f"{option}: a command's options go after it ('{words[at]}'): {command}")
        finally:
            self.prog = top

    def _get_formatter(self) -> argparse.HelpFormatter:
        # argparse makes a formatter for every argument it adds, and without a width the formatter imports shutil
        # (and with it bz2 and lzma) to ask for the terminal's: 3 ms of a pre-commit hook's start-up.
        formatter: Callable[..., argparse.HelpFormatter] = self.formatter_class  # every one takes a width
        return formatter(prog=self.prog, width=_help_width())


_words: list[str] = []  # the command line ``_Parser.parse_args`` is parsing

# The destinations of the verb and of each verb's actions (``hook install``, ``results import``, ...), in order.
_VERB_DESTS = ("verb", "db_verb", "hook_verb", "results_verb", "token_verb")

_width: list[int] = []


def _help_width() -> int:
    """What argparse would use: ``$COLUMNS``, else the terminal's width, else 80; less 2 (shutil's rules)."""
    if not _width:
        try:
            columns = int(os.environ.get("COLUMNS", "0"))
        except ValueError:
            columns = 0
        if columns <= 0:
            try:
                columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
            except (AttributeError, ValueError, OSError):
                columns = 0
        _width.append((columns or 80) - 2)
    return _width[0]


def _common(traceback_only: bool = False) -> _Parser:
    common = _Parser(add_help=False)
    common.add_argument(
        "--traceback", action="store_true", default=argparse.SUPPRESS, help="show the traceback of internal errors"
    )
    if not traceback_only:
        common.add_argument(
            "--database-url",
            metavar="URL",
            type=nonblank("database URL"),
            help="database to use (default: $TRACERTM_DATABASE_URL, then configuration, then the embedded "
            "SQLite file)",
        )
    return common


# Largest values worth accepting: every integer option ends up in a SQL LIMIT/OFFSET, a byte count or a process
# count, and SQLite refuses integers over 2**63-1 with an OverflowError (an internal error, exit 3, not a usage one).
# (``MAX_JOBS`` is ``errors``', where the Python API checks it too.)
MAX_BYTES = 2**40  # 1 TiB


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    """An argparse ``type``: a whole number from ``low`` to ``high``. argparse turns the ``ArgumentTypeError`` into
    ``argument --OPTION: MESSAGE``, one usage line (exit 2) naming the option."""

    def integer(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number; give {low} to {high}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is out of range; give {low} to {high}")
        return value

    return integer


def bounded_float(low: float, high: float, *, above: bool = False) -> Callable[[str], float]:
    """An argparse ``type``: a finite number from ``low`` (exclusive when ``above``) to ``high`` (a whole number,
    written out as the README writes it: 3,600,000, not 3.6e+06); ``nan`` and ``inf`` parse as floats but would make
    a timer never fire."""

    def number(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not (low < value if above else low <= value) or not value <= high:  # also false for nan
            raise argparse.ArgumentTypeError(
                f"{text} is out of range; give {'more than ' if above else ''}{low:,g} to {high:,.0f}"
            )
        return value

    return number


def nonblank(what: str, otherwise: str = "or leave the option out") -> Callable[[str], str]:
    """An argparse ``type``: text that is not empty or only whitespace (``--project ""`` would otherwise mean
    "not given" in one place and a project named "" in another). ``otherwise`` ends the advice: a positional
    argument is no option to leave out (``PATH ''`` read as the current folder syncs or hooks another repository
    than the script meant, when its variable was empty)."""

    def text(value: str) -> str:
        if not value.strip():
            article = "an" if what[:1] in "aeiouAEIOU" else "a"
            raise argparse.ArgumentTypeError(f"blank {what} {value!r}; give {article} {what} {otherwise}".rstrip())
        return value

    return text


def nonblank_path(default: str = "the current repository") -> Callable[[str], str]:
    """An argparse ``type`` for an optional ``PATH`` argument: not blank (see ``nonblank``)."""
    return nonblank("path", f"or leave PATH out for {default}")
