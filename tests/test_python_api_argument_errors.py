"""The Python API refuses what the command line refuses, as ``tracertm.errors`` classes (README "Python API": a bad
argument is a ``UsageError``), before anything is written: a SQLite URL with a query string (``?mode=ro`` was
ignored with a warning, and the sync wrote the file), a ``trigger`` the run's column does not take (SQLAlchemy's
``StatementError`` at the write, and a dry run took it), a ``jobs`` the command line's ``--jobs`` refuses, and
``Records.update``'s invalid values (pydantic's ``ValidationError`` escaped, which a caller catching
``TracertmError`` missed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import tracertm
from conftest import GitRepo
from specs import adr
from tracertm import db
from tracertm.config import MAX_LOCK_TIMEOUT_S
from tracertm.errors import InvalidValues, MAX_JOBS, TracertmError, UsageError
from tracertm.models import ADR
from tracertm.repositories import Records


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.commit("specs")
    return git_repo


def test_a_sqlite_url_with_a_query_string_is_refused_and_nothing_is_written(repo: GitRepo, tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    # Each refusal names what its caller wrote: the argument database_url (it said --database-url, an option of a
    # command line the caller never used), the backfill's and open_engine's too, import_results' target.
    for call, name in ((lambda: tracertm.sync(repo.path, database_url=f"sqlite:///{path}?mode=ro"), "database_url"),
                       (lambda: tracertm.backfill(repo.path, database_url=f"sqlite:///{path}?mode=ro"),
                        "database_url"),
                       (lambda: tracertm.import_results(f"sqlite:///{path}?mode=ro", None, []), "target"),
                       (lambda: db.open_engine(f"sqlite:///{path}?mode=ro"), "database_url")):
        with pytest.raises(UsageError) as caught:
            call()
        assert str(caught.value) == (f"{name}: 'sqlite:///{path}?mode=ro': SQLite URLs take no query string "
                                     "(?mode=ro); use sqlite:///PATH")
    assert not path.exists()


@pytest.mark.parametrize("dry_run", [False, True])
@pytest.mark.parametrize("given", [{"trigger": "bogus"}, {"jobs": 0}, {"jobs": -3}, {"jobs": MAX_JOBS + 1},
                                   {"jobs": True}])
def test_a_trigger_or_jobs_the_command_line_refuses(
        repo: GitRepo, tmp_path: Path, given: dict[str, Any], dry_run: bool) -> None:
    path = tmp_path / "s.db"
    with pytest.raises(UsageError) as caught:
        tracertm.sync(repo.path, database_url=f"sqlite:///{path}", dry_run=dry_run, **given)
    name, value = next(iter(given.items()))
    assert str(caught.value).startswith(f"{name}={value!r}: "), caught.value
    assert not path.exists()


@pytest.mark.parametrize("verb", ["check", "backfill"])
def test_the_other_verbs_refuse_such_jobs_too(repo: GitRepo, tmp_path: Path, verb: str) -> None:
    options: dict[str, Any] = {} if verb == "check" else {"database_url": f"sqlite:///{tmp_path / 'b.db'}"}
    with pytest.raises(UsageError, match=r"^jobs=0: give a whole number of parser processes from 1 to 1024"):
        getattr(tracertm, verb)(repo.path, jobs=0, **options)


def test_records_update_refuses_invalid_values_as_a_usage_error(repo: GitRepo, database_url: str) -> None:
    tracertm.sync(repo.path, database_url=database_url)
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            adrs = Records(session, "adrs")
            row = session.query(ADR).one()
            for changes, first in (({"compliance_score": 2}, "compliance_score: Input should be less than or "
                                                             "equal to 1"),
                                   ({"nope": 1}, "nope: Extra inputs are not permitted")):
                with pytest.raises(InvalidValues) as caught:
                    adrs.update(row, changes, row.version, "api:x")
                assert isinstance(caught.value, TracertmError) and str(caught.value) == first
                assert [".".join(map(str, e["loc"])) for e in caught.value.errors] == [first.split(":")[0]]
            assert row.version == 1
    finally:
        engine.dispose()


@pytest.mark.parametrize("lock_timeout", [float("nan"), -1, -0.5, 1e12, MAX_LOCK_TIMEOUT_S + 1, "5", True])
def test_a_lock_timeout_the_setting_refuses_is_refused(repo: GitRepo, tmp_path: Path, lock_timeout: Any) -> None:
    """NaN raised a bare ``ValueError`` from the lock's wait; -1 and 1e12 were taken, as was ``import_results``'
    -5. Refused as the ``lock_timeout`` setting is (0 to a day), before anything is written."""
    path = tmp_path / "s.db"
    expected = (f"lock_timeout={lock_timeout!r}: give the seconds to wait for another writer, from 0 to 86400, or "
                "None for the default")
    for call in (lambda: tracertm.sync(repo.path, database_url=f"sqlite:///{path}", lock_timeout=lock_timeout),
                 lambda: tracertm.sync(repo.path, database_url=f"sqlite:///{path}", dry_run=True,
                                       lock_timeout=lock_timeout),
                 lambda: tracertm.import_results(f"sqlite:///{path}", None, [("r.xml", b"<testsuite/>")],
                                                 lock_timeout=lock_timeout)):
        with pytest.raises(UsageError) as caught:
            call()
        assert str(caught.value) == expected
    assert not path.exists()


def test_a_lock_timeout_within_the_settings_bounds_is_taken(repo: GitRepo, database_url: str) -> None:
    assert not tracertm.sync(repo.path, database_url=database_url, lock_timeout=0).errors
    summary = tracertm.import_results(database_url, None, [("r.xml", b"<testsuite/>")],
                                      lock_timeout=MAX_LOCK_TIMEOUT_S)
    assert summary.run_id is not None


def test_import_results_refuses_an_id_pattern_the_configuration_would(repo: GitRepo, database_url: str) -> None:
    """``re.error`` escaped from the first report line read; the pattern is checked as ``scenario_id_pattern``."""
    tracertm.sync(repo.path, database_url=database_url)
    report = b'<testsuite name="s"><testcase classname="Login" name="first"/></testsuite>'
    with pytest.raises(UsageError) as caught:
        tracertm.import_results(database_url, None, [("r.xml", report)], id_pattern="SC-(")
    assert str(caught.value) == ("id_pattern='SC-(': scenario_id_pattern is not a valid regular expression "
                                 "(missing ), unterminated subpattern at position 3); e.g. scenario_id_pattern = "
                                 "'SC-\\d+'")


@pytest.mark.parametrize("limit", [-1, 0, 501, True])
def test_a_limit_out_of_the_apis_range_is_refused_on_both_databases(repo: GitRepo, database_url: str,
                                                                   limit: Any) -> None:
    """SQLite took -1 as "every run", PostgreSQL raised its DataError and left the transaction aborted."""
    from tracertm.repositories import Projects

    tracertm.sync(repo.path, database_url=database_url, project="p")
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            projects = Projects(session)
            row = session.query(ADR).one()
            for call in (lambda: projects.sync_runs(projects.get("p"), limit=limit),
                         lambda: projects.page(None, limit),
                         lambda: Records(session, "adrs").history_window(row, None, limit)):
                with pytest.raises(UsageError, match=rf"^limit={limit!r}: give a whole number from 1 to 500$"):
                    call()
            assert len(projects.sync_runs(projects.get("p"), limit=500)) == 1  # the session still reads
    finally:
        engine.dispose()


@pytest.mark.parametrize("verb", ["sync", "check", "backfill", "step_report"])
@pytest.mark.parametrize("path", ["", "  "])
def test_a_blank_path_is_refused_as_the_command_line_refuses_it(
        repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, verb: str, path: str) -> None:
    """``sync("")`` synced the current folder (README: an empty PATH is not the current folder)."""
    monkeypatch.chdir(repo.path)
    options: dict[str, Any] = {"database_url": f"sqlite:///{tmp_path / 'b.db'}"} if verb in ("sync", "backfill") \
        else {}
    with pytest.raises(UsageError) as caught:
        getattr(tracertm, verb)(path, **options)
    assert str(caught.value) == f"path: blank path {path!r}; give a path or leave it out (None) for the current " \
                                "repository"
    assert not (tmp_path / "b.db").exists()
    with pytest.raises(UsageError, match=r"^targets: blank path ''; give a path or leave targets empty"):
        tracertm.watch([""])


def test_check_all_files_only_with_staged(repo: GitRepo) -> None:
    with pytest.raises(UsageError) as caught:
        tracertm.check(repo.path, all_files=True)
    assert str(caught.value) == ("all_files=True: only with staged=True (check every staged spec file); without "
                                 "staged check reads every spec file already")
    assert tracertm.check(repo.path, all_files=True, staged=True).ok


@pytest.mark.parametrize("version", ["1", 1.0, True, None])
def test_records_update_refuses_an_expected_version_that_is_no_int(repo: GitRepo, database_url: str,
                                                                  version: Any) -> None:
    """``expected_version="2"`` was refused as stale: "is at version 2, not 2"."""
    tracertm.sync(repo.path, database_url=database_url)
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            row = session.query(ADR).one()
            with pytest.raises(UsageError) as caught:
                Records(session, "adrs").update(row, {"compliance_score": 0.5}, version, "api:x")
            assert str(caught.value) == (f"expected_version={version!r}: give the version read as a whole number "
                                         "(the version of adr ADR-0001, an int)")
            assert Records(session, "adrs").update(row, {"compliance_score": 0.5}, 1, "api:x").version == 2
    finally:
        engine.dispose()
