"""Text conditions that answer alike on SQLite and PostgreSQL.

SQLite's ``LIKE`` ignores the case of ASCII letters (``'Features/x' LIKE 'features%'`` is true), PostgreSQL's
does not; ``GLOB`` is SQLite's case-sensitive match, and an index on the column serves its fixed prefix as it
serves PostgreSQL's ``LIKE``.
"""

from __future__ import annotations

from typing import Any

# GLOB's special characters, each written as a class of itself ("[" first: the others' classes hold one).
_GLOB_SPECIAL = ("[", "*", "?")


def glob_literal(text: str) -> str:
    """``text`` as a GLOB pattern that matches exactly ``text``."""
    for special in _GLOB_SPECIAL:
        text = text.replace(special, f"[{special}]")
    return text


def starts_with(column: Any, prefix: str, postgres: bool) -> Any:
    """``column`` starts with ``prefix``, letter case and every character as written, on both databases."""
    if postgres:
        return column.startswith(prefix, autoescape=True)
    return column.op("GLOB")(glob_literal(prefix) + "*")


__all__ = ["glob_literal", "starts_with"]
