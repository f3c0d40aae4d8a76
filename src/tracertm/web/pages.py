"""What each page shows, gathered through the library (repositories, trace, results, steps, search) — the templates
only lay it out. One function per page; each takes a session and returns the template's context.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracertm.models import Feature, Project, Scenario
from tracertm.repositories import Projects, Records
from tracertm.repositories.kinds import KINDS, Kind
from tracertm.schemas.filters import ListFilter
from tracertm.schemas.records import to_dict
from tracertm.web.feature_text import story_and_rest, with_arguments
from tracertm.web.urls import API, learn_scenarios, project_seg, record_url, seg, trace_url, twin

# Kinds with a list page of their own: every kind search looks in, so that past its best hits a search's note links
# a list that holds every match.
LIST_KINDS = ("adrs", "contracts", "features", "scenarios")
LIST_KIND_NAMES = {"adrs": "adr", "contracts": "contract", "features": "feature", "scenarios": "scenario"}
PAGE_SIZE = 50


def _scenario_refs(links: Iterable[dict[str, Any]]) -> Iterator[str]:
    for link in links:
        for end in ("source", "target"):
            if link[end]["kind"] == "scenario":
                yield str(link[end]["id"])


def project_exists(session: Session, name: str) -> bool:
    """Whether ``name`` names a project (by name or UUID)."""
    from tracertm.repositories.errors import NotFound

    try:
        Projects(session).get(name, "project")
    except NotFound:
        return False
    return True


def feature_exists(session: Session, project_name: str, number: str) -> bool:
    """Whether the project ``project_name`` has a feature numbered ``number`` (deleted ones too)."""
    from tracertm.repositories.errors import NotFound

    try:
        project = Projects(session).get(project_name, "project")
    except NotFound:
        return False
    return bool(Records(session, "feature").find_by_number(number, project))


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

    status = Projects(session).status(project, good_run=True)
    links = review.summary(session, project, limit=link_limit)
    return Summary(project, status, links, coverage.states_by_project(session, [project.id])[project.id])


# The projects one dashboard page shows, by name; a *Next projects* link (``/?after=<the last name>``) leads on. A
# server holding hundreds of projects built one page of them all (each with its counts and coverage).
DASHBOARD_PAGE = 100


def dashboard(session: Session, after: str | None = None) -> dict[str, Any]:
    """The ``Summary`` of each project of a page (the first ``DASHBOARD_PAGE`` by name after the name ``after``; its
    link counts, not the links themselves, which the dashboard does not show), read for the page's projects at
    once: a fixed number of statements however many projects the database or the page holds."""
    from tracertm.api.deps import project_cursor
    from tracertm.trace import coverage, review

    repo = Projects(session)
    projects, more = repo.page(after, DASHBOARD_PAGE)
    # A page that holds every project names none of them in its statements (``every``): no list of bound ids.
    whole = after is None and not more
    ids = None if whole else [p.id for p in projects]
    statuses = repo.statuses(projects, every=whole, good_run=True)
    links = review.counts_by_project(session, ids)
    states = coverage.states_by_project(session, ids)
    empty = {by: coverage.states_count(()) for by in ("requirements", "adrs")}
    return {
        "summaries": [Summary(p, statuses[p.id], links[p.id], states.get(p.id, empty)) for p in projects],
        "next_page": f"/?{urlencode({'after': projects[-1].name})}" if more and projects else None,
        "first_page": "/" if after is not None else None,
        # The JSON twin of this very page (of the whole list while there is one page).
        "json_url": f"{API}/projects" + (
            f"?{urlencode({'cursor': project_cursor(after), 'limit': DASHBOARD_PAGE})}" if after is not None
            else f"?limit={DASHBOARD_PAGE}" if more else ""),
    }


def project_page(session: Session, name: str) -> dict[str, Any]:
    project = Projects(session).get(name, "project")
    runs = [run for run, _ in Projects(session).sync_runs(project, limit=5)]
    s = summary(session, project)
    learn_scenarios(session, project, _scenario_refs([*s.links["suspect_links"], *s.links["dangling_links"]]))
    return {"s": s, "runs": runs, "project": project.name}


LINK_STATES = ("suspect", "dangling")


def links_page(session: Session, project_name: str, state: str | None, cursor: str | None) -> dict[str, Any]:
    """Every link of a project (or only the suspect or the dangling ones), 50 at a time in link-number order: where
    the project page's lists end with "… and N more"."""
    from tracertm.errors import UsageError
    from tracertm.trace.listing import LinkFilter, counts, cursor_filter, list_links

    if state and state not in LINK_STATES:
        raise UsageError(f"state {state!r}: use {' or '.join(LINK_STATES)} (or none for every link)")
    project = Projects(session).get(project_name, "project")
    try:  # the links a cursor gives follow the state it carries, not one sent beside it (README: Pages): so do
        carried = cursor_filter(cursor) if cursor else None  # the page's count, tabs and Next link
    except UsageError:
        carried = None  # (``list_links`` says what is wrong with it)
    if carried is not None and carried[0] == project.id:
        state = "suspect" if carried[1].suspect else "dangling" if carried[1].dangling else None
    flt = LinkFilter(suspect=True if state == "suspect" else None, dangling=True if state == "dangling" else None,
                     limit=PAGE_SIZE)
    page = list_links(session, project, flt, cursor)
    learn_scenarios(session, project, _scenario_refs(page.items))
    counted = counts(session, project)
    total = counted[state] if state else counted["total"]
    # The twin of this very page: the API takes the page's cursor (which carries the state and the page size).
    params = {**({state: "true"} if state else {}), **({"cursor": cursor} if cursor else {})}
    query = f"?{urlencode(params)}" if params else ""
    return {
        "project": project.name, "state": state or "", "links": page.items, "next_cursor": page.next_cursor,
        "total": total, "counts": counted, "page_size": PAGE_SIZE,
        "json_url": f"{API}/projects/{project_seg(project.name)}/links{query}",
    }


