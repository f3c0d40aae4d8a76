"""Finding a record by an id of any kind (``find_any``: ``ADR-0003``, ``KIND:ID``, a scenario's ``FEAT/SC``) and
the records that held an id before (``former_holders``): what ``show``, ``history``, ``trace`` and ``review`` resolve
a typed id with, over the per-kind repositories (``repositories.records``)."""

from __future__ import annotations

import builtins
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracertm.models import Project, SpecRevision
from tracertm.repositories.errors import Ambiguous, NotFound
from tracertm.repositories.kinds import Kind, is_live, kind_prefixed, prefixed_uuid, the_live_one
from tracertm.repositories.projects import command
from tracertm.repositories.records import Records, normalize_adr
from tracertm.text import quoted_command, visible_form

__all__ = ["find_any", "find_by_uuid", "former_holders", "record_over_time"]


# The kinds an id is looked up in when its kind is not said, in this order; ``KIND:ID`` says it (``adr:ADR-0003``,
# ``contract:ADR-0003``): ids are unique per kind only, and ``check`` warns when two kinds share one.
_ANY_KINDS = ("adr", "contract", "feature", "scenario", "test_case")
# The kinds whose id may change while the record stays (``former_holders``): not test cases, never renamed.
_FORMER_KINDS = ("adr", "contract", "feature", "scenario", "step_definition")


def find_any(session: Session, project: Project, ident: str) -> tuple[Kind, Any]:
    """Resolve an id of any spec kind (``ADR-0003``, ``CTR-0001``, a feature or scenario number, a test case's id)
    in ``project``; ``KIND:ID`` (``adr:ADR-0003``, ``contract:ADR-0003``, ``scenario:FEAT-2/SC-4``) looks in that
    kind only: how two records of different kinds with one id are told apart. An id that only looks qualified
    (a scenario named ``feature: login``) is still found as it is written. An id no record has names the ADR a
    file's reference to it would (:meth:`Records.adr_named`: ``ADR-0008`` the one ``ADR-0008-use-x``). Its
    :class:`NotFound` names step definitions too, which its callers look up before it. Of several records of the id
    the one live one is found (``kinds.the_live_one``: a tagged scenario moved into another feature leaves a
    deleted ``FEAT-1/SC-2`` beside the live ``FEAT-2/SC-2``); several live ones are :class:`Ambiguous`. A
    ``KIND:<UUID>`` no record has as its id is the record of that row id (``find_by_uuid``)."""
    candidates: builtins.list[tuple[Kind, Any]] = []
    prefixed = kind_prefixed(ident)
    if prefixed is not None:
        repo = Records(session, prefixed[0])
        candidates = [(repo.kind, row) for row in repo.find_by_number(prefixed[1], project)]
    if not candidates:
        for name in _ANY_KINDS:  # as typed: a contract's ``ADR-3`` is that id, not an ADR's ``ADR-0003`` too
            repo = Records(session, name)
            candidates += [(repo.kind, row) for row in repo.find_by_number(ident, project, as_typed=True)]
    if not candidates and prefixed is None:  # an ADR's id typed short (``ADR-3``: ``ADR-0003``)
        repo = Records(session, "adr")
        candidates = [(repo.kind, row) for row in repo.find_by_number(ident, project)]
    if not candidates and (prefixed is None or prefixed[0] == "adr"):
        # No record has the id: the ADR it names as a reference would (``ADR-0008`` → ``ADR-0008-use-x``).
        repo = Records(session, "adr")
        candidates = [(repo.kind, row) for row in repo.adr_named(ident if prefixed is None else prefixed[1], project)]
    if not candidates and prefixed is not None:  # ``scenario:<UUID>``, as the pages link a record whose id is ``..``
        by_uuid = find_by_uuid(session, project, ident)
        candidates = [by_uuid] if by_uuid is not None else []
    if not candidates:
        if prefixed is not None:
            k = Records(session, prefixed[0]).kind
            raise NotFound(f"{ident}: no {k.name.replace('_', ' ')} {prefixed[1]} in project {project.name}; see "
                           f"{quoted_command(command('list', k.plural, project=project.name))}")
        # Every kind the verbs resolving ids here accept (show, history, trace, review, the API's trace): they look
        # a step definition up first (``STEP-n``, ``file::function``), and the test cases are among _ANY_KINDS.
        raise NotFound(f"{ident}: no ADR, contract, feature, scenario, step definition or test case with this id in "
                       f"project {project.name}; see "
                       f"{quoted_command(command('list', 'KIND', project=project.name))}")
    if len(candidates) > 1:
        live = the_live_one([row for _, row in candidates])
        if live is not None:  # the record that has the id now; a deleted namesake keeps its qualified id
            return next((k, row) for k, row in candidates if row is live)
        raise Ambiguous(f"{ident} is ambiguous: {_alternatives(session, ident, candidates)}; use one of those ids")
    return candidates[0]


