"""Coverage states per requirement and per ADR (after OpenFastTrace's coverage and Doorstop's suspect links).

One place decides a scenario's last result (``scenario_result``) and one decides a state (``state``), so new result
columns are wired here only. States, most urgent first:

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
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, select, true
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


def states_by_project(session: Session,
                      ids: Collection[uuid.UUID] | None) -> dict[uuid.UUID, dict[str, dict[str, int]]]:
    """``states_count`` of ``coverage`` by requirements and by ADRs of the projects ``ids`` (None: every project), by
    project id: ``{"requirements": {...}, "adrs": {...}}``. Three statements whatever the number of projects (the
    dashboard's), not three or more per project; the states are ``coverage``'s own (``_rows``)."""
    mine = true() if ids is None else Link.project_id.in_(ids)
    kinds = ("requirement", "adr")
    links: dict[tuple[uuid.UUID, str], list[Mapping[Any, Any]]] = defaultdict(list)
    for link in session.execute(select(Link.project_id, *LINK_COLUMNS)
                                .where(mine, Link.target_kind.in_(kinds))).mappings():
        links[(link["project_id"], link["target_kind"])].append(link)
    adrs: dict[uuid.UUID, list[tuple[str, str | None]]] = defaultdict(list)
    for pid, number, title in session.execute(
        select(ADR.project_id, ADR.adr_number, ADR.title)
        .where(true() if ids is None else ADR.project_id.in_(ids), ADR.deleted_at.is_(None))
    ).all():
        adrs[pid].append((str(number), title))
    # The results of the scenarios those links come from, read in one statement (``_results`` reads them by id,
    # 900 a statement).
    columns = [getattr(Scenario, c) for c in RESULT_COLUMNS if hasattr(Scenario, c)]
    sources = select(Link.source_id).where(mine, Link.target_kind.in_(kinds), Link.source_kind == "scenario")
    results = {r["id"]: scenario_result(dict(r)) for r in session.execute(
        select(Scenario.id, *columns).where(Scenario.id.in_(sources))).mappings()}
    projects = set(ids) if ids is not None else {pid for pid, _ in links} | set(adrs)
    return {pid: {by: states_count(_rows(_target_kind(by), links.get((pid, _target_kind(by)), []), adrs.get(pid, [])
                                         if by == "adrs" else [], results, {}))
                  for by in ("requirements", "adrs")}
            for pid in projects}


def _target_kind(by: str) -> str:
    return "requirement" if by == "requirements" else "adr"


def _rows(target_kind: str, links: Sequence[Mapping[Any, Any]], adrs: Iterable[tuple[str, str | None]],
          results: Mapping[uuid.UUID, str | None], tests: Mapping[uuid.UUID, list[str]]) -> list[Row]:
    """The coverage rows of one project from its links to ``target_kind``, its live ADRs (number, title; by ADRs
    only), its scenarios' last results and test cases by scenario id."""
    rows: dict[str, Row] = {}
    for number, title in adrs:
        rows[number] = Row("adr", number, title, True)
    # What a reference to an ADR names among the live ADRs (the sync's rule), for why an orphaned ADR is one.
    resolve = adr_resolver(set(rows)) if target_kind == "adr" else None
    # Requirements are stated by ADRs and contracts; with none stated there, every named id counts as defined.
    stated = {link["target_ref"] for link in links if link["source_kind"] in STATING_KINDS}
    for link in links:
        ref = link["target_ref"]
        row = rows.get(ref)
        if row is None:
            # An ADR id without a live ADR is orphaned; so is a requirement no ADR or contract states.
            defined = target_kind == "requirement" and (not stated or ref in stated)
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
    return sorted(rows.values(), key=lambda r: _natural(r.id))


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


def _natural(text: str) -> tuple[Any, ...]:
    """``REQ-2`` before ``REQ-10``."""
    import re

    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))


def states_count(rows: Iterable[Row]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[str(row.state)] += 1
    return {str(s): counts.get(str(s), 0) for s in State}


__all__ = ["State", "Row", "coverage", "scenario_result", "state", "states_by_project", "states_count"]
