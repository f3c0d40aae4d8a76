"""argparse, and tracertm's flavour of it: the parser class and the options every verb shares.

A module of its own so that the pre-commit hook, whose command line ``tracertm.cli`` recognises without a parser
(``_hook_args``), never imports argparse (nor gettext and locale, which argparse's messages look up): about 2 ms
of the hook. ``tracertm.cli`` binds these names into its own namespace the first time it builds a parser.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import NoReturn

from tracertm.errors import UsageError

__all__ = ["_Parser", "_common", "argparse"]


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line through the common error handler."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")

    def _get_formatter(self) -> argparse.HelpFormatter:
        # argparse makes a formatter for every argument it adds, and without a width the formatter imports shutil
        # (and with it bz2 and lzma) to ask for the terminal's: 3 ms of a pre-commit hook's start-up.
        formatter: Callable[..., argparse.HelpFormatter] = self.formatter_class  # every one takes a width
        return formatter(prog=self.prog, width=_help_width())


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
            help="database to use (default: $TRACERTM_DATABASE_URL, then configuration, then the embedded SQLite file)",
        )
    return common