def find_by_uuid(session: Session, project: Project, ident: str) -> tuple[Kind, Any] | None:
    """The record of ``project`` that ``KIND:UUID`` names by its row id (``scenario:3f0c…``: how the pages name a
    record whose id has a segment ``.`` or ``..``, which a browser would resolve away); None for any other id, or
    when that kind has no such record there."""
    found = prefixed_uuid(ident)
    if found is None:
        return None
    repo = Records(session, found[0])
    try:
        return repo.kind, repo.get(found[1], project)
    except NotFound:
        return None


def former_holders(session: Session, project: Project | None, ident: str,
                   kind: str | None = None) -> builtins.list[tuple[Kind, Any]]:
    """The records (live or deleted) whose earlier revisions had the id ``ident`` (``KIND:ID``, or ``kind``, looks
    in that kind only) in ``project`` (every project when None): a renamed untagged feature or id-less contract, an
    ADR whose number its moved file gave it, a definition of a moved step file (``file::function``), a scenario
    renumbered by an upgrade (``FEAT-1/add  an item``) — identity kept, so the revisions hold the former ids
    (``moved`` keeps the row and its history). One indexed query (project, kind, number); scenarios also by
    ``FEATURE/SCENARIO``, their former feature being the ``feature_number`` of their revision's snapshot."""
    from tracertm.engine.links import scenario_ref_splits

    prefixed = (kind, ident) if kind is not None else kind_prefixed(ident)
    kinds, wanted = ((prefixed[0],), prefixed[1]) if prefixed is not None else (_FORMER_KINDS, ident)
    numbers = {wanted, normalize_adr(wanted)}
    splits = list(scenario_ref_splits(wanted)) if "scenario" in kinds else []
    numbers |= {sc for _, sc in splits}
    rows = session.execute(
        select(SpecRevision.entity_type, SpecRevision.entity_id, SpecRevision.number, SpecRevision.snapshot)
        .where(SpecRevision.entity_type.in_(kinds), SpecRevision.number.in_(numbers),
               *([SpecRevision.project_id == project.id] if project is not None else []))
        # Newest first as written (``seq``): ``created_at`` is shared by one backfill's revisions.
        .order_by(SpecRevision.seq.desc()).limit(1000)
    ).all()
    found: dict[Any, tuple[Kind, Any]] = {}
    for entity_type, entity_id, number, snapshot in rows:
        if entity_id in found:
            continue
        plain = number == wanted or (entity_type == "adr" and number == normalize_adr(wanted))
        parent = (snapshot or {}).get("feature_number") if entity_type == "scenario" else None
        if not plain and (parent, number) not in splits:
            continue
        repo = Records(session, entity_type)
        try:
            found[entity_id] = (repo.kind, repo.get(entity_id, project))
        except NotFound:  # a record removed for good (its project's history outlives it): nothing to show
            continue
    return builtins.list(found.values())


def record_over_time(session: Session, k: Kind, ident: str, project: Project | None) -> Any:
    """The record of kind ``k`` that ``ident`` names now (:meth:`Records.get`), else the one whose earlier revisions
    had that id (``former_holders``): what the API's ``/history`` and ``/at`` read, as the CLI's ``history`` and
    ``show --at`` do. The record that has the id now wins; a former id of several records is :class:`Ambiguous`."""
    repo = Records(session, k)
    try:
        return repo.get(ident, project)
    except NotFound:
        formers = former_holders(session, project, ident, k.name) if k.name in _FORMER_KINDS else []
        if not formers:
            raise
        if len(formers) > 1:
            names = ", ".join(f"{repo.qualified(row)} ({row.source_path or 'no file'})" for _, row in formers)
            raise Ambiguous(f"{ident} is a former id of several {k.plural}: {names}; use one of those ids") from None
        return formers[0][1]


def _alternatives(session: Session, ident: str, candidates: builtins.list[tuple[Kind, Any]]) -> str:
    """An id per candidate that names it alone, with its file: its qualified id (``FEAT-2/SC-4``) when that is not
    what was typed and no other candidate shares it, else ``KIND:ID`` (``contract:ADR-0003``); a deleted one marked
    so."""
    qualified = [Records(session, k).qualified(row) for k, row in candidates]
    out = []
    for (k, row), q in zip(candidates, qualified):
        plain = q != ident and qualified.count(q) == 1 and kind_prefixed(q) is None
        path = getattr(row, "source_path", None)
        gone = "" if is_live(row) else " (deleted)"
        # (an id decomposed and one not print alike: ``visible_form`` escapes the one not in NFC, its path too)
        shown = visible_form(q if plain else f"{k.name}:{q}")
        out.append(shown + (f" ({visible_form(path)})" if path else "") + gone)
    return ", ".join(out)
