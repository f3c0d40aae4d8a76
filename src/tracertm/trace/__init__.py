"""Traceability over the derived links: link states and review (``review``), coverage states (``coverage``), the
graph around a record (``graph``), the traceability matrix (``matrix``) and spec diffs between commits (``diff``).

Everything here reads the database except ``diff``, which parses two git trees when no backfill covers them, and
``review``, which records who reviewed a suspect link.
"""
