"""Importing reports into a real database (SQLite and PostgreSQL): reports written by real pytest-bdd and behave
runs, mapping counted per rule, one transaction, idempotence, lines at the run's commit, statistics."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from conftest import GitRepo, sqlite_only
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.errors import ParseError
from tracertm.models import Scenario, SpecRevision, TestCase, TestResult, TestRun
from tracertm.models.sync import CHANGE_VALUES
from tracertm.results import import_results

HERE = Path(__file__).parent
PROJECT = HERE / "project"
FIXTURES = HERE / "fixtures"


# ------------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def tool_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Reports written by really running pytest-bdd and behave on the shopping-cart project."""
    work = tmp_path_factory.mktemp("tools") / "project"
    shutil.copytree(PROJECT, work)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TRACERTM_"))}
    subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "python_files=bdd_*.py",
         "--junitxml=pytest.xml", "--cucumberjson=cucumber.json", "bdd_cart.py", "-q"],
        cwd=work, env=env, capture_output=True, timeout=300,
    )  # exits 1: one outline row fails and a step is missing, on purpose
    subprocess.run(
        [sys.executable, "-m", "behave", "--junit", "--junit-directory", "reports", "-f", "null"],
        cwd=work, env=env, capture_output=True, timeout=300,
    )
    reports = {"pytest": work / "pytest.xml", "pytest-json": work / "cucumber.json",
               "behave": work / "reports" / "TESTS-cart.xml"}
    for name, path in reports.items():
        assert path.is_file(), f"{name} wrote no report"
    return reports


@pytest.fixture
def cart(git_repo: GitRepo, database_url: str) -> Iterator[GitRepo]:
    """The shopping-cart features committed and synced from HEAD (revisions carry the commit)."""
    shutil.copytree(PROJECT / "features", git_repo.path / "features", ignore=shutil.ignore_patterns("steps"))
    git_repo.commit("cart")
    result = sync(git_repo.path, ref="HEAD", database_url=database_url, project="shop")
    assert not result.errors
    yield git_repo


def _session(database_url: str):  # type: ignore[no-untyped-def]
    return db.session(db.make_engine(database_url))


def _scenario(session, title: str) -> Scenario:  # type: ignore[no-untyped-def]
    return session.execute(select(Scenario).where(Scenario.title == title)).scalar_one()


def _results(session) -> dict[tuple[str, str | None], list[str]]:  # type: ignore[no-untyped-def]
    out: dict[tuple[str, str | None], list[str]] = {}
    rows = session.execute(
        select(Scenario.title, TestResult.example_row, TestResult.status)
        .join(Scenario, TestResult.scenario_id == Scenario.id)
    ).all()
    for title, row, status in rows:
        out.setdefault((title, row), []).append(status)
    return out


def _count(session, model) -> int:  # type: ignore[no-untyped-def]
    return session.execute(select(func.count()).select_from(model)).scalar_one()


# ---------------------------------------------------------------------------------------------- real tools


def test_pytest_bdd_reports(cart: GitRepo, database_url: str, tool_reports: dict[str, Path]) -> None:
    commit = cart.head()
    junit = import_results(database_url, "shop", [tool_reports["pytest"]], commit=commit, repo=cart.path)
    assert (junit.total, junit.format, junit.statuses) == (5, "junit", {"passed": 3, "failed": 2})
    assert junit.matched == {"tag": 0, "line": 0, "name": 5} and junit.unmatched == 0
    as_json = import_results(database_url, "shop", [tool_reports["pytest-json"]], commit=commit, repo=cart.path)
    assert as_json.format == "cucumber-json"
    assert as_json.matched == {"tag": 1, "line": 4, "name": 0}, "the @SC-1 tag first, then file + line"
    with _session(database_url) as session:
        results = _results(session)
        assert results[("Add several", "1.1")] == ["passed", "passed"]
        assert results[("Add several", "1.2")] == ["failed", "failed"]
        assert sorted(results[("Add an item", None)]) == ["passed", "passed"]
        outline = _scenario(session, "Add several")
        assert (outline.last_status, outline.pass_rate, outline.execution_count) == ("failed", 0.0, 2)
        assert len(outline.test_cases) == 4, "two rows × two report formats, linked through the association"


