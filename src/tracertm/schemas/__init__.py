"""Pydantic v2 schemas: read models (every column), filter models (list queries) and update models (database-owned
fields only) per kind, plus projects, sync runs, revisions, pages, facets, search hits and problems.

``tracertm schema KIND`` prints their JSON Schema; the CLI's ``--format json`` and the HTTP API print the same read
models.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def json_schema(kind_name: str, which: str = "read") -> dict[str, Any]:
    """The JSON Schema of one kind's ``read``, ``update`` or ``filter`` model, or of ``project``/``sync-run``/
    ``revision`` (``kind_name`` alone)."""
    from tracertm.schemas import common, trace
    from tracertm.schemas.filters import ListFilter
    from tracertm.schemas.records import read_model
    from tracertm.schemas.updates import update_model

    standalone: dict[str, type[BaseModel]] = {
        "project": common.ProjectRead, "sync-run": common.SyncRunRead, "revision": common.RevisionRead,
        "problem": common.Problem, "search-hit": common.SearchHit,
        "link": trace.LinkRead, "matrix": trace.Matrix, "coverage": trace.CoverageSummary,
        "trace-graph": trace.TraceGraph,
    }
    if kind_name in standalone:
        return standalone[kind_name].model_json_schema()
    from tracertm.repositories.kinds import kind

    k = kind(kind_name)
    model = {"read": read_model, "update": update_model}.get(which)
    if which == "filter":
        return ListFilter.model_json_schema()
    if model is None:
        from tracertm.errors import UsageError

        raise UsageError(f"--model {which}: use read, update or filter")
    return model(k.name).model_json_schema()


SCHEMA_NAMES = (
    "project", "sync-run", "revision", "problem", "search-hit", "link", "matrix", "coverage", "trace-graph",
)
