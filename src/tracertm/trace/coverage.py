"""Coverage states per requirement and per ADR (after OpenFastTrace's coverage and Doorstop's suspect links).

One place decides a scenario's last result (``scenario_result``, and ``result_sql``, the same rule in SQL for the
counts) and one decides a state (``state``), so new result columns are wired here only. States, most urgent first:

- ``orphaned``: referenced but not defined — an ADR id no live ADR has; a requirement id that only features and
  scenarios name while no ADR or contract states it (ADRs and contracts are where requirements are stated; a project
  whose ADRs and contracts state no requirement at all keeps them elsewhere, and every named id counts as defined).
  An orphaned ADR row says why its references dangle (``Row.dangling``, ``review.why_dangling``): ``missing``, or
  ``ambiguous`` (a plain ``ADR-0008`` while several ADRs ``ADR-0008-…`` and no ``ADR-0008`` live) with those ADRs;
- ``uncovered``: no scenario links to it;
- ``failing``: a linked scenario's last result failed;
- ``suspect``: a link to it is suspect (it changed since the linking spec was reviewed);
- ``not executed``: scenarios link to it but none has a result;
- ``covered``: a linked scenario's last result passed, and none failed.
"""

from __future__ import annotations

import enum
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from sqlalchemy import Select, and_, select, true
from sqlalchemy.orm import Session

from tracertm.crossfile import adr_resolver
from tracertm.models import ADR, Link, LinkType, Project, Scenario
from tracertm.trace.review import link_state, why_dangling


class State(enum.StrEnum):
    ORPHANED = "orphaned"
    UNCOVERED = "uncovered"
    FAILING = "failing"
    SUSPECT = "suspect"
    NOT_EXECUTED = "not executed"
    COVERED = "covered"


PASSED, FAILED = "passed", "failed"
STATING_KINDS = frozenset({"adr", "contract"})  # the kinds whose requirement ids define the requirement
# Scenario columns the result is read from. ``last_status`` arrives with test results; until then the pass rate
# stands in for it (1.0: passed, below: failed).
RESULT_COLUMNS = ("last_status", "pass_rate", "last_executed_at")
_PASSING = frozenset({"passed", "pass", "ok", "success"})
# A skipped scenario did not run: no result. A pending or an undefined one did and failed, as the results' own
# ``coverage``, gate and statistics read them (``results.report.FAILING``), so ``matrix`` and ``coverage`` agree;
# so does any other status that is no pass.
_NEUTRAL = frozenset({"skipped", "not executed", ""})


def scenario_result(row: Mapping[str, Any]) -> str | None:
    """``passed``, ``failed`` or None (never executed) from a scenario's result columns."""
    status = row.get("last_status")
    if status is not None:
        value = str(status).lower()
        if value in _NEUTRAL:
            return None
        return PASSED if value in _PASSING else FAILED
    rate = row.get("pass_rate")
    if rate is None:
        return None
    return PASSED if float(rate) >= 1.0 else FAILED


def result_sql() -> Any:
    """``scenario_result`` in SQL, over the ``Scenario`` columns of a statement: ``'passed'``, ``'failed'`` or NULL
    (never executed, or no scenario joined). The same rule (``tests/trace/test_coverage_states_counted.py`` holds
    them equal), for reads that count results in the database rather than read each scenario's; ``last_status``
    holds the statuses an import writes (``models.test_run.RESULT_STATUS_VALUES``), which ``lower`` folds alike
    everywhere."""
    from sqlalchemy import case, func, literal, null

    status = func.lower(Scenario.last_status)
    by_status = case((status.in_(_NEUTRAL), null()), (status.in_(_PASSING), literal(PASSED)), else_=literal(FAILED))
    return case((Scenario.last_status.is_not(None), by_status), (Scenario.pass_rate.is_(None), null()),
                (Scenario.pass_rate >= 1.0, literal(PASSED)), else_=literal(FAILED))


