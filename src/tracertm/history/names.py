"""The names a person reads for the fields of a revision: those of the record's read model.

A revision stores what the database and the parsers call the fields: column names (``adr_metadata``,
``feature_metadata``, ``step_metadata``, ``test_case_metadata``...) in ``changed_fields`` and as the keys of
``snapshot``, and for a scenario its feature's ``feature_number``. The API's read models, ``show``/``list
--format json`` and the web pages call those ``metadata`` and (a scenario's feature) ``feature``. Revisions are an
audit trail, never rewritten, and the ones older releases wrote hold the same stored names, so every place that
shows a revision translates here, when it shows it: the API's ``history`` and ``at``, ``tracertm history``, ``show
--at`` and ``diff``, the web history timeline. The read models name their columns with :func:`field_name` too, so
the two cannot drift. Stored names are what the rest of the code compares (sync, backfill, ``diff``'s hashing).

Imports nothing: ``diff`` uses it without the schema layer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# Stored names (not columns of the kind) that a revision adds, per kind, and what the read model calls them.
_ADDED = {("scenario", "feature_number"): "feature"}
_METADATA = "_metadata"


def field_name(kind: str, stored: str) -> str:
    """What the read model of ``kind`` calls the field stored as ``stored`` (a column, or a key a revision's
    snapshot adds): ``<model>_metadata`` is ``metadata``, a scenario's ``feature_number`` is ``feature``, every
    other name is its own. Idempotent: a name already presented stays as it is."""
    if stored.endswith(_METADATA):
        return "metadata"
    return _ADDED.get((kind, stored), stored)


def field_names(kind: str, stored: Iterable[str]) -> list[str]:
    """``stored`` names (a revision's ``changed_fields``, a diff's fields) as the read model names them, in their
    order."""
    return list(dict.fromkeys(field_name(kind, str(name)) for name in stored))


def snapshot_fields(kind: str, stored: Mapping[str, Any]) -> dict[str, Any]:
    """A snapshot (a revision's fields) with its keys as the read model names them, in their order, the values
    untouched. Should two stored keys name one field, the one stored under that name wins."""
    out: dict[str, Any] = {}
    for key, value in stored.items():
        name = field_name(kind, key)
        if name not in out or key == name:
            out[name] = value
    return out


__all__ = ["field_name", "field_names", "snapshot_fields"]
