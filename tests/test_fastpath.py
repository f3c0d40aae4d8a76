"""The no-op fast path of ``sync`` and ``hook sync`` (tracertm.fastpath): what a no-op loads, that it records the
same run as the full engine, prints the same report, and gives way to the full engine in every condition under
which the engine would write more than the run — on real git repositories, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import GitRepo, sqlite_only
from raw_sql import sql as _sql
from specs import adr, contract, feature
from tracertm import db, fastpath
from tracertm.cli import main
from tracertm.engine.sync import sync

# Modules a no-op must not import: the ORM and Core, migrations, models, validation, and every parser.
HEAVY = (
    "sqlalchemy", "alembic", "pydantic", "tracertm.models", "tracertm.engine.sync", "tracertm.engine.plan",
    "tracertm.engine.apply", "tracertm.parsers.adr", "tracertm.parsers.contract", "tracertm.parsers.feature",
    "tracertm.parsers.common", "tracertm.steps", "yaml", "gherkin", "markdown_it",
    "tracertm.git.log",  # history: a no-op walks none
)
DUMP_MODULES = (
    "import json, sys\n"
    "from tracertm.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print(json.dumps(sorted(sys.modules)))\n"
    "sys.exit(code)\n"
)


def _seed(repo: GitRepo) -> None:
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    repo.write("docs/adr/0002-use-postgres.md", adr(2, "Use PostgreSQL", extra="\nSuperseded by ADR-0001\n"))
    repo.write("contracts/payments.yaml", contract(1, "Payments"))
    repo.write("features/login.feature", feature(1, "Login"))
    repo.write("README.md", "# project\n")
    repo.commit("seed")


def _synced(repo: GitRepo, url: str, **kwargs: Any) -> None:
    """Seed and run the full engine once (what every later no-op is compared with)."""
    _seed(repo)
    result = sync(repo.path, database_url=url, **kwargs)
    assert not result.errors


def _attempt(repo: GitRepo, url: str, **kwargs: Any) -> fastpath.NoopSync | fastpath.Miss:
    return fastpath.attempt(repo.path, database_url=url, **kwargs)


def _miss(repo: GitRepo, url: str, reason: str, **kwargs: Any) -> None:
    outcome = _attempt(repo, url, **kwargs)
    assert isinstance(outcome, fastpath.Miss), f"the fast path should give way ({reason})"
    assert reason in outcome.reason


def _modules(repo: GitRepo, url: str, *argv: str) -> tuple[int, set[str]]:
    env = {k: v for k, v in os.environ.items() if k != fastpath.ENV_SWITCH}
    proc = subprocess.run(
        [sys.executable, "-c", DUMP_MODULES, *argv, str(repo.path), "--database-url", url],
        capture_output=True, text=True, env=env, check=False, timeout=120,
    )
    return proc.returncode, set(json.loads(proc.stdout.strip().splitlines()[-1]))


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def _runs(url: str) -> list[Any]:
    return _sql(url, "SELECT trigger, ref, commit_sha, status, counts, errors, started_at, finished_at "
                     "FROM sync_runs ORDER BY started_at")


# ------------------------------------------------------------------------------------------ what a no-op loads


def test_a_noop_sync_and_hook_sync_import_nothing_heavy(git_repo: GitRepo, database_url: str) -> None:
    _synced(git_repo, database_url)
    sync(git_repo.path, database_url=database_url, ref="HEAD", trigger="hook")
    code, modules = _modules(git_repo, database_url, "sync")
    assert code == 0
    assert _heavy(modules) == []
    code, modules = _modules(git_repo, database_url, "hook", "sync")
    assert code == 0
    assert _heavy(modules) == []
    # The same probe sees the engine when something changed (the test can fail): the probe is the same process on
    # either database, checked once.
    if not database_url.startswith("sqlite"):
        return
    git_repo.write("docs/adr/0003-new.md", adr(3, "New"))
    code, modules = _modules(git_repo, database_url, "sync")
    assert code == 0
    assert "sqlalchemy.orm" in modules and "tracertm.parsers.adr" in modules


# ------------------------------------------------------------------------- the same run, the same report


def _normalised_runs(url: str) -> list[tuple[Any, ...]]:
    out = []
    for trigger, ref, commit, status, counts, errors, started, finished in _runs(url):
        counts = json.loads(counts) if isinstance(counts, str) else counts
        errors = json.loads(errors) if isinstance(errors, str) else errors
        assert started is not None and finished is not None
        out.append((trigger, ref, commit, status, counts, errors))
    return out


@pytest.mark.parametrize("source", ["worktree", "staged", "ref"])
def test_the_fast_path_records_the_run_the_engine_records(
    git_repo: GitRepo, database_url: str, source: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _synced(git_repo, database_url)
    option = {"worktree": [], "staged": ["--staged"], "ref": ["--ref", "HEAD"]}[source]
    argv = ["sync", str(git_repo.path), "--database-url", database_url, *option]
    before = len(_runs(database_url))

    monkeypatch.setenv(fastpath.ENV_SWITCH, "0")  # the full engine's no-op
    assert main(argv) == 0
    full_out = capsys.readouterr().out
    full_project = _sql(database_url, "SELECT last_synced_commit FROM projects")[0][0]
    monkeypatch.delenv(fastpath.ENV_SWITCH)
    outcome = _attempt(git_repo, database_url, dry_run=True, staged=source == "staged",
                       ref="HEAD" if source == "ref" else None)
    assert isinstance(outcome, fastpath.NoopSync), outcome
    assert main(argv) == 0
    fast_out = capsys.readouterr().out

    assert fast_out == full_out
    runs = _normalised_runs(database_url)[before:]
    assert len(runs) == 2 and runs[0] == runs[1]
    assert runs[1][3] == "ok" and runs[1][4]["scenario"]["unchanged"] == 2
    assert _sql(database_url, "SELECT last_synced_commit FROM projects")[0][0] == full_project
    # The ORM reads the fast path's rows like its own (ids, timestamps, JSON).
    from tracertm.repositories.projects import Projects

    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            listed = Projects(session).sync_runs()
            assert len(listed) == before + 2
            newest = max((run for run, _ in listed), key=lambda r: r.started_at)
            assert newest.status == "ok" and newest.started_at.tzinfo is not None
            status = Projects(session).status(Projects(session).resolve(None, "repo"))
            assert status["last_run"]["status"] == "ok"
    finally:
        engine.dispose()


def test_json_output_matches_the_engine(
    git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _synced(git_repo, database_url)
    argv = ["sync", str(git_repo.path), "--database-url", database_url, "--format", "json"]
    monkeypatch.setenv(fastpath.ENV_SWITCH, "0")
    assert main(argv) == 0
    full = json.loads(capsys.readouterr().out)
    monkeypatch.delenv(fastpath.ENV_SWITCH)
    assert main(argv) == 0
    fast = json.loads(capsys.readouterr().out)
    assert full.pop("run_id") != fast.pop("run_id")
    assert fast == full


def test_a_hook_after_a_commit_without_specs_records_the_new_head(git_repo: GitRepo, database_url: str) -> None:
    _synced(git_repo, database_url, ref="HEAD", trigger="hook")
    git_repo.write("README.md", "# project, explained\n")
    head = git_repo.commit("docs only")
    assert isinstance(_attempt(git_repo, database_url, ref="HEAD", dry_run=True), fastpath.NoopSync)
    assert main(["hook", "sync", str(git_repo.path), "--database-url", database_url]) == 0
    assert _sql(database_url, "SELECT last_synced_commit FROM projects")[0][0] == head
    assert _runs(database_url)[-1][:4] == ("hook", "HEAD", head, "ok")
    # A commit that changes a spec goes through the engine and is synced.
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git", decision="We will use git everywhere."))
    head = git_repo.commit("edit")
    _miss(git_repo, database_url, "changed", ref="HEAD")
    assert main(["hook", "sync", str(git_repo.path), "--database-url", database_url]) == 0
    assert _sql(database_url, "SELECT version FROM adrs WHERE adr_number = 'ADR-0001'")[0][0] == 2
    assert _runs(database_url)[-1][:4] == ("hook", "HEAD", head, "ok")


def test_counts_with_several_projects_in_one_database(git_repo: GitRepo, database_url: str, tmp_path: Path) -> None:
    _synced(git_repo, database_url)
    other = GitRepo(tmp_path / "other")
    other.path.mkdir()
    other.git("init", "-q", "-b", "main")
    other.write("features/a.feature", feature(7, "A", {"one": ["Given x"], "two": ["Given y"], "three": ["Given z"]}))
    other.commit("other")
    sync(other.path, database_url=database_url)
    outcome = _attempt(git_repo, database_url, dry_run=True)
    assert isinstance(outcome, fastpath.NoopSync)
    full = sync(git_repo.path, database_url=database_url, dry_run=True)
    assert outcome.counts == full.counts
    outcome = _attempt(other, database_url, dry_run=True)
    assert isinstance(outcome, fastpath.NoopSync) and outcome.counts["scenario"]["unchanged"] == 3


# ------------------------------------------------------------------------------ every reason to give way


def test_changes_in_the_source_fall_through(git_repo: GitRepo, database_url: str) -> None:
    _synced(git_repo, database_url)
    assert isinstance(_attempt(git_repo, database_url), fastpath.NoopSync)
    # A modified tracked file (work tree), then the same change staged (index).
    git_repo.write("contracts/payments.yaml", contract(1, "Payments", states=("pending", "paid", "void")))
    _miss(git_repo, database_url, "contracts/payments.yaml: changed")
    git_repo.git("add", "contracts/payments.yaml")
    _miss(git_repo, database_url, "contracts/payments.yaml: changed", staged=True)
    assert isinstance(_attempt(git_repo, database_url, ref="HEAD", dry_run=True), fastpath.NoopSync)
    git_repo.git("checkout", "-q", "HEAD", "--", "contracts/payments.yaml")
    # A new untracked file, a deleted one, a renamed one.
    git_repo.write("features/new.feature", feature(2, "New"))
    _miss(git_repo, database_url, "added or removed")
    git_repo.remove("features/new.feature")
    git_repo.remove("features/login.feature")
    _miss(git_repo, database_url, "added or removed")
    git_repo.git("checkout", "-q", "HEAD", "--", "features/login.feature")
    git_repo.git("mv", "features/login.feature", "features/signin.feature")
    _miss(git_repo, database_url, "features/signin.feature: not in the file index")
    git_repo.git("mv", "features/signin.feature", "features/login.feature")
    assert isinstance(_attempt(git_repo, database_url), fastpath.NoopSync)


def test_a_deleted_file_that_comes_back_falls_through(git_repo: GitRepo, database_url: str) -> None:
    _synced(git_repo, database_url)
    git_repo.remove("docs/adr/0002-use-postgres.md")
    git_repo.commit("remove")
    assert main(["sync", str(git_repo.path), "--database-url", database_url]) == 0
    git_repo.git("revert", "--no-edit", "HEAD")
    _miss(git_repo, database_url, "added or removed")
    assert main(["sync", str(git_repo.path), "--database-url", database_url]) == 0
    assert _sql(database_url, "SELECT deleted_at FROM adrs WHERE adr_number = 'ADR-0002'")[0][0] is None


def test_stored_errors_fall_through_and_stored_warnings_only_for_json(
    git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(git_repo)
    git_repo.write("contracts/broken.yaml", "id: CTR-0009\ntitle: Broken\nstates: [a]\ntransitions:\n  - {from: a, to: z}\n")
    git_repo.write("docs/adr/0003-odd.md", adr(3, "Odd status", status="On hold"))
    git_repo.commit("broken and odd")
    sync(git_repo.path, database_url=database_url)
    _miss(git_repo, database_url, "contracts/broken.yaml: has stored errors")
    code = main(["sync", str(git_repo.path), "--database-url", database_url])
    assert code == 1 and "contracts/broken.yaml:5:" in capsys.readouterr().err
    git_repo.remove("contracts/broken.yaml")
    git_repo.commit("fixed")
    assert main(["sync", str(git_repo.path), "--database-url", database_url]) == 0
    # Only a warning is stored now: the text report does not print file warnings, the JSON one lists them.
    outcome = _attempt(git_repo, database_url, dry_run=True)
    assert isinstance(outcome, fastpath.NoopSync)
    assert "docs/adr/0003-odd.md" in [d.path for d in outcome.warnings]
    full = sync(git_repo.path, database_url=database_url, dry_run=True)
    assert [d.as_dict() for d in outcome.warnings] == [d.as_dict() for d in full.warnings]
    _miss(git_repo, database_url, "stored warnings", warnings_ok=False)


def test_an_identity_conflict_falls_through(git_repo: GitRepo, database_url: str) -> None:
    _synced(git_repo, database_url)
    git_repo.write("docs/adr/0001-copy.md", adr(1, "Use git again"))
    git_repo.commit("copy")
    sync(git_repo.path, database_url=database_url)
    _miss(git_repo, database_url, "docs/adr/0001-copy.md: has stored errors")
    git_repo.remove("docs/adr/0001-use-git.md")  # the winner goes: the other file takes the identity over
    git_repo.commit("keep the copy")
    _miss(git_repo, database_url, "added or removed")


def test_scan_errors_and_configuration_warnings_fall_through(git_repo: GitRepo, database_url: str) -> None:
    _synced(git_repo, database_url)
    outside = git_repo.path.parent / "outside.md"
    outside.write_text(adr(9, "Outside"), encoding="utf-8")
    os.symlink(outside, git_repo.path / "docs/adr/0009-outside.md")
    _miss(git_repo, database_url, "docs/adr/0009-outside.md: cannot be used")
    (git_repo.path / "docs/adr/0009-outside.md").unlink()
    git_repo.write(".tracertm.toml", 'feature_paths = ["specs/**/*.feature", "features/**/*.feature"]\n')
    _miss(git_repo, database_url, "a configured glob matches nothing")
    git_repo.write(".tracertm.toml", 'lock_timeout = "soon"\n')
    _miss(git_repo, database_url, "error: ")
    assert main(["sync", str(git_repo.path), "--database-url", database_url]) == 2


def test_the_stat_cache_of_an_untracked_file_falls_through_when_it_moves(git_repo: GitRepo, database_url: str) -> None:
    _synced(git_repo, database_url)
    git_repo.write("docs/adr/0005-draft.md", adr(5, "Draft"))
    sync(git_repo.path, database_url=database_url)
    assert isinstance(_attempt(git_repo, database_url), fastpath.NoopSync)
    st = (git_repo.path / "docs/adr/0005-draft.md").stat()
    os.utime(git_repo.path / "docs/adr/0005-draft.md", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    _miss(git_repo, database_url, "stat cache out of date")


def test_database_states_fall_through(git_repo: GitRepo, database_url: str, empty_database_url: str) -> None:
    _seed(git_repo)
    _miss(git_repo, empty_database_url, "")  # no schema (or no file) yet: the engine creates it
    _miss(git_repo, database_url, "project 'repo' not in the database")
    sync(git_repo.path, database_url=database_url)
    assert isinstance(_attempt(git_repo, database_url), fastpath.NoopSync)
    _sql(database_url, "UPDATE alembic_version SET version_num = '0001'")
    _miss(git_repo, database_url, "schema not at head")
    _sql(database_url, "UPDATE alembic_version SET version_num = :v", v=db.SCHEMA_HEAD)
    _miss(git_repo, "sqlite:///" + str(git_repo.path / "missing.db"), "no SQLite file yet")
    _miss(git_repo, "mysql://u@h/db", "database scheme 'mysql'")


def test_project_states_fall_through(git_repo: GitRepo, database_url: str, tmp_path: Path) -> None:
    _synced(git_repo, database_url, project="acme")
    assert isinstance(_attempt(git_repo, database_url, project="acme"), fastpath.NoopSync)
    _sql(database_url, "UPDATE projects SET root_commit = NULL")
    _miss(git_repo, database_url, "no root commit", project="acme")
    sync(git_repo.path, database_url=database_url, project="acme")  # adopts the identity again
    git_repo.git("remote", "add", "origin", "https://example.com/acme/payments.git")
    _miss(git_repo, database_url, "origin URL changed", project="acme")
    sync(git_repo.path, database_url=database_url, project="acme")
    assert isinstance(_attempt(git_repo, database_url, project="acme"), fastpath.NoopSync)
    # Another repository under the same name: refused by the engine, never recorded by the fast path.
    other = GitRepo(tmp_path / "other")
    other.path.mkdir()
    other.git("init", "-q", "-b", "main")
    other.write("NOTES.md", "another repository\n")  # (same files in the same second: the same root commit)
    _seed(other)
    other.git("remote", "add", "origin", "https://example.com/acme/payments.git")
    _miss(other, database_url, "project belongs to another repository", project="acme")
    assert main(["sync", str(other.path), "--database-url", database_url, "--project", "acme"]) == 2


def test_a_project_followed_to_its_moved_folder_stays_on_the_fast_path(
    git_repo: GitRepo, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After ``mv repo repo2`` a sync follows the project ``repo`` there (``engine.identity.moved_here``), but every
    later no-op ran the full engine: the fast path looked for a project named ``repo2``. It answers for the one
    project that records this work tree and folder, of this history, as the engine's no-op does, and gives way
    when that is not one project of this repository's root."""
    url = database_url
    _synced(git_repo, url)
    moved = GitRepo(git_repo.path.rename(tmp_path / "repo2"))
    _miss(moved, url, "not in the database")  # (the first: the engine follows it, saying so)
    assert main(["sync", str(moved.path), "--database-url", url]) == 0
    capsys.readouterr()
    monkeypatch.setenv(fastpath.ENV_SWITCH, "0")
    assert main(["sync", str(moved.path), "--database-url", url]) == 0
    full_out = capsys.readouterr().out
    monkeypatch.delenv(fastpath.ENV_SWITCH)
    outcome = _attempt(moved, url)
    assert isinstance(outcome, fastpath.NoopSync) and outcome.project == "repo", outcome
    assert main(["sync", str(moved.path), "--database-url", url]) == 0
    assert capsys.readouterr().out == full_out and full_out.startswith("synced repo ")
    for argv in (["hook", "sync"], ["sync", "--staged"]):
        code, modules = _modules(moved, url, *argv)  # (the engine would load SQLAlchemy)
        assert code == 0 and _heavy(modules) == [], argv
    runs = _sql(url, "SELECT p.name, r.trigger, r.ref FROM sync_runs r JOIN projects p ON p.id = r.project_id "
                     "ORDER BY r.started_at")
    assert [tuple(r) for r in runs[-4:]] == [("repo", "cli", None), ("repo", "cli", None), ("repo", "hook", "HEAD"),
                                             ("repo", "cli", "INDEX")]
    assert [r[0] for r in _sql(url, "SELECT name FROM projects")] == ["repo"]
    engine = db.make_engine(url)
    try:
        with db.write_session(engine, "repo"):  # a writer of the followed project: its lock, not repo2's
            _miss(moved, url, "")
            assert isinstance(_attempt(moved, url, dry_run=True), fastpath.NoopSync)
    finally:
        engine.dispose()
    # A root the engine would not take for this repository's (a commit of it, not its root), then two projects that
    # record the folder (the engine follows neither): given way to.
    root = _sql(url, "SELECT root_commit FROM projects")[0][0]
    moved.write("NOTES.md", "a second commit\n")
    moved.commit("second")
    _sql(url, "UPDATE projects SET root_commit = :c", c=moved.git("rev-parse", "HEAD").strip())
    _miss(moved, url, "of another history")
    _sql(url, "UPDATE projects SET root_commit = :c", c=root)
    assert main(["sync", str(moved.path), "--database-url", url]) == 0  # (HEAD moved: the engine records it)
    assert isinstance(_attempt(moved, url), fastpath.NoopSync)
    assert main(["sync", str(moved.path), "--database-url", url, "--project", "other"]) == 0
    _miss(moved, url, "no one project followed")
    _miss(moved, url, "no one project followed", dry_run=True)