# ------------------------------------------------------------------------------------------------------- lists


MAX_TEXT = 500  # a query's characters, as the API's ``text`` and ``q`` take them
MAX_CURSOR = 4096  # as the API takes a cursor back


def _shown(value: str, most: int = 60) -> str:
    """``value`` quoted as a message names it, cut to ``most`` characters: a message stays one short line."""
    return repr(value if len(value) <= most else value[:most] + "…")


def _query_problem(q: str, option: str) -> str | None:
    """What is wrong with the full-text query ``q`` (too long, no word to look for), as one line; None if nothing."""
    from tracertm.errors import UsageError
    from tracertm.search import syntax

    if len(q) > MAX_TEXT:
        return f"{option}: at most {MAX_TEXT} characters (this one has {len(q)}); shorten it"
    try:
        syntax.parse(q, option)
    except UsageError as exc:
        return str(exc)
    return None


def _list_problems(plural: str, statuses: list[str], chosen: list[str], q: str | None) -> dict[str, str]:
    """What is wrong with a list's ``status`` values (``chosen``, of the kind's ``statuses``) and its full-text
    query ``q``: parameter → one line."""
    errors: dict[str, str] = {}
    unknown = [value for value in chosen if value not in statuses]
    if unknown:
        errors["status"] = (f"status {_shown(unknown[0])}: not a status of {plural}; "
                            f"use one of {', '.join(statuses)} (or any)")
    if q and (problem := _query_problem(q, "q")):
        errors["q"] = problem
    return errors


def _cursor_query(cursor: str | None, kind: Kind, project: Project) -> ListFilter | None:
    """The query a next-page ``cursor`` of this very list (``kind``'s of ``project``) carries; None for no cursor
    or another's."""
    from tracertm.errors import UsageError
    from tracertm.repositories.cursor import Cursor

    if not cursor or len(cursor) > MAX_CURSOR:
        return None
    try:
        decoded = Cursor.decode(cursor)
    except UsageError:
        return None
    return decoded.filter if decoded.kind == kind.name and decoded.project_id == project.id else None


