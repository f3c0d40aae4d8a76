"""How the pages name records and projects in their URLs: each name one encoded path segment, and the names
a browser would not keep as they are (a project's name that another extends with a route word, a ``.`` or ``..``
segment — a project's, or a record's id such as the scenario ``..``) by UUID. ``link_names`` binds, per request,
what a page needs to know for that."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracertm.api.deps import path_segment
from tracertm.models import Feature, Project, Scenario
from tracertm.repositories.kinds import KINDS, Kind

API = "/api/v1"


def seg(text: str) -> str:
    """One URL path segment (``/`` encoded too; ``.`` and ``..`` as ``%2E`` and ``%2E%2E``: ``path_segment``)."""
    return path_segment(str(text), keep_slashes=False)


def _dot_segments(name: str) -> bool:
    """Whether a project name (or an id written with its slashes kept) has a segment ``.`` or ``..`` (the whole
    name ``..``, or ``acme/..``)."""
    return any(part in (".", "..") for part in name.split("/"))


def _dot(ident: str) -> bool:
    """Whether an id written as one segment (``seg``) is a dot segment: ``.`` or ``..`` (a feature named after the
    file ``features/...feature``, a scenario titled ``..``, a contract whose ``id`` is ``.``)."""
    return ident in (".", "..")


@dataclass
class LinkNames:
    """How the page being rendered names projects and scenarios in its URLs (one per request, ``link_names``)."""

    # Project name → its UUID, for a name that another project's name extends with a route word (``team`` when
    # ``team/adrs`` exists: ``/projects/team/adrs`` names the project ``team/adrs``, api.project_paths), and for a
    # name with a segment ``.`` or ``..``: browsers (the WHATWG URL parser) resolve ``%2E%2E`` away as they do
    # ``..`` itself, so no encoding of such a name survives a click.
    by_uuid: dict[str, str] = field(default_factory=dict)
    # (project, "FEATURE/SCENARIO" as links and the matrix write it) → (feature number, scenario number), for the
    # references that could be split at several slashes (``billing/refund/Pay by card/debit``).
    scenarios: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    # Project name → its UUID (every project), and the session: to find the UUID of a record whose id is a dot
    # segment, which no encoding keeps in a browser either (``record_uuid``; one statement per such record).
    project_ids: dict[str, str] = field(default_factory=dict)
    session: Session | None = None
    # (project, kind, feature, id) → the record's UUID (None: no such record), as ``record_uuid`` found it.
    records: dict[tuple[str, str, str | None, str], str | None] = field(default_factory=dict)


_UNBOUND = LinkNames()
_NAMES: ContextVar[LinkNames] = ContextVar("tracertm_web_link_names", default=_UNBOUND)


@contextmanager
def link_names(session: Session, route_words: Iterable[str]) -> Iterator[LinkNames]:
    """Bind, while a page is gathered and rendered, which projects its links name by UUID: a project whose name
    followed by ``/`` and one of ``route_words`` (what a ``/projects/{project}/...`` route of the app takes first
    after the project) starts another project's name — with ``team`` and ``team/adrs``, or ``team`` and
    ``team/features/x``, team's pages are ``/projects/{team's UUID}/...``, as the API's ``Link`` headers write
    them. One small query (the projects' names)."""
    words = set(route_words)
    ids = {str(name): str(pid) for name, pid in session.execute(select(Project.name, Project.id)).all()}
    names = LinkNames(project_ids=ids, session=session)
    for name in ids:
        if _dot_segments(name):
            names.by_uuid[name] = ids[name]
        for index, char in enumerate(name):
            if char == "/" and index > 0:
                head, word = name[:index], name[index + 1:].split("/", 1)[0]
                if word in words and head in ids:
                    names.by_uuid[head] = ids[head]
    token = _NAMES.set(names)
    try:
        yield names
    finally:
        _NAMES.reset(token)


def project_seg(name: str) -> str:
    """A project name in a page's or the API's path: percent-encoded, its slashes kept (``acme/payments``), as
    the API's ``Link`` and ``Location`` headers write it (``api.deps.path_segment``). The routes take the name with
    ``{project:path}``, and the path a page sees (decoded) is its link's, so navigation can mark the current page.
    A name that another project's name extends with a route word, or with a segment ``.`` or ``..``, is its UUID
    instead (``link_names``)."""
    return _NAMES.get().by_uuid.get(str(name)) or path_segment(str(name))


def learn_scenarios(session: Session, project: Project, refs: Iterable[str]) -> None:
    """Find which (feature, scenario) each ``FEATURE/SCENARIO`` reference of ``refs`` with several slashes is —
    either part may hold one (an untagged feature ``billing/refund``, a scenario named ``Pay by card/debit``) — so
    that ``record_url`` links the scenario as it is. One query per 900 features, and only for such references."""
    names = _NAMES.get()
    if names is _UNBOUND:
        return
    from tracertm.engine.apply import iter_chunks
    from tracertm.engine.links import scenario_ref_splits

    wanted = {ref for ref in refs if ref.count("/") > 1 and (project.name, ref) not in names.scenarios}
    if not wanted:
        return
    features = sorted({feature for ref in wanted for feature, _ in scenario_ref_splits(ref)})
    pairs: set[tuple[str, str]] = set()
    for chunk in iter_chunks(features):
        stmt = (select(Feature.feature_number, Scenario.scenario_number)
                .join(Scenario, Scenario.feature_id == Feature.id)
                .where(Feature.project_id == project.id, Feature.feature_number.in_(chunk)))
        pairs.update((str(f), str(s)) for f, s in session.execute(stmt.execution_options(include_deleted=True)))
    for ref in wanted:
        found = [split for split in scenario_ref_splits(ref) if split in pairs]
        if len(found) == 1:
            names.scenarios[(project.name, ref)] = found[0]


def record_uuid(project: str, kind: str, ident: str, feature: str | None = None) -> str | None:
    """The UUID of the record ``ident`` (a scenario: ``ident`` of the feature ``feature``) of ``project``, the live
    one before a deleted one, as the record's page finds it by its id; None outside a page (``link_names``) or
    when no record has the id. One statement per record, remembered for the rest of the page."""
    names = _NAMES.get()
    key = (project, kind, feature, ident)
    if names.session is None or project not in names.project_ids:
        return None
    if key not in names.records:
        model = KINDS[kind].model
        if kind == "scenario":
            stmt = (select(Scenario.id).join(Feature, Scenario.feature_id == Feature.id)
                    .where(Scenario.scenario_number == ident, Feature.feature_number == feature))
        else:
            stmt = select(model.id).where(getattr(model, str(KINDS[kind].number)) == ident)
        owner = Feature.project_id if kind == "scenario" else model.project_id
        stmt = stmt.order_by(model.deleted_at.is_not(None))  # the live one first
        found = names.session.execute(stmt.where(owner == uuid.UUID(names.project_ids[project])).limit(1)
                                      .execution_options(include_deleted=True)).scalar_one_or_none()
        names.records[key] = None if found is None else str(found)
    return names.records[key]


def _one(project: str, kind: str, ident: str, feature: str | None = None) -> str:
    """``ident`` as one segment of a page's path: encoded (``seg``), or the record's UUID when it is ``.`` or
    ``..``, which browsers (the WHATWG URL parser) resolve away even as ``%2E%2E``."""
    return (record_uuid(project, kind, ident, feature) if _dot(ident) else None) or seg(ident)


def record_url(project: str, kind: str, ident: str, feature: str | None = None) -> str | None:
    """The page of a record: ``ident`` as links and hits name it; None for kinds without a page (requirements,
    test cases). A scenario is ``ident`` of ``feature`` — or, without ``feature``, the ``FEATURE/SCENARIO`` of a
    link or a matrix row: split as ``learn_scenarios`` found it, else at its first slash (the scenario page finds
    the record at any split that names only one). Every number is one encoded segment (``billing%2Frefund``); a
    number ``.`` or ``..`` is the record's UUID (``_one``; a scenario's feature too)."""
    base = f"/projects/{project_seg(project)}"
    if kind == "adr":
        return f"{base}/adrs/{_one(project, kind, ident)}"
    if kind == "contract":
        return f"{base}/contracts/{_one(project, kind, ident)}"
    if kind == "feature":
        return f"{base}/features/{_one(project, kind, ident)}"
    if kind == "scenario":
        if feature is None:
            known = _NAMES.get().scenarios.get((project, ident))
            if known is None and "/" not in ident:
                return None
            feature, ident = known or ident.split("/", 1)
        return (f"{base}/features/{_one(project, 'feature', feature)}"
                f"/scenarios/{_one(project, kind, ident, feature)}")
    return None


def _kept(ident: str, record_id: object) -> str:
    """``ident`` in an API path, its slashes kept (``billing/refund/SC-1``); the record's UUID ``record_id`` instead
    when a segment of it is ``.`` or ``..`` (the scenario ``billing/refund/..``), which a browser resolves away."""
    return str(record_id) if record_id is not None and _dot_segments(ident) else path_segment(ident)


def twin(kind: Kind, ident: str, project: str, record_id: object = None) -> str:
    """The record's JSON twin in the API (by its UUID ``record_id`` when ``ident`` has a dot segment)."""
    return f"{API}/{kind.plural}/{_kept(ident, record_id)}?project={seg(project)}"


def trace_url(project: str, kind: str, ident: str, record_id: object = None) -> str:
    """The trace graph around a record in the API, its id qualified by its kind (``feature:esm``): ids are unique
    per kind only, and an untagged feature's path (``esm``) may be another feature's scenario name, which the
    trace would refuse as ambiguous. An id with a dot segment is the record's UUID ``record_id``
    (``scenario:<uuid>``), which the trace takes too."""
    return f"{API}/projects/{project_seg(project)}/trace/{kind}:{_kept(ident, record_id)}"
