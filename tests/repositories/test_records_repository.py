"""The repositories over a real synced project, on SQLite and PostgreSQL: ids, filters, sorts, keyset pages,
counts, facets, history, at(commit) and version-guarded updates."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sample import sync_sample

import tracertm
from conftest import GitRepo
from tracertm import db
from tracertm.errors import UsageError
from tracertm.models import SyncRun
from tracertm.repositories import Ambiguous, GitOwnedField, NotFound, Projects, Records, StaleVersion, find_any
from tracertm.schemas.filters import ListFilter
from tracertm.schemas.records import to_read


@pytest.fixture
def session(git_repo: GitRepo, database_url: str):  # type: ignore[no-untyped-def]
    sync_sample(git_repo, database_url)
    engine = db.make_engine(database_url)
    with db.session(engine) as sess:
        yield sess
    engine.dispose()


def _numbers(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [row.adr_number if hasattr(row, "adr_number") else row.scenario_number for row, _ in page.rows]


def test_get_by_uuid_and_human_ids(session) -> None:  # type: ignore[no-untyped-def]
    project = Projects(session).resolve(None)
    adrs = Records(session, "adr")
    row = adrs.get("ADR-3", project)
    assert row.adr_number == "ADR-0003"
    assert adrs.get(str(row.id)).id == row.id and adrs.get(row.id, project).id == row.id
    scenarios = Records(session, "scenarios")
    sc = scenarios.get("FEAT-2/SC-4", project)
    assert (sc.feature.feature_number, sc.scenario_number) == ("FEAT-2", "SC-4")
    assert scenarios.get("SC-4").id == sc.id
    with pytest.raises(NotFound, match="FEAT-1/SC-4"):
        scenarios.get("FEAT-1/SC-4", project)
    with pytest.raises(NotFound):
        adrs.get(str(uuid.uuid4()))
    kind, found = find_any(session, project, "CTR-0002")
    assert kind.name == "contract" and found.title == "Ledger database"


def test_an_id_in_two_projects_is_ambiguous_without_a_project(git_repo: GitRepo, database_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sync_sample(git_repo, database_url)
    tracertm.sync(git_repo.path, database_url=database_url, project="second", ref="HEAD")
    engine = db.make_engine(database_url)
    with db.session(engine) as session:
        with pytest.raises(Ambiguous, match="ADR-0001"):
            Records(session, "adr").get("ADR-0001")
        assert Records(session, "adr").get("ADR-0001", Projects(session).get("second")).adr_number == "ADR-0001"
    engine.dispose()


def test_filters_combine(session) -> None:  # type: ignore[no-untyped-def]
    project = Projects(session).resolve(None)
    adrs = Records(session, "adr")
    everything = _numbers(adrs.list(project))
    assert everything == [f"ADR-{n:04d}" for n in range(1, 9)]
    statuses = {r.adr_number: r.status.value for r, _ in adrs.list(project).rows}
    some = adrs.list(project, ListFilter(status="superseded,deprecated"))
    assert sorted(_numbers(some)) == sorted(n for n, s in statuses.items() if s in ("superseded", "deprecated"))
    assert _numbers(adrs.list(project, ListFilter(path="docs/adr/000"))) == everything
    assert _numbers(adrs.list(project, ListFilter(path="docs/adr_"))) == [], "the prefix is not a LIKE pattern"

    features = Records(session, "feature")
    related = [r.feature_number for r, _ in features.list(project, ListFilter(related_adr="ADR-6")).rows]
    assert related and all("ADR-0006" in r.related_adrs for r, _ in features.list(project).rows
                           if r.feature_number in related)
    tagged = features.list(project).rows
    tags = sorted({t for r, _ in tagged for t in r.tags})
    assert tags, "the sample features carry tags"
    one = tags[0]
    with_one = {r.feature_number for r, _ in tagged if one in r.tags}
    assert {r.feature_number for r, _ in features.list(project, ListFilter(tag=[one])).rows} == with_one
    assert {r.feature_number for r, _ in features.list(project, ListFilter(tag=[one, "no-such-tag"])).rows} == set()
    assert {r.feature_number for r, _ in features.list(project, ListFilter(any_tag=[one, "no-such-tag"])).rows} \
        == with_one

    scenarios = Records(session, "scenario")
    feat2 = [(f, r.scenario_number) for r, f in scenarios.list(project, ListFilter(feature="FEAT-2")).rows]
    assert feat2 and {f for f, _ in feat2} == {"FEAT-2"}
    with pytest.raises(UsageError, match="status 'bogus'"):
        adrs.list(project, ListFilter(status=["bogus"]))
    with pytest.raises(UsageError, match="feature"):
        adrs.list(project, ListFilter(feature="FEAT-1"))


def test_several_sort_fields_and_keyset_pages_are_stable_under_inserts(session) -> None:  # type: ignore[no-untyped-def]
    from tracertm.models import ADR

    project = Projects(session).resolve(None)
    adrs = Records(session, "adr")
    full = [(r.status.value, r.adr_number) for r, _ in adrs.list(project, ListFilter(sort="-status,number")).rows]
    assert [s for s, _ in full] == sorted((s for s, _ in full), reverse=True)
    for status in {s for s, _ in full}:
        same = [n for s, n in full if s == status]
        assert same == sorted(same), "the second sort field orders ties"

    walked: list[str] = []
    page = adrs.list(project, ListFilter(sort="-status,number", limit=3))
    walked += [r.adr_number for r, _ in page.rows]
    # A record inserted before the cursor's position must not shift the next page (no duplicates, no gaps).
    session.add(ADR(project_id=project.id, adr_number="ADR-0000", title="Inserted", status="superseded"))
    session.flush()
    while page.next_cursor:
        page = adrs.list(project, None, page.next_cursor)
        walked += [r.adr_number for r, _ in page.rows]
    assert walked == [n for _, n in full]
    with pytest.raises(UsageError, match="cursor"):
        adrs.list(project, None, "not-a-cursor")
    with pytest.raises(UsageError, match="another list"):
        Records(session, "contract").list(project, None, adrs.list(project, ListFilter(limit=1)).next_cursor)


@pytest.mark.parametrize("sort", ["updated_at", "-updated_at", "created_at,-number"])
def test_keyset_pages_by_time_stamps_that_tie_return_every_row_once(session, sort: str) -> None:  # type: ignore[no-untyped-def]
    """A sync writes its rows with one time stamp: paging by it must still return each row once (on SQLite a
    bound cursor value had microseconds the stored text lacks, so ties were skipped, or repeated forever)."""
    project = Projects(session).resolve(None)
    adrs = Records(session, "adr")
    everything = sorted(r.adr_number for r, _ in adrs.list(project, ListFilter(limit=500)).rows)
    assert len(everything) > 3
    walked: list[str] = []
    page = adrs.list(project, ListFilter(sort=sort, limit=2))
    walked += [r.adr_number for r, _ in page.rows]
    while page.next_cursor:
        assert len(walked) <= len(everything), f"paging does not end: {walked}"
        page = adrs.list(project, None, page.next_cursor)
        walked += [r.adr_number for r, _ in page.rows]
    assert sorted(walked) == everything


def _walk(records: Records, project, flt: ListFilter) -> list:  # type: ignore[no-untyped-def,type-arg]
    page = records.list(project, flt)
    rows = list(page.rows)
    while page.next_cursor:
        page = records.list(project, None, page.next_cursor)
        rows += page.rows
    return rows


@pytest.mark.parametrize("sort", ["feature", "status", "created_at,number", "version,number", "position", "-title"])
def test_ties_list_by_the_records_own_ids_on_every_database(git_repo: GitRepo, database_url: str, sort: str) -> None:
    """Ties after the sort asked for go by the kind's own ids, not by the row id (random, or the time of its sync):
    a scenario by its feature, position and number (the default sort's order), any other record by its number — so
    that one repository lists alike on SQLite and PostgreSQL, and after every sync. Keyset pages walk that order."""
    sync_sample(git_repo, database_url)
    pay = git_repo.path / "features/checkout/pay.feature"
    first = "  @SC-1\n  Scenario:"
    added = "  @SC-16\n  Scenario: Added later, first\n    When I act\n\n"
    text = pay.read_text()
    pay.write_text(text[:text.index("  @SC-3")].replace(first, added + first))  # SC-3 deleted, at SC-2's place
    git_repo.commit("a scenario added before the others, a row made after them; the last one removed")
    tracertm.sync(git_repo.path, database_url=database_url, project="sample", ref="HEAD")
    engine = db.make_engine(database_url)
    with db.session(engine) as session:
        _ties_by_own_ids(session, sort)
    engine.dispose()


def _ties_by_own_ids(session, sort: str) -> None:  # type: ignore[no-untyped-def]
    project = Projects(session).resolve(None)
    for include_deleted in (False, True):
        _scenario_ties(session, project, ListFilter(sort=sort, include_deleted=include_deleted, limit=500))
    adrs = Records(session, "adr")
    listed = [row.adr_number for row, _ in adrs.list(project, ListFilter(sort="status", limit=500)).rows]
    statuses = {row.adr_number: row.status for row, _ in adrs.list(project, ListFilter(limit=500)).rows}
    assert listed == sorted(statuses, key=lambda number: (statuses[number], number))


def _scenario_ties(session, project, flt: ListFilter) -> None:  # type: ignore[no-untyped-def]
    scenarios = Records(session, "scenario")
    rows = scenarios.list(project, flt).rows

    def natural(pair) -> tuple:  # type: ignore[no-untyped-def,type-arg]
        return pair[1], pair[0].position, pair[0].scenario_number

    fields = {"status": lambda p: p[0].status, "feature": lambda p: p[1], "title": lambda p: p[0].title,
              "created_at": lambda p: p[0].created_at, "version": lambda p: p[0].version,
              "position": lambda p: p[0].position, "number": lambda p: p[0].scenario_number}
    expected = sorted(rows, key=natural)  # the tie-break, then the sort's own fields, each a stable sort
    for name in reversed(flt.sort):
        expected.sort(key=fields[name.lstrip("-")], reverse=name.startswith("-"))
    assert [natural(p) for p in rows] == [natural(p) for p in expected]
    assert (("FEAT-1", 2, "SC-3") in map(natural, rows)) == flt.include_deleted  # (deleted at SC-2's place)
    walked = _walk(scenarios, project, flt.model_copy(update={"limit": 2}))
    assert [natural(p) for p in walked] == [natural(p) for p in rows]


def test_count_facets_history_and_changed_since(git_repo: GitRepo, database_url: str) -> None:
    first = sync_sample(git_repo, database_url)
    adr_path = next(p for p in sorted((git_repo.path / "docs/adr").glob("*.md")) if p.name.startswith("0001"))
    adr_path.write_text(adr_path.read_text(encoding="utf-8") + "\nOne more consequence.\n", encoding="utf-8")
    second = git_repo.commit("edit ADR 1", date="2030-01-01T00:00:00+00:00")
    tracertm.sync(git_repo.path, database_url=database_url, project="sample", ref="HEAD")
    engine = db.make_engine(database_url)
    with db.session(engine) as session:
        project = Projects(session).resolve(None)
        adrs = Records(session, "adr")
        assert adrs.count(project) == 8
        facets = adrs.facets(project)
        assert sum(n for _, n in facets["status"]) == 8
        assert facets["status"][0][1] >= facets["status"][-1][1], "most frequent first"
        contracts = Records(session, "contract").facets(project, ListFilter(status=["approved"]))
        assert sum(n for _, n in contracts["type"]) == Records(session, "contract").count(
            project, ListFilter(status=["approved"]))
        row = adrs.get("ADR-0001", project)
        assert [(r.version, r.change, r.commit_sha) for r in adrs.history(row)] == [
            (1, "created", first), (2, "updated", second)
        ]
        assert _numbers(adrs.list(project, ListFilter(changed_since=first[:10]))) == ["ADR-0001"]
        assert _numbers(adrs.list(project, ListFilter(changed_since=second))) == []
        past = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)).isoformat()
        assert len(_numbers(adrs.list(project, ListFilter(changed_since=past)))) == 8
        with pytest.raises(NotFound, match="changed_since"):
            adrs.list(project, ListFilter(changed_since="deadbeef00"))
        assert adrs.at(row, first).version == 1  # type: ignore[union-attr]
        assert adrs.at(row, second, git_repo.path).version == 2  # type: ignore[union-attr]
        assert adrs.at(row, first, git_repo.path).snapshot["title"] == row.title  # type: ignore[union-attr]
    engine.dispose()


def test_update_sets_database_owned_fields_only_and_guards_the_version(session) -> None:  # type: ignore[no-untyped-def]
    project = Projects(session).resolve(None)
    adrs = Records(session, "adr")
    row = adrs.get("ADR-0003", project)
    with pytest.raises(GitOwnedField, match=r"title of adr ADR-0003: owned by git.*docs/adr/") as info:
        adrs.update(row, {"title": "New"}, 1, "test")
    assert info.value.path == row.source_path
    with pytest.raises(StaleVersion, match="version 1, not 7"):
        adrs.update(row, {"compliance_score": 0.5}, 7, "test")
    adrs.update(row, {"compliance_score": 0.75, "approved_by": "Grace"}, 1, "test")
    session.commit()
    again = adrs.get("ADR-0003", project)
    assert (again.version, again.compliance_score, again.approved_by) == (2, 0.75, "Grace")
    read = to_read(adrs.kind, again, project.name).model_dump(mode="json")
    assert read["compliance_score"] == 0.75 and read["number"] == "ADR-0003" and read["kind"] == "adr"


def test_changed_since_an_abbreviation_of_digits_only_is_a_commit(git_repo: GitRepo, database_url: str) -> None:
    """A commit's first digits may all be decimal (``9618365756``, one abbreviation in 100 of ten digits): no date
    reads so, and it is looked up as a commit, as ``20240501`` still reads as a date. A SHA-256 id (64 digits) is a
    whole commit id."""
    sync_sample(git_repo, database_url)
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session, session.begin():
            project = Projects(session).resolve(None)
            digits, sha256 = "9618365756" + "ab" * 15, "12" * 32
            session.add_all([SyncRun(project_id=project.id, trigger="cli", commit_sha=digits, status="ok"),
                             SyncRun(project_id=project.id, trigger="cli", commit_sha=sha256, status="ok")])
        with db.session(engine) as session:
            adrs = Records(session, "adr")
            project = Projects(session).resolve(None)
            assert _numbers(adrs.list(project, ListFilter(changed_since="9618365756"))) == []
            assert _numbers(adrs.list(project, ListFilter(changed_since=sha256))) == []
            assert len(_numbers(adrs.list(project, ListFilter(changed_since="20240501")))) == 8
            with pytest.raises(NotFound, match="changed_since"):
                adrs.list(project, ListFilter(changed_since="9618365757"))
    finally:
        engine.dispose()