def test_behave_junit_report(cart: GitRepo, database_url: str, tool_reports: dict[str, Path]) -> None:
    summary = import_results(database_url, "shop", [tool_reports["behave"]], commit=cart.head(), repo=cart.path)
    assert summary.matched == {"tag": 0, "line": 0, "name": 5}
    assert summary.statuses == {"passed": 3, "failed": 1, "undefined": 1}
    with _session(database_url) as session:
        results = _results(session)
        assert results == {("Add an item", None): ["passed"], ("Remove an item", None): ["passed"],
                           ("Add several", "1.1"): ["passed"], ("Add several", "1.2"): ["failed"],
                           ("Check out", None): ["undefined"]}
        message = session.execute(select(TestResult.message).where(TestResult.status == "failed")).scalar_one()
        assert message == "cart holds 2, expected 3"


# ---------------------------------------------------------------------------------------- other formats


# The formats are read above the database: on SQLite only; the same import on PostgreSQL in
# test_pytest_bdd_reports[postgresql] and test_behave_junit_report[postgresql].
@sqlite_only
@pytest.mark.parametrize(
    ("name", "matched", "statuses"),
    [
        ("cart.ndjson", {"tag": 1, "line": 4, "name": 0}, {"passed": 3, "failed": 1, "undefined": 1}),
        ("cucumber-go.json", {"tag": 1, "line": 4, "name": 0},
         {"passed": 2, "failed": 2, "undefined": 1}),
        # (``Check out``'s ``<failure type="io.cucumber.java.PendingException">``: pending, as Cucumber reported it)
        ("cucumber-junit.xml", {"tag": 0, "line": 0, "name": 5}, {"passed": 3, "failed": 1, "pending": 1}),
    ],
)
def test_hand_written_formats(cart: GitRepo, database_url: str, name: str, matched: dict[str, int],
                              statuses: dict[str, int]) -> None:
    summary = import_results(database_url, "shop", [FIXTURES / name], commit=cart.head(), repo=cart.path)
    assert (summary.matched, summary.statuses, summary.unmatched) == (matched, statuses, 0)


def test_retry_that_passed_marks_the_scenario_flaky(cart: GitRepo, database_url: str) -> None:
    import_results(database_url, "shop", [FIXTURES / "cart.ndjson"], commit=cart.head(), repo=cart.path)
    with _session(database_url) as session:
        retried = _scenario(session, "Remove an item")
        assert (retried.last_status, retried.flaky) == ("passed", True)
        assert _scenario(session, "Add an item").flaky is False


def test_unmatched_tests_are_stored_without_scenario(cart: GitRepo, database_url: str) -> None:
    summary = import_results(database_url, "shop", [FIXTURES / "surefire.xml"], commit=cart.head())
    assert (summary.total, summary.unmatched, summary.test_cases_created) == (6, 6, 6)
    with _session(database_url) as session:
        assert _count(session, TestCase) == 6
        assert session.execute(select(func.count()).where(TestResult.scenario_id.is_not(None))).scalar_one() == 0
        meta = session.execute(
            select(TestCase.metadata_).where(TestCase.test_case_number == "com.example.CartTest::addsItem")
        ).scalar_one()
        assert meta["properties"] == {"requirement": "REQ-7"}


# ----------------------------------------------------------------------------------- transaction, digest