def state(defined: bool, results: Iterable[str | None], suspect: bool) -> State:
    """The coverage state of one requirement or ADR from its definition, its scenarios' last results (one entry per
    linked scenario) and whether a link to it is suspect."""
    results = list(results)
    if not defined:
        return State.ORPHANED
    if not results:
        return State.UNCOVERED
    if FAILED in results:
        return State.FAILING
    if suspect:
        return State.SUSPECT
    if PASSED not in results:
        return State.NOT_EXECUTED
    return State.COVERED


@dataclass
class Row:
    """One line of the matrix: a requirement or an ADR, what links to it, and its state."""

    kind: str  # requirement | adr
    id: str
    title: str | None
    defined: bool
    scenarios: list[str] = field(default_factory=list)
    features: list[str] = field(default_factory=list)
    contracts: list[str] = field(default_factory=list)
    adrs: list[str] = field(default_factory=list)
    results: dict[str, str | None] = field(default_factory=dict)
    suspect: list[str] = field(default_factory=list)  # sources whose link to this row is suspect
    tests: list[str] = field(default_factory=list)  # test cases mapped to its scenarios (test links)
    state: State = State.UNCOVERED
    # An orphaned ADR: why the references to it dangle (``review.why_dangling``: missing, or ambiguous + candidates)
    dangling: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "id": self.id, "title": self.title, "state": str(self.state),
            "scenarios": [{"id": s, "result": self.results.get(s)} for s in self.scenarios],
            "features": self.features, "contracts": self.contracts, "adrs": self.adrs, "suspect": self.suspect,
            "tests": self.tests, "dangling": self.dangling,
        }


LINK_COLUMNS = (Link.source_kind, Link.source_id, Link.source_ref, Link.target_ref, Link.target_id, Link.target_kind,
                Link.target_version, Link.reviewed_version)


def coverage(session: Session, project: Project, by: str = "requirements") -> list[Row]:
    """Coverage rows of a project, ``by`` requirements (every requirement id some spec names) or ``adrs`` (every
    live ADR, plus ADR ids referenced without being defined). Four statements, whatever the size: the scenarios'
    results and test cases are read by a sub-query of those links, not by lists of their ids (900 a statement: 23
    statements each on 20,000 scenarios, and on SQLite each test-case statement read every link of the project)."""
    target_kind = _target_kind(by)
    mine = (Link.project_id == project.id, Link.target_kind == target_kind)
    links = session.execute(select(*LINK_COLUMNS).where(*mine)).mappings().all()
    adrs: list[tuple[str, str | None]] = []
    if target_kind == "adr":
        adrs = [(str(n), t) for n, t in session.execute(
            select(ADR.adr_number, ADR.title).where(ADR.project_id == project.id, ADR.deleted_at.is_(None))
        ).all()]
    sources = select(Link.source_id).where(*mine, Link.source_kind == "scenario")
    return _rows(target_kind, links, adrs, _results(session, sources), _tests(session, sources))


@dataclass(frozen=True)
class RowIndex:
    """The rows of a project's matrix known by id and counted per state, none of them built (``row_index``): what
    a page of them needs besides its own rows (``page_rows``)."""

    project: Project
    by: str  # requirements | adrs
    ids: list[str]  # every row's id, in the rows' order (``order``)
    states: dict[str, int]  # rows per state, every state named: ``states_count`` of every row
    live: frozenset[str]  # the live ADRs' numbers (by ADRs; empty by requirements)
    stating: bool  # an ADR or a contract states some requirement (by requirements)

    def start_after(self, after: str | None) -> int:
        """Where the rows after the id ``after`` start in ``ids``: after that row, or — an id no row has (gone
        since the previous page was read, or typed) — at the first row ordered after it; past the end when none
        is. From the first row when ``after`` is None."""
        if after is None:
            return 0
        if after in self.ids:
            return self.ids.index(after) + 1
        key = order(after)
        return next((i for i, ident in enumerate(self.ids) if order(ident) > key), len(self.ids))