def record_list(session: Session, project_name: str, plural: str, status: list[str], q: str | None,
                cursor: str | None) -> dict[str, Any]:
    """A list page: records of one kind with a status filter (any of several: ``status`` as the API's lists take
    it, each value comma-separated or not) and a full-text query, 50 at a time; with a ``cursor`` of this list,
    the query it carries (its rows follow it, whatever filters come with it). A bad value of a parameter is not
    an error page but this page with ``errors`` (parameter → one line) and no rows: the form keeps what was asked
    and says, next to the field, what is wrong (the route answers 400)."""
    from pydantic import ValidationError

    from tracertm.errors import UsageError
    from tracertm.schemas.filters import _split

    k = KINDS[LIST_KIND_NAMES[plural]]
    project = Projects(session).get(project_name, "project")
    repo = Records(session, k)
    statuses = [str(s) for s in k.table.c.status.type.enums]
    carried = _cursor_query(cursor, k, project)
    if carried is not None and not _list_problems(plural, statuses, carried.status, carried.text):
        # The rows follow the query the cursor carries, not filters sent beside it (README: Pages): so do the
        # page's count, its form and its links, or the page would say one query above the rows of another.
        status, q = carried.status, carried.text
    else:
        carried = None  # (one that is no page's: ``Records.list`` says what is wrong with it)
    chosen = list(dict.fromkeys(_split(status)))  # the API's parsing (``a,b`` or repeated), each once, in order
    unknown = [value for value in chosen if value not in statuses]
    errors = _list_problems(plural, statuses, chosen, q)
    if cursor and len(cursor) > MAX_CURSOR:
        errors["cursor"] = "cursor: not a cursor of this list; start again without it"
    flt = ListFilter(limit=PAGE_SIZE)
    if not errors:
        try:  # filters too long for a next page's cursor, as the API says (422 there)
            flt = ListFilter(status=status, text=q or None, limit=PAGE_SIZE)  # as sent, as the API counts it
        except ValidationError as exc:
            message = str(exc.errors()[0]["msg"]) if exc.errors() else "invalid filters"
            errors["q" if q else "status"] = message.removeprefix("Value error, ")
    page = None
    if not errors:
        try:
            page = repo.list(project, flt, cursor)
        except UsageError as exc:  # a cursor that is not this list's, or (a digest cursor) whose last row changed
            errors["cursor"] = str(exc)
    if page is not None and carried is not None:  # the whole query the rows follow (the API's may filter more)
        flt = carried.model_copy(update={"limit": PAGE_SIZE})
    # The counts beside each status: of the query's matches, or of every record when the query is at fault.
    counted = flt.model_copy(update={"status": []}) if "q" not in errors else ListFilter(limit=PAGE_SIZE)
    counts = dict(repo.facets(project, counted)["status"])
    rows = [to_dict(k, row, project.name, feature) for row, feature in page.rows] if page is not None else []
    # The JSON twin's query: the page's filters and its cursor, which the API's list takes as it is (page 2's twin
    # without it was the API's first page).
    api_query = {"status": chosen, "text": q, "cursor": cursor}
    return {
        "project": project.name, "kind": k, "plural": plural, "rows": rows, "status": chosen, "q": q or "",
        "statuses": [(s, counts.get(s, 0)) for s in statuses], "unknown_status": unknown,
        "next_cursor": page.next_cursor if page is not None else None,
        "total": repo.count(project, flt) if page is not None else None, "api_query": api_query,
        "page_size": flt.limit, "errors": errors,
    }


# ----------------------------------------------------------------------------------------------------- records


@dataclass
class ChainLink:
    """One ADR of a supersede chain (``row`` None: named but not in the database)."""

    number: str
    title: str | None
    status: str | None
    current: bool


# Revisions on one page of a record's timeline (newest first): as many as the other pages' 50 rows; an ADR edited
# on every commit has thousands, and the page grew with them (2,000: 1.3 MB, 0.6 s). Older ones: ``?before=``.
HISTORY_PAGE = PAGE_SIZE


def history_page(repo: Records, row: Any, before: int | None, url: str) -> dict[str, Any]:
    """The timeline context of a record's page: the newest ``HISTORY_PAGE`` revisions with a version below
    ``before`` (all versions when None), each diffed against the revision before it — also the oldest shown, from
    the state the earlier revisions left (read newest first, only as far as needed) — how many revisions there are
    in all, and the links to the older and the newest ones."""
    from tracertm.models import SpecRevision
    from tracertm.web.timeline import edited_names, state_before, timeline

    revisions, more = repo.history_window(row, before, HISTORY_PAGE)
    state = None
    if revisions and more:
        oldest, kind = revisions[0].version, revisions[0].entity_type
        state = state_before(
            kind, repo.history_older(row, oldest, (SpecRevision.change != "annotated",)),
            next((r.source_path for r in repo.history_older(row, oldest, (SpecRevision.source_path.is_not(None),),
                                                              batch=1)), None),
            repo.history_older(row, oldest, (SpecRevision.change == "annotated",)), edited_names(revisions))
    return {
        "revisions": timeline(revisions, state),
        "history_total": repo.history_count(row),
        "history_older": f"{url}?before={revisions[0].version}#history" if revisions and more else None,
        "history_newest": f"{url}#history" if before is not None else None,
    }


