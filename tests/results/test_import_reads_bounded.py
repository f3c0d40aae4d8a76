"""An import of a small report reads the scenarios its results can name, not every scenario of the project: the same
rows fetched and statements sent for a project of 20 features as for one of 200.

The name rule (``mapping.ScenarioIndex``) calls a name ambiguous when several scenarios fit it, so the import read
every live scenario of the project (its text, steps and examples) to build its index — for each report, even one
of one test. It now reads by the keys the matcher looks up (``scenario_reads``: scenario number, the scenario's
pytest-bdd name, the feature's normalized name and its file's name), which sync stores beside each row (migration
0037), by indexed queries. Rows are counted as SQLAlchemy fetches them (every fetch strategy), statements as the
database runs them. A behave-style JUnit report of one test and a Cucumber JSON report of one scenario (tag, uri
and line; imported with the repository at HEAD, as the CLI does), each matched. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import cursor

from conftest import GitRepo, init_repo
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.results import import_results


def _feature(n: int) -> str:
    return (f"@FEAT-{n}\nFeature: Area {n}\n\n  @SC-1\n  Scenario: Pay {n}\n    Given a cart of {n}\n"
            f"    Then it is paid\n\n  @SC-2\n  Scenario: Refund {n}\n    Given a payment of {n}\n"
            "    Then it is refunded\n")


def _junit() -> bytes:
    # behave: classname "<path>.<Feature>", name the scenario's
    return (b'<testsuite name="s" tests="1"><testcase classname="f7.Area 7" name="Refund 7" time="0.1"/>'
            b"</testsuite>")


def _cucumber() -> bytes:
    return json.dumps([{"uri": "features/f7.feature", "id": "area-7", "keyword": "Feature", "name": "Area 7",
                        "line": 2, "elements": [
        {"id": "area-7;pay-7", "keyword": "Scenario", "name": "Pay 7", "line": 5, "type": "scenario",
         "tags": [{"name": "@SC-1", "line": 4}],
         "steps": [{"keyword": "Given ", "name": "a cart of 7", "line": 6, "result": {"status": "passed"}}]}]}]
    ).encode()


@contextmanager
def _counted(engine: Any) -> Iterator[list[int]]:
    """[rows fetched, statements run] while inside."""
    counts = [0, 0]

    def record(_conn: Any, _cursor: Any, _sql: str, parameters: Any, _context: Any, many: bool) -> None:
        counts[1] += len(parameters) if many else 1

    patched: list[tuple[type, str, Any]] = []
    strategies = [cursor.CursorFetchStrategy, *cursor.CursorFetchStrategy.__subclasses__()]
    for strategy in strategies:
        for method in ("fetchone", "fetchmany", "fetchall"):
            if method not in vars(strategy):
                continue
            original = vars(strategy)[method]

            def counting(self: Any, *args: Any, __original: Any = original) -> Any:
                got = __original(self, *args)
                counts[0] += (1 if got is not None else 0) if __original.__name__ == "fetchone" else len(got)
                return got

            patched.append((strategy, method, original))
            setattr(strategy, method, counting)
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield counts
    finally:
        event.remove(engine, "before_cursor_execute", record)
        for strategy, method, original in patched:
            setattr(strategy, method, original)


def _cost(repo: GitRepo, url: str, features: int, name: str, data: bytes) -> tuple[int, int]:
    for n in range(1, features + 1):
        repo.write(f"features/f{n}.feature", _feature(n))
    repo.commit("features")
    assert not sync(repo.path, database_url=url, project="shop").errors
    engine = db.make_engine(url)
    try:
        with _counted(engine) as counts:
            summary = import_results(engine, "shop", [(name, data)], commit="HEAD", repo=repo.path)
    finally:
        engine.dispose()
    assert sum(summary.matched.values()) == 1 and summary.scenarios_updated == 1, summary
    return counts[0], counts[1]


@pytest.mark.parametrize("name, data", [("one.xml", _junit()), ("one.json", _cucumber())], ids=["junit", "json"])
def test_a_one_test_import_reads_as_much_for_20_features_as_for_200(
    git_repo: GitRepo, tmp_path: Any, database_url: str, other_database_url: str, name: str, data: bytes,
) -> None:
    small = _cost(git_repo, database_url, 20, name, data)
    large = _cost(init_repo(tmp_path / "large"), other_database_url, 200, name, data)
    assert large == small, (small, large)


# ------------------------------------------------------------------------ the narrow read matches as the whole did

LONG = "Checkout " * 40  # a feature name past ``match_keys.KEY_LIMIT``: stored as a digest
TRICKY = {
    "features/shop/cart.feature": "Feature: Cart\n\n  @SC-1\n  Scenario: Add an item\n    Given a cart\n\n"
                                  "  Rule: Paying\n\n    @SC-2\n    Scenario Outline: Pay <n>\n"
                                  "      Given <n> items\n\n"
                                  "      Examples: few\n        | n |\n        | 1 |\n        | 2 |\n",
    "features/cart.feature": "Feature: Cart\n\n  @SC-1\n  Scenario: Add an item\n    Given a cart\n\n"
                             "  @SC-3\n  Scenario: Repeat\n    Given once\n\n  @SC-4\n  Scenario: Repeat\n"
                             "    Given twice\n",
    "features/a.b.feature": "Feature: Shop.Cart - Fast\n\n  @SC-1\n  Scenario: Checkout\n    Given a fast cart\n",
    "features/odd.feature": "Feature:   Spaced    name  \n\n  Scenario: 1 test  the thing\n    Given a thing\n",
    "features/my cart.feature": "Feature: Mine\n\n  @SC-77\n  Scenario: Lonely\n    Given one\n",
    "features/long.feature": f"Feature: {LONG}\n\n  Scenario: Checkout\n    Given a long name\n",
    "features/gone.feature": "Feature: Gone\n\n  @SC-78\n  Scenario: Add an item\n    Given a cart\n",
    "features/unique.feature": "Feature: Unique\n\n  @SC-9\n  Scenario: Only one\n    Given one\n",
}
NEWER = "\n  @SC-9\n  Scenario: Newer\n    Given a newer one\n"  # cart.feature's, after the first commit


def _junit_case(classname: str | None, name: str) -> Any:
    from tracertm.results.report import CaseResult

    return CaseResult(external_id=f"{classname}::{name}", name=name, status="passed", classname=classname)


def _cucumber_case(uri: str | None, feature: str | None, scenario: str, line: int | None = None,
                   tags: tuple[str, ...] = ()) -> Any:
    from tracertm.results.report import CaseResult

    return CaseResult(external_id=f"{uri}::{scenario}", name=scenario, status="passed", feature_uri=uri,
                      feature_name=feature, scenario_name=scenario, line=line, tags=tags)


CASES = [
    _junit_case("shop.cart.Cart", "Add an item"), _junit_case("cart.Cart", "Add an item"),
    _junit_case("Cart", "Add an item"), _junit_case("features.shop.cart.Cart", "Pay 1 -- @1.2"),
    _junit_case("Cart", "Paying - Pay <n> - few - #1.1"), _junit_case("Suite", "Cart - Add an item"),
    _junit_case("Suite", "Shop.Cart - Fast - Checkout"), _junit_case("Shop.Cart - Fast", "Checkout"),
    _junit_case("x.Shop.Cart - Fast", "Checkout"), _junit_case("Spaced name", "1 test the thing"),
    _junit_case("Suite", f"{LONG.strip()} - Checkout"), _junit_case(f"a.{LONG.strip()}", "Checkout"),
    _junit_case("tests.test_cart", "test_add_an_item"), _junit_case("tests.test_cart", "test_checkout"),
    _junit_case("tests.test_cart", "test_repeat_1"), _junit_case("tests.test_cart", "test_pay_n[2]"),
    _junit_case("tests.test_cart", "test_test_the_thing"), _junit_case("tests.test_unit", "test_unit"),
    _junit_case(None, "Add an item"), _junit_case("Gone", "Add an item"),
    _cucumber_case("classpath:features/shop/cart.feature", "Cart", "Add an item", 4, ("SC-1",)),
    _cucumber_case("file:///ci/work/features/cart.feature", "Cart", "Add an item", 4, ("SC-1",)),
    _cucumber_case("features/cart.feature", "Cart", "Repeat"), _cucumber_case(None, "Cart", "Add an item"),
    _cucumber_case(None, "Mine", "Lonely", None, ("SC-77",)), _cucumber_case(None, "Cart", "X", None, ("SC-1",)),
    _cucumber_case("file:features/my%20cart.feature", "Mine", "Lonely", 4),
    _cucumber_case("cart.feature", "Cart", "Add an item", 4), _cucumber_case("features/shop/cart.feature",
                                                                               "Cart", "Pay <n>", 15),
    _cucumber_case("features/a.b.feature", None, "Checkout", 4, ("SC-1",)),
    _cucumber_case(None, "Gone", "Add an item", None, ("SC-78",)),
    _cucumber_case(None, "Renamed", "Renamed", None, ("SC-77",)),  # the tag alone names it
    _cucumber_case("features/other.feature", "Other", "Other", 3, ("SC-2",)),
    _cucumber_case("features/cart.feature", "Cart", "Add an item", 4, ("SC-9",)),  # the only SC-9 at first
]


def test_the_scenarios_read_match_each_result_as_the_whole_project_does(git_repo: GitRepo, database_url: str
                                                                       ) -> None:
    from tracertm.repositories import Projects
    from tracertm.results.scenario_reads import scenario_index

    for path, text in TRICKY.items():
        git_repo.write(path, text)
    first = git_repo.commit("features")
    assert not sync(git_repo.path, database_url=database_url, project="shop").errors
    git_repo.remove("features/gone.feature")  # its scenarios stay, deleted: never a match
    git_repo.write("features/cart.feature", TRICKY["features/cart.feature"] + NEWER)
    head = git_repo.commit("later")
    assert not sync(git_repo.path, database_url=database_url, project="shop").errors
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            project = Projects(session).get("shop")
            uris = {c.feature_uri for c in CASES if c.feature_uri and c.line}
            # Now; at HEAD from git; at the first commit, before cart.feature had its SC-9 (unique then).
            for commit, repo, named in [(None, None, None), (head, git_repo.path, uris),
                                        (first, git_repo.path, uris)]:
                whole = scenario_index(session, project, commit, repo, uris=named)
                assert whole.match_all(CASES) == scenario_index(session, project, commit, repo, uris=named,
                                                                cases=CASES).match_all(CASES)
                for case in CASES:
                    narrow = scenario_index(session, project, commit, repo, uris=named, cases=[case])
                    assert narrow.match(case) == whole.match(case), case
                    if case.feature_uri:
                        assert narrow.paths.resolve(case.feature_uri) == whole.paths.resolve(case.feature_uri)
            verdicts = [(m.rule, m.ambiguous) for m in whole.match_all(CASES)]
            assert ("name", False) in verdicts and ("tag", False) in verdicts and ("line", False) in verdicts
            assert (None, True) in verdicts  # the set covers every verdict
    finally:
        engine.dispose()


def test_migration_0037_fills_the_keys_as_sync_writes_them(git_repo: GitRepo, database_url: str) -> None:
    """Rows an older tracertm wrote (a database downgraded to 0036: no key columns) get the keys sync writes, deleted
    rows too; the downgrade leaves the tables as they were (the search triggers kept: a search still finds)."""
    from sqlalchemy import inspect, select, text

    from tracertm.models import Feature, Scenario

    for path, data in TRICKY.items():
        git_repo.write(path, data)
    git_repo.commit("features")
    assert not sync(git_repo.path, database_url=database_url, project="shop").errors
    git_repo.remove("features/gone.feature")
    git_repo.commit("gone")
    assert not sync(git_repo.path, database_url=database_url, project="shop").errors
    engine = db.make_engine(database_url)
    try:
        def keys() -> list[tuple[Any, ...]]:
            with engine.connect() as conn:
                return sorted(map(tuple, conn.execute(select(Feature.id, Feature.name_key, Feature.file_key)))) + \
                    sorted(map(tuple, conn.execute(select(Scenario.id, Scenario.pytest_key))))

        written = keys()
        features, scenarios = written[:len(TRICKY)], written[len(TRICKY):]
        assert {row[2] for row in features} == {path.rpartition("/")[2] for path in TRICKY}
        assert "Spaced name" in {row[1] for row in features}
        assert any(row[1].startswith("sha256:") for row in features)  # the long name
        assert "test_add_an_item" in {row[1] for row in scenarios}
        db.downgrade(engine, "0036")
        with engine.connect() as conn:
            assert "name_key" not in {c["name"] for c in inspect(conn).get_columns("features")}
            assert "pytest_key" not in {c["name"] for c in inspect(conn).get_columns("scenarios")}
        db.upgrade(engine)
        assert keys() == written
        if database_url.startswith("sqlite"):  # the search triggers survived both ways
            with engine.connect() as conn:
                assert {"features_fts_ai", "scenarios_fts_ai"} <= set(conn.execute(text(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
    finally:
        engine.dispose()