def row_index(session: Session, project: Project, by: str = "requirements") -> RowIndex:
    """The ids of ``coverage``'s rows in their order and their states counted, read as ``states_by_project`` reads
    them (a row per requirement or ADR id grouped in the database, and the live ADRs' numbers): no link, scenario
    or test case of its own, no ``Row`` built. A page of the matrix builds its own rows only (``page_rows``):
    building every row of the large benchmark corpus (20,000 scenarios) to count them took ~0.6 s of CPU."""
    target_kind = _target_kind(by)
    targets = [_Target(ref, *(bool(flag) for flag in flags)) for _pid, _kind, ref, *flags in session.execute(
        _targets(and_(Link.project_id == project.id, Link.target_kind == target_kind))).all()]
    live: frozenset[str] = frozenset()
    if target_kind == "adr":
        live = frozenset(str(n) for n in session.execute(
            select(ADR.adr_number).where(ADR.project_id == project.id, ADR.deleted_at.is_(None))).scalars())
        states = _adr_states(targets, set(live))
    else:
        states = _requirement_states(targets)
    ids = {t.ref for t in targets} | live
    return RowIndex(project, by, sorted(ids, key=order), _tally(states), live, any(t.stated for t in targets))


def page_rows(session: Session, index: RowIndex, ids: Collection[str]) -> list[Row]:
    """The rows of ``index``'s matrix whose ids are ``ids`` (a page of ``index.ids``), equal to those rows of
    ``coverage``, in the same order: read from their own links, the scenarios and test cases of those links and
    their ADRs alone, four statements as ``coverage`` (the definitions and why an ADR reference dangles come from
    ``index``, which knows every row)."""
    if not ids:
        return []
    target_kind = _target_kind(index.by)
    mine = (Link.project_id == index.project.id, Link.target_kind == target_kind, Link.target_ref.in_(ids))
    links = session.execute(select(*LINK_COLUMNS).where(*mine)).mappings().all()
    adrs = [(str(n), t) for n, t in session.execute(
        select(ADR.adr_number, ADR.title).where(ADR.project_id == index.project.id, ADR.deleted_at.is_(None),
                                                ADR.adr_number.in_(ids))
    ).all()] if target_kind == "adr" else []
    sources = select(Link.source_id).where(*mine, Link.source_kind == "scenario")
    return _rows(target_kind, links, adrs, _results(session, sources), _tests(session, sources),
                 live=index.live, stating=index.stating)


def states_by_project(session: Session,
                      ids: Collection[uuid.UUID] | None) -> dict[uuid.UUID, dict[str, dict[str, int]]]:
    """``states_count`` of ``coverage`` by requirements and by ADRs of the projects ``ids`` (None: every project), by
    project id: ``{"requirements": {...}, "adrs": {...}}`` — what the dashboard, the project page and ``GET
    .../coverage`` show. Two statements whatever the number of projects, links and scenarios: the links are grouped
    in the database per target (``_targets``: a row per requirement or ADR id, not per link), so no link's or
    scenario's id is read (the per-link rows of 20,000 scenarios took 2 s, most of it decoding 158,000 ids), and
    each target's state is ``state``'s, as ``coverage``'s rows get theirs."""
    mine = true() if ids is None else Link.project_id.in_(ids)
    targets: dict[tuple[uuid.UUID, str], list[_Target]] = defaultdict(list)
    for pid, kind, ref, *flags in session.execute(_targets(mine)).all():
        targets[(pid, kind)].append(_Target(ref, *(bool(flag) for flag in flags)))
    adrs: dict[uuid.UUID, set[str]] = defaultdict(set)
    for pid, number in session.execute(
        select(ADR.project_id, ADR.adr_number)
        .where(true() if ids is None else ADR.project_id.in_(ids), ADR.deleted_at.is_(None))
    ).all():
        adrs[pid].add(str(number))
    projects = set(ids) if ids is not None else {pid for pid, _ in targets} | set(adrs)
    return {pid: {"requirements": _tally(_requirement_states(targets.get((pid, "requirement"), []))),
                  "adrs": _tally(_adr_states(targets.get((pid, "adr"), []), adrs.get(pid, set())))}
            for pid in projects}


