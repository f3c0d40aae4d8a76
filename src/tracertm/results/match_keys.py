"""The keys a results import looks scenarios up by, stored beside each row by sync (migration 0037) so that an import
reads only the scenarios its report's names and paths can match (``scenario_reads.wanted``), by indexed queries.

``features.name_key``: the feature's name, whitespace normalized (as ``mapping.ScenarioIndex`` compares names);
``features.file_key``: its file's last path part (every form of a path a runner writes, ``uris.FeaturePaths``
resolves to a known file of that name); ``scenarios.pytest_key``: the test function pytest-bdd generates for it.
A key longer than ``KEY_LIMIT`` is stored as a digest (an index entry has a size limit on PostgreSQL): two texts
sharing a key only make the import read one feature more, the matcher still compares the texts themselves.

Sync (``engine.apply.build_row``, the one writer of these rows) writes them with the row; a change here changes
what rows written before hold, and needs a migration that fills them again (as 0037 does). Pure: sync imports it.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from tracertm.results.report import normalize_path

__all__ = ["KEY_LIMIT", "file_key", "index_key", "key_columns", "norm", "pytest_bdd_name"]

KEY_LIMIT = 200


def norm(text: str | None) -> str:
    """``text`` with its whitespace runs as one space, trimmed ('' for None)."""
    # str.split() splits on exactly the characters regex \s matches (str.isspace), without the regex machinery.
    return " ".join(text.split()) if text else ""


def pytest_bdd_name(title: str) -> str:
    """The test function pytest-bdd's ``scenarios()`` generates for a scenario (``make_python_name``)."""
    name = re.sub(r"\W", "", title.replace(" ", "_"))
    return "test_" + re.sub(r"^\d+_*", "", name).lower()


def index_key(text: str) -> str:
    """``text`` as stored in a key column: itself, or past ``KEY_LIMIT`` characters a digest of it."""
    if len(text) <= KEY_LIMIT:
        return text
    return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def file_key(path: str | None) -> str | None:
    """The key of a feature file's path: its last part, as ``normalize_path`` reads the path (None: no path)."""
    if not path:
        return None
    return index_key(normalize_path(path).rpartition("/")[2])


def key_columns(kind: str, row: dict[str, Any]) -> dict[str, Any]:
    """The key columns of a ``kind`` row being written from its parsed fields (``name``/``title``, ``source_path``):
    {} for the kinds that have none."""
    if kind == "feature":
        return {"name_key": index_key(norm(row.get("name"))), "file_key": file_key(row.get("source_path"))}
    if kind == "scenario":
        return {"pytest_key": index_key(pytest_bdd_name(str(row.get("title") or "")))}
    return {}
