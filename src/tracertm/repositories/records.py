"""One repository per kind over a session: get, list (filters, several sort fields, keyset cursor), count,
facets, history, at(commit), and update of database-owned fields guarded by the expected version."""

from __future__ import annotations

import builtins

import datetime as dt
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import and_, exists, func, literal, or_, select, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from tracertm.errors import UsageError
from tracertm.jsontext import same_json
from tracertm.models import Feature, Project, SpecRevision, SyncRun
from tracertm.models.sync import file_metadata_keys
from tracertm.models.types import code_points, unindexed
from tracertm.repositories import keyset
from tracertm.repositories.changed_since import Placements, after_commit, after_time, commit_in, named_commit
from tracertm.repositories.cursor import NOT_A_CURSOR, PINNED_COMMIT, Cursor, refusals_of, values_digest
from tracertm.repositories.dated_at import revision_by_dates
from tracertm.repositories.errors import (
    Ambiguous,
    GitOwnedField,
    NotFound,
    flush_edit,
    git_owned_metadata,
    refuse_limit,
    refuse_stale,
)
from tracertm.repositories.keyset import Key
from tracertm.repositories.kinds import Kind, column, is_live, live_first, prefixed_uuid, sort_keys, the_live_one
from tracertm.repositories.kinds import kind as kind_named
from tracertm.repositories.projects import command
from tracertm.repositories.text_match import starts_with
from tracertm.schemas.filters import ListFilter
from tracertm.text import file_lines, other_forms, quoted_command, visible_form

# Labels of the feature's columns on a scenario page row (see Records.list).
FEATURE_LABEL, FEATURE_DELETED_LABEL = "_feature_number", "_feature_deleted"
# Label of a step definition's number (of ``STEP-n``) on a page row (see Records.list).
STEP_NUMBER_LABEL = "_step_number"
_ADR_ID = re.compile(r"^ADR-?(\d+)$", re.IGNORECASE | re.ASCII)  # as SC-n, FEAT-n: ASCII digits only
_COMMIT = re.compile(r"^[0-9a-fA-F]{7,64}$")  # SHA-1 (40) or SHA-256 (64) ids, or an abbreviation
_STEP_ID = re.compile(r"^STEP-\d+$", re.IGNORECASE | re.ASCII)  # a step definition's short id (steps.queries)


def _history_order() -> list[Any]:
    """A record's revisions in order, so that every page of a history and the whole of it agree on one order: by
    version; within one version (a pure move keeps it) the change that made it first unless it is a move
    (``created``, ``updated``, ``deleted``, ``restored``, a database-side edit's ``annotated``), then the moves in
    the order they were written (``seq``), then by id.

    Not by date: a commit's date is not when the database recorded its change (a commit older than an API edit,
    synced after it, put its move before the edit; a move synced from the work tree, which has no commit date, came
    after a later ``sync --ref`` of an older commit that moved the record back, and the history ended on a path the
    record had left). A backfill merge, which writes the moves of the older history after the revisions a sync wrote
    of the same version, renumbers those revisions behind them (``history.merge``)."""
    return [SpecRevision.version, SpecRevision.change == "moved", SpecRevision.seq, SpecRevision.id]


@dataclass
class ListPage:
    """Rows of one page and the cursor of the next page. Each row is ``(row, feature_number or None)``; a row is
    a read-only SQLAlchemy ``Row`` with the table's columns as attributes (``row.adr_number``, ``row.status``)."""

    rows: builtins.list[tuple[Any, str | None]]
    next_cursor: str | None
    limit: int


def _moment(since: str) -> dt.datetime | None:
    """``changed_since`` as a time (naive: no offset given), or None for a commit: its id, or a branch or tag name.
    Hex digits are a commit id, also when they happen to be decimal ones (``9618365756``: Python reads 40 or 64 of
    them as a date and time) — but for the eight of a basic-format date (``20240501``). Anything else that reads as
    a time is one (a tag ``2024-05-01`` too); the rest is a name."""
    if _COMMIT.match(since) and not (since.isdigit() and len(since) == 8):
        return None
    try:
        return dt.datetime.fromisoformat(since.replace("Z", "+00:00"))
    except ValueError:
        return None


def normalize_adr(ident: str) -> str:
    """An ADR id in its normal form (``adr-7`` → ``ADR-0007``), any other id as it is. Written without ``int``,
    which refuses more than 4,300 digits: such an id is one no ADR has (not found), not an internal error."""
    from tracertm.parsers.common import number_digits

    m = _ADR_ID.match(ident)
    return f"ADR-{number_digits(m.group(1))}" if m else ident