def test_links_never_built_fall_through(git_repo: GitRepo, database_url: str) -> None:
    from tracertm.engine import links

    assert (fastpath.LINKS_FORMAT_KEY, fastpath.LINKS_FORMAT) == (links._FORMAT_KEY, links.LINKS_FORMAT)
    _synced(git_repo, database_url)
    _sql(database_url, "UPDATE projects SET project_metadata = '{}'")
    _miss(git_repo, database_url, "links never built")
    sync(git_repo.path, database_url=database_url)
    assert isinstance(_attempt(git_repo, database_url), fastpath.NoopSync)


def test_step_links_never_built_fall_through(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/steps/steps.py", "from behave import given\n\n@given('x')\ndef x(context):\n    pass\n")
    _synced(git_repo, database_url)
    assert isinstance(_attempt(git_repo, database_url), fastpath.NoopSync)
    key = fastpath.STEP_TYPES_KEY
    metadata = _sql(database_url, "SELECT project_metadata FROM projects")[0][0]
    metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
    assert key in metadata, "the engine keeps the key the fast path looks for"
    del metadata[key]
    _sql(database_url, "UPDATE projects SET project_metadata = :m", m=json.dumps(metadata))
    _miss(git_repo, database_url, "step links never built")


def test_other_writers_make_the_fast_path_give_way(git_repo: GitRepo, database_url: str) -> None:
    _synced(git_repo, database_url)
    _sql(database_url, "UPDATE sync_runs SET status = 'running'")
    _miss(git_repo, database_url, "registered as running")
    assert main(["sync", str(git_repo.path), "--database-url", database_url]) == 0  # marks it failed
    assert isinstance(_attempt(git_repo, database_url), fastpath.NoopSync)
    engine = db.make_engine(database_url)
    try:
        with db.write_session(engine, "repo"):  # another writer holds the project's lock
            _miss(git_repo, database_url, "")
            assert isinstance(_attempt(git_repo, database_url, dry_run=True), fastpath.NoopSync)
    finally:
        engine.dispose()


# A plain folder and the switch off are refused whatever the database: SQLite only (the fast path's reads on
# PostgreSQL: every other test here, e.g. test_changes_in_the_source_fall_through[postgresql]).
@sqlite_only
def test_options_the_fast_path_does_not_serve(git_repo: GitRepo, database_url: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _synced(git_repo, database_url)
    folder = tmp_path / "plain"
    folder.mkdir()
    _miss(GitRepo(folder), database_url, "a plain folder")
    monkeypatch.setenv(fastpath.ENV_SWITCH, "0")
    _miss(git_repo, database_url, "disabled")


def test_a_dry_run_records_nothing(git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    _synced(git_repo, database_url)
    before = _runs(database_url)
    assert main(["sync", str(git_repo.path), "--database-url", database_url, "--dry-run", "--exit-code"]) == 0
    assert capsys.readouterr().out.startswith("would sync repo from worktree (4 files, 0 parsed)")
    assert _runs(database_url) == before