def test_same_report_twice_adds_nothing(cart: GitRepo, database_url: str) -> None:
    first = import_results(database_url, "shop", [FIXTURES / "cart.ndjson"], commit=cart.head())
    with _session(database_url) as session:
        before = (_count(session, TestRun), _count(session, TestResult), _count(session, TestCase),
                  _scenario(session, "Add an item").version)
    again = import_results(database_url, "shop", [("renamed-upload.ndjson", (FIXTURES / "cart.ndjson").read_bytes())],
                           commit="b" * 40)
    # The summary names the run that holds it, with that run's commit (nothing is recorded for the other one).
    assert (again.duplicate, again.run_id, again.commit) == (True, first.run_id, cart.head())
    with _session(database_url) as session:
        after = (_count(session, TestRun), _count(session, TestResult), _count(session, TestCase),
                 _scenario(session, "Add an item").version)
    assert after == before


def test_a_broken_file_imports_nothing(cart: GitRepo, database_url: str) -> None:
    broken = ("broken.xml", b'<testsuite>\n<testcase name="Add an item" classname="Shopping cart">\n</testsuite>')
    with pytest.raises(ParseError) as info:
        import_results(database_url, "shop", [FIXTURES / "cucumber-junit.xml", broken])
    assert str(info.value).startswith("broken.xml:3:")
    with _session(database_url) as session:
        assert (_count(session, TestRun), _count(session, TestResult), _count(session, TestCase)) == (0, 0, 0)


def test_import_inside_a_callers_session_is_one_transaction(cart: GitRepo, database_url: str) -> None:
    engine = db.make_engine(database_url)
    with db.session(engine) as session:
        summary = import_results(session, "shop", [FIXTURES / "cart.ndjson"])
        assert summary.total == 5
        session.rollback()  # the caller (the API) decides: nothing stays
    with db.session(engine) as session:
        assert _count(session, TestRun) == 0 and _scenario(session, "Add an item").execution_count == 0
    engine.dispose()


# ------------------------------------------------------------------------------------ lines at the commit


def test_lines_are_matched_at_the_runs_commit(cart: GitRepo, database_url: str) -> None:
    """The Go report's lines are the ones of the first commit; a scenario added above them later shifts every
    line, yet the results still land on the right scenarios because lines are read from the revisions."""
    ran_at = cart.head()
    text = cart.read("features/cart.feature").replace(
        "  Scenario: Remove an item",
        "  Scenario: Empty the cart\n    Given a cart with 2 items\n    When I empty it\n    Then the cart holds 0 items\n\n"
        "  Scenario: Remove an item",
    )
    cart.write("features/cart.feature", text)
    cart.commit("a scenario above the others")
    assert not sync(cart.path, ref="HEAD", database_url=database_url, project="shop").errors

    summary = import_results(database_url, "shop", [FIXTURES / "cucumber-go.json"], commit=ran_at, repo=cart.path)
    assert summary.matched == {"tag": 1, "line": 4, "name": 0}
    with _session(database_url) as session:
        results = _results(session)
        assert ("Empty the cart", None) not in results
        assert results[("Remove an item", None)] == ["failed"]
        assert results[("Add several", "1.2")] == ["failed"]
        assert results[("Check out", None)] == ["undefined"]

    # An upload without the repository (the API) falls back on the revisions recorded for that commit.
    upload = import_results(database_url, "shop", [("upload.json", (FIXTURES / "cucumber-go.json").read_bytes() + b"\n")],
                            commit=ran_at)
    assert upload.matched == {"tag": 1, "line": 4, "name": 0}
    with _session(database_url) as session:
        assert ("Empty the cart", None) not in _results(session)

    # Against the new commit the same lines point at other scenarios: this is what the revisions protect against.
    # A line is never trusted over the scenario name the report gives: those results go by name.
    other = import_results(database_url, "shop", [("again.json", (FIXTURES / "cucumber-go.json").read_bytes() + b" ")],
                           commit=cart.head(), repo=cart.path)
    assert other.matched == {"tag": 1, "line": 0, "name": 4}
    with _session(database_url) as session:
        results = _results(session)
        assert ("Empty the cart", None) not in results, "line 11 is another scenario now, not the one named"
        assert results[("Remove an item", None)] == ["failed"] * 3


