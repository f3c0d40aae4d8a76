"""What each page shows, gathered through the library (repositories, trace, results, steps, search) — the templates
only lay it out. One function per page; each takes a session and returns the template's context.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy.orm import Session

from tracertm.models import Project
from tracertm.repositories import Projects, Records
from tracertm.repositories.kinds import KINDS, Kind
from tracertm.schemas.filters import ListFilter
from tracertm.schemas.records import to_dict

API = "/api/v1"
LIST_KINDS = ("adrs", "contracts", "features")  # kinds with a list page of their own
PAGE_SIZE = 50


def seg(text: str) -> str:
    """One URL path segment (``/`` encoded too)."""
    return quote(str(text), safe="")


def project_seg(name: str) -> str:
    """A project name in a page's or the API's path: percent-encoded, its slashes kept (``acme/payments``), as
    the API's ``Link`` and ``Location`` headers write it (``api.deps.path_segment``). The routes take the name with
    ``{project:path}``, and the path a page sees (decoded) is its link's, so navigation can mark the current page."""
    return quote(str(name), safe="/")


def project_exists(session: Session, name: str) -> bool:
    """Whether ``name`` names a project (by name or UUID)."""
    from tracertm.repositories.errors import NotFound

    try:
        Projects(session).get(name, "project")
    except NotFound:
        return False
    return True


def record_url(project: str, kind: str, ident: str) -> str | None:
    """The page of a record: ``ident`` as links and hits name it (``FEAT-1/SC-2`` for scenarios); None for kinds
    without a page (requirements, test cases)."""
    base = f"/projects/{project_seg(project)}"
    if kind == "adr":
        return f"{base}/adrs/{seg(ident)}"
    if kind == "contract":
        return f"{base}/contracts/{seg(ident)}"
    if kind == "feature":
        return f"{base}/features/{seg(ident)}"
    if kind == "scenario" and "/" in ident:
        feature, _, scenario = ident.rpartition("/")
        return f"{base}/features/{seg(feature)}/scenarios/{seg(scenario)}"
    return None


def twin(kind: Kind, ident: str, project: str) -> str:
    """The record's JSON twin in the API."""
    return f"{API}/{kind.plural}/{quote(ident, safe='/')}?project={seg(project)}"


# --------------------------------------------------------------------------------------------------- dashboard


@dataclass
class Summary:
    """One project on the dashboard."""

    project: Project
    status: dict[str, Any]
    links: dict[str, Any]
    coverage: dict[str, dict[str, int]]  # "requirements"/"adrs" → state → count


def summary(session: Session, project: Project, link_limit: int = 50) -> Summary:
    from tracertm.trace import coverage, review

    status = Projects(session).status(project)
    links = review.summary(session, project, limit=link_limit)
    states = {by: coverage.states_count(coverage.coverage(session, project, by)) for by in ("requirements", "adrs")}
    return Summary(project, status, links, states)


def dashboard(session: Session) -> dict[str, Any]:
    return {"summaries": [summary(session, p, link_limit=5) for p in Projects(session).list()]}


def project_page(session: Session, name: str) -> dict[str, Any]:
    project = Projects(session).get(name, "project")
    runs = [run for run, _ in Projects(session).sync_runs(project, limit=5)]
    return {"s": summary(session, project), "runs": runs, "project": project.name}


# ------------------------------------------------------------------------------------------------------- lists


def record_list(session: Session, project_name: str, plural: str, status: str | None, q: str | None,
                cursor: str | None) -> dict[str, Any]:
    """A list page: records of one kind with a status filter and a full-text query, 50 at a time."""
    from tracertm.errors import UsageError

    k = KINDS[{"adrs": "adr", "contracts": "contract", "features": "feature"}[plural]]
    project = Projects(session).get(project_name, "project")
    repo = Records(session, k)
    statuses = [str(s) for s in k.table.c.status.type.enums]
    if status and status not in statuses:
        raise UsageError(f"status {status!r}: not a status of {plural}; use one of {', '.join(statuses)}")
    flt = ListFilter(status=[status] if status else [], text=q or None, limit=PAGE_SIZE)
    page = repo.list(project, flt, cursor)
    counts = dict(repo.facets(project, flt.model_copy(update={"status": []}))["status"])
    rows = [to_dict(k, row, project.name, feature) for row, feature in page.rows]
    api_query = {"status": status, "text": q}
    return {
        "project": project.name, "kind": k, "plural": plural, "rows": rows, "status": status or "", "q": q or "",
        "statuses": [(s, counts.get(s, 0)) for s in statuses], "next_cursor": page.next_cursor,
        "total": repo.count(project, flt), "api_query": api_query, "page_size": flt.limit,
    }


