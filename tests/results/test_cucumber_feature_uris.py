"""cucumber-jvm names a feature ``file:features/x.feature`` (or ``classpath:…``, ``file:///…``), cucumber-js
``features/x.feature``: the test case's external id is built from the path as ``normalize_path`` reads it, so the
same scenario run by either runner is one test case (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import GitRepo
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import TestCase, TestResult
from tracertm.results import cucumber_json, import_results, messages

FIXTURES = Path(__file__).parent / "fixtures"
CART = "Feature: Cart\n\n  Scenario: Add an item\n    Given an empty cart\n"


def _json_report(uri: str, status: str = "passed") -> bytes:
    return json.dumps([{"uri": uri, "id": "cart", "keyword": "Feature", "name": "Cart", "line": 1, "elements": [
        {"id": "cart;add-an-item", "keyword": "Scenario", "name": "Add an item", "line": 3, "type": "scenario",
         "steps": [{"keyword": "Given ", "name": "an empty cart", "line": 4, "result": {"status": status}}]}]}]
    ).encode()


@pytest.mark.parametrize("uri", [
    "file:features/cart.feature",  # cucumber-jvm, a relative feature path
    "file://features/cart.feature",
    "classpath:features/cart.feature",  # cucumber-jvm, features on the classpath
    "./features/cart.feature",
    "features\\cart.feature",  # a Windows runner
])
def test_cucumber_json_ids_do_not_depend_on_the_runners_uri_form(uri: str) -> None:
    plain = cucumber_json.parse("js.json", _json_report("features/cart.feature")).cases[0]
    other = cucumber_json.parse("jvm.json", _json_report(uri)).cases[0]
    assert plain.external_id == "features/cart.feature::cart;add-an-item"
    assert other.external_id == plain.external_id
    assert other.feature_uri == uri, "the uri as the runner wrote it is kept for matching and display"


def test_an_absolute_file_uri_keeps_its_path_without_the_scheme() -> None:
    for uri in ("file:///ci/work/features/cart.feature", "file:/ci/work/features/cart.feature"):
        case = cucumber_json.parse("jvm.json", _json_report(uri)).cases[0]
        assert case.external_id == "/ci/work/features/cart.feature::cart;add-an-item"


def test_cucumber_messages_ids_do_not_depend_on_the_runners_uri_form() -> None:
    data = (FIXTURES / "cart.ndjson").read_bytes()
    plain = messages.parse("js.ndjson", data).cases
    jvm = messages.parse("jvm.ndjson", data.replace(b'"uri":"features/cart.feature"',
                                                    b'"uri":"file:features/cart.feature"')).cases
    assert [c.external_id for c in jvm] == [c.external_id for c in plain]
    assert all(c.external_id.startswith("features/cart.feature::") for c in jvm)
    assert {c.feature_uri for c in jvm} == {"file:features/cart.feature"}


def test_one_scenario_run_by_cucumber_jvm_and_cucumber_js_is_one_test_case(git_repo: GitRepo,
                                                                          database_url: str) -> None:
    git_repo.write("features/cart.feature", CART)
    git_repo.commit("cart")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="cart").errors
    imports = [("jvm.json", _json_report("file:features/cart.feature", "failed")),
               ("js.json", _json_report("features/cart.feature")),
               ("jvm-classpath.json", _json_report("classpath:features/cart.feature"))]
    for name, report in imports:
        summary = import_results(database_url, "cart", [(name, report)], commit=git_repo.head(), repo=git_repo.path)
        assert summary.matched["line"] == 1 and summary.unmatched == 0
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            cases = session.execute(select(TestCase.test_case_number)).scalars().all()
            results = session.execute(select(TestResult.status)).scalars().all()
    finally:
        engine.dispose()
    assert cases == ["features/cart.feature::cart;add-an-item"]
    assert sorted(results) == ["failed", "passed", "passed"], "three runs of one test case"


def test_a_database_with_the_old_file_ids_keeps_them_and_finds_its_runs(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ids stored before the normalisation (``file:features/…``) are left as they are: the report imported then is
    still known (by its digest), and later results of the same test go to that test case (``stored_ids``): no
    second test case, the scenario's statistics count both runs."""
    from tracertm.models import Scenario

    git_repo.write("features/cart.feature", CART)
    git_repo.commit("cart")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="cart").errors
    old = _json_report("file:features/cart.feature", "failed")
    with monkeypatch.context() as patched:  # the parser as it was: the uri kept whole in the id
        patched.setattr(cucumber_json, "feature_id", lambda uri: uri)
        first = import_results(database_url, "cart", [("jvm.json", old)], commit=git_repo.head())
    again = import_results(database_url, "cart", [("jvm.json", old)], commit=git_repo.head())
    assert (again.duplicate, again.run_id) == (True, first.run_id)
    later = import_results(database_url, "cart", [("jvm2.json", _json_report("file:features/cart.feature"))],
                           commit=git_repo.head())
    assert later.test_cases_created == 0 and later.matched["line"] == 1
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            cases = sorted(session.execute(select(TestCase.test_case_number)).scalars())
            results = session.execute(select(TestResult.status)).scalars().all()
            scenario = session.execute(select(Scenario)).scalar_one()
            counted = (scenario.execution_count, scenario.last_status)
    finally:
        engine.dispose()
    assert cases == ["file:features/cart.feature::cart;add-an-item"]
    assert sorted(results) == ["failed", "passed"]
    assert counted == (2, "passed")
