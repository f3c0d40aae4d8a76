"""Traceability over the derived links: link states and review (``review``), link lists in keyset pages
(``listing``), coverage states (``coverage``), the graph around a record (``graph``), the traceability matrix
(``matrix``), spec diffs between commits (``diff``) and the scenario → test case links of a results import
(``results``).

Everything here reads the database except ``diff``, which parses two git trees when no backfill covers them,
``review``, which records who reviewed a suspect link, and ``results``, which adds test links.
"""
