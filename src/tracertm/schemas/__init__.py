"""Pydantic v2 schemas: read models (every column), filter models (list queries) and update models (database-owned
fields only) per kind, plus projects, sync runs, revisions, pages, facets, search hits and problems.

``tracertm schema KIND`` prints their JSON Schema; the CLI's ``--format json`` and the HTTP API print the same read
models.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def json_schema(kind_name: str, which: str = "read") -> dict[str, Any]:
    """The JSON Schema of one kind's ``read``, ``update`` or ``filter`` model, or of the models of ``project``,
    ``sync-run``, ``link``...; a model a name does not have is a usage error naming ``--model`` and the ones it has
    (printing the read model instead would pass for the one asked for)."""
    from tracertm.errors import UsageError
    from tracertm.schemas import common, trace
    from tracertm.schemas.filters import ListFilter
    from tracertm.schemas.records import read_model
    from tracertm.schemas.updates import update_model

    standalone: dict[str, dict[str, type[BaseModel]]] = {
        "project": {"read": common.ProjectRead}, "sync-run": {"read": common.SyncRunRead},
        "revision": {"read": common.RevisionRead}, "problem": {"read": common.Problem},
        "search-hit": {"read": common.SearchHit},
        # ``PATCH .../links/{link}`` takes LinkUpdate: a link has an update model as records do.
        "link": {"read": trace.LinkRead, "update": trace.LinkUpdate}, "matrix": {"read": trace.Matrix},
        "coverage": {"read": trace.CoverageSummary}, "trace-graph": {"read": trace.TraceGraph},
    }
    if kind_name in standalone:
        models = standalone[kind_name]
        if which not in models:
            names = list(models)
            has = f"only a {names[0]} model" if len(names) == 1 else f"{' and '.join(names)} models"
            raise UsageError(f"--model {which}: {kind_name} has {has}; use --model {' or '.join(names)}")
        return models[which].model_json_schema()
    from tracertm.repositories.kinds import kind

    k = kind(kind_name)
    if which == "filter":
        return ListFilter.model_json_schema()
    model = {"read": read_model, "update": update_model}.get(which)
    if model is None:
        raise UsageError(f"--model {which}: use read, update or filter")
    return model(k.name).model_json_schema()


SCHEMA_NAMES = (
    "project", "sync-run", "revision", "problem", "search-hit", "link", "matrix", "coverage", "trace-graph",
)
