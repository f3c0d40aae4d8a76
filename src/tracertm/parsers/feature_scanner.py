"""gherkin's token scanner for ``parsers.feature``, with a safe point at each line while a cancellable sync runs
(``tracertm.cancellation``): gherkin reads a file of 40,000 lines for seconds, and a sync cancelled meanwhile stops
there instead of after the whole parse."""

from __future__ import annotations

from gherkin.token import Token
from gherkin.token_scanner import TokenScanner

from tracertm.cancellation import safe_point, watched


class _Stopping(TokenScanner):
    """A scanner whose every line is a safe point."""

    def read(self) -> Token:
        safe_point()
        return super().read()


def scanner(text: str) -> TokenScanner:
    """gherkin's scanner of ``text``; with safe points only in a cancellable sync (a line costs nothing more
    elsewhere)."""
    return _Stopping(text) if watched() else TokenScanner(text)


__all__ = ["scanner"]