# ------------------------------------------------------------------------------------------- statistics


def _junit(title: str, status: str, stamp: str) -> bytes:
    body = {"passed": "", "failed": '<failure message="boom"/>', "skipped": "<skipped/>"}[status]
    return (f'<testsuite name="Cucumber" timestamp="{stamp}" time="1"><testcase classname="Shopping cart" '
            f'name="{title}" time="0.1">{body}</testcase></testsuite>').encode()


def test_pass_rate_window_last_status_and_flaky(cart: GitRepo, database_url: str) -> None:
    runs = [("aaa", "passed"), ("bbb", "failed"), ("bbb", "passed"), ("ccc", "passed"), ("ddd", "skipped")]
    for n, (commit, status) in enumerate(runs):
        import_results(database_url, "shop", [(f"r{n}.xml", _junit("Add an item", status, f"2026-11-0{n + 1}T10:00:00"))],
                       commit=commit * 13 + "a", window=3)
    with _session(database_url) as session:
        s = _scenario(session, "Add an item")
        # Executed runs, newest first: ccc passed, bbb passed, bbb failed | aaa passed (outside the window of 3).
        assert s.pass_rate == pytest.approx(2 / 3)
        assert (s.last_status, s.execution_count, s.flaky) == ("passed", 4, True)
        assert s.last_executed_at is not None and s.last_executed_at.isoformat().startswith("2026-11-04T10:00:01")


def test_one_version_increment_per_scenario_per_import(cart: GitRepo, database_url: str) -> None:
    with _session(database_url) as session:
        before = _scenario(session, "Add several").version
    import_results(database_url, "shop", [FIXTURES / "cucumber-junit.xml"])  # two rows of the outline
    with _session(database_url) as session:
        assert _scenario(session, "Add several").version == before + 1


@pytest.mark.skipif("annotated" not in CHANGE_VALUES,
                    reason="the integrity issue's annotated revisions (session.info['actor']) are not merged yet")
def test_statistics_updates_write_one_annotated_revision(cart: GitRepo, database_url: str) -> None:
    import_results(database_url, "shop", [FIXTURES / "cucumber-junit.xml"])
    import_results(database_url, "shop", [FIXTURES / "cart.ndjson"])
    with _session(database_url) as session:
        s = _scenario(session, "Add several")
        revisions = session.execute(
            select(SpecRevision).where(SpecRevision.entity_id == s.id).order_by(SpecRevision.version)
        ).scalars().all()
        assert [r.version for r in revisions] == list(range(1, s.version + 1)), "one revision per version"
        annotated = [r for r in revisions if r.change == "annotated"]
        assert len(annotated) == 2
        assert {r.actor for r in annotated} == {"results-import"}
        assert set(annotated[0].changed_fields) == {"pass_rate", "last_status", "last_executed_at", "execution_count"}
        assert annotated[0].snapshot["execution_count"] == 1 and annotated[1].snapshot["execution_count"] == 2
        # the shape models/audit.py gives an ORM edit: the feature number rides along, no commit
        assert {r.snapshot["feature_number"] for r in annotated} == {s.feature.feature_number}
        assert all(r.commit_sha is None and r.content_hash == s.content_hash for r in annotated)


def test_test_cases_are_identities_not_rewritten_per_import(cart: GitRepo, database_url: str) -> None:
    import_results(database_url, "shop", [FIXTURES / "surefire.xml"])
    import_results(database_url, "shop", [("again.xml", (FIXTURES / "surefire.xml").read_bytes() + b"\n")])
    with _session(database_url) as session:
        assert _count(session, TestCase) == 6 and _count(session, TestResult) == 12
        # Created with their last execution; the same results at the same time again: no edit, no revision.
        assert set(session.execute(select(TestCase.version)).scalars()) == {1}, "no edit, no revision"