def supersede_chain(repo: Records, project: Project, adr: Any, limit: int = 50) -> list[ChainLink]:
    """The ADRs ``adr`` supersedes (oldest first), itself, and those superseding it — followed through the
    ``supersedes``/``superseded_by`` fields (all the ADRs an ADR names, when it names several: ``relation_ids``),
    stopping at a cycle, a missing ADR or ``limit`` ADRs each way."""

    def find(number: str) -> Any:
        rows = repo.find_by_number(number, project)
        live = [r for r in rows if r.deleted_at is None]
        return (live or rows or [None])[0]

    def link(row: Any, number: str, current: bool = False) -> ChainLink:
        if row is None:
            return ChainLink(number, None, None, current)
        return ChainLink(row.adr_number, row.title, str(row.status), current)

    seen = {adr.id}

    def walk(field: str) -> list[list[ChainLink]]:
        """The ADRs from ``adr`` along ``field``, a step at a time (nearest first, each in the order written);
        ``seen`` is shared so the two directions meet once."""
        steps: list[list[ChainLink]] = []
        rows, count = [adr], 0
        while rows and count < limit:
            step: list[ChainLink] = []
            following: list[Any] = []
            for number in (n for row in rows for n in relation_ids(row, field)):
                nxt = find(number)
                if (nxt is not None and nxt.id in seen) or count >= limit:
                    continue
                step.append(link(nxt, number))
                count += 1
                if nxt is not None:
                    seen.add(nxt.id)
                    following.append(nxt)
            if step:
                steps.append(step)
            rows = following
        return steps

    before = [c for step in walk("supersedes")[::-1] for c in step]
    after = [c for step in walk("superseded_by") for c in step]
    chain = [*before, link(adr, adr.adr_number, current=True), *after]
    return chain if len(chain) > 1 else []


def relation_ids(row: Any, field: str) -> list[str]:
    """The ADRs a row's ``supersedes`` / ``superseded_by`` names: the column's one, or the metadata's several."""
    metadata, first = getattr(row, "metadata", None), getattr(row, field)
    listed = metadata.get(field) if isinstance(metadata, Mapping) else None
    return [n for n in listed if isinstance(n, str)] if isinstance(listed, list) and listed else [first] * bool(first)


def _fields(repo: Records, row: Any, data: dict[str, Any],
            skip: set[str]) -> tuple[list[tuple[str, Any]], list[tuple[str, Any]]]:
    """(git-owned, database-owned) fields of a record, in column order, without ``skip``. ``metadata`` holds keys of
    both owners: each side shows its own keys, as a ``PATCH`` decides them (``Records.git_metadata_keys``)."""
    k = repo.kind
    git, database = [], []
    for name, value in data.items():
        if name in skip:
            continue
        owner = k.owner_of(name)
        if name == "metadata" and k.metadata_column is not None and isinstance(value, dict):
            files = repo.git_metadata_keys(row)
            git.append((name, {key: v for key, v in value.items() if key in files}))
            ours = {key: v for key, v in value.items() if key not in files}
            if ours:  # shown only when the API set some: most records have none
                database.append((name, ours))
        elif owner == "git":
            git.append((name, value))
        elif owner == "database":
            database.append((name, value))
    return git, database


def _links_of(session: Session, project: Project, kind: str, row: Any) -> dict[str, list[dict[str, Any]]]:
    """A record's links (``review.record_links``), their scenario references learnt for ``record_url``."""
    from tracertm.trace import review

    links = review.record_links(session, project, kind, row)
    learn_scenarios(session, project, _scenario_refs([*links["outgoing"], *links["incoming"]]))
    return links


