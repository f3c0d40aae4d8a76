"""``tracertm diff --project NAME`` run from the repository's top, for a project synced from a sub-folder of it
(``tracertm sync svc/b``: its paths are relative to ``svc/b/``). An audit found the parse method parsed the top's
folder — "no spec changes" where the history method reported the update — and the history method looked for the
files the backfill met broken under the top, so it never reported them. The project's folder is found as ``show
--at`` finds it (``project_root.spec_root``): the same answer by both methods. Real git, SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import GitRepo, run_cli
from specs import adr
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill
from tracertm.trace.diff import diff

PATH = "svc/b/docs/adr/0001-use-x.md"


def _changes(result: Any) -> list[tuple[Any, ...]]:
    return [(c.action, c.kind, c.id, c.path, c.fields) for c in result.changes]


def test_both_methods_read_the_projects_folder(git_repo: GitRepo, engine: Any, database_url: str) -> None:
    git_repo.write(PATH, adr(1, "Use X"))
    first = git_repo.commit("one")
    git_repo.write(PATH, adr(1, "Use X", decision="We use X and Y."))
    second = git_repo.commit("two")
    sync(git_repo.path / "svc/b", engine=engine)
    expected = [("updated", "adr", "ADR-0001", "docs/adr/0001-use-x.md", ("decision",))]
    parsed = diff(git_repo.path, first, second, method="parse", project="b", database_url=database_url)
    assert _changes(parsed) == expected
    backfill(git_repo.path / "svc/b", engine=engine)
    for method in ("auto", "history"):
        recorded = diff(git_repo.path, first, second, method=method, project="b", database_url=database_url)
        assert (recorded.method, _changes(recorded)) == ("history", expected), method


def test_a_file_broken_at_a_commit_is_reported_by_both_methods(
    git_repo: GitRepo, engine: Any, database_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    git_repo.write(PATH, adr(1, "Use X"))
    first = git_repo.commit("one")
    git_repo.write("svc/b/contracts/money-back.yaml", "id: CTR-0001\ntitle: [unclosed\n")
    second = git_repo.commit("broken")
    backfill(git_repo.path / "svc/b", engine=engine)
    found = {}
    for method in ("parse", "history"):
        result = diff(git_repo.path, first, second, method=method, project="b", database_url=database_url)
        found[method] = [(d.path, d.severity) for d in result.errors]
    assert found["parse"] == found["history"] == [("contracts/money-back.yaml", "error")], found
    monkeypatch.chdir(git_repo.path)  # the command line, from the top: exit 1 for the file that does not parse
    done = run_cli("diff", first, second, "--project", "b", "--database-url", database_url, "--method", "history")
    assert done.returncode == 1 and "contracts/money-back.yaml" in done.stderr, (done.stdout, done.stderr)


def test_the_folder_the_project_records_is_read_where_the_paths_tie(
    git_repo: GitRepo, engine: Any, database_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two services of the same layout synced under names neither folder gives (``--project x`` from svc/a): their
    paths tie and no folder name breaks it, so no folder was found and the top was parsed ("no spec changes"). The
    folder each sync recorded (``spec_root``) answers."""
    for service in ("a", "b"):
        git_repo.write(f"svc/{service}/docs/adr/0001-use-x.md", adr(1, f"Use X in {service}"))
    first = git_repo.commit("one")
    git_repo.write("svc/a/docs/adr/0001-use-x.md", adr(1, "Use X in a", decision="We use X and Y."))
    second = git_repo.commit("two")
    sync(git_repo.path / "svc/a", project="x", engine=engine)
    sync(git_repo.path / "svc/b", project="y", engine=engine)
    expected = [("updated", "adr", "ADR-0001", "docs/adr/0001-use-x.md", ("decision",))]
    assert _changes(diff(git_repo.path, first, second, method="parse", project="x", database_url=database_url)) == \
        expected
    assert _changes(diff(git_repo.path, first, second, method="parse", project="y", database_url=database_url)) == []
    monkeypatch.chdir(git_repo.path)
    done = run_cli("diff", first, second, "--project", "x", "--method", "parse", "--database-url", database_url)
    assert done.returncode == 0 and "updated  adr" in done.stdout, (done.stdout, done.stderr)


