"""A lone JUnit report is imported while it is read (``results.pipeline``): the incremental parse gives exactly what
the whole-tree parse gave, and a report that breaks after batches of it were written imports nothing (SQLite and
PostgreSQL). What the import stores is compared table by table in ``test_results_store_equivalence.py``."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as safe
import pytest
from sqlalchemy import func, select

from conftest import GitRepo
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.errors import ParseError
from tracertm.models import SpecRevision, TestCase, TestResult, TestRun
from tracertm.results import import_results, junit

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"


def _whole_tree(path: str, data: bytes) -> tuple[object, ...]:
    """The parse as it was before it was made incremental: the whole tree, then every element in document order."""
    root = safe.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    cases = tuple(junit._case(e) for e in root.iter() if junit._local(e.tag) == "testcase")
    suites: list[Element] = [e for e in root.iter() if junit._local(e.tag) == "testsuite"]
    starts = [s for e in suites if (s := junit._timestamp(e.get("timestamp"))) is not None]
    return cases, root.get("name"), min(starts) if starts else None, len(suites)


def _many(tests: int) -> bytes:
    body = "".join(
        f'<testsuite name="s{n}" timestamp="2026-11-0{1 + n % 3}T08:00:00" time="{n}">'
        + "".join(f'<testcase classname="m{n}" name="t{k}" time="0.1">'
                  + ('<failure message="no&#10;more">x</failure>' if k % 7 == 0 else "")
                  + ('<properties><property name="p" value="v"/></properties>' if k % 5 == 0 else "")
                  + "</testcase>" for k in range(tests // 4))
        + "</testsuite>" for n in range(4))
    return f'<?xml version="1.0"?><testsuites name="many">{body}</testsuites>'.encode()


@pytest.mark.parametrize("name", ["cucumber-junit.xml", "surefire.xml", "many", "nested", "bare"])
def test_the_incremental_parse_gives_what_the_whole_tree_gave(name: str) -> None:
    data = {
        "many": _many(2_500),
        "nested": b'<testsuite><testcase classname="a" name="outer"><testcase classname="a" name="inner"/>'
                  b'</testcase><testcase classname="a" name="after"/></testsuite>',
        "bare": b'<testsuite name="one" timestamp="2026-11-01T08:00:00Z"><testcase name="only"/></testsuite>',
    }.get(name) or (FIXTURES / name).read_bytes()
    report = junit.parse(name, data)
    cases, run_name, started, _suites = _whole_tree(name, data)
    assert (report.cases, report.name, report.started_at) == (cases, run_name, started)


def test_the_stream_gives_the_cases_in_batches_in_document_order() -> None:
    data = _many(1_000)
    batches = list(junit.Stream("many.xml", data).batches(64))
    assert [len(b) for b in batches] == [64] * 15 + [40]
    assert tuple(c for b in batches for c in b) == _whole_tree("many.xml", data)[0]


@pytest.fixture
def shop(git_repo: GitRepo, database_url: str) -> GitRepo:
    shutil.copytree(HERE / "project" / "features", git_repo.path / "features", ignore=shutil.ignore_patterns("steps"))
    git_repo.commit("cart")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="shop").errors
    return git_repo


def test_a_report_that_breaks_after_batches_were_written_imports_nothing(
    shop: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracertm.results import pipeline, store

    monkeypatch.setattr(pipeline, "BATCH", 100)
    good = _many(2_000)
    broken = good[: good.rindex(b"</testsuite>")] + b'<testcase name="x">\n<oops></testcase></testsuites>'
    engine = db.make_engine(database_url)
    written: list[int] = []
    write_prepared = store.write_prepared

    def count(session: Any, batch: store.Batch) -> int:
        written.append(len(batch.cases))
        return write_prepared(session, batch)

    monkeypatch.setattr(store, "write_prepared", count)
    try:
        with pytest.raises(ParseError) as info:
            import_results(engine, "shop", [("broken.xml", broken)])
        assert str(info.value).startswith("broken.xml:2:")
        assert written, "batches were written before the break was read"
        with db.session(engine) as session:
            counts = [session.execute(select(func.count()).select_from(m)).scalar_one()
                      for m in (TestRun, TestResult, TestCase)]
            revisions = session.execute(select(func.count()).select_from(SpecRevision)
                                        .where(SpecRevision.entity_type == "test_case")).scalar_one()
        assert (counts, revisions) == ([0, 0, 0], 0)
        summary = import_results(engine, "shop", [("good.xml", good)])  # the connection is fine afterwards
        assert (summary.total, summary.test_cases_created, summary.unmatched) == (2_000, 2_000, 2_000)
    finally:
        engine.dispose()


def test_a_malformed_report_is_named_before_an_unknown_project(shop: GitRepo, database_url: str) -> None:
    """The report is read while it is written, but its errors still come first, as when it was parsed first."""
    with pytest.raises(ParseError, match="broken.xml:1:"):
        import_results(database_url, "no-such-project", [("broken.xml", b"<testsuite><testcase></testsuite>")])


def test_the_import_gives_the_connection_its_page_cache_back(shop: GitRepo, database_url: str) -> None:
    """SQLite: a larger page cache while the import writes, the pooled connection's own size afterwards."""
    if not database_url.startswith("sqlite"):
        pytest.skip("a SQLite pragma")
    engine = db.make_engine(database_url)
    try:
        with engine.connect() as conn:
            before = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
        import_results(engine, "shop", [("many.xml", _many(400))])
        with pytest.raises(ParseError):
            import_results(engine, "shop", [("broken.xml", _many(400)[:-20])])
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar_one() == before
    finally:
        engine.dispose()