def _prose(session: Session, project: Project, row: Any, texts: dict[Any, str],
           inline: frozenset[Any] = frozenset(), tops: dict[Any, int] | None = None) -> dict[Any, Any]:
    """The Markdown of ``texts`` (of ``row``'s file; the keys are the caller's) as HTML (``web.markdown``; the keys
    in ``inline`` as one line's; ``tops``: the level of a text's shallowest heading where the page's own heading
    above it is not an ``<h2>``), their links to spec files of the project sent to their pages: one query for all
    of them. Empty texts are left out; those past what a page parses (``markdown.fitting``) are shown as written."""
    from tracertm.web import markdown

    texts = {key: text for key, text in texts.items() if text}
    fits = dict(zip(texts, markdown.fitting(texts.values()), strict=True))  # the rest as written: bounded work
    paths = set().union(*(markdown.local_paths(t, row.source_path) for key, t in texts.items() if fits[key]))
    pages: dict[str, str] = {}
    for name in ("adr", "contract", "feature") if paths else ():
        k = KINDS[name]
        number = getattr(k.model, str(k.number))
        found = session.execute(select(k.model.source_path, number).where(
            k.model.project_id == project.id, k.model.deleted_at.is_(None), k.model.source_path.in_(sorted(paths))))
        for path, ident in found:
            url = record_url(project.name, name, ident)
            if url is not None:
                pages[path] = url
    tops = tops or {}
    return {key: markdown.render(text, row.source_path, pages, key in inline, tops.get(key, markdown.TOP_HEADING),
                                 fits[key]) for key, text in texts.items()}


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _adr_prose(session: Session, project: Project, row: Any) -> dict[str, Any]:
    """An ADR's page text: ``prose`` (context, decision, consequences), ``options`` (MADR's considered options, each
    with its description and pros, neutral points and cons) and ``sections`` (its other sections, by title), all
    Markdown rendered in one pass."""
    meta = _mapping(row.metadata_)
    details, sections = _mapping(meta.get("options")), _mapping(meta.get("sections"))
    options = [o for o in row.considered_options or [] if isinstance(o, dict) and isinstance(o.get("option"), str)]
    texts: dict[Any, str] = {name: getattr(row, name) for name in ("context", "decision", "consequences")}
    parts: list[dict[str, list[Any]]] = []  # per option: its list items' keys in ``texts``
    for i, option in enumerate(options):
        detail = _mapping(details.get(option["option"]))
        texts[(i, "description")] = str(detail.get("description") or "")
        keys: dict[str, list[Any]] = {}
        for part, items in (("pros", option.get("pros")), ("neutral", detail.get("neutral")),
                            ("cons", option.get("cons"))):
            keys[part] = [(i, part, j) for j in range(len(items))] if isinstance(items, list) else []
            texts.update({key: str(item) for key, item in zip(keys[part], items or [])})
        parts.append(keys)
    texts.update({("section", str(title)): str(text) for title, text in sections.items()})
    inline = frozenset(key for keys in parts for part in keys.values() for key in part)
    # An option's description sits below its <h3> title.
    html = _prose(session, project, row, texts, inline, {(i, "description"): 4 for i in range(len(options))})
    return {
        "prose": {name: html[name] for name in ("context", "decision", "consequences") if name in html},
        "options": [{"title": o["option"], "description": html.get((i, "description")),
                     **{part: [html[k] for k in keys if k in html] for part, keys in parts[i].items()}}
                    for i, o in enumerate(options)],
        "sections": [(str(t), html[("section", str(t))]) for t in sections if ("section", str(t)) in html],
    }


def adr_page(session: Session, project_name: str, ident: str, before: int | None = None) -> dict[str, Any]:
    project = Projects(session).get(project_name, "project")
    repo = Records(session, "adr")
    row = repo.get(ident, project)
    data = to_dict(repo.kind, row, project.name)
    shown = _adr_prose(session, project, row)
    skip = {"context", "decision", "consequences", "title", "status"} | ({"considered_options"} if shown["options"]
                                                                          else set())
    git, database = _fields(repo, row, data, skip)
    return {
        "project": project.name, "kind": repo.kind, "row": row, "data": data, "git_fields": git,
        "db_fields": database, "chain": supersede_chain(repo, project, row),
        **shown,
        "links": _links_of(session, project, "adr", row),
        **history_page(repo, row, before, record_url(project.name, "adr", row.adr_number) or ""),
        "json_url": twin(repo.kind, row.adr_number, project.name, row.id),
        "history_url": f"{API}/adrs/{seg(row.adr_number)}/history?project={seg(project.name)}",
        "trace_url": trace_url(project.name, "adr", row.adr_number, row.id),
    }


