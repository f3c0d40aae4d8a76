"""One feature file, one test case id, whatever form the runner names it in: ``classpath:``, ``file:``, relative to a
module, or an absolute path of the CI machine's checkout are read as the project's own path of the file
(``results.uris``), for the external id and for mapping; test cases stored under an older form are matched, not
duplicated (``results.stored_ids``). SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import GitRepo
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import TestCase, TestResult
from tracertm.results import import_results, store
from tracertm.results.mapping import ScenarioIndex
from tracertm.results.report import CaseResult
from tracertm.results.scenarios import ScenarioRef
from tracertm.results.uris import FeaturePaths

FIXTURES = Path(__file__).parent / "fixtures"
CART = "Feature: Cart\n\n  Scenario: Add an item\n    Given an empty cart\n"
MAVEN = "src/test/resources/features/cart.feature"
ID = f"{MAVEN}::cart;add-an-item"

FORMS = [
    "classpath:features/cart.feature",  # cucumber-jvm, features on the classpath
    f"file:{MAVEN}",  # cucumber-jvm, a file path
    MAVEN,  # cucumber-js
    f"file:///home/ci/build/repo/{MAVEN}",  # an absolute URI of one CI runner
    f"/builds/acme/repo/{MAVEN}",  # ... and a path of another
    f"C:\\ci\\repo\\{MAVEN.replace('/', chr(92))}",  # a Windows runner
]


# ------------------------------------------------------------------------------------------------ the reading


@pytest.mark.parametrize("uri", FORMS)
def test_every_form_of_a_feature_files_name_reads_as_the_projects_path(uri: str) -> None:
    paths = FeaturePaths([MAVEN, "features/other.feature"])
    assert paths.resolve(uri) == MAVEN


@pytest.mark.parametrize(("uri", "read"), [
    ("/ci/shop/web/features/x.feature", "web/features/x.feature"),  # the longest tail that is a known file
    ("/ci/shop/features/x.feature", "features/x.feature"),
    ("classpath:features/x.feature", "features/x.feature"),  # two modules have it: not guessed
    ("classpath:features/gone.feature", "features/gone.feature"),  # no such file: the path as written
    ("file:///ci/shop/features/gone.feature", "/ci/shop/features/gone.feature"),
    ("x.feature", "x.feature"),  # several files end with it
])
def test_a_name_that_fits_no_file_or_several_is_kept(uri: str, read: str) -> None:
    paths = FeaturePaths(["features/x.feature", "web/features/x.feature", "api/features/x.feature"])
    assert paths.resolve(uri) == read


@pytest.mark.parametrize(("uri", "read"), [
    ("classpath:features/my%20cart.feature", "src/test/resources/features/my cart.feature"),  # java.net.URI
    ("file:src/test/resources/features/my%20cart.feature", "src/test/resources/features/my cart.feature"),
    ("file:///ci/repo/src/test/resources/features/my%20cart.feature", "src/test/resources/features/my cart.feature"),
    ("features/100%25.feature", "features/100%25.feature"),  # a plain path is taken as written
])
def test_a_uris_percent_encoding_is_read(uri: str, read: str) -> None:
    """cucumber-jvm writes ``java.net.URI`` strings (a space is ``%20``): each form was a test case of its own."""
    paths = FeaturePaths(["src/test/resources/features/my cart.feature", "features/100%25.feature"])
    assert paths.resolve(uri) == read


def _ref(path: str, line: int) -> ScenarioRef:
    return ScenarioRef(key=path, number="SC-1", feature_number=path, feature_name="X", path=path, title="Add",
                       rule=None, line=line, rows=())


def test_a_junit_file_attribute_with_an_absolute_path_maps_by_its_longest_known_tail() -> None:
    """Before, a path with two known tails (``features/x.feature``, ``web/features/x.feature``) named no file."""
    index = ScenarioIndex([_ref("features/x.feature", 3), _ref("web/features/x.feature", 3)])
    case = CaseResult(external_id="X::Add", name="Add", status="passed", classname="X",
                      file="/builds/acme/shop/web/features/x.feature", line=3)
    match = index.match(case)
    assert (match.rule, match.scenario and match.scenario.key) == ("line", "web/features/x.feature")


# ------------------------------------------------------------------------------------------------ the import


def _json_report(uri: str, status: str = "passed") -> bytes:
    return json.dumps([{"uri": uri, "id": "cart", "keyword": "Feature", "name": "Cart", "line": 1, "elements": [
        {"id": "cart;add-an-item", "keyword": "Scenario", "name": "Add an item", "line": 3, "type": "scenario",
         "steps": [{"keyword": "Given ", "name": "an empty cart", "line": 4, "result": {"status": status}}]}]}]
    ).encode()


def _messages_report(uri: str) -> bytes:
    data = (FIXTURES / "cart.ndjson").read_bytes()
    return data.replace(b'"uri":"features/cart.feature"', json.dumps({"uri": uri})[1:-1].encode())


def _synced(git_repo: GitRepo, database_url: str, path: str = MAVEN, text: str = CART) -> None:
    git_repo.write(".tracertm.toml", 'feature_paths = ["src/test/resources/features/**/*.feature", '
                                     '"features/**/*.feature"]\n')
    git_repo.write(path, text)
    git_repo.commit("cart")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="cart").errors


def _stored(database_url: str) -> tuple[list[str], list[tuple[str, str]]]:
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            cases = sorted(session.execute(select(TestCase.test_case_number)).scalars())
            results = sorted(session.execute(
                select(TestCase.test_case_number, TestResult.status).join(
                    TestCase, TestResult.test_case_id == TestCase.id)).all())
    finally:
        engine.dispose()
    return cases, [tuple(row) for row in results]


def test_a_scenario_reported_in_every_form_is_one_test_case(git_repo: GitRepo, database_url: str) -> None:
    _synced(git_repo, database_url)
    for number, uri in enumerate(FORMS):
        report = (f"r{number}.json", _json_report(uri))
        summary = import_results(database_url, "cart", [report], commit=git_repo.head(), repo=git_repo.path)
        assert (summary.matched["line"], summary.unmatched) == (1, 0), uri
        assert summary.test_cases_created == (1 if number == 0 else 0), uri
    cases, results = _stored(database_url)
    assert cases == [ID]
    assert len(results) == len(FORMS)


def test_cucumber_messages_name_the_test_case_by_the_projects_path(git_repo: GitRepo, database_url: str) -> None:
    cart = (FIXTURES / "cart.ndjson").read_bytes().split(b'"data":"', 1)[1].split(b'","mediaType"', 1)[0]
    _synced(git_repo, database_url, "features/cart.feature", json.loads(b'"' + cart + b'"'))
    ids = []
    for number, uri in enumerate(["features/cart.feature", "classpath:features/cart.feature",
                                  "file:///home/ci/build/repo/features/cart.feature"]):
        summary = import_results(database_url, "cart", [(f"m{number}.ndjson", _messages_report(uri))],
                                 commit=git_repo.head())
        assert summary.unmatched == 0 and summary.test_cases_created == (5 if number == 0 else 0), uri
    cases, results = _stored(database_url)
    ids = {case.split("::")[0] for case in cases}
    assert ids == {"features/cart.feature"} and len(cases) == 5 and len(results) == 15


def _old_import(
    monkeypatch: pytest.MonkeyPatch, database_url: str, git_repo: GitRepo, uri: str, status: str = "failed",
) -> None:
    """An import as tracertm did it before: the path in the id as ``normalize_path`` reads it."""
    with monkeypatch.context() as patched:
        patched.setattr(store, "canonical_report", lambda report, paths: report)
        patched.setattr(store, "match_stored", lambda connection, project, cases, paths: cases)
        import_results(database_url, "cart", [(f"old-{uri}.json", _json_report(uri, status))],
                       commit=git_repo.head())


def test_results_go_to_the_test_case_stored_under_an_older_form(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An absolute path of a CI runner, stored before: the next runner's results go to that test case (no second
    one), and its earlier result is kept."""
    _synced(git_repo, database_url)
    _old_import(monkeypatch, database_url, git_repo, f"file:///home/ci/build/repo/{MAVEN}")
    old = f"/home/ci/build/repo/{MAVEN}::cart;add-an-item"
    assert _stored(database_url)[0] == [old]
    for number, uri in enumerate([f"/builds/acme/repo/{MAVEN}", "classpath:features/cart.feature"]):
        summary = import_results(database_url, "cart", [(f"new{number}.json", _json_report(uri))],
                                 commit=git_repo.head())
        assert (summary.test_cases_created, summary.matched["line"]) == (0, 1)
    assert _stored(database_url) == ([old], [(old, "failed"), (old, "passed"), (old, "passed")])


