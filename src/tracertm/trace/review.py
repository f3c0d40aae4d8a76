"""Link states (ok, suspect, dangling), the links of one record, a project's link summary, and reviews.

A link is *suspect* while its target's version (as sync last saw it) differs from the version it was last
reviewed against; *dangling* while its target record does not exist or is deleted (requirement links never are:
requirements are ids, not rows). ``review`` records who looked at suspect links and when, making them ok again.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import shlex
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import func, literal, or_, select, true, union_all, update
from sqlalchemy.orm import Session

from tracertm.errors import ConflictError, Diagnostic, UsageError
from tracertm.models import Link, Project
from tracertm.models.link import TARGET_RECORD_KINDS, dangling, shown_order, suspect
from tracertm.models.types import code_points, unindexed
from tracertm.text import quoted_command
from tracertm.timetext import json_time_or_none

RECORD_KINDS = TARGET_RECORD_KINDS
MAX_REVIEWER = 255  # links.reviewed_by: PostgreSQL refuses a longer name (SQLite would keep it)


class DanglingLinkError(ConflictError):
    """A dangling link named for a review: there is no target to review it against, and no review makes it ok —
    the reference in its source file is to fix (the error ``check`` reports there). The API answers 409, as for
    any conflict; the CLI exits 1, as for a spec error (running it again cannot help, unlike a conflict's 75)."""

    exit_code = 1


def review_versions(session: Session, links: Iterable[Link]) -> dict[int, tuple[int, ...]]:
    """The versions of each link's target that a review of the link may name, by link number, in order: the
    target's current version (last), every version before it back to the one its content (as the link last saw it)
    is from, and any earlier version of that same content (its revision's content hash: a revert to what a reviewer
    read). Database-side ``annotated`` edits (an approval, a results import) move the target's ``version`` but not
    the link's ``target_version``, which follows content only (a link is not suspect because of an approval): a
    reviewer who read any of those versions read the content the link points at, and ``show``, ETags and
    ``history`` name the current one. Links without a target version (requirements, dangling) are left out; one
    read per target kind, and one of the targets' revisions."""
    from tracertm.engine.link_versions import content_versions

    wanted = [x for x in links if x.target_id is not None and x.target_version is not None]
    current = _current_versions(session, wanted)
    content = content_versions(session.connection(), current) if current else {}
    same = _same_content_versions(session, current)
    out: dict[int, tuple[int, ...]] = {}
    for link in wanted:
        recorded = int(link.target_version)  # type: ignore[arg-type]
        now = current.get(link.target_id, recorded)  # type: ignore[arg-type]
        first = content.get(link.target_id, now)  # type: ignore[arg-type]
        # Sync moves ``target_version`` with every content change, so it lies between the two; were it outside (a
        # change not followed yet), the version it recorded is the only one known to hold the content it points at.
        if not first <= recorded <= now:
            out[link.id] = (recorded,)
            continue
        earlier = {v for v in same.get(link.target_id, ()) if v < first}  # type: ignore[arg-type]
        out[link.id] = tuple(sorted(earlier)) + tuple(range(first, now + 1))
    return out


def _current_versions(session: Session, links: Iterable[Link]) -> dict[uuid.UUID, int]:
    """The current ``version`` of each of the ``links``' targets, by row id: one read per target kind."""
    from tracertm.engine.apply import iter_chunks

    current: dict[uuid.UUID, int] = {}
    by_kind: dict[str, set[uuid.UUID]] = defaultdict(set)
    for link in links:
        by_kind[link.target_kind].add(link.target_id)  # type: ignore[arg-type]
    for kind, ids in by_kind.items():
        table = _target_table(kind)
        if table is None:
            continue
        for chunk in iter_chunks(sorted(ids, key=str)):
            current.update((row.id, int(row.version)) for row in session.execute(
                select(table.c.id, table.c.version).where(table.c.id.in_(chunk))))
    return current


def _same_content_versions(session: Session, current: Mapping[uuid.UUID, int]) -> dict[uuid.UUID, list[int]]:
    """The versions of each target (row id → its current version) whose revision has the content hash of the
    current one's, by row id: those a revert brought back (``git revert`` of an edit) hold what the target says now.
    Deletions are left out (a deleted record is nothing to review against), and so are revisions of no hash."""
    from tracertm.engine.apply import iter_chunks
    from tracertm.models import Base

    revisions = Base.metadata.tables["spec_revisions"].c
    hashes: dict[uuid.UUID, dict[int, str]] = defaultdict(dict)
    for chunk in iter_chunks(sorted(current, key=str)):
        for entity_id, version, digest in session.execute(
            select(revisions.entity_id, revisions.version, revisions.content_hash).where(
                revisions.entity_id.in_(chunk), revisions.change != "deleted", revisions.content_hash.is_not(None))
        ):
            hashes[entity_id][int(version)] = digest
    out: dict[uuid.UUID, list[int]] = {}
    for target_id, now in current.items():
        digest = hashes.get(target_id, {}).get(now)
        if digest is not None:
            out[target_id] = [v for v, h in hashes[target_id].items() if h == digest and v <= now]
    return out


def _target_table(kind: str) -> Any:
    """The ``Table`` of a link's target kind (a record kind, or ``test_case``); None for one without rows."""
    from tracertm import kinds
    from tracertm.models import Base

    if kind == "test_case":
        return Base.metadata.tables["test_cases"]
    return kinds.table(kind) if kind in kinds.KINDS else None


def stale_review(link: Link, expected: int, option: str, versions: tuple[int, ...] | None = None) -> Exception:
    """The ``StaleReview`` of reviewing ``link`` as of target version ``expected``, a version it may not name
    (``versions``: ``review_versions``'s, else just the link's ``target_version``): one line naming the link, the
    target's current version (the one ``show`` and its ETag give) and what to do (``option`` is how the version was
    given)."""
    from tracertm.repositories.errors import StaleReview  # lazily: the repositories cost 0.3 s to import

    recorded = link.target_version if link.target_version is not None else 0
    versions = versions if versions is not None else (recorded,)
    current = versions[-1]
    same = _same_content(versions)

    def given(version: int) -> str:  # as the user writes it: ``--version 3``, ``If-Match: "3"``
        return f'{option}: "{version}"' if option == "If-Match" else f"{option} {version}"

    return StaleReview(
        f"{given(expected)}: link {link.id} ({link.source_ref} {link.link_type} {link.target_ref}) points at "
        f"version {current} of {link.target_ref}{same}, not {expected}; re-read {link.target_ref} (version "
        f"{current}), then review again with {given(current)}",
        current,
    )


def _same_content(versions: tuple[int, ...]) -> str:
    """`` (the same content since version 2)``, `` (the same content as at version 1)`` or both, for the versions a
    review may name (``review_versions``, the current one last): its unbroken run up to the current one, and the
    earlier versions a revert brought back; empty when only the current one holds."""
    start = len(versions) - 1
    while start > 0 and versions[start - 1] == versions[start] - 1:
        start -= 1
    parts = [f"since version {versions[start]}"] if start < len(versions) - 1 else []
    if start:
        earlier = ", ".join(str(v) for v in versions[:start])
        parts.append(f"as at version{'s' if start > 1 else ''} {earlier}")
    return f" (the same content {', '.join(parts)})" if parts else ""


def check_version(session: Session, links: Iterable[Link], expected: int | None, option: str) -> None:
    """``StaleReview`` (``stale_review``) for the first of ``links`` whose target's ``review_versions`` do not
    include ``expected``, the version the reviewer read; nothing when ``expected`` is None (today's review)."""
    if expected is None:
        return
    named = list(links)
    versions = review_versions(session, named)
    for link in named:
        if link.id in versions and expected not in versions[link.id]:
            raise stale_review(link, expected, option, versions[link.id])


def dangling_error(session: Session, project: Project, link: Link) -> DanglingLinkError:
    """The error of reviewing the dangling ``link``: one line naming the reference's file:line and what to do — and,
    for a plain ADR id several slugged ADRs have the number of, that it is ambiguous (``dangling_reasons``)."""
    where = f"{link.source_path}:{link.source_line}" if link.source_path else link.source_ref
    why = f"there is no {link.target_kind} {link.target_ref} to review it against"
    if link.target_kind == "adr":
        reason = dangling_reasons(session, project, [link.target_ref])[link.target_ref]
        if reason["reason"] == "ambiguous":
            from tracertm.crossfile import ambiguous_text

            why = f"{link.target_ref} names no one ADR, {ambiguous_text(reason['candidates'])}"
    return DanglingLinkError(
        f"link {link.id} ({link.source_ref} {link.link_type} {link.target_ref}) is dangling: {why}; fix the "
        f"reference at {where}"
    )


def link_state(row: Any) -> str:
    """``dangling``, ``suspect`` or ``ok`` for a ``links`` row (ORM object or mapping)."""
    get = row.get if isinstance(row, Mapping) else lambda k: getattr(row, k)
    if get("target_id") is None:
        return "dangling" if get("target_kind") in RECORD_KINDS else "ok"
    reviewed = get("reviewed_version")
    return "suspect" if reviewed is not None and get("target_version") != reviewed else "ok"


def as_dict(link: Link) -> dict[str, Any]:
    """A link for output (JSON, text tables)."""
    return {
        "id": link.id,
        "source": {"kind": link.source_kind, "id": link.source_ref, "path": link.source_path,
                   "line": link.source_line},
        "type": link.link_type,
        # The API's ``LinkEnd`` (every key, null when unknown): the CLI's JSON and the API's are one shape.
        "target": {"kind": link.target_kind, "id": link.target_ref, "path": None, "line": None},
        "state": link_state(link),
        "target_version": link.target_version,
        "reviewed_version": link.reviewed_version,
        "reviewed_by": link.reviewed_by,
        "reviewed_at": json_time_or_none(link.reviewed_at),
        "dangling": None,  # why it dangles: ``with_reasons``
    }


def why_dangling(resolved: tuple[str | None, tuple[str, ...]]) -> dict[str, Any]:
    """Why a link to an ADR dangles, from what its reference names among the live ADRs (``crossfile.resolve_adr``,
    the sync's rule): ``ambiguous`` with the ADRs that have its number when it names none of several
    (``ADR-0008`` beside ``ADR-0008-use-x`` and ``ADR-0008-use-y``), else ``missing``."""
    target, ids = resolved
    if target is None and ids:
        return {"reason": "ambiguous", "candidates": list(ids)}
    return {"reason": "missing", "candidates": []}


def dangling_reasons(session: Session, project: Project, refs: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Why links to the ADR ids ``refs`` dangle (``why_dangling`` of each), read at once from the live ADRs that can
    have their numbers and resolved by the sync's rule (``crossfile.adr_resolver``, as ``engine.adr_links``
    resolves links): one query per 50 numbers, whatever the number of links."""
    from tracertm.crossfile import adr_base, adr_resolver
    from tracertm.engine.apply import iter_chunks
    from tracertm.models import ADR

    wanted = set(refs)
    # An id of ADR ``n`` holds the digits of ``n`` after "adr" (``ADR-0008``, ``ADR-0008-use-x``), as the sync's
    # ``_renamed_adrs`` finds them: a superset of the ADRs of each number, which ``adr_resolver`` tells apart.
    digits = sorted({base[4:].lstrip("0") or "0" for ref in wanted if (base := adr_base(ref)) is not None})
    ids: set[str] = set()
    for chunk in iter_chunks(digits, 50):
        ids.update(str(n) for n in session.execute(select(ADR.adr_number).where(
            ADR.project_id == project.id, ADR.deleted_at.is_(None),
            or_(*(func.lower(ADR.adr_number).like(f"adr%{d}%") for d in chunk)))).scalars())
    resolve = adr_resolver(ids)
    return {ref: why_dangling(resolve(ref)) for ref in wanted}


def with_reasons(session: Session, project: Project, links: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``links`` (``as_dict``, changed in place) with why each dangling one dangles (``dangling``): ``missing``, or
    ``ambiguous`` with its candidates (``why_dangling``); computed at read time from the live ADRs, one query for
    them all (``dangling_reasons``) and none when no link to an ADR dangles."""
    refs = {x["target"]["id"] for x in links if x["state"] == "dangling" and x["target"]["kind"] == "adr"}
    reasons = dangling_reasons(session, project, refs) if refs else {}
    for x in links:
        if x["state"] == "dangling":
            x["dangling"] = reasons.get(x["target"]["id"]) or why_dangling((None, ()))
    return links


def describe(link: Mapping[str, Any]) -> str:
    """``FEAT-1/SC-1 implements ADR-0003 (suspect: reviewed at v1, changed at v2)`` for one ``as_dict`` link: the
    version reviewed and the one the target's content last changed at — not "now": database-side edits since
    (an approval) move the target's version past it (``show``), not the link's."""
    text = f"{link['source']['id']} {link['type']} {link['target']['id']}"
    if link["state"] == "suspect":
        text += f" (suspect: reviewed at v{link['reviewed_version']}, changed at v{link['target_version']})"
    elif link["state"] == "dangling":
        why = link.get("dangling") or {}
        if why.get("reason") == "ambiguous":
            from tracertm.crossfile import ambiguous_text

            text += f" (dangling, {ambiguous_text(why['candidates'])})"
        else:
            text += f" (dangling: no live {link['target']['kind']} {link['target']['id']})"
    return text


def record_links(session: Session, project: Project, kind: str, row: Any) -> dict[str, list[dict[str, Any]]]:
    """The links of one record: ``outgoing`` (it is the source) and ``incoming`` (it is the target)."""
    # Total orders, by content before the number (which follows a sync's plan): a reference written twice to one
    # ADR (``ADR-0008`` and ``ADR-0008-use-x``) gives one source two links of one type to one target.
    outgoing = session.execute(
        select(Link).where(Link.project_id == project.id, Link.source_id == row.id)
        .order_by(code_points(Link.link_type), code_points(Link.target_ref), code_points(Link.target_kind), Link.id)
    ).scalars()
    incoming = session.execute(  # by the target's index, not the project's (``unindexed``: migration 0031)
        select(Link).where(unindexed(Link.project_id) == project.id, Link.target_id == row.id)
        .order_by(code_points(Link.source_ref), code_points(Link.link_type), code_points(Link.source_kind),
                  code_points(Link.target_ref), Link.id)
    ).scalars()
    out = [as_dict(x) for x in outgoing]
    into = [as_dict(x) for x in incoming]  # (to the record: never dangling)
    return {"outgoing": with_reasons(session, project, out), "incoming": into}


def summary(session: Session, project: Project, limit: int = 50) -> dict[str, Any]:
    """Counts of links by state plus the suspect and dangling ones (at most ``limit`` of each): the counts grouped
    in the database (``counts_by_project``), and only the links shown read."""
    counts = counts_by_project(session, [project.id]).get(project.id, {"total": 0, "suspect": 0, "dangling": 0})

    def first(state: Any) -> list[dict[str, Any]]:
        return [as_dict(x) for x in session.execute(
            select(Link).where(Link.project_id == project.id, state)
            .order_by(*shown_order(Link.__table__.c))
            .limit(limit)
        ).scalars()]

    gone = first(dangling())
    with_reasons(session, project, gone)
    return {**counts, "suspect_links": first(suspect()), "dangling_links": gone}


def counts_by_project(session: Session, ids: Collection[uuid.UUID] | None) -> dict[uuid.UUID, dict[str, int]]:
    """``summary``'s counts (``total``, ``suspect``, ``dangling``) of the projects ``ids`` (None: of every project),
    by project id, in two grouped statements whatever their number (the dashboard's)."""
    mine = true() if ids is None else Link.project_id.in_(ids)
    out: dict[uuid.UUID, dict[str, int]] = defaultdict(lambda: {"total": 0, "suspect": 0, "dangling": 0})
    for pid, n in session.execute(select(Link.project_id, func.count()).where(mine).group_by(Link.project_id)):
        out[pid]["total"] = int(n)
    # Each state counted apart, under the very condition of its partial index (migration 0032), so each reads its
    # few links there; one condition for both (their OR) matches neither index and read every link.
    counted = union_all(*(
        select(Link.project_id, literal(state).label("state"), func.count())
        .where(mine, condition).group_by(Link.project_id)
        for state, condition in (("dangling", dangling()), ("suspect", suspect()))
    ))
    for pid, state, n in session.execute(counted):
        out[pid][state] = int(n)
    return out


def reviewer(where: str | os.PathLike[str] | None = None) -> str:
    """Who is reviewing: git's ``user.name`` in the repository at ``where`` (default: the current folder's), else
    the login name."""
    from tracertm import git

    folder = os.fspath(where) if where is not None else "."
    try:
        # In the reviewed repository: its own ``user.name`` (or an ``includeIf`` identity) is who a commit there
        # would name, whichever folder the command was started in.
        found = git.call(["git", "-C", folder, "config", "user.name"], Path(folder))
        name = found.stdout.decode("utf-8", "replace").strip() if found.returncode == 0 else ""
    except OSError:
        name = ""
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return os.environ.get("USER") or "unknown"


def review(
    session: Session,
    project: Project,
    selector: str | None,
    *,
    everything: bool = False,
    by: str | None = None,
    now: dt.datetime | None = None,
    expected: int | None = None,
    option: str = "--version",
) -> list[dict[str, Any]]:
    """Mark suspect links reviewed: the link ``selector`` (its number, as ``status`` and ``show --format json``
    give it), else every suspect link from or to the record ``selector`` names, or with ``everything`` every suspect
    link of the project. Records ``by`` and the time; returns the links reviewed (their state before the review). The
    caller commits. A link named by its number that is dangling is ``DanglingLinkError`` (as ``review_link``): nothing
    to review, a reference to fix.

    ``expected``: the target version the reviewer read (``--version N``, the API's ``If-Match``). Every link the
    review would mark — and a link named by its number even when it is not suspect — must point at that version
    (its target's current version, or one with the same content: ``review_versions``), else ``StaleReview`` naming
    the current one (``option`` says how it was given) and nothing is written: a review must never claim a version
    nobody read. None: today's review against whatever version is current.
    """
    if everything and selector:
        raise UsageError(f"review: {selector} and --all: give one of them, not both")
    if not everything and not selector:
        raise UsageError("review: give a LINK id or a record ID, or --all for every suspect link of the project")
    suspect = (
        Link.project_id == project.id,
        Link.target_id.is_not(None),
        Link.reviewed_version.is_not(None),
        Link.target_version != Link.reviewed_version,
    )
    query = select(Link).where(*suspect)
    if selector:
        # Bare digits are a link number unless a record has exactly that id (an untagged ``features/2.feature`` is
        # feature ``2``): the id a user types names the record; ``#2`` always means link 2.
        by_number = selector.startswith("#") or not _exact_record(session, project, selector)
        link_ids = _link_ids(session, project, selector) if by_number else []
        if link_ids:
            # One link, by its number: a dangling one is refused as the API's PATCH refuses it (not "no suspect
            # link": the user must learn which reference to fix).
            named = session.execute(select(Link).where(Link.id.in_(link_ids))).scalars().all()
            for link in named:
                if link_state(link) == "dangling":
                    raise dangling_error(session, project, link)
            check_version(session, named, expected, option)
            query = query.where(Link.id.in_(link_ids))
        elif by_number and selector.removeprefix("#").isdecimal():  # a link number no link of the project has
            from tracertm.repositories.errors import NotFound
            from tracertm.repositories.projects import command

            status = quoted_command(command("status", project=project.name))
            raise NotFound(f"{selector}: no link of project {project.name} has this number; {status} lists the "
                           "suspect links with their numbers")
        else:
            row_id = record_id(session, project, selector)
            query = query.where(or_(Link.source_id == row_id, Link.target_id == row_id))
    # Total: a source's links of two types to one target (supersedes and related) tied, and came in an order of
    # the database's plan.
    found = session.execute(query.order_by(
        code_points(Link.source_ref), code_points(Link.target_ref), code_points(Link.link_type),
        code_points(Link.source_kind), code_points(Link.target_kind), Link.id)).scalars().all()
    # Checked before anything is written: a review of several links is all or nothing.
    check_version(session, found, expected, option)
    before = [as_dict(x) for x in found]
    when = now or dt.datetime.now(dt.timezone.utc)
    who = by or reviewer()
    for link in found:
        session.execute(
            # Guarded by the version read: the write lock keeps syncs out, and this keeps the claim exact anyway.
            update(Link).where(Link.id == link.id, Link.target_version == link.target_version).values(
                reviewed_version=link.target_version, reviewed_by=who, reviewed_at=when
            )
        )
    return before


def get_link(session: Session, project: Project, link_id: int) -> dict[str, Any]:
    """The link numbered ``link_id`` of ``project`` (``as_dict``); ``NotFound`` when there is none."""
    from tracertm.repositories.errors import NotFound

    link = session.execute(
        select(Link).where(Link.project_id == project.id, Link.id == link_id)
    ).scalar_one_or_none()
    if link is None:
        raise NotFound(f"link {link_id}: no such link in project {project.name}; see GET .../links")
    return with_reasons(session, project, [as_dict(link)])[0]


def review_link(
    session: Session, project: Project, link_id: int, *, by: str, now: dt.datetime | None = None,
    expected: int | None = None, option: str = "If-Match",
) -> tuple[dict[str, Any], bool]:
    """Mark the link numbered ``link_id`` reviewed against its target's current version, recording ``by`` and the
    time — the API's ``PATCH .../links/{id}``. Returns the link as it is now and whether it was suspect (a link that
    is not suspect is left as it is: reviewing it again changes nothing). The caller commits.

    ``NotFound`` when the project has no such link; ``DanglingLinkError`` (a ``ConflictError``) for a dangling link
    (there is no target to review against: fix the reference in the source file instead).

    ``expected``: the target version the reviewer read (the API's ``If-Match``); one that is neither the target's
    current version nor one with the same content (``review_versions``) is ``StaleReview`` (412), suspect or not —
    the precondition is about what the reviewer saw, as a record's PATCH.
    None (``If-Match: *``): reviewed against whatever version is current. A requirement link (no target version)
    has nothing to compare and nothing to review."""
    from tracertm.repositories.errors import NotFound

    link = session.execute(
        select(Link).where(Link.project_id == project.id, Link.id == link_id).with_for_update()
    ).scalar_one_or_none()
    if link is None:
        raise NotFound(f"link {link_id}: no such link in project {project.name}; see GET .../links")
    current = link_state(link)
    if current == "dangling":
        raise dangling_error(session, project, link)
    check_version(session, [link], expected, option)
    if current == "suspect":
        session.execute(
            update(Link).where(Link.id == link.id).values(
                reviewed_version=link.target_version, reviewed_by=by,
                reviewed_at=now or dt.datetime.now(dt.timezone.utc),
            )
        )
        session.refresh(link)
    return as_dict(link), current == "suspect"


def record_id(session: Session, project: Project, ident: str) -> Any:
    """The row id of a record of any kind: a step definition (``STEP-n``, ``file::function``) or what
    :func:`~tracertm.repositories.find_any` resolves."""
    from tracertm.repositories import find_any
    from tracertm.steps.queries import find_definition, looks_like_step

    if looks_like_step(ident):
        definition = find_definition(session, project, ident)
        if definition is not None:
            return definition.id
    _, row = find_any(session, project, ident)
    return row.id


def _exact_record(session: Session, project: Project, ident: str) -> bool:
    """Whether a live or deleted record of the project has exactly the id ``ident`` (no ADR number
    normalisation: ``2`` is not ``ADR-0002`` here)."""
    from tracertm.models import ADR, Contract, Feature

    if not (ident.isascii() and ident.isdigit()):
        return False
    for model, column in ((Feature, Feature.feature_number), (Contract, Contract.contract_number),
                          (ADR, ADR.adr_number)):
        found = session.execute(select(model.id).where(model.project_id == project.id, column == ident)
                                .limit(1).execution_options(include_deleted=True)).first()
        if found is not None:
            return True
    return False


def _link_ids(session: Session, project: Project, selector: str) -> list[int]:
    """The link numbered ``selector`` (digits, optionally ``#42``), when it exists in this project."""
    digits = selector.removeprefix("#")
    # "²" is a digit to isdigit(); ids fit 63 bits
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 18:
        return []
    return list(session.execute(
        select(Link.id).where(Link.project_id == project.id, Link.id == int(digits))
    ).scalars())


def check_findings(location: Any, settings: Any) -> list[Diagnostic]:
    """``check --strict``: the suspect links of this repository's project, as warnings on their sources.

    Only when a database is configured (``$TRACERTM_DATABASE_URL``, configuration) or the default one exists: check
    never creates a database. A project never synced has nothing to report.
    """
    from tracertm import db
    from tracertm.engine.naming import project_name
    from tracertm.errors import DatabaseError
    from tracertm.trace.store import existing_engine

    try:
        engine, _ = existing_engine(None, settings.database_url)
        if engine is None:
            return []
        try:
            with db.session(engine) as session:
                project = session.execute(
                    select(Project).where(Project.name == project_name(location, settings))
                ).scalar_one_or_none()
                if project is None:
                    return []
                found = summary(session, project, limit=1000)["suspect_links"]
        finally:
            engine.dispose()
    except DatabaseError as exc:
        return [Diagnostic("<database>", 0, 0, f"suspect links not checked: {exc}", severity="warning")]
    command = review_command(location) if found else ""
    return [
        Diagnostic(
            link["source"]["path"] or link["source"]["id"], link["source"]["line"] or 1, 1,
            # The command last on the line and shell-quoted: an untagged scenario's id is "FEAT-2/its title".
            f"suspect link: {describe(link)}; check it, then run: {command} " + shlex.quote(link["source"]["id"]),
            severity="warning",
        )
        for link in found
    ]


def review_command(location: Any) -> str:
    """``tracertm review`` as ``check --strict`` suggests it, to paste where check ran. With ``--path`` naming the
    project's folder (``.`` or ``sample-repo`` when it is the current folder or below it, else the whole path) when
    ``review`` would not find that project there by default — the repository around the current folder, from its
    top: a sub-folder project (``check sample-repo``, ``check .`` inside it) or another repository's was otherwise
    'no project for …' (exit 2) wherever the suggestion was pasted."""
    from tracertm.engine.scan import Location

    try:
        here: Path | None = Path.cwd()
        default: Path | None = Location.find(None).root
    except (OSError, UsageError):  # a current folder gone, or a bare repository's: no default to rely on
        here = default = None
    if default == location.root:
        return "tracertm review"
    below = here is not None and location.root.is_relative_to(here)
    path = os.path.relpath(location.root, here) if below else str(location.root)
    if path.startswith("-"):  # a folder named like an option: argparse would take it for one
        path = os.path.join(".", path)
    return f"tracertm review --path {shlex.quote(path)}"