def test_an_undated_revision_of_a_sub_folder_project_is_refused_with_what_helps(
    git_repo: GitRepo, engine: Any, database_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An edit synced uncommitted, then committed otherwise, of a project of a sub-folder: the refusal said to run
    'tracertm backfill' (done already, and from the top it reads the top's files); no backfill dates that edit."""
    git_repo.write("svc/.tracertm.toml", 'project = "team svc"\n')
    git_repo.write("svc/docs/adr/0001-use-x.md", adr(1, "Use X"))
    git_repo.commit("A")
    sync(git_repo.path / "svc", engine=engine)
    git_repo.write("svc/docs/adr/0001-use-x.md", adr(1, "Use X", decision="We use X."))
    sync(git_repo.path / "svc", engine=engine)  # never committed so
    git_repo.write("svc/docs/adr/0001-use-x.md", adr(1, "Use X", decision="We use Y."))
    git_repo.commit("Y")
    for _ in range(2):
        backfill(git_repo.path / "svc", project="team svc", engine=engine)
    monkeypatch.chdir(git_repo.path)
    done = run_cli("diff", "HEAD~1", "--project", "team svc", "--database-url", database_url, "--method", "history")
    assert done.returncode == 2 and done.stderr == (
        "tracertm: error: diff --method history: ADR-0001 has a revision synced from uncommitted files (a work tree "
        "or index that differed from HEAD), which no commit dates, so the revisions cannot tell its state at "
        "HEAD~1; use --method parse\n"), done.stderr


def test_each_commit_is_read_in_the_projects_folder_there(
    git_repo: GitRepo, engine: Any, database_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two services of one layout in a monorepo. An exploratory test found ``--project b`` read svc/a once svc/b
    held no spec ("no spec changes" for the commit deleting b's ADRs; after svc/a moved, a's ADRs "created" as b's),
    and ``--project a`` across the move read svc/c at both commits (all "created"). Each commit is read in the
    project's folder there, and a folder another project records or is named after is not b's."""
    names = {1: "Use X", 2: "Use Y"}
    for service in ("a", "b"):
        git_repo.write(f"svc/{service}/README.md", "A service.\n")
        for n, title in names.items():
            git_repo.write(f"svc/{service}/docs/adr/000{n}-use-x.md", adr(n, title))
    git_repo.commit("one")
    sync(git_repo.path / "svc/a", engine=engine)
    sync(git_repo.path / "svc/b", engine=engine)
    git_repo.git("rm", "-rq", "svc/b/docs")
    git_repo.commit("b's specs removed")
    sync(git_repo.path / "svc/b", engine=engine)
    deleted = [("deleted", "adr", f"ADR-000{n}", f"docs/adr/000{n}-use-x.md", ()) for n in names]
    assert _changes(diff(git_repo.path, "HEAD~1", "HEAD", method="parse", project="b",
                         database_url=database_url)) == deleted
    git_repo.git("mv", "svc/a", "svc/c")
    git_repo.write("svc/c/docs/adr/0001-use-x.md", adr(1, "Use X", decision="We use X and Y."))
    git_repo.commit("svc/a moved to svc/c, and an ADR edited")
    sync(git_repo.path / "svc/c", project="a", engine=engine)
    assert _changes(diff(git_repo.path, "HEAD~1", "HEAD", method="parse", project="b",
                         database_url=database_url)) == []
    assert _changes(diff(git_repo.path, "HEAD~1", "HEAD", method="parse", project="a",
                         database_url=database_url)) == [
        ("updated", "adr", "ADR-0001", "docs/adr/0001-use-x.md", ("decision",))]
    monkeypatch.chdir(git_repo.path)
    done = run_cli("diff", "HEAD~2", "HEAD~1", "--project", "b", "--database-url", database_url)
    assert done.returncode == 0 and done.stdout.count("deleted  adr") == 2, (done.stdout, done.stderr)