def contract_page(session: Session, project_name: str, ident: str, before: int | None = None) -> dict[str, Any]:
    project = Projects(session).get(project_name, "project")
    repo = Records(session, "contract")
    row = repo.get(ident, project)
    data = to_dict(repo.kind, row, project.name)
    git, database = _fields(repo, row, data, {"title", "status", "executable_spec"})
    return {
        "project": project.name, "kind": repo.kind, "row": row, "data": data, "git_fields": git,
        "db_fields": database, "links": _links_of(session, project, "contract", row),
        **history_page(repo, row, before, record_url(project.name, "contract", row.contract_number) or ""),
        "json_url": twin(repo.kind, row.contract_number, project.name, row.id),
        "trace_url": trace_url(project.name, "contract", row.contract_number, row.id),
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
    return scenario_views(session, project, [scenario], results)[0]


def scenario_views(session: Session, project: Project, scenarios: list[Any], results: int = 3) -> list[ScenarioView]:
    """``scenario_view`` of each of ``scenarios`` (of ``project``), their steps and results read together
    (``scenarios_steps``, ``scenarios_results``): a feature page's statements do not grow with its scenarios."""
    from tracertm.results.queries import scenarios_results
    from tracertm.steps.queries import scenarios_steps

    steps = scenarios_steps(session, project.id, [s.id for s in scenarios])
    shown = scenarios_results(session, scenarios, limit=results)
    return [ScenarioView(
        s, with_arguments(s, steps.get(s.id) or _parsed_steps(s)), s.id in steps, shown[s.id],
        record_url(project.name, "scenario", s.scenario_number, s.feature.feature_number) or "",
    ) for s in scenarios]


def feature_page(session: Session, project_name: str, ident: str) -> dict[str, Any]:
    project = Projects(session).get(project_name, "project")
    repo = Records(session, "feature")
    row = repo.get(ident, project)
    data = to_dict(repo.kind, row, project.name)
    git, database = _fields(repo, row, data, {"name", "status", "description", "background"})
    live = [s for s in row.scenarios if s.deleted_at is None]
    story, rest = story_and_rest(row.description)
    return {
        "project": project.name, "kind": repo.kind, "row": row, "data": data, "git_fields": git,
        "db_fields": database, "scenarios": scenario_views(session, project, live), "story": story,
        # The rest of the description sits right below the story, before the page's first section.
        "prose": _prose(session, project, row, {"description": rest}, tops={"description": 2}),
        "links": _links_of(session, project, "feature", row),
        "json_url": twin(repo.kind, row.feature_number, project.name, row.id),
        "trace_url": trace_url(project.name, "feature", row.feature_number, row.id),
    }


def find_scenario(repo: Records, project: Project, feature: str, ident: str) -> Any:
    """The scenario ``ident`` of the feature ``feature`` (numbers as they are; a live one before a deleted one),
    else the one ``FEATURE/SCENARIO`` names at any other split (a link typed by hand), else NotFound/Ambiguous.
    Either may be the record's UUID instead, as the pages link a number ``.`` or ``..`` (``urls.record_url``)."""
    rows = [row for row in repo.find_by_number(f"{feature}/{ident}", project)
            if row.feature.feature_number == feature and row.scenario_number == ident]
    rows = rows or _scenarios_by_uuid(repo, project, feature, ident)
    if rows:
        return sorted(rows, key=lambda row: row.deleted_at is not None)[0]
    return repo.get(f"{feature}/{ident}", project)


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _scenarios_by_uuid(repo: Records, project: Project, feature: str, ident: str) -> list[Any]:
    """The scenarios of ``project`` that ``feature`` and ``ident`` name when either (or both) is a UUID: the
    feature's by number or UUID, the scenario's by number or UUID. [] when neither is one (no statement)."""
    feature_id, scenario_id = _uuid(feature), _uuid(ident)
    if feature_id is None and scenario_id is None:
        return []
    stmt = select(Scenario).join(Feature, Scenario.feature_id == Feature.id).where(Feature.project_id == project.id)
    stmt = stmt.where(Feature.id == feature_id if feature_id else Feature.feature_number == feature)
    stmt = stmt.where(Scenario.id == scenario_id if scenario_id else Scenario.scenario_number == ident)
    return list(repo.session.execute(stmt.limit(20).execution_options(include_deleted=True)).scalars())


def scenario_page(session: Session, project_name: str, feature: str, ident: str,
                  before: int | None = None) -> dict[str, Any]:
    project = Projects(session).get(project_name, "project")
    repo = Records(session, "scenario")
    row = find_scenario(repo, project, feature, ident)
    qualified = repo.qualified(row)
    return {
        "project": project.name, "kind": repo.kind, "row": row, "qualified": qualified,
        "view": scenario_view(session, project, row, results=20),
        "links": _links_of(session, project, "scenario", row),
        **history_page(repo, row, before, record_url(project.name, "scenario", row.scenario_number,
                                                      row.feature.feature_number) or ""),
        "json_url": twin(repo.kind, qualified, project.name, row.id),
        "trace_url": trace_url(project.name, "scenario", qualified, row.id),
    }


# ------------------------------------------------------------------------------------------ matrix and search


# The rows one matrix page shows; *Next rows* (``?after=<the last id>``) leads on. The large benchmark corpus's matrix
# was one page of 900 requirements (2,000 ADRs) naming 26,000 records: 2.8 MB (3.3 MB) of HTML, a second of it
# rendering, several of the browser's laying out the table.
MATRIX_PAGE = 100


def matrix_page(session: Session, project_name: str, by: str, after: str | None = None) -> dict[str, Any]:
    """The coverage rows of a project ``by`` requirements or ADRs, ``MATRIX_PAGE`` of them after the id ``after``
    (in the rows' order), with the states counted over every row. Only the page's rows are built
    (``coverage.page_rows``); the ids of the others and the counts come from ``coverage.row_index``."""
    from tracertm.errors import UsageError
    from tracertm.trace import coverage

    if by not in ("requirements", "adrs"):
        raise UsageError(f"from {by!r}: use requirements or adrs")
    project = Projects(session).get(project_name, "project")
    index = coverage.row_index(session, project, by)
    start = index.start_after(after)
    shown = coverage.page_rows(session, index, index.ids[start:start + MATRIX_PAGE])
    learn_scenarios(session, project, (s for row in shown for s in row.scenarios))
    more = start + MATRIX_PAGE < len(index.ids)
    return {
        "project": project.name, "by": by, "rows": shown, "states": index.states,
        "total": len(index.ids), "first": start + 1, "after": after,
        "next_page": f"?{urlencode({'from': by, 'after': shown[-1].id})}" if more and shown else None,
        "first_page": f"?{urlencode({'from': by})}" if after is not None else None,
        "json_url": f"{API}/projects/{project_seg(project.name)}/matrix?from={by}",
        "coverage_url": f"{API}/projects/{project_seg(project.name)}/coverage",
    }


def search_page(session: Session, q: str, project_name: str | None, kind: str | None,
                page: str | int | None = 1, include_deleted: str | None = None) -> dict[str, Any]:
    """Ranked hits, 50 a page, with how many records match in all (``search_total``). The ranking reaches the
    best ``MAX_HITS`` (search.engine); past them the page says how to narrow the query, and links the list pages
    that hold every match of a kind. ``include_deleted`` (the form's checkbox, ``true``; as the API's) ranks
    deleted records too, each marked so. A bad parameter (a query of no word, an unknown project or kind, a page
    past the last that holds hits, an ``include_deleted`` that is no yes or no) leaves ``errors`` (parameter → one
    line) and no hits: the route answers 400 with the form as it was sent."""
    from tracertm.repositories.errors import NotFound
    from tracertm.search.engine import MAX_HITS, search

    projects = Projects(session).list()
    searchable = [k for k in KINDS.values() if k.searchable]
    last_page = -(-MAX_HITS // PAGE_SIZE)
    errors: dict[str, str] = {}
    if q and (problem := _query_problem(q, "q")):  # only spaces too: "needs at least one word", as the API says
        errors["q"] = problem
    scoped = None
    if project_name:
        try:
            scoped = Projects(session).get(project_name, "project")
        except NotFound:
            errors["project"] = f"project {_shown(project_name)}: no such project; choose one of the list (or all)"
    kinds = None
    if kind:
        found = [k for k in searchable if kind.lower() in (k.name, k.plural)]
        if found:
            kinds, kind = found, found[0].plural
        else:
            errors["kind"] = (f"kind {_shown(kind)}: not a kind search looks in; use one of "
                              f"{', '.join(k.plural for k in searchable)} (or all)")
    text = str(page or "1").strip()
    # "²", "1e3": not pages; a number of more than 6 digits is past any last page.
    number = (int(text) if len(text) <= 6 else last_page + 1) if text.isascii() and text.isdecimal() else 0
    if number < 1:
        errors["page"] = f"page {_shown(str(page), 20)}: not a page number; use 1 or more (none: the first page)"
    deleted = _yes_no(include_deleted)
    if deleted is None:
        errors["include_deleted"] = (f"include_deleted {_shown(str(include_deleted), 20)}: use true or false "
                                     "(the checkbox sends true)")
    totals: dict[str, int] = {}
    if q and not errors:
        totals = search_total(session, q, kinds or searchable, scoped, include_deleted=bool(deleted))
    # Only what is left to choose, as the note past the ranked best says it (a chosen one narrows no more).
    left = ("a project or kind", "a project", "a kind", "")[2 * bool(project_name) + bool(kind)]
    past = _past_the_hits(str(page), number, sum(totals.values()) if q and not errors else None, left)
    if past:
        errors["page"] = past
    if "page" in errors:  # the form again, with no hits
        number = 1
    first = (number - 1) * PAGE_SIZE
    hits: list[dict[str, Any]] = []
    if q and not errors:
        hits = search(session, q, kinds=kinds, project=scoped, limit=min(first + PAGE_SIZE, MAX_HITS),
                      include_deleted=bool(deleted))[first:]
    for hit in hits:
        hit["url"] = record_url(hit["project"], hit["kind"], hit["number"], hit["feature"])
    total = sum(totals.values())
    shown = first + len(hits)
    # Kept in every link of the page (its JSON twin's too, where the API takes the same name): a linked page of
    # results that holds deleted records says so in its URL.
    params = {"q": q, "project": project_name, "kind": kind, "include_deleted": "true" if deleted else None}
    more = shown < total and shown < MAX_HITS and len(hits) == PAGE_SIZE
    # Past the ranked best, the list pages of the scoped project hold every match of their kind (not deleted ones).
    lists = [(name if totals[name] == 1 else plural, totals[name],
              f"/projects/{project_seg(scoped.name)}/{plural}?{urlencode({'q': q})}")
             for plural, name in LIST_KIND_NAMES.items() if totals.get(name)] if scoped and not deleted else []
    return {
        "q": q, "hits": hits, "projects": [p.name for p in projects],
        "scope": scoped.name if scoped is not None else project_name or "",
        "kind_filter": kind or "", "project": scoped.name if scoped is not None else None, "api_params": params,
        "kinds": [k.plural for k in searchable],
        "total": total, "first": first + 1, "shown": shown, "page": number, "page_size": PAGE_SIZE,
        "next_page": number + 1 if more else None, "previous_page": number - 1 if number > 1 else None,
        "capped": total > MAX_HITS and not more, "max_hits": MAX_HITS,
        "lists": lists, "errors": errors, "include_deleted": bool(deleted),
    }


def _past_the_hits(page: str, number: int, total: int | None, left: str) -> str | None:
    """What is wrong with the search page ``number`` (``page`` as sent) when its query matches ``total`` records
    (None: not searched — no words, or another parameter at fault), as one line; None for a page that holds hits,
    or the first. Only a page past the ranked best says to narrow the words or choose ``left``: there the ranking's
    bound is what leaves matches out, not the page number."""
    from tracertm.search.engine import MAX_HITS

    shown, last_page = _shown(page, 20), -(-MAX_HITS // PAGE_SIZE)
    filled = -(-min(total, MAX_HITS) // PAGE_SIZE) if total is not None else last_page
    if number <= max(filled, 1):
        return None
    if total is None or total > MAX_HITS:
        return (f"page {shown}: search ranks the best {MAX_HITS} results, pages 1–{last_page}"
                + (f"; narrow the words{f' or choose {left}' if left else ''}" if total is not None else ""))
    if total == 0:
        return f"page {shown}: no record matches these words; page 1 says so"
    return f"page {shown}: the {total} result{'s' if total > 1 else ''} fit on " + (
        "page 1" if filled == 1 else f"pages 1–{filled}")


def _yes_no(value: str | None) -> bool | None:
    """A yes-or-no parameter as the API reads a boolean (``true``/``false``, ``1``/``0``, ``yes``/``no``,
    ``on``/``off``; none or empty: no), or None for any other value."""
    text = (value or "false").strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    return None


def search_total(session: Session, q: str, kinds: Iterable[Kind], project: Project | None,
                 include_deleted: bool = False) -> dict[str, int]:
    """How many live records (and deleted ones, with ``include_deleted``) of each of ``kinds`` match ``q`` (in
    ``project``, or in every project): what the search would rank with no limit — the same match
    (``search.engine.match_clause``) over the same rows."""
    from tracertm.search.engine import match_clause

    out: dict[str, int] = {}
    for k in kinds:
        table = k.table
        stmt = select(func.count(table.c.id)).where(match_clause(session, k, q, "q"))
        if not include_deleted:
            stmt = stmt.where(table.c.deleted_at.is_(None))
        if k.name == "scenario":
            stmt = stmt.join(Feature, table.c.feature_id == Feature.id)
            if project is not None:
                stmt = stmt.where(Feature.project_id == project.id)
        elif project is not None:
            stmt = stmt.where(table.c.project_id == project.id)
        out[k.name] = int(session.execute(stmt.execution_options(include_deleted=True)).scalar() or 0)
    return out
