"""Identities derived from where a file is, shared by the parsers and the checker's sketches (no heavy imports)."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["feature_number"]


def feature_number(path: str, roots: Sequence[str] = ("features/",)) -> str:
    """The id of a feature without an id tag: its path below the longest feature root holding it, without
    ``.feature`` or ``.feature.md`` (``doc/features/billing/refund.feature`` under ``doc/features/`` →
    ``billing/refund``); a file under no root keeps its whole path."""
    root = max((r for r in roots if r and path.startswith(r)), key=len, default="")
    return path[len(root) :].removesuffix(".md" if path.endswith(".feature.md") else "").removesuffix(".feature")
