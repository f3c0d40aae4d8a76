"""Pydantic v2 schemas: read models (every column), filter models (list queries) and update models (database-owned
fields only) per kind, plus projects, sync runs, revisions, pages, facets, search hits, problems, links and
test runs: every JSON shape the API serves.

``tracertm schema NAME`` prints their JSON Schema (``json_schema``); the CLI's ``--format json`` and the HTTP API
print the same read models.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel


@cache  # the models are built once; a name is looked up twice per schema printed
def _shapes() -> dict[str, dict[str, type[BaseModel]]]:
    """Every name ``tracertm schema`` knows and its models: a record kind's ``read``, ``update``, ``filter`` and
    ``page`` (its list), and each other JSON shape the API serves (the models its routes declare, so the printed
    schema and ``/openapi.json`` agree)."""
    from tracertm.repositories.kinds import KINDS
    from tracertm.schemas import common, results, trace
    from tracertm.schemas.filters import ListFilter
    from tracertm.schemas.records import page_model, read_model
    from tracertm.schemas.updates import update_model

    shapes: dict[str, dict[str, type[BaseModel]]] = {
        k.name.replace("_", "-"): {"read": read_model(k.name), "update": update_model(k.name), "filter": ListFilter,
                                   "page": page_model(k.name)}
        for k in KINDS.values()
    }
    shapes.update({
        # GET /projects and /sync-runs, a record's /history: a JSON array of these read models.
        "project": {"read": common.ProjectRead}, "status": {"read": common.ProjectStatus},
        "sync-run": {"read": common.SyncRunRead}, "revision": {"read": common.RevisionRead},
        "search": {"read": common.SearchResults}, "search-hit": {"read": common.SearchHit},
        "facets": {"read": common.Facets}, "health": {"read": common.Health}, "problem": {"read": common.Problem},
        # ``PATCH .../links/{link}`` takes LinkUpdate: a link has an update model as records do.
        "link": {"read": trace.LinkRead, "update": trace.LinkUpdate, "page": trace.LinkPage},
        "review": {"read": trace.ReviewResult}, "matrix": {"read": trace.Matrix},
        "coverage": {"read": trace.CoverageSummary}, "trace-graph": {"read": trace.TraceGraph},
        "test-run": {"read": results.TestRunDetail, "page": results.TestRunPage},
        "test-run-import": {"read": results.TestRunImported}, "test-result": {"read": results.TestResultRead},
    })
    return shapes


def schema_name(name: str, option: str = "KIND") -> str:
    """The name ``tracertm schema`` knows ``name`` by: any case, ``_`` for ``-``, plural or singular (``ADRs``,
    ``sync_runs``, ``Matrix``, ``facet``); an unknown one is a usage error listing the names."""
    from tracertm.errors import UsageError

    names = _shapes()
    wanted = name.strip().casefold().replace("_", "-")
    for candidate in (wanted, wanted[:-1] if wanted.endswith("s") else "", f"{wanted}s"):
        if candidate in names:
            return candidate
    raise UsageError(f"{option} {name!r}: unknown name; use one of {', '.join(names)} "
                     "(singular or plural, any case, - or _)")


def json_schema(kind_name: str, which: str = "read") -> dict[str, Any]:
    """The JSON Schema of one name's ``read``, ``update``, ``filter`` or ``page`` model (``schema_name`` reads the
    name); a model a name does not have is a usage error naming ``--model`` and the ones it has (printing the read
    model instead would pass for the one asked for). What the API serves (read, page) is the serialization schema,
    as ``/openapi.json`` documents responses; what it takes (update, filter) the validation schema."""
    from tracertm.errors import UsageError

    name = schema_name(kind_name)
    models = _shapes()[name]
    if which not in models:
        names = list(models)
        has = f"only a {names[0]} model" if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]} models"
        use = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
        raise UsageError(f"--model {which}: {name} has {has}; use --model {use}")
    if which in ("read", "page"):
        return models[which].model_json_schema(mode="serialization")
    return models[which].model_json_schema(mode="validation")


def schema_names() -> tuple[str, ...]:
    """Every name ``tracertm schema`` knows, record kinds first."""
    return tuple(_shapes())