def test_sync_leaves_statistics_alone(cart: GitRepo, database_url: str) -> None:
    import_results(database_url, "shop", [FIXTURES / "cucumber-junit.xml"])
    cart.write("features/cart.feature", cart.read("features/cart.feature").replace("Then the cart holds 0 items",
                                                                                   "Then the cart is empty"))
    cart.commit("edit check out")
    assert not sync(cart.path, ref="HEAD", database_url=database_url, project="shop").errors
    with _session(database_url) as session:
        s = _scenario(session, "Check out")
        assert (s.last_status, s.execution_count, s.pass_rate) == ("pending", 1, 0.0)  # a PendingException


def test_concurrent_imports_of_one_project_lose_nothing(cart: GitRepo, database_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    reports = [(f"r{n}.xml", _junit("Add an item", "passed", f"2026-11-0{n + 1}T10:00:00")) for n in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        summaries = list(pool.map(lambda r: import_results(database_url, "shop", [r]), reports))
    assert all(not s.duplicate for s in summaries)
    with _session(database_url) as session:
        s = _scenario(session, "Add an item")
        assert (_count(session, TestRun), s.execution_count, s.pass_rate) == (4, 4, 1.0)
        revisions = session.execute(select(func.count()).where(SpecRevision.entity_id == s.id)).scalar_one()
        assert revisions == s.version, "every version increment has its revision"


def test_a_renamed_scenario_keeps_its_results(cart: GitRepo, database_url: str) -> None:
    """The id tag keeps the scenario's identity through a rename (where Xray would create a new test)."""
    import_results(database_url, "shop", [("before.xml", _junit("Add an item", "passed", "2026-11-01T10:00:00"))])
    cart.write("features/cart.feature", cart.read("features/cart.feature").replace("Scenario: Add an item",
                                                                                   "Scenario: Put an item in"))
    cart.commit("rename")
    assert not sync(cart.path, ref="HEAD", database_url=database_url, project="shop").errors
    import_results(database_url, "shop", [("after.xml", _junit("Put an item in", "failed", "2026-11-02T10:00:00"))],
                   commit=cart.head(), repo=cart.path)
    with _session(database_url) as session:
        s = _scenario(session, "Put an item in")
        assert (s.scenario_number, s.execution_count, s.last_status, s.pass_rate) == ("SC-1", 2, "failed", 0.5)
        assert len(s.test_cases) == 2, "the old test name and the new one, both linked to the same scenario"


DRINKS = """Feature: Drinks

  @SC-1
  Scenario: Order a drink
    Given a cup

  @SC-2
  Scenario Outline: Add several
    Given <n> cups

    Examples: small
      | n |
      | 1 |
      | 2 |

  @SC-3
  Scenario: Order tea
    Given a pot
"""

# One run at the first commit, as behave, cucumber-js (Cucumber's junit-xml-formatter) and pytest-bdd name it.
DRINKS_RUN = [
    ("behave.xml", b'<testsuite name="drinks.Drinks"><testcase classname="drinks.Drinks" name="Order a drink"/>'
                   b'<testcase classname="drinks.Drinks" name="Add several -- @1.2 small"/></testsuite>'),
    ("cucumber-js.xml", b'<testsuite name="Cucumber"><testcase classname="Drinks" name="Order a drink"/>'
                        b'<testcase classname="Drinks" name="Add several - small - #1.2"/></testsuite>'),
    ("pytest-bdd.xml", b'<testsuite name="pytest"><testcase classname="tests.test_drinks" name="test_order_a_drink"/>'
                       b'<testcase classname="tests.test_drinks" name="test_add_several[2]"/></testsuite>'),
]


def _mapped(database_url: str, run_id: object) -> list[tuple[str, str | None]]:
    with _session(database_url) as session:
        return sorted((number, row) for number, row in session.execute(
            select(Scenario.scenario_number, TestResult.example_row)
            .join(Scenario, TestResult.scenario_id == Scenario.id).where(TestResult.run_id == run_id)
        ).all())


def test_junit_names_from_before_a_rename_match_the_scenarios_at_the_runs_commit(
    git_repo: GitRepo, database_url: str
) -> None:
    """A JUnit test names its scenario as the scenario was named when the tests ran: with the run's commit, the
    name rule reads the feature files changed since at that commit. "Order a drink" is SC-1's name there, and
    SC-3's now; without the commit's names SC-3 took the results and the outline's rows matched nothing."""
    git_repo.write("features/drinks.feature", DRINKS)
    ran_at = git_repo.commit("drinks")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="bar").errors
    renamed = DRINKS.replace("Order a drink", "Order a beverage").replace("Order tea", "Order a drink")
    git_repo.write("features/drinks.feature", renamed.replace("Add several", "Add many"))
    git_repo.commit("renamed")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="bar").errors

    at_commit = [("SC-1", None)] * 3 + [("SC-2", "1.2")] * 3
    summary = import_results(database_url, "bar", DRINKS_RUN, commit=ran_at, repo=git_repo.path)
    assert (summary.matched, summary.unmatched) == ({"tag": 0, "line": 0, "name": 6}, 0)
    assert _mapped(database_url, summary.run_id) == at_commit
    # An upload (no repository) reads the revisions recorded at that commit.
    upload = import_results(database_url, "bar", [(name, data + b"\n") for name, data in DRINKS_RUN], commit=ran_at)
    assert _mapped(database_url, upload.run_id) == at_commit
    # Run at the synced commit, or of no commit given, the names are the scenarios' names now.
    for commit in (git_repo.head(), None):
        again = [(name, data + f"<!-- {commit} -->".encode()) for name, data in DRINKS_RUN]  # not imported yet
        now = import_results(database_url, "bar", again, commit=commit, repo=git_repo.path)
        assert (now.matched["name"], _mapped(database_url, now.run_id)) == (3, [("SC-3", None)] * 3)