@dataclass(frozen=True)
class _Target:
    """What the state of a requirement or ADR id depends on, from all its links (``_targets``)."""

    ref: str
    stated: bool  # an ADR or a contract links to it
    linked: bool  # a scenario links to it
    passed: bool  # a linked scenario's last result passed
    failed: bool  # ... failed
    suspect: bool  # a link to it is suspect

    def state(self, defined: bool) -> State:
        """``state`` of this target: the results of its scenarios as far as ``state`` reads them (a failure, a
        pass, or only scenarios never executed)."""
        results = [r for r, seen in ((FAILED, self.failed), (PASSED, self.passed), (None, self.linked)) if seen]
        return state(defined, results, self.suspect)


def _targets(mine: Any) -> Select[Any]:
    """Per project, target kind (requirement, adr) and target id of the links ``mine`` selects, a ``_Target``'s
    flags (1 or 0) aggregated over its links: the sources' kinds, each scenario's last result (``result_sql``; a
    deleted scenario has none, as ``_results`` reads only live ones) and each link's state (``review.link_state``'s
    suspect)."""
    from sqlalchemy import and_, case, func

    def seen(condition: Any) -> Any:
        return func.max(case((condition, 1), else_=0))

    from_scenario = Link.source_kind == "scenario"
    result = result_sql()
    suspect = (Link.target_id.is_not(None) & Link.reviewed_version.is_not(None)
               & Link.target_version.is_distinct_from(Link.reviewed_version))
    return (
        select(Link.project_id, Link.target_kind, Link.target_ref, seen(Link.source_kind.in_(STATING_KINDS)),
               seen(from_scenario), seen(result == PASSED), seen(result == FAILED), seen(suspect))
        .outerjoin(Scenario, and_(Scenario.id == Link.source_id, from_scenario, Scenario.deleted_at.is_(None)))
        .where(mine, Link.target_kind.in_(("requirement", "adr")))
        .group_by(Link.project_id, Link.target_kind, Link.target_ref)
    )


def _requirement_states(targets: Sequence[_Target]) -> Iterator[State]:
    """The states of a project's requirements (``_rows``' rule of definition: stated by an ADR or a contract, or
    every one when none is)."""
    anywhere = any(t.stated for t in targets)
    return (t.state(not anywhere or t.stated) for t in targets)


def _adr_states(targets: Sequence[_Target], live: set[str]) -> Iterator[State]:
    """The states of a project's ADRs: its live ones (``live``: their numbers), linked or not, and the ids links
    name without a live ADR (orphaned)."""
    linked = {t.ref for t in targets}
    unlinked = (_Target(n, False, False, False, False, False) for n in live if n not in linked)
    return chain((t.state(t.ref in live) for t in targets), (t.state(True) for t in unlinked))


def _target_kind(by: str) -> str:
    return "requirement" if by == "requirements" else "adr"