# ----------------------------------------------------------------------------------------------------- records


@dataclass
class ChainLink:
    """One ADR of a supersede chain (``row`` None: named but not in the database)."""

    number: str
    title: str | None
    status: str | None
    current: bool


def supersede_chain(repo: Records, project: Project, adr: Any, limit: int = 50) -> list[ChainLink]:
    """The ADRs ``adr`` supersedes (oldest first), itself, and those superseding it — followed through the
    ``supersedes``/``superseded_by`` fields, stopping at a cycle, a missing ADR or ``limit`` steps."""

    def find(number: str) -> Any:
        rows = repo.find_by_number(number, project)
        live = [r for r in rows if r.deleted_at is None]
        return (live or rows or [None])[0]

    def link(row: Any, number: str, current: bool = False) -> ChainLink:
        if row is None:
            return ChainLink(number, None, None, current)
        return ChainLink(row.adr_number, row.title, str(row.status), current)

    seen = {adr.id}

    def walk(field: str) -> list[ChainLink]:
        """Links from ``adr`` along ``field`` (nearest first); ``seen`` is shared so the two directions meet once."""
        out: list[ChainLink] = []
        row = adr
        while row is not None and getattr(row, field) and len(out) < limit:
            number = getattr(row, field)
            nxt = find(number)
            if nxt is not None and nxt.id in seen:
                break
            out.append(link(nxt, number))
            if nxt is not None:
                seen.add(nxt.id)
            row = nxt
        return out

    before = walk("supersedes")[::-1]
    after = walk("superseded_by")
    chain = [*before, link(adr, adr.adr_number, current=True), *after]
    return chain if len(chain) > 1 else []


def _fields(k: Kind, data: dict[str, Any], skip: set[str]) -> tuple[list[tuple[str, Any]], list[tuple[str, Any]]]:
    """(git-owned, database-owned) fields of a record, in column order, without ``skip``."""
    git, database = [], []
    for name, value in data.items():
        if name in skip:
            continue
        owner = k.owner_of(name)
        if owner == "git":
            git.append((name, value))
        elif owner == "database":
            database.append((name, value))
    return git, database


def adr_page(session: Session, project_name: str, ident: str) -> dict[str, Any]:
    from tracertm.trace import review
    from tracertm.web.timeline import timeline

    project = Projects(session).get(project_name, "project")
    repo = Records(session, "adr")
    row = repo.get(ident, project)
    data = to_dict(repo.kind, row, project.name)
    prose = {"context", "decision", "consequences", "title", "status"}
    git, database = _fields(repo.kind, data, prose)
    return {
        "project": project.name, "kind": repo.kind, "row": row, "data": data, "git_fields": git,
        "db_fields": database, "chain": supersede_chain(repo, project, row),
        "links": review.record_links(session, project, "adr", row),
        "revisions": timeline(repo.history(row)),
        "json_url": twin(repo.kind, row.adr_number, project.name),
        "history_url": f"{API}/adrs/{seg(row.adr_number)}/history?project={seg(project.name)}",
        "trace_url": f"{API}/projects/{project_seg(project.name)}/trace/{seg(row.adr_number)}",
    }


def contract_page(session: Session, project_name: str, ident: str) -> dict[str, Any]:
    from tracertm.trace import review
    from tracertm.web.timeline import timeline

    project = Projects(session).get(project_name, "project")
    repo = Records(session, "contract")
    row = repo.get(ident, project)
    data = to_dict(repo.kind, row, project.name)
    git, database = _fields(repo.kind, data, {"title", "status", "executable_spec"})
    return {
        "project": project.name, "kind": repo.kind, "row": row, "data": data, "git_fields": git,
        "db_fields": database, "links": review.record_links(session, project, "contract", row),
        "revisions": timeline(repo.history(row)),
        "json_url": twin(repo.kind, row.contract_number, project.name),
        "trace_url": f"{API}/projects/{project_seg(project.name)}/trace/{seg(row.contract_number)}",
    }