class Records:
    """The records of one kind, read and (database-owned fields only) written through one session."""

    def __init__(self, session: Session, kind: Kind | str, repository: Path | None = None) -> None:
        """``repository``: a clone holding the project's history, where ``changed_since`` a commit means the
        revisions of commits that are not that commit's ancestors (git's reachability); None: dates decide."""
        self.session = session
        self.kind = kind if isinstance(kind, Kind) else kind_named(kind)
        self.postgres = session.get_bind().dialect.name == "postgresql"
        self.repository = repository
        self._placements: Placements = {}  # what git said, for the page and the count of one listing
        # ``changed_since``'s commit (full id, date) per value given: a branch is read once per listing, so its
        # page, count and facets agree however it moves meanwhile.
        self._since: dict[str, tuple[str, dt.datetime]] = {}

    # -------------------------------------------------------------------------------------------------- reads

    def _select(self, *entities: Any) -> Any:
        """``entities`` from this kind's table with the project owner joined (scenarios: through the feature)."""
        k = self.kind
        if k.name == "scenario":
            return select(*entities).join(Feature, k.table.c.feature_id == Feature.id)
        return select(*entities)

    def _owner(self) -> Any:
        return Feature.project_id if self.kind.name == "scenario" else self.kind.table.c.project_id

    def get(self, ident: str | uuid.UUID, project: Project | None = None) -> Any:
        """One record (soft-deleted ones too) by UUID, or by human id (``ADR-0003``, ``FEAT-2/SC-4``) in ``project``
        (every project when None: an id found in several is :class:`Ambiguous`). An ADR id no ADR has names the
        ADR a file's reference to it would (:meth:`adr_named`). A UUID may carry its kind (``scenario:<UUID>``,
        ``kinds.prefixed_uuid``), as the pages and the trace name a record whose id is ``.`` or ``..``."""
        k = self.kind
        wanted: uuid.UUID | None = ident if isinstance(ident, uuid.UUID) else None
        if wanted is None:
            try:
                wanted = uuid.UUID(str(ident))
            except ValueError:
                prefixed = prefixed_uuid(str(ident))
                wanted = prefixed[1] if prefixed is not None and prefixed[0] == k.name else None
        if wanted is not None:
            stmt = self._select(k.model).where(k.table.c.id == wanted)
            if project is not None:
                stmt = stmt.where(self._owner() == project.id)
            row = self.session.execute(stmt.execution_options(include_deleted=True)).scalar_one_or_none()
            if row is None:
                raise NotFound(f"{ident}: no {k.name.replace('_', ' ')} with this id")
            return row
        rows = self.find_by_number(str(ident), project)
        if not rows and k.name == "adr":
            rows = self.adr_named(str(ident), project)
        if not rows:
            where, listing = "", f"tracertm list {k.plural}"
            if project is not None:  # (the API's detail routes too: the reader's folder may find another project)
                where, listing = f" in project {project.name}", command("list", k.plural, project=project.name)
            raise NotFound(
                f"{ident}: no {k.name.replace('_', ' ')} with this id{where}; see {quoted_command(listing)}")
        if len(rows) > 1:
            owners = {row.feature.project_id if k.name == "scenario" else row.project_id for row in rows}
            if project is None and len(owners) > 1:
                names = sorted(self.session.execute(select(Project.name).where(Project.id.in_(owners))).scalars())
                shown = ", ".join(map(visible_form, names))  # (two spellings of one name: apart)
                raise Ambiguous(f"{ident} is in several projects ({shown}); name the project (--project on the "
                                "command line, ?project= in the API)")
            live = the_live_one(rows)
            if live is None:
                named = (visible_form(self.qualified(r)) + ("" if is_live(r) else " (deleted)") for r in rows)
                raise Ambiguous(f"{ident} is ambiguous ({', '.join(named)}); use one of those")
            return live
        return rows[0]

    def find_by_number(self, ident: str, project: Project | None, as_typed: bool = False) -> builtins.list[Any]:
        """Every record whose human id is ``ident`` (scenarios: ``SC-4`` or ``FEAT-2/SC-4``; ADRs: also ``ADR-3`` for
        ``ADR-0003``, unless ``as_typed``); none spelled so, the records whose id is ``ident`` in another Unicode form
        (``text.other_forms``: a feature's id is its file's name, decomposed on macOS, and typed precomposed)."""
        rows = self._by_number(ident, project, as_typed)
        for form in () if rows else other_forms(ident):
            rows += [row for row in self._by_number(form, project, as_typed) if row not in rows]
        return rows

    def _by_number(self, ident: str, project: Project | None, as_typed: bool = False) -> builtins.list[Any]:
        k = self.kind
        if k.number is None:
            return []
        if k.name == "scenario":
            stmt = select(k.model).execution_options(include_deleted=True).where(
                k.table.c.id.in_(self._numbered_scenarios(ident, project)))
        else:  # the short form is an ADR's (a contract's ``id: ADR-3`` is not ``ADR-0003``, nor the reverse)
            numbers = {ident} if as_typed or k.name != "adr" else {ident, normalize_adr(ident)}
            stmt = select(k.model).execution_options(include_deleted=True).where(k.table.c[k.number].in_(numbers))
            if project is not None:
                stmt = stmt.where(self._owner() == project.id)
        rows = live_first(self.session.execute(stmt.limit(20)).scalars(), self.qualified)
        if k.name == "step_definition" and _STEP_ID.match(ident):
            rows += [row for row in self._short_step(ident, project) if row not in rows]
        return rows

    def _numbered_scenarios(self, ident: str, project: Project | None) -> Any:
        """The ids of the scenarios ``ident`` names: ``SC-4``, or ``FEATURE/SCENARIO`` where either part may hold a
        "/" (and a scenario number alone may too). One select per reading, joined by ``UNION ALL``, so that each is
        found from an index — the whole id from ``ix_scenarios_scenario_number``, a split from its feature's
        ``(project_id, feature_number)`` key and then the scenario's — and not by probing every feature of the
        project, as one condition ORing them made both databases do (migration 0036)."""
        from sqlalchemy import union_all

        from tracertm.engine.links import scenario_ref_splits

        s = self.kind.table.c
        readings = [s.scenario_number == ident] + [
            and_(Feature.feature_number == f, s.scenario_number == sc) for f, sc in scenario_ref_splits(ident)]
        selects = []
        for reading in readings:
            stmt = select(s.id).join(Feature, s.feature_id == Feature.id).where(reading)
            selects.append(stmt if project is None else stmt.where(Feature.project_id == project.id))
        return union_all(*selects) if len(selects) > 1 else selects[0]

    def adr_named(self, ident: str, project: Project | None) -> builtins.list[Any]:
        """The ADRs an id that no ADR has exactly names, by the one rule of file references
        (``crossfile.resolve_adr``): a plain ``ADR-0008`` (``ADR-8``) the one ADR whose id is ``ADR-0008`` with a
        slug (``ADR-0008-use-x``), ``ADR-0005-use-x`` the ADR ``ADR-0005``. Over the live ADRs of ``project``
        (each project when None), as a reference is; over its deleted ones too when no live one is named (``get``
        finds deleted records by their exact id). Returns the one ADR named, or every ADR an ambiguous id could
        name (several slugged ids of its number: :meth:`get` and ``find_any`` say so, naming them), or []."""
        from tracertm.crossfile import adr_base, adr_resolver

        target = normalize_adr(ident.strip())
        if self.kind.name != "adr" or adr_base(target) is None:
            return []
        t = self.kind.table
        number = t.c[self.kind.number]
        stmt = select(t.c.project_id, number, t.c.deleted_at.is_(None)).execution_options(include_deleted=True)
        if project is not None:
            stmt = stmt.where(t.c.project_id == project.id)
        ids: dict[uuid.UUID, tuple[set[str], set[str]]] = {}
        for owner, identifier, live in self.session.execute(stmt):
            scopes = ids.setdefault(owner, (set(), set()))
            scopes[1].add(identifier)
            if live:
                scopes[0].add(identifier)
        named = []
        for owner, scopes in ids.items():
            for scope in scopes:
                found, several = adr_resolver(scope)(target)
                if found is not None or several:
                    named += [and_(t.c.project_id == owner, number.in_([found] if found is not None else several))]
                    break
        if not named:
            return []
        # Every project's slugged ADRs of one id tie by number: then by project name, by code point, on both
        # databases (not the order a plan reads the rows in).
        rows = self.session.execute(
            select(self.kind.model).join(Project, Project.id == t.c.project_id).where(or_(*named))
            .order_by(code_points(number), code_points(Project.name)).execution_options(include_deleted=True)
        ).scalars()
        return builtins.list(rows)

    def _short_step(self, ident: str, project: Project | None) -> builtins.list[Any]:
        """The step definitions a short id ``STEP-n`` names (it numbers each project's definitions: as the CLI
        resolves it, ``steps.queries.find_definition``) in ``project``, else in every project that has some."""
        from tracertm.steps.queries import find_definition

        if project is not None:
            projects = [project]
        else:
            owners = select(self.kind.table.c.project_id).where(self.kind.table.c.project_id.is_not(None)).distinct()
            projects = builtins.list(self.session.execute(
                select(Project).where(Project.id.in_(owners)).order_by(code_points(Project.name))
                .execution_options(include_deleted=True)
            ).scalars())
        found: builtins.list[Any] = []
        for each in projects:
            row = find_definition(self.session, each, ident)
            if row is not None:
                found.append(row)
                if len(found) >= 20:
                    break
        return found

    def qualified(self, row: Any) -> str:
        """The unambiguous human id of a row (``FEAT-2/SC-4`` for scenarios)."""
        k = self.kind
        if k.name == "scenario":
            return f"{row.feature.feature_number}/{row.scenario_number}"
        return str(getattr(row, k.number)) if k.number else str(row.id)

    def _filtered(self, project: Project, flt: ListFilter, *entities: Any) -> Any:
        """``entities`` of the project's records matching ``flt`` (soft-deleted rows filtered here, explicitly)."""
        stmt = self._select(*entities).where(self._owner() == project.id)
        return stmt.where(*self._conditions(flt, project)).execution_options(include_deleted=True)

    def _conditions(self, flt: ListFilter, project: Project) -> builtins.list[Any]:
        k, t = self.kind, self.kind.table
        out: builtins.list[Any] = []
        if not flt.include_deleted:
            out.append(self._live())
        if flt.status:
            if "status" not in t.c:
                raise UsageError(f"status: {k.plural} have no status")
            out.append(t.c.status.in_(self._values("status", t.c.status, flt.status)))
        if flt.type:
            if "type" not in k.facets:
                raise UsageError(f"type: {k.plural} have no type")
            col = column(k, "type")
            out.append(col.in_(self._values("type", col, flt.type)))
        if flt.tag or flt.any_tag:
            if "tags" not in t.c:
                raise UsageError(f"tag: {k.plural} have no tags")
            out += [self._json_contains(t.c.tags, tag) for tag in flt.tag]
            if flt.any_tag:
                out.append(or_(*(self._json_contains(t.c.tags, tag) for tag in flt.any_tag)))
        if flt.text:
            if not k.searchable:
                raise UsageError(f"text: {k.plural} are not indexed for full-text search")
            from tracertm.search.engine import match_clause

            out.append(match_clause(self.session, k, flt.text))
        if flt.path:
            if "source_path" not in t.c:
                raise UsageError(f"path: {k.plural} have no source path")
            out.append(starts_with(t.c.source_path, flt.path, self.postgres))
        if flt.related_adr:
            if "related_adr" not in k.relations:
                raise UsageError(f"related_adr: {k.plural} do not refer to ADRs")
            out.append(self._json_contains(t.c.related_adrs, normalize_adr(flt.related_adr)))
        if flt.feature:
            if "feature" not in k.relations:
                raise UsageError(f"feature: only scenarios belong to a feature, not {k.plural}")
            out.append(Feature.feature_number.in_(self._feature_spellings(flt.feature, project)))
        if flt.changed_since:
            out.append(self._changed_since(flt.changed_since, project))
        return out

    def _feature_spellings(self, feature: str, project: Project) -> builtins.list[str]:
        """``feature`` as a filter reads it, as ``find_by_number`` reads an id: that spelling when a feature of the
        project has it, else its other Unicode forms too (a file name macOS decomposed, typed composed)."""
        forms = other_forms(feature)
        if forms and self.session.execute(select(Feature.id).where(
                Feature.project_id == project.id, Feature.feature_number == feature).limit(1)).first() is not None:
            forms = []
        return [feature, *forms]

    def _live(self) -> Any:
        """The record is not deleted. A scenario's condition is the one of its project's index (``LIVE_SCENARIO``,
        ``+deleted_at`` on SQLite): as a plain term SQLite, without statistics, started from
        ``ix_scenarios_deleted_at``, every live scenario of every project, and sorted the project's for a page."""
        deleted_at = self.kind.table.c.deleted_at
        return (unindexed(deleted_at) if self.kind.name == "scenario" else deleted_at).is_(None)

    def _values(self, option: str, col: Any, values: builtins.list[str]) -> builtins.list[str]:
        allowed = list(getattr(col.type, "enums", []) or [])
        wrong = [v for v in values if allowed and v not in allowed]
        if wrong:
            noun = "ADR" if self.kind.name == "adr" else self.kind.name.replace("_", " ")  # as people write them
            article = "an" if noun[0].lower() in "aeiou" else "a"  # "an ADR", "a contract"
            raise UsageError(f"{option} {wrong[0]!r}: not {article} {noun} {option}; use one of {', '.join(allowed)}")
        return values

    def _json_contains(self, col: Any, value: str) -> Any:
        if self.postgres:
            return col.op("@>")(func.cast(func.jsonb_build_array(value), JSONB))
        each = func.json_each(col).table_valued("value")
        return exists(select(1).select_from(each).where(each.c.value == value))

    def _changed_since(self, since: str, project: Project) -> Any:
        """Rows with a revision after the time ``since``, or after its commit (an id, or a branch or tag name;
        ``repositories.changed_since``: by the history of the repository where there is one, else by dates)."""
        related = SpecRevision.entity_id == self.kind.table.c.id
        moment = _moment(since)
        if moment is None:
            return after_commit(self.session, project.id, related, self._since_commit(since, project.id),
                                self.repository, self._placements)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.timezone.utc)
        try:
            moment = moment.astimezone(dt.timezone.utc)
        except OverflowError:
            raise UsageError(f"changed_since {since!r}: outside years 1 to 9999 in UTC") from None
        return after_time(related, moment)

    def _since_commit(self, since: str, project_id: uuid.UUID) -> tuple[str, dt.datetime]:
        """The full id and commit date of ``changed_since``'s commit, read once per value: a commit id as the
        database records it for the project ``project_id``, else (a commit that changed no spec file and was never
        synced, a merged branch's) as the repository has it; a branch or tag name (anything but hex digits) by the
        repository only."""
        if since not in self._since:
            commit = since if _COMMIT.match(since) else named_commit(self.repository, since)
            try:
                self._since[since] = self.commit_date(commit, "changed_since", project_id)
            except NotFound:
                found = commit_in(self.repository, commit) if self.repository is not None else None
                if found is None:
                    raise
                self._since[since] = found
        return self._since[since]

    def _pinned(self, flt: ListFilter) -> ListFilter:
        """``flt`` as a next page's cursor carries it: ``changed_since`` a commit by its full id, which a branch's
        next commit, or a commit recorded later under the same abbreviation, does not move (read by
        ``_since_commit`` for this very page)."""
        since = flt.changed_since
        if not since or _moment(since) is not None or self._since[since][0] == since:
            return flt
        try:  # validated again: a cursor's filters are, and the id may be longer than the name (``main``)
            return ListFilter.model_validate({**flt.model_dump(mode="json", exclude_defaults=True),
                                              "changed_since": self._since[since][0]})
        except ValidationError as exc:
            raise UsageError(str(exc.errors()[0]["msg"]).removeprefix("Value error, ")) from None

    def commit_date(self, commit: str, option: str, project_id: uuid.UUID) -> tuple[str, dt.datetime]:
        """The full id of ``commit`` (full or abbreviated) and when it was made (its commit date), as the revisions
        or sync runs of the project ``project_id`` record it: a commit that changed no spec file has no revision,
        only the runs that synced it. A commit only another project records (another repository's) is not known:
        its date would place this project's revisions by another history."""
        sha = commit.lower()
        dates: tuple[tuple[Any, Any], ...] = (
            (SpecRevision, func.max(func.coalesce(SpecRevision.committed_at, SpecRevision.created_at))),
            # A run records its commit's date (``committed_at``, migration 0019). Runs recorded before that migration
            # have none (NULL): for them only, the start of the first run that synced the commit stands in — an upper
            # bound (the commit is older than its sync; by how much nobody recorded).
            (SyncRun, func.coalesce(func.max(SyncRun.committed_at), func.min(SyncRun.started_at))),
        )
        for model, when in dates:
            whole = len(sha) in (40, 64)
            match = model.commit_sha == sha if whole else model.commit_sha.startswith(sha, autoescape=True)
            found = self.session.execute(
                select(model.commit_sha, when).where(match, model.project_id == project_id)
                .group_by(model.commit_sha).limit(2)
            ).all()
            if len(found) > 1:
                raise Ambiguous(f"{option} {commit}: several commits start with it; give more digits")
            if found:
                return str(found[0][0]), found[0][1]
        raise NotFound(f"{option} {commit}: no revision or sync run of this project records that commit")

    def list(self, project: Project, flt: ListFilter | None = None, cursor: str | None = None) -> ListPage:
        """One page of records matching ``flt``; with ``cursor`` (from a previous page) the query it encodes,
        resumed after the sort-key values its last row had then (whatever became of that row since)."""
        k = self.kind
        decoded = Cursor.decode(cursor) if cursor else None
        if decoded is not None:
            if decoded.kind != k.name or decoded.project_id != project.id:
                raise UsageError("cursor: it belongs to another list; start again without it")
            # Given next to the cursor, a page size, the fields shown and a count win: they choose no rows.
            given = {"limit": flt.limit, **({"fields": flt.fields} if flt.fields else {}),
                     **({"count": True} if flt.count else {})} if flt is not None else {}
            flt = decoded.filter.model_copy(update=given)
        flt = flt or ListFilter()
        sqlite = not self.postgres
        with refusals_of(decoded):  # a time or a commit's full id: a name is read on the first page only (README)
            if decoded and (since := flt.changed_since) and _moment(since) is None and not PINNED_COMMIT.match(since):
                raise UsageError(NOT_A_CURSOR)
            keys = sort_keys(self.kind, flt.sort, flt.include_deleted)
            # Late row lookup: sort and cut the narrow (sort keys, id) rows first, then load the page's full rows by
            # id; sorting whole rows (scenarios carry their Gherkin text and JSON steps) costs several times more.
            ids_stmt = self._filtered(project, flt, k.table.c.id, *keyset.stored(keys[:-1], sqlite))
        if decoded is not None:
            ids_stmt = ids_stmt.where(keyset.after(keys, self._resume(project, keys, decoded)))
        ids_stmt = ids_stmt.order_by(*keyset.order_by(keys)).limit(flt.limit + 1)
        found = builtins.list(self.session.execute(ids_stmt).all())
        more = len(found) > flt.limit
        found = found[: flt.limit]
        ids = [r[0] for r in found]
        # The page is read as plain rows (Core), not ORM objects: a page is never written back, and ORM loading
        # with change-tracked JSON costs more than the query. Scenarios carry their feature's number and state.
        columns: builtins.list[Any] = [k.table]
        source: Any = k.table
        if k.name == "scenario":
            columns += [Feature.feature_number.label(FEATURE_LABEL),
                        Feature.deleted_at.is_not(None).label(FEATURE_DELETED_LABEL)]
            source = k.table.join(Feature.__table__, k.table.c.feature_id == Feature.id)
        elif k.name == "step_definition":
            # Each definition's STEP-n, numbered in the same query (over the project's definitions) rather than
            # looked up row by row, so that a page shows the short id the CLI shows (steps.queries.ranked).
            from tracertm.steps.queries import ranked

            numbers = ranked(project.id)
            columns.append(numbers.c.n.label(STEP_NUMBER_LABEL))
            source = k.table.outerjoin(numbers, numbers.c.id == k.table.c.id)
        stmt = select(*columns).select_from(source).where(k.table.c.id.in_(ids))
        by_id = {r.id: r for r in self.session.execute(stmt.execution_options(include_deleted=True))} if ids else {}
        rows = [(by_id[i], by_id[i]._mapping.get(FEATURE_LABEL)) for i in ids if i in by_id]
        next_cursor = None
        if more:
            values = tuple(keyset.value_json(v) for v in found[-1][1:])
            next_cursor = Cursor(k.name, project.id, self._pinned(flt), ids[-1], values).encode()
        return ListPage(rows, next_cursor, flt.limit)

    def _resume(self, project: Project, keys: builtins.list[Key], cursor: Cursor) -> builtins.list[Any]:
        """The bound values a next page resumes after: the cursor's own; or, for a cursor that carries their digest
        only (values too long to carry), its last row's values now, if they are still the ones it had."""
        sqlite = not self.postgres
        values = cursor.values
        if values is None:
            # Soft-deleted rows and rows of a deleted feature too (the session's default filter would hide them).
            now = self.session.execute(
                self._select(*keyset.stored(keys[:-1], sqlite))
                .where(self.kind.table.c.id == cursor.after, self._owner() == project.id)
                .execution_options(include_deleted=True)
            ).first()
            values = None if now is None else tuple(keyset.value_json(v) for v in now)
            if values is None or values_digest(values) != cursor.digest:
                raise UsageError("cursor: the last record of its page has changed or is gone since; start again "
                                 "without it")
        try:
            bound = keyset.from_json(keys[:-1], values, sqlite)
        except ValueError:
            raise UsageError(NOT_A_CURSOR) from None
        return [*bound, literal(cursor.after, self.kind.table.c.id.type)]

    def count(self, project: Project, flt: ListFilter | None = None) -> int:
        """How many records match ``flt`` (every page together)."""
        stmt = self._filtered(project, flt or ListFilter(), func.count(self.kind.table.c.id))
        return int(self.session.execute(stmt).scalar() or 0)

    def facets(self, project: Project, flt: ListFilter | None = None
               ) -> dict[str, builtins.list[tuple[str | None, int]]]:
        """Counts per status, type and tag over the records matching ``flt`` (most frequent first; an empty value
        as None)."""
        flt = flt or ListFilter()
        out: dict[str, builtins.list[tuple[str | None, int]]] = {}
        for facet in self.kind.facets:
            if facet == "tag":
                ids = self._filtered(project, flt, self.kind.table.c.id, self.kind.table.c.tags).subquery()
                if self.postgres:
                    each = func.jsonb_array_elements_text(ids.c.tags).table_valued("value")
                else:
                    each = func.json_each(ids.c.tags).table_valued("value")
                # Records, not mentions: a tag a file writes twice (``@x @x``) is one record with it, as ``tag=x``
                # lists it once.
                stmt = select(each.c.value, func.count(ids.c.id.distinct())).select_from(ids).join(each, true()) \
                    .group_by(each.c.value)
            else:
                col = column(self.kind, facet)
                stmt = self._filtered(project, flt, col, func.count()).group_by(col)
            # An empty value (a test case's status set to null) is None, not the text "None" no filter selects.
            counted = [(None if v is None else str(getattr(v, "value", v)), int(n))
                       for v, n in self.session.execute(stmt).all()]
            out[facet] = sorted(counted, key=lambda vc: (-vc[1], vc[0] is None, vc[0] or ""))
        return out

    def feature_of(self, row: Any) -> str | None:
        """The number of a scenario's feature (what qualifies its number); None for a record of another kind."""
        return row.feature.feature_number if self.kind.name == "scenario" else None

    def history(self, row: Any) -> builtins.list[SpecRevision]:
        """Every revision of one record, in version order (oldest first): git changes with commit and author,
        database-side edits (``annotated``) with the actor and the fields changed — one per version increment."""
        return list(
            self.session.execute(
                select(SpecRevision).where(SpecRevision.entity_id == row.id).order_by(*_history_order())
            ).scalars()
        )

    def history_count(self, row: Any) -> int:
        """How many revisions the record has."""
        return int(self.session.execute(
            select(func.count()).select_from(SpecRevision).where(SpecRevision.entity_id == row.id)).scalar_one())

    def history_window(self, row: Any, bound: int | None, limit: int, *, newest: bool = True,
                       where: tuple[Any, ...] = ()) -> tuple[builtins.list[SpecRevision], bool]:
        """A keyset page of the record's revisions, in ``history``'s order (oldest first), and whether more lie
        beyond it. ``newest``: the newest ``limit`` revisions with a version below ``bound`` (no bound: the newest
        of all), else the oldest ``limit`` with a version above it. A pure move keeps the version, so a version
        can have several revisions: a page always holds the whole of its last version (then a few more than
        ``limit``), and the next one starts at the version after it — keyset on the version, never an offset."""
        refuse_limit(limit)
        base = (SpecRevision.entity_id == row.id, *where)
        beyond: tuple[Any, ...] = () if bound is None else (
            SpecRevision.version < bound if newest else SpecRevision.version > bound,)
        order = [c.desc() for c in _history_order()] if newest else _history_order()
        rows = list(self.session.execute(
            select(SpecRevision).where(*base, *beyond).order_by(*order).limit(limit + 1)).scalars())
        more = len(rows) > limit
        if more:
            last = rows[limit - 1].version
            page = rows[:limit]
            if rows[limit].version == last:  # the last version goes on past the limit: the whole of it here
                shown = {r.id for r in page}
                page += [r for r in self.session.execute(
                    select(SpecRevision).where(*base, SpecRevision.version == last).order_by(*order)).scalars()
                    if r.id not in shown]
                past = SpecRevision.version < last if newest else SpecRevision.version > last
                more = self.session.execute(select(exists().where(*base, past))).scalar_one()
            rows = page
        return (rows[::-1] if newest else rows), bool(more)

    def history_older(self, row: Any, before: int, where: tuple[Any, ...] = (),
                      batch: int = 32) -> Iterator[SpecRevision]:
        """The revisions (matching ``where``) with a version below ``before``, newest first, read ``batch`` at a
        time: a caller that stops early has read only what it looked at."""
        bound: int | None = before
        while True:
            rows, more = self.history_window(row, bound, batch, where=where)
            yield from reversed(rows)
            if not more or not rows:
                return
            bound = rows[0].version

    def at(self, row: Any, commit: str, top: Path | None = None, option: str = "commit") -> SpecRevision | None:
        """The record's newest revision at ``commit``, by commit order. With the repository ``top``, git's answer:
        the revision ``show --at`` names (``history.at.newest_revision``: the newest of the commit's first-parent
        history). Without one (a server far from the repository) the commit's date as the database records it
        (``commit_date``): the revision of that very commit (its own, or its clean work tree sync's HEAD), else the
        newest one committed at or before it. Never "the newest revision with that version": a pure move keeps the
        version, so a later commit's revision would be answered, with a path that did not exist yet. ``option``:
        how errors name the commit (``show --at``'s ``--at``: its own usage errors)."""
        if top is not None:
            from tracertm.history.at import Unrecorded, newest_revision

            try:
                return newest_revision(self.session, self._project_id(row), commit, top, entity_id=row.id,
                                       option=option)[0]
            except Unrecorded as exc:  # synced from uncommitted files only: not found, saying why (the CLI: usage)
                raise exc if option == "--at" else NotFound(str(exc)) from None
        if not _COMMIT.match(commit):
            raise UsageError(f"commit {commit!r}: not a commit id (7 to 64 hexadecimal digits)")
        sha, when = self.commit_date(commit, "commit", self._project_id(row))
        return revision_by_dates(self.session, row.id, self._project_id(row), sha, when,
                                 [c.desc() for c in _history_order()])

    def _project_id(self, row: Any) -> uuid.UUID:
        owner: uuid.UUID = row.feature.project_id if self.kind.name == "scenario" else row.project_id
        return owner

    # ------------------------------------------------------------------------------------------------- writes

    def check_fields(self, row: Any, fields: builtins.list[str], top: Path | None = None) -> None:
        """Refuse fields that git (or the engine) owns, naming the file and the line where the first of them is
        written (from the file under the repository ``top``; without it, the lines the database knows), or saying
        why no line is given."""
        k = self.kind
        # ``metadata`` holds keys of both owners: its keys are checked one by one (check_metadata).
        # ``title`` of a feature or step definition is its name or pattern (``_column_of``): git's too.
        owned = [f for f in fields if k.owner_of(self._column_of(f)) in ("git", "engine")
                 and not (f == "metadata" and k.metadata_column is not None)]
        if not owned:
            return
        from tracertm.repositories.locate import COMPUTED
        from tracertm.schemas.records import derived_note

        path = getattr(row, "source_path", None)
        # The engine's own columns (id, version, timestamps...) and computed figures: no file line to edit.
        kept = [f for f in owned
                if self._column_of(f) == f and (k.owner_of(f) == "engine" or (k.name, f) in COMPUTED)]
        if not k.from_git:  # test cases: their reports create them, no file of the repository holds them
            kept = owned
        if kept == owned:
            why = COMPUTED.get((k.name, owned[0]), "maintained by tracertm itself (no file sets it)" if k.from_git
                               else "set by the test reports that create it (tracertm results import)")
            raise GitOwnedField(f"{', '.join(owned)} of {k.name} {self.qualified(row)}: {why}, so it cannot be set",
                                owned, path, None, why)
        path, spot = self._where(row, self._column_of(next(f for f in owned if f not in kept)), top)

        editable = [*(f for f in k.db_owned if derived_note(k.name, f) is None),  # not the derived ones
                    *(["metadata keys the file does not set"] if k.metadata_column else [])]
        raise GitOwnedField(
            f"{', '.join(owned)} of {k.name} {self.qualified(row)}: owned by git, not the database; edit "
            f"{_place(path, spot)} and commit (the next sync updates the database). Editable here: "
            f"{', '.join(editable)}",
            owned, path, spot.line, spot.note,
        )

    def _column_of(self, field: str) -> str:
        """The column behind a read model field: ``title`` of a feature is its ``name``, ``number`` its id."""
        k = self.kind
        if field == "title" and "title" not in k.table.c:
            return k.title
        if field == "number" and k.number:
            return k.number
        return field

    def _where(self, row: Any, field: str, top: Path | None) -> tuple[str | None, Any]:
        """The file of ``row`` and the :class:`~tracertm.repositories.locate.Spot` of ``field`` in it."""
        from tracertm.repositories.locate import record_spot

        return getattr(row, "source_path", None), record_spot(self.kind.name, row, field, top)

    def git_metadata_keys(self, row: Any) -> set[str]:
        """The metadata keys the record's file sets (``models.sync.file_metadata_keys``). Records git does not own
        have none."""
        column = self.kind.metadata_column
        if not self.kind.from_git or column is None:
            return set()
        return file_metadata_keys(self.session, row.id, column, getattr(row, "metadata_", None))

    def check_metadata(self, row: Any, keys: builtins.list[str], top: Path | None = None) -> None:
        """Refuse metadata keys the record's file sets (409), naming the file and the key's line."""
        clash = sorted(set(keys) & self.git_metadata_keys(row))
        if not clash:
            return
        path, spot = self._where(row, f"metadata.{clash[0]}", top)
        raise git_owned_metadata(f"{self.kind.name} {self.qualified(row)}", clash, _place(path, spot), path,
                                 spot.line, spot.note)

    def update(self, row: Any, changes: dict[str, Any], expected_version: int, actor: str,
               top: Path | None = None) -> Any:
        """Set database-owned fields of ``row`` if its version is still ``expected_version``.

        Goes through the ORM (attribute sets, then flush) with ``session.info['actor']`` set, so the revision
        mechanism records one ``annotated`` revision per version increment. A stale version raises
        :class:`StaleVersion`; a git-owned field :class:`GitOwnedField`; an invalid value ``InvalidValues``;
        another writer's commit overtaking this session's read on SQLite ``ConflictError`` (nothing written).
        """
        from tracertm.repositories.test_cases import named_context, relink
        from tracertm.schemas.updates import validated

        self.check_fields(row, builtins.list(changes), top)
        context = named_context(self.session, self.kind.name, row, changes.get("test_case_ids"))
        values = validated(self.kind.name, changes, context)
        metadata = values.pop("metadata", None)
        if metadata:
            self.check_metadata(row, builtins.list(metadata), top)
        refuse_stale(f"{self.kind.name} {self.qualified(row)}", row.version, expected_version,
                     "apply the change again")
        self.session.info["actor"] = actor
        for name, value in values.items():
            if value is None and not self.kind.table.c[name].nullable:
                continue
            before = getattr(row, name)
            setattr(row, name, value)
            if before == value and not same_json(before, value):  # {"ok": true} for {"ok": 1}: see below
                flag_modified(row, name)
        if metadata:  # a merge: null removes a key; a new dict so that the change is seen and audited
            merged = {**(row.metadata_ or {}), **{key: v for key, v in metadata.items() if v is not None}}
            for key in [key for key, v in metadata.items() if v is None]:
                merged.pop(key, None)
            if not same_json(merged, row.metadata_ or {}):
                row.metadata_ = merged
                # The ORM compares JSON with ==, for which true, 1 and 1.0 are one value: it would write nothing.
                flag_modified(row, "metadata_")
        # Named before the flush: a failed one leaves the session unable to load what naming the record reads.
        what = f"{self.kind.name} {self.qualified(row)}"
        flush_edit(self.session, what, f"{what} changed while this update ran (it was at version "
                                       f"{expected_version}): re-read it and apply the change again",
                   expected_version, row)
        if "test_case_ids" in values:  # its test links follow, in this transaction (``engine.named_tests``)
            relink(self.session, row)
        return row

    def set_deleted(self, row: Any, deleted: bool, expected_version: int, actor: str) -> Any:
        """Soft-delete (or restore) a record that git does not own, guarded like :meth:`update`. Records synced
        from files are deleted by removing the file: refused with :class:`GitOwnedField`."""
        if self.kind.from_git:
            path = getattr(row, "source_path", None)
            raise GitOwnedField(
                f"{self.kind.name} {self.qualified(row)} comes from {path or 'a spec file'}: delete or restore it in "
                "git (the next sync follows)",
                ["deleted"], path, None, "no line: a record synced from a file is deleted by removing the file",
            )
        refuse_stale(f"{self.kind.name} {self.qualified(row)}", row.version, expected_version, "try again")
        if (row.deleted_at is not None) == deleted:
            return row
        self.session.info["actor"] = actor
        row.deleted_at = dt.datetime.now(dt.timezone.utc) if deleted else None
        # Named before the flush: a failed one leaves the session unable to load what naming the record reads.
        what = f"{self.kind.name} {self.qualified(row)}"
        flush_edit(self.session, what, f"{what} changed while this request ran; re-read it", expected_version, row)
        return row


def _place(path: str | None, spot: Any) -> str:
    """``path:line`` to edit, with the spot's note when it has one (why no line, or what to do on that line)."""
    where = f"{path}:{spot.line}" if path and spot.line else (path or "its source file")
    return f"{where} ({spot.note})" if spot.note else where


def source_line(row: Any) -> int | None:
    """The best-known line of a record in its file: a scenario's first step (less the lines before it in its own
    text), else None (the file as a whole)."""
    steps = [s for name in ("given_steps", "when_steps", "then_steps") for s in (getattr(row, name, None) or [])]
    lines = [int(s["line"]) for s in steps if isinstance(s, dict) and isinstance(s.get("line"), int)]
    if not lines:
        return None
    text = getattr(row, "gherkin_text", None) or ""
    first = min(lines)
    first_text = next((s.get("text") for s in steps if s.get("line") == first), None)
    offset = next((i for i, line in enumerate(file_lines(text)) if first_text and first_text in line), 0)
    return max(1, first - offset)


__all__ = ["ListPage", "Records", "normalize_adr", "source_line"]