def test_a_test_case_inserted_by_another_writer_is_kept_and_used(cart: GitRepo, database_url: str) -> None:
    """Test cases go in with ON CONFLICT (project, external id) DO NOTHING on both dialects: a row that appeared
    after the import looked them up is neither duplicated nor overwritten, its id is the one the result uses, and
    only the rows the import inserted count as created (with their created revisions)."""
    import uuid

    from sqlalchemy import event

    from tracertm.models import Project

    with _session(database_url) as session:
        project_id = session.execute(select(Project.id).where(Project.name == "shop")).scalar_one()
    engine = db.make_engine(database_url)
    theirs, done = uuid.uuid4(), []

    def insert_theirs_first(  # type: ignore[no-untyped-def]
        conn, cursor, statement, parameters, context, executemany
    ) -> None:
        if statement.startswith("INSERT INTO test_cases") and not done:
            done.append(statement)
            mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
            form = (lambda u: u.hex) if conn.dialect.name == "sqlite" else str
            cursor.execute(
                f"INSERT INTO test_cases (id, project_id, test_case_number, title, status) "
                f"VALUES ({mark}, {mark}, {mark}, {mark}, {mark})",
                (form(theirs), form(project_id), "x::a", "theirs", "automated"),
            )

    report = (b'<testsuite name="x"><testcase classname="x" name="a"/><testcase classname="x" name="b"/>'
              b"</testsuite>")
    event.listen(engine, "before_cursor_execute", insert_theirs_first)
    try:
        summary = import_results(engine, "shop", [("race.xml", report)])
    finally:
        event.remove(engine, "before_cursor_execute", insert_theirs_first)
        engine.dispose()
    assert done and (summary.total, summary.test_cases_created) == (2, 1)
    with _session(database_url) as session:
        rows = {number: (ident, title) for number, ident, title in session.execute(
            select(TestCase.test_case_number, TestCase.id, TestCase.title)).all()}
        assert {n: t for n, (_i, t) in rows.items()} == {"x::a": "theirs", "x::b": "b"}
        assert rows["x::a"][0] == theirs
        results = set(session.execute(select(TestResult.test_case_id)).scalars())
        assert results == {theirs, rows["x::b"][0]}
        created = session.execute(select(SpecRevision.entity_id).where(SpecRevision.entity_type == "test_case",
                                                                        SpecRevision.change == "created"))
        assert list(created.scalars()) == [rows["x::b"][0]], "only the row the import inserted has its revision"