def test_a_test_case_stored_under_the_projects_path_wins_over_older_forms(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    _synced(git_repo, database_url)
    _old_import(monkeypatch, database_url, git_repo, "classpath:features/cart.feature")
    _old_import(monkeypatch, database_url, git_repo, MAVEN, "passed")
    older = "features/cart.feature::cart;add-an-item"
    assert _stored(database_url)[0] == [older, ID]
    summary = import_results(database_url, "cart", [("again.json", _json_report("classpath:features/cart.feature"))],
                             commit=git_repo.head())
    assert summary.test_cases_created == 0
    assert _stored(database_url)[1] == [(older, "failed"), (ID, "passed"), (ID, "passed")]


def test_a_feature_synced_after_its_first_results_keeps_its_test_case(git_repo: GitRepo, database_url: str) -> None:
    """Imported before the project knew the file, a classpath name stays as written; once the file is synced, the
    results of the same test still go to that test case."""
    git_repo.write(".tracertm.toml", 'feature_paths = ["src/test/resources/features/**/*.feature"]\n')
    git_repo.commit("start")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="cart").errors
    first = import_results(database_url, "cart", [("a.json", _json_report("classpath:features/cart.feature"))],
                           commit=git_repo.head())
    assert first.unmatched == 1
    _synced(git_repo, database_url)
    second = ("b.json", _json_report("classpath:features/cart.feature", "failed"))
    later = import_results(database_url, "cart", [second],
                           commit=git_repo.head(), repo=git_repo.path)
    assert (later.test_cases_created, later.matched["line"]) == (0, 1)
    assert _stored(database_url)[0] == ["features/cart.feature::cart;add-an-item"]
    assert len(_stored(database_url)[1]) == 2
