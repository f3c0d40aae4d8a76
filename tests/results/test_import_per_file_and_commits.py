"""Fixes of the results import (real git repositories, SQLite and PostgreSQL): lines at a commit no sync recorded,
the duplicate check per file, one spelling per commit, cucumber-jvm's ``file:`` URIs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from apikit import api_client, make_token
from conftest import GitRepo, force_streaming, sqlite_only
from tracertm import db
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.errors import UsageError
from tracertm.models import Scenario, TestResult, TestRun
from tracertm.results import import_results
from tracertm.results.mapping import normalize_path


def _session(database_url: str):  # type: ignore[no-untyped-def]
    return db.session(db.make_engine(database_url))


def _results(database_url: str) -> list[tuple[str, str | None, str | None, str]]:
    """(test title, scenario title, match rule, status) of every stored result, sorted."""
    from tracertm.models import TestCase

    with _session(database_url) as session:
        rows = session.execute(
            select(TestCase.title, Scenario.title, TestResult.match_rule, TestResult.status)
            .join(TestCase, TestResult.test_case_id == TestCase.id)
            .outerjoin(Scenario, TestResult.scenario_id == Scenario.id)
        ).all()
    return sorted((a, b, c, d) for a, b, c, d in rows)


# A test about something above the database (CLI wording, a usage error, a URI's spelling) runs on SQLite alone: the
# import's store path (duplicate check, results written, commit stored lower-case) runs on PostgreSQL in
# test_a_file_imported_before_is_skipped_alone_twice_or_with_new_files and
# test_one_commit_written_three_ways_is_one_commit_and_flaky.


def _runs(database_url: str) -> int:
    with _session(database_url) as session:
        return int(session.execute(select(func.count()).select_from(TestRun)).scalar_one())


# ------------------------------------------------------------------------- 1. lines at a commit no sync recorded

ALPHA = "Feature: Alpha\n\n  Scenario: First\n    Given x\n\n  Scenario: Second\n    Given y\n"


def _cucumber(uri: str, elements: list[tuple[str, int, str]]) -> bytes:
    """A Cucumber JSON report of one feature: (scenario name, line, status) per element."""
    return json.dumps([{
        "uri": uri, "id": "alpha", "name": "Alpha", "line": 1, "keyword": "Feature",
        "elements": [{
            "id": f"alpha;{name.lower().replace(' ', '-')}", "name": name, "line": line, "type": "scenario",
            "keyword": "Scenario",
            "steps": [{"keyword": "Given ", "name": "x", "line": line + 1,
                       "result": {"status": status, "duration": 1}}],
        } for name, line, status in elements],
    }]).encode()


@pytest.fixture
def moved(git_repo: GitRepo, database_url: str) -> Iterator[dict[str, str]]:
    """c1 adds two scenarios, c2 changes no spec file, c3 inserts a scenario above them; synced at c1 and c3."""
    git_repo.write("features/a.feature", ALPHA)
    c1 = git_repo.commit("c1")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="alpha").errors
    git_repo.write("README", "readme\n")
    c2 = git_repo.commit("c2: no spec change")
    git_repo.write("features/a.feature", ALPHA.replace("  Scenario: First", "  Scenario: Zero\n    Given z\n\n"
                                                       "  Scenario: First"))
    c3 = git_repo.commit("c3: a scenario inserted above")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="alpha").errors
    yield {"c1": c1, "c2": c2, "c3": c3}


def test_an_upload_for_a_commit_no_sync_recorded_never_links_a_line_to_another_name(
    moved: dict[str, str], database_url: str,
) -> None:
    """No repository, and no revision recorded at c2: the lines known are those of c3, where line 3 is "Zero". The
    report names "First" there: the name decides, not the line."""
    report = _cucumber("features/a.feature", [("First", 3, "failed"), ("Second", 6, "passed")])
    summary = import_results(database_url, "alpha", [("c2.json", report)], commit=moved["c2"])
    assert summary.matched == {"tag": 0, "line": 0, "name": 2}
    assert _results(database_url) == [("First", "First", "name", "failed"), ("Second", "Second", "name", "passed")]


def test_with_the_repository_the_lines_of_that_commit_match_by_line(moved: dict[str, str], database_url: str,
                                                                    git_repo: GitRepo) -> None:
    report = _cucumber("features/a.feature", [("First", 3, "failed"), ("Second", 6, "passed")])
    summary = import_results(database_url, "alpha", [("c2.json", report)], commit=moved["c2"], repo=git_repo.path)
    assert summary.matched == {"tag": 0, "line": 2, "name": 0}
    assert _results(database_url) == [("First", "First", "line", "failed"), ("Second", "Second", "line", "passed")]


def test_the_revisions_of_a_recorded_commit_are_found_whatever_its_spelling(
    moved: dict[str, str], database_url: str,
) -> None:
    """c1 is recorded: its revisions give the lines, for the id in capitals too (stored and looked up lower-case)."""
    report = _cucumber("features/a.feature", [("First", 3, "failed"), ("Second", 6, "passed")])
    summary = import_results(database_url, "alpha", [("c1.json", report)], commit=moved["c1"].upper())
    assert summary.matched == {"tag": 0, "line": 2, "name": 0}
    assert summary.commit == moved["c1"]


# ------------------------------------------------------------------------------------ 2. duplicates, per file

LOGIN = ("Feature: Login\n\n  Scenario: Good password\n    Given a user\n\n"
         "  Scenario: Bad password\n    Given a user\n\n  Scenario: No password\n    Given a user\n")


@pytest.fixture
def login(git_repo: GitRepo, database_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    git_repo.write("features/login.feature", LOGIN)
    git_repo.commit("login")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="login").errors
    files = {}
    for name, test in (("a", "good"), ("b", "bad"), ("c", "no")):
        files[name] = tmp_path / f"{name}.xml"
        files[name].write_text(f'<testsuite name="{name}"><testcase classname="tests.test_login" '
                               f'name="test_{test}_password"/></testsuite>')
    yield {"repo": git_repo, **files}


def test_a_file_imported_before_is_skipped_alone_twice_or_with_new_files(
    login: dict[str, Any], database_url: str,
) -> None:
    a, b, c, head = login["a"], login["b"], login["c"], login["repo"].head()
    first = import_results(database_url, "login", [a, b], commit=head)
    assert not first.duplicate and first.total == 2

    again = import_results(database_url, "login", [a], commit=head)  # one file of an earlier import of two
    assert (again.duplicate, again.run_id, again.files) == (True, first.run_id, [str(a)])
    twice = import_results(database_url, "login", [a, a], commit=head)  # the same path named twice
    assert (twice.duplicate, twice.run_id, twice.files) == (True, first.run_id, [str(a)])
    spelled = import_results(database_url, "login", [a, a.parent / "." / a.name, b], commit=head)
    assert (spelled.duplicate, spelled.run_id) == (True, first.run_id)
    assert _runs(database_url) == 1

    mixed = import_results(database_url, "login", [b, c], commit=head)  # b was imported: c alone goes in
    assert not mixed.duplicate and mixed.run_id != first.run_id
    assert (mixed.skipped, mixed.files, mixed.total) == ([str(b)], [str(c)], 1)
    assert import_results(database_url, "login", [c], commit=head).duplicate
    assert _runs(database_url) == 2
    assert [(test, status) for test, _s, _r, status in _results(database_url)] == [
        ("test_bad_password", "passed"), ("test_good_password", "passed"), ("test_no_password", "passed")]
    with _session(database_url) as session:
        good = session.execute(select(Scenario).where(Scenario.title == "Good password")).scalar_one()
        assert good.execution_count == 1


def test_a_duplicate_upload_part_counts_once(login: dict[str, Any], database_url: str) -> None:
    data = login["a"].read_bytes()
    summary = import_results(database_url, "login", [("one.xml", data), ("two.xml", data)])
    assert summary.total == 1 and not summary.duplicate
    assert import_results(database_url, "login", [("three.xml", data)]).duplicate


def test_the_streamed_path_knows_a_file_of_an_earlier_import_of_several(
    login: dict[str, Any], database_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = import_results(database_url, "login", [login["a"], login["b"]])
    forced = force_streaming(monkeypatch, 1, 1)
    again = import_results(database_url, "login", [login["b"]])
    assert forced == ["streamed"], "one JUnit file: the streamed path's own duplicate check"
    assert (again.duplicate, again.run_id) == (True, first.run_id)
    assert _runs(database_url) == 1


@sqlite_only
def test_the_cli_says_already_imported_and_exits_0(
    login: dict[str, Any], database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(login["repo"].path)
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    monkeypatch.delenv("GITHUB_SHA", raising=False)
    monkeypatch.delenv("CI_COMMIT_SHA", raising=False)
    assert main(["results", "import", str(login["a"]), str(login["b"]), "--project", "login"]) == 0
    capsys.readouterr()
    assert main(["results", "import", str(login["a"]), str(login["a"]), "--project", "login"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{login['a']}: already imported as run ") and out.rstrip().endswith("nothing added")
    assert _runs(database_url) == 1
    assert main(["results", "import", str(login["b"]), str(login["c"]), "--project", "login"]) == 0
    out = capsys.readouterr().out  # the new file goes in; the one imported before is named as skipped
    assert out.startswith(f"{login['b']}: already imported; skipped\nimported 1 results into run ")
    assert main(["results", "import", str(login["a"]), str(login["c"]), "--project", "login", "--output", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["duplicate"] is True


def test_files_of_different_runs_imported_again_name_each_its_own_run(
    login: dict[str, Any], database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    """a.xml and b.xml imported as two runs, then together: each is named with its run (it said "a.xml, b.xml:
    already imported as run <a's>"), in the summary, the CLI and the API's answer; one file's duplicate too,
    streamed."""
    a, b, c = login["a"], login["b"], login["c"]
    first = import_results(database_url, "login", [a, c])
    second = import_results(database_url, "login", [b])
    both = import_results(database_url, "login", [a, b, c])
    assert (both.duplicate, both.run_id) == (True, first.run_id)
    assert [(run.run_id, run.files) for run in both.earlier_runs] == [
        (first.run_id, [str(a), str(c)]), (second.run_id, [str(b)])]
    monkeypatch.chdir(login["repo"].path)
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    assert main(["results", "import", str(b), str(a), "--project", "login"]) == 0
    assert capsys.readouterr().out == (f"{b}: already imported as run {str(second.run_id)[:8]}; "
                                       f"{a}: already imported as run {str(first.run_id)[:8]}; nothing added\n")
    forced = force_streaming(monkeypatch, 1, 1)
    alone = import_results(database_url, "login", [b])
    assert forced == ["streamed"] and [(run.run_id, run.files) for run in alone.earlier_runs] == [
        (second.run_id, [str(b)])]
    with api_client(database_url) as client:
        answer = client.post("/api/v1/projects/login/test-runs",
                             files=[("file", (path.name, path.read_bytes(), "application/xml")) for path in (a, b)],
                             headers={"Authorization": f"Bearer {make_token(database_url)}"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["run"]["id"] == str(first.run_id)
    assert [(run["run_id"], run["files"]) for run in answer.json()["summary"]["earlier_runs"]] == [
        (str(first.run_id), ["a.xml"]), (str(second.run_id), ["b.xml"])]
    assert _runs(database_url) == 2


# ------------------------------------------------------------------------------- 3. one spelling per commit


def test_one_commit_written_three_ways_is_one_commit_and_flaky(login: dict[str, Any], database_url: str) -> None:
    repo: GitRepo = login["repo"]
    sha = repo.head()
    passed = b'<testsuite><testcase classname="tests.test_login" name="test_good_password"/></testsuite>'
    failed = (b'<testsuite><testcase classname="tests.test_login" name="test_good_password"><failure message="x"/>'
              b'</testcase></testsuite>')
    short = import_results(database_url, "login", [("r1.xml", passed)], commit=sha[:8], repo=repo.path)
    upper = import_results(database_url, "login", [("r2.xml", failed)], commit=sha.upper())
    assert short.commit == upper.commit == sha
    with _session(database_url) as session:
        assert session.execute(select(TestRun.commit_sha).distinct()).scalars().all() == [sha]
        good = session.execute(select(Scenario).where(Scenario.title == "Good password")).scalar_one()
        assert good.flaky is True, "one commit has a passing and a failing run"


@sqlite_only
def test_an_abbreviated_commit_without_the_repository_is_refused(login: dict[str, Any], database_url: str,
                                                                 tmp_path: Path) -> None:
    sha = login["repo"].head()
    data = login["a"].read_bytes()
    for repo in (None, tmp_path / "elsewhere"):  # no repository, or a folder that is none
        if repo is not None:
            repo.mkdir()
        with pytest.raises(UsageError) as caught:
            import_results(database_url, "login", [("r.xml", data)], commit=sha[:8], repo=repo)
        message = str(caught.value)
        assert message.startswith(f"--commit '{sha[:8]}': ") and "full 40-digit" in message and "\n" not in message
    with pytest.raises(UsageError, match="--commit 'ffffffff': no single commit"):  # the repository lacks it
        import_results(database_url, "login", [("r.xml", data)], commit="ffffffff", repo=login["repo"].path)
    assert _runs(database_url) == 0
    kept = import_results(database_url, "login", [("r.xml", data)], commit="F" * 40)  # a full id: as it is
    assert kept.commit == "f" * 40


@sqlite_only
def test_a_branch_tag_or_head_is_its_commit_inside_the_repository(login: dict[str, Any], database_url: str) -> None:
    """As ``results import --commit`` takes them: a name git resolves in ``repo`` is stored as its commit's id;
    without the repository, or one git does not resolve there, it is refused as before."""
    repo: GitRepo = login["repo"]
    sha = repo.head()
    repo.git("tag", "v1")
    data = login["a"].read_bytes()
    for n, name in enumerate(("HEAD", "v1", "main")):  # (three reports: the same one again would be skipped)
        report = data + f"<!-- {n} -->".encode()
        assert import_results(database_url, "login", [(f"r{n}.xml", report)], commit=name, repo=repo.path).commit \
            == sha
    for repo_path in (None, repo.path):
        with pytest.raises(UsageError) as caught:
            import_results(database_url, "login", [("r4.xml", data)], commit="no-such-branch", repo=repo_path)
        assert str(caught.value).startswith("--commit 'no-such-branch': not a commit id; ")
    assert _runs(database_url) == 3


# --------------------------------------------------------------------------------- 4. cucumber-jvm file: URIs


@pytest.mark.parametrize(("uri", "path"), [
    ("file:features/dup.feature", "features/dup.feature"),
    ("file:/home/ci/project/features/dup.feature", "/home/ci/project/features/dup.feature"),
    ("file:///home/ci/project/features/dup.feature", "/home/ci/project/features/dup.feature"),
    ("file://features/dup.feature", "features/dup.feature"),
    ("classpath:features/dup.feature", "features/dup.feature"),
    ("file:C:\\ci\\features\\dup.feature", "C:/ci/features/dup.feature"),
    ("./features/dup.feature", "features/dup.feature"),
])
def test_normalize_path_strips_the_runners_prefixes(uri: str, path: str) -> None:
    assert normalize_path(uri) == path


DUP = "Feature: Dup\n\n  Scenario: Same name\n    Given a\n\n  Scenario: Same name\n    Given b\n"


@pytest.mark.parametrize(("database_url", "uri"), [  # the second spelling on SQLite alone: how it reads is above
    ("sqlite", "file:features/dup.feature"),       # the database, and the first runs the same store path on both
    ("postgresql", "file:features/dup.feature"),
    ("sqlite", "file:/ci/work/features/dup.feature"),
], indirect=["database_url"])
def test_cucumber_jvm_file_uris_match_by_file_and_line(git_repo: GitRepo, database_url: str, uri: str) -> None:
    """Two scenarios of one name: only the line tells them apart."""
    git_repo.write("features/dup.feature", DUP)
    git_repo.commit("dup")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="dup").errors
    report = json.dumps([{"uri": uri, "id": "dup", "keyword": "Feature", "name": "Dup", "line": 1, "elements": [
        {"id": "dup;same-name", "keyword": "Scenario", "name": "Same name", "line": line, "type": "scenario",
         "steps": [{"keyword": "Given ", "name": step, "line": line + 1, "result": {"status": status}}]}
        for line, step, status in ((3, "a", "passed"), (6, "b", "failed"))]}]).encode()
    for repo, tail in ((git_repo.path, b""), (None, b"\n")):  # another file (the same one would be a duplicate)
        summary = import_results(database_url, "dup", [("jvm.json", report + tail)], commit=git_repo.head(), repo=repo)
        assert summary.matched == {"tag": 0, "line": 2, "name": 0} and summary.unmatched == 0
    with _session(database_url) as session:
        rows = session.execute(
            select(Scenario.scenario_number, TestResult.status).join(Scenario, TestResult.scenario_id == Scenario.id)
        ).all()
    assert sorted(set(rows)) == [("Same name", "passed"), ("Same name#2", "failed")]