def test_a_scenario_edited_during_the_import_fails_it_and_keeps_everything(cart: GitRepo, database_url: str) -> None:
    """The statistics UPDATE is guarded by the version it read (as the ORM's version check): a scenario edited in
    between makes the import fail with a conflict, and its transaction writes nothing."""
    from sqlalchemy import event

    from tracertm.errors import ConflictError

    engine = db.make_engine(database_url)

    def edit_first(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if executemany and statement.lstrip().upper().startswith("UPDATE SCENARIOS"):
            cursor.execute("UPDATE scenarios SET version = version + 1")  # someone else's edit, just before ours

    event.listen(engine, "before_cursor_execute", edit_first)
    try:
        with pytest.raises(ConflictError, match="import again"):
            import_results(engine, "shop", [FIXTURES / "cucumber-junit.xml"])
    finally:
        event.remove(engine, "before_cursor_execute", edit_first)
        engine.dispose()
    with _session(database_url) as session:
        assert (_count(session, TestRun), _count(session, TestResult), _count(session, TestCase)) == (0, 0, 0)
        assert {s.version for s in session.execute(select(Scenario)).scalars()} == {1}


def test_imported_test_cases_start_their_history_at_version_one(cart: GitRepo, database_url: str) -> None:
    """Test cases inserted by an import get the ``created`` revision the ORM listener gives a test case it adds:
    every test case's history is contiguous from 1, whichever way it was created."""
    from tracertm.models.audit import ACTOR_KEY

    import_results(database_url, "shop", [FIXTURES / "surefire.xml"])
    with _session(database_url) as session:
        session.info[ACTOR_KEY] = "api:alice"
        added = TestCase(project_id=session.execute(select(TestCase.project_id)).scalars().first(),
                         test_case_number="manual::1", title="by hand")
        session.add(added)
        session.commit()
    with _session(database_url) as session:
        cases = session.execute(select(TestCase)).scalars().all()
        assert len(cases) == 7
        for case in cases:
            revisions = session.execute(
                select(SpecRevision).where(SpecRevision.entity_id == case.id).order_by(SpecRevision.version)
            ).scalars().all()
            # Created with its last execution (``case_results``), if the run executed it: one version.
            assert [(r.version, r.change, r.entity_type, r.number) for r in revisions] == [
                (1, "created", "test_case", case.test_case_number)]
            assert case.version == len(revisions)
            assert revisions[0].actor == ("api:alice" if case.title == "by hand" else "results-import")
            assert revisions[0].snapshot["title"] == case.title and revisions[0].changed_fields is None


def test_the_import_gives_the_connection_its_page_cache_back(cart: GitRepo, database_url: str) -> None:
    """SQLite: a larger page cache while the import writes, the pooled connection's own size afterwards (after a
    broken report too)."""
    if not database_url.startswith("sqlite"):
        pytest.skip("a SQLite pragma")
    engine = db.make_engine(database_url)
    try:
        with engine.connect() as conn:
            before = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
        import_results(engine, "shop", [FIXTURES / "cucumber-junit.xml"])
        with pytest.raises(ParseError):
            import_results(engine, "shop", [("broken.xml", b"<testsuite><testcase></testsuite>")])
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar_one() == before
    finally:
        engine.dispose()