def _parsed_steps(scenario: Any) -> list[dict[str, Any]]:
    """A scenario's steps as written (background first), when no executed steps were matched."""
    steps = []
    for group in ("background", "given_steps", "when_steps", "then_steps"):
        for step in getattr(scenario, group) or []:
            if isinstance(step, dict):
                steps.append({"keyword": step.get("keyword", ""), "text": step.get("text", ""),
                              "line": step.get("line"), "row_line": None, "status": None, "definitions": []})
    return sorted(steps, key=lambda s: s["line"] or 0)


@dataclass
class ScenarioView:
    row: Any
    steps: list[dict[str, Any]]
    matched: bool  # steps come from step matching (with definitions), not just the parsed text
    results: dict[str, Any]
    url: str


def scenario_view(session: Session, project: Project, scenario: Any, results: int = 3) -> ScenarioView:
    from tracertm.results.queries import scenario_results
    from tracertm.steps.queries import scenario_steps

    steps = scenario_steps(session, scenario)
    ident = f"{scenario.feature.feature_number}/{scenario.scenario_number}"
    return ScenarioView(
        scenario, steps or _parsed_steps(scenario), bool(steps), scenario_results(session, scenario, limit=results),
        record_url(project.name, "scenario", ident) or "",
    )


def feature_page(session: Session, project_name: str, ident: str) -> dict[str, Any]:
    from tracertm.trace import review

    project = Projects(session).get(project_name, "project")
    repo = Records(session, "feature")
    row = repo.get(ident, project)
    data = to_dict(repo.kind, row, project.name)
    git, database = _fields(repo.kind, data, {"name", "status", "description", "background"})
    live = [s for s in row.scenarios if s.deleted_at is None]
    return {
        "project": project.name, "kind": repo.kind, "row": row, "data": data, "git_fields": git,
        "db_fields": database, "scenarios": [scenario_view(session, project, s) for s in live],
        "links": review.record_links(session, project, "feature", row),
        "json_url": twin(repo.kind, row.feature_number, project.name),
        "trace_url": f"{API}/projects/{project_seg(project.name)}/trace/{seg(row.feature_number)}",
    }


def scenario_page(session: Session, project_name: str, feature: str, ident: str) -> dict[str, Any]:
    from tracertm.trace import review
    from tracertm.web.timeline import timeline

    project = Projects(session).get(project_name, "project")
    repo = Records(session, "scenario")
    row = repo.get(f"{feature}/{ident}", project)
    qualified = repo.qualified(row)
    return {
        "project": project.name, "kind": repo.kind, "row": row, "qualified": qualified,
        "view": scenario_view(session, project, row, results=20),
        "links": review.record_links(session, project, "scenario", row),
        "revisions": timeline(repo.history(row)),
        "json_url": twin(repo.kind, qualified, project.name),
        "trace_url": f"{API}/projects/{project_seg(project.name)}/trace/{quote(qualified, safe='/')}",
    }


# ------------------------------------------------------------------------------------------ matrix and search


def matrix_page(session: Session, project_name: str, by: str) -> dict[str, Any]:
    from tracertm.errors import UsageError
    from tracertm.trace import coverage

    if by not in ("requirements", "adrs"):
        raise UsageError(f"from {by!r}: use requirements or adrs")
    project = Projects(session).get(project_name, "project")
    rows = coverage.coverage(session, project, by)
    return {
        "project": project.name, "by": by, "rows": rows, "states": coverage.states_count(rows),
        "json_url": f"{API}/projects/{project_seg(project.name)}/matrix?from={by}",
        "coverage_url": f"{API}/projects/{project_seg(project.name)}/coverage",
    }


def search_page(session: Session, q: str, project_name: str | None, kind: str | None) -> dict[str, Any]:
    from tracertm.repositories.kinds import kind as kind_named
    from tracertm.search.engine import search

    projects = Projects(session).list()
    scoped = Projects(session).get(project_name, "project") if project_name else None
    kinds = [kind_named(kind, "kind")] if kind else None
    hits = search(session, q, kinds=kinds, project=scoped, limit=50) if q.strip() else []
    for hit in hits:
        ident = f"{hit['feature']}/{hit['number']}" if hit["kind"] == "scenario" else hit["number"]
        hit["url"] = record_url(hit["project"], hit["kind"], ident)
    params = {"q": q, "project": project_name, "kind": kind}
    return {
        "q": q, "hits": hits, "projects": [p.name for p in projects], "scope": project_name or "",
        "kind_filter": kind or "", "project": project_name, "api_params": params,
        "kinds": [k.plural for k in KINDS.values() if k.searchable],
    }