def _rows(target_kind: str, links: Sequence[Mapping[Any, Any]], adrs: Iterable[tuple[str, str | None]],
          results: Mapping[uuid.UUID, str | None], tests: Mapping[uuid.UUID, list[str]], *,
          live: AbstractSet[str] | None = None, stating: bool | None = None) -> list[Row]:
    """The coverage rows of one project from its links to ``target_kind``, its live ADRs (number, title; by ADRs
    only), its scenarios' last results and test cases by scenario id. Rows of some ids only (``page_rows``): their
    links and ADRs, with ``live`` every live ADR's number and ``stating`` whether any requirement is stated (the
    rows of ids beyond decide both)."""
    rows: dict[str, Row] = {}
    for number, title in adrs:
        rows[number] = Row("adr", number, title, True)
    # What a reference to an ADR names among the live ADRs (the sync's rule), for why an orphaned ADR is one.
    resolve = adr_resolver(set(rows) if live is None else live) if target_kind == "adr" else None
    # Requirements are stated by ADRs and contracts; with none stated there, every named id counts as defined.
    stated = {link["target_ref"] for link in links if link["source_kind"] in STATING_KINDS}
    if stating is None:
        stating = bool(stated)
    for link in links:
        ref = link["target_ref"]
        row = rows.get(ref)
        if row is None:
            # An ADR id without a live ADR is orphaned; so is a requirement no ADR or contract states.
            defined = target_kind == "requirement" and (not stating or ref in stated)
            row = rows[ref] = Row(target_kind, ref, None, defined)
            if resolve is not None:
                row.dangling = why_dangling(resolve(ref))
        source = link["source_ref"]
        bucket = {"scenario": row.scenarios, "feature": row.features, "contract": row.contracts, "adr": row.adrs}
        bucket.get(link["source_kind"], row.adrs).append(source)
        if link["source_kind"] == "scenario":
            row.results[source] = results.get(link["source_id"])
            row.tests.extend(tests.get(link["source_id"], ()))
        if link_state(link) == "suspect":
            row.suspect.append(source)
    for row in rows.values():
        row.tests = sorted(set(row.tests))
        for names in (row.scenarios, row.features, row.contracts, row.adrs, row.suspect):
            names.sort()
        row.state = state(row.defined, [row.results[s] for s in row.scenarios], bool(row.suspect))
    return sorted(rows.values(), key=lambda r: order(r.id))


def _results(session: Session, sources: Select[Any]) -> dict[uuid.UUID, str | None]:
    """The last result of each scenario ``sources`` selects (by id)."""
    columns = [getattr(Scenario, c) for c in RESULT_COLUMNS if hasattr(Scenario, c)]
    return {r["id"]: scenario_result(dict(r))
            for r in session.execute(select(Scenario.id, *columns).where(Scenario.id.in_(sources))).mappings()}


def _tests(session: Session, sources: Select[Any]) -> dict[uuid.UUID, list[str]]:
    """The test cases each scenario ``sources`` selects is linked to (``test`` links), by test id.

    No ``project_id`` test beside the sub-query, which already keeps the project's scenarios (a link belongs to its
    source's project): with one, SQLite's planner, which has no statistics, seeks the project's index and reads
    every link of the project rather than the (source, type) index."""
    out: dict[uuid.UUID, list[str]] = defaultdict(list)
    for source_id, ref in session.execute(
        select(Link.source_id, Link.target_ref).where(Link.link_type == str(LinkType.TEST),
                                                      Link.source_id.in_(sources))
    ).all():
        out[source_id].append(ref)
    return out


def natural(text: str) -> tuple[Any, ...]:
    """The rows' order: ``REQ-2`` before ``REQ-10``."""
    import re

    # isdecimal, not isdigit: "²" is a digit to isdigit() but no int (nor \d): an ADR numbered "1²" is text there.
    return tuple(int(p) if p.isdecimal() else p for p in re.split(r"(\d+)", text))


def order(ident: str) -> tuple[Any, ...]:
    """The rows' sort key: ``natural``, then the id itself, so that ids of one natural key (``REQ-01``,
    ``REQ-1``) come in one order on every read — the rows of the whole matrix and those of its pages alike."""
    return natural(ident), ident


def states_count(rows: Iterable[Row]) -> dict[str, int]:
    """How many of ``rows`` are in each state (every state named, most urgent first)."""
    return _tally(row.state for row in rows)


def _tally(states: Iterable[State]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for one in states:
        counts[str(one)] += 1
    return {str(s): counts.get(str(s), 0) for s in State}


__all__ = ["State", "Row", "RowIndex", "coverage", "order", "page_rows", "result_sql", "row_index", "scenario_result",
           "state", "states_by_project", "states_count"]
