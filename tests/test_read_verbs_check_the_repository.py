"""The read verbs check that the project named after a repository is that repository's, as ``sync`` does: a
repository never synced whose folder name is another repository's project (``/x/big`` synced, ``/y/big`` never) is
``no project for big …`` (exit 2), never the other repository's records. Identity is the root commit: a clone of
the synced repository still reads its project, a repository synced under another name (``sync --project``) reads
that one, and ``--project big`` names the project asked for, from anywhere. Two clones synced as two projects
each read their own (the work tree each sync records), and a work tree never synced reads no other one's project
that a sync there would not write to (``git worktree add``, a second clone)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import GitRepo, init_repo, run_cli
from specs import adr, feature


@pytest.fixture
def two_bigs(tmp_path: Path) -> tuple[str, GitRepo, GitRepo]:
    """A database holding the project ``big`` of ``/x/big``, and ``/y/big``: an unrelated repository (another root
    commit) of the same folder name, never synced."""
    url = f"sqlite:///{tmp_path / 'specs.db'}"
    synced = init_repo(tmp_path / "x" / "big")
    synced.write("docs/adr/0001-use-queues.md", adr(1, "Use queues"))
    synced.write("features/one.feature", feature(1, "Synced feature"))
    synced.commit("the synced one")
    assert run_cli("sync", str(synced.path), "--database-url", url).returncode == 0
    other = init_repo(tmp_path / "y" / "big")
    other.write("docs/adr/0001-use-other.md", adr(1, "Use other"))
    other.write("features/one.feature", feature(1, "Other feature"))
    other.commit("never synced")
    return url, synced, other


READS = [
    ["status"], ["list", "features"], ["list", "adrs"], ["show", "FEAT-1"], ["history", "FEAT-1"],
    ["trace", "FEAT-1"], ["matrix"], ["coverage"], ["results", "list"], ["results", "runs"],
    ["results", "unmatched"], ["review", "FEAT-1"], ["show", "FEAT-1", "--at", "HEAD"],
]


@pytest.mark.parametrize("argv", READS, ids=[" ".join(a) for a in READS])
def test_a_namesake_never_synced_reads_nothing_of_the_other(
    two_bigs: tuple[str, GitRepo, GitRepo], argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """They answered from the other repository's project, exit 0 (``sync`` there refused it rightly)."""
    url, synced, other = two_bigs
    monkeypatch.chdir(other.path)
    result = run_cli(*argv, "--database-url", url)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    database = url.removeprefix("sqlite:///")
    assert line.startswith(f"tracertm: error: no project for big in {database}; the project 'big' there belongs to "
                           f"another repository (root commit {synced.git('rev-parse', 'HEAD')[:12]}); "), line
    assert line.endswith(f"run 'tracertm sync --project NAME {other.path}' first, or name one with --project"), line


def test_a_path_names_the_repository_too(two_bigs: tuple[str, GitRepo, GitRepo]) -> None:
    url, _, other = two_bigs
    result = run_cli("show", "ADR-0001", "--path", str(other.path), "--database-url", url)
    assert result.returncode == 2 and "belongs to another repository" in result.stderr and result.stdout == ""


def test_a_clone_reads_its_project(two_bigs: tuple[str, GitRepo, GitRepo], tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    url, synced, _ = two_bigs
    clone = tmp_path / "z" / "big"
    clone.parent.mkdir()
    synced.git("clone", "-q", str(synced.path), str(clone))
    monkeypatch.chdir(clone)
    shown = run_cli("show", "FEAT-1", "--database-url", url)
    assert shown.returncode == 0 and "Synced feature" in shown.stdout, shown.stderr
    assert run_cli("coverage", "--database-url", url).returncode == 0


def test_the_project_asked_for_by_name_is_answered(two_bigs: tuple[str, GitRepo, GitRepo],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    url, _, other = two_bigs
    monkeypatch.chdir(other.path)
    shown = run_cli("show", "FEAT-1", "--project", "big", "--format", "json", "--database-url", url)
    assert shown.returncode == 0 and json.loads(shown.stdout)["name"] == "Synced feature", shown.stderr


def test_a_namesake_synced_under_its_own_name_reads_that(two_bigs: tuple[str, GitRepo, GitRepo],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The project named after the folder is another repository's; this one's (by its root commit) is answered."""
    url, _, other = two_bigs
    assert run_cli("sync", str(other.path), "--project", "big-y", "--database-url", url).returncode == 0
    monkeypatch.chdir(other.path)
    status = run_cli("status", "--format", "json", "--database-url", url)
    assert status.returncode == 0 and json.loads(status.stdout)["project"] == "big-y", status.stderr
    shown = run_cli("show", "FEAT-1", "--database-url", url)
    assert shown.returncode == 0 and "Other feature" in shown.stdout, shown.stderr
    assert run_cli("results", "runs", "--database-url", url).returncode == 0


@pytest.mark.parametrize("argv", READS, ids=[" ".join(a) for a in READS])
def test_a_repository_synced_under_several_names_says_so_and_names_them(
    two_bigs: tuple[str, GitRepo, GitRepo], argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Synced as ``big-z`` and ``big-y``, the repository was "no project for big …; run 'tracertm sync …' first",
    as if never synced, and the sync suggested would make a third project. The line names the two to pick from."""
    url, _, other = two_bigs
    for name in ("big-z", "big-y"):
        assert run_cli("sync", str(other.path), "--project", name, "--database-url", url).returncode == 0
    monkeypatch.chdir(other.path)
    result = run_cli(*argv, "--database-url", url)
    assert result.returncode == 2 and result.stdout == "", result.stdout + result.stderr
    database = url.removeprefix("sqlite:///")
    assert result.stderr == (f"tracertm: error: {other.path} is synced under several projects in {database} "
                             "(big-y, big-z); pick one with --project\n")
    shown = run_cli(*argv, "--project", "big-y", "--database-url", url)
    assert shown.returncode == 0, shown.stderr


@pytest.mark.parametrize("argv", [["status"], ["show", "FEAT-1"], ["results", "runs"]])
def test_two_clones_synced_as_two_projects_read_their_own(two_bigs: tuple[str, GitRepo, GitRepo], argv: list[str],
                                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two clones, one synced as ``a`` and the other as ``b``: both record the top as their folder, and the first
    clone was "synced under several projects (a, b)" once the second had synced. Each is its own clone's; a
    clone synced under two names still lists those (not the other clone's), and a clone gone leaves its project
    to be found where it moved."""
    url, synced, _ = two_bigs
    clones = {name: tmp_path / name / "big" for name in ("a", "b")}
    for name, clone in clones.items():
        synced.git("clone", "-q", str(synced.path), str(clone))
        assert run_cli("sync", str(clone), "--project", name, "--database-url", url).returncode == 0
    for name, clone in clones.items():
        monkeypatch.chdir(clone)
        result = run_cli(*argv, "--database-url", url)
        assert result.returncode == 0, result.stderr
        status = run_cli("status", "--format", "json", "--database-url", url)
        assert json.loads(status.stdout)["project"] == name, status.stderr
    assert run_cli("sync", str(clones["a"]), "--project", "c", "--database-url", url).returncode == 0
    monkeypatch.chdir(clones["a"])
    result = run_cli(*argv, "--database-url", url)
    assert result.returncode == 2 and "synced under several projects" in result.stderr and "(a, c);" in \
        result.stderr, result.stderr
    moved = clones["b"].rename(tmp_path / "b" / "moved")
    monkeypatch.chdir(moved)
    status = run_cli("status", "--format", "json", "--database-url", url)
    assert json.loads(status.stdout)["project"] == "b", status.stderr


def test_a_clone_moved_and_synced_as_a_no_op_leaves_the_other_clone_its_project(
        two_bigs: tuple[str, GitRepo, GitRepo], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A no-op sync records nothing, so a clone moved and synced there still records where it was: the other clone,
    which its project records, reads that project (it read "synced under several projects (a, b)"), and the moved
    one its own."""
    url, synced, _ = two_bigs
    clones = {name: tmp_path / name / "big" for name in ("a", "b")}
    for name, clone in clones.items():
        synced.git("clone", "-q", str(synced.path), str(clone))
        assert run_cli("sync", str(clone), "--project", name, "--database-url", url).returncode == 0
    moved = clones["b"].rename(tmp_path / "b" / "moved")
    assert run_cli("sync", str(moved), "--project", "b", "--database-url", url).returncode == 0
    for name, where in (("a", clones["a"]), ("b", moved)):
        monkeypatch.chdir(where)
        status = run_cli("status", "--format", "json", "--database-url", url)
        assert status.returncode == 0 and json.loads(status.stdout)["project"] == name, status.stderr


def test_the_fast_path_records_a_work_tree_once(two_bigs: tuple[str, GitRepo, GitRepo], tmp_path: Path) -> None:
    """The fast path records nothing of the project: it gives way to the engine while no work tree is recorded (a
    project an older tracertm synced), so the project learns which clone synced it; a no-op from another clone (CI
    runners of one server, each with a checkout of its own) stays on the fast path, which a full sync per runner
    would not."""
    from sqlalchemy import create_engine, select, update

    from tracertm import fastpath
    from tracertm.engine import identity
    from tracertm.models import Project

    url, synced, _ = two_bigs
    clone = tmp_path / "z" / "big"
    synced.git("clone", "-q", str(synced.path), str(clone))
    synced.git("-C", str(clone), "remote", "remove", "origin")  # (a remote of its own gives way first)
    assert fastpath.WORK_TREE_KEY == identity.WORK_TREE_KEY
    assert isinstance(fastpath.attempt(clone, project="big", database_url=url), fastpath.NoopSync)
    projects = Project.__table__
    engine = create_engine(url)
    with engine.begin() as conn:  # as a tracertm that recorded no work tree left it
        meta = conn.execute(select(projects.c.project_metadata).where(projects.c.name == "big")).scalar_one()
        meta = {k: v for k, v in meta.items() if k != identity.WORK_TREE_KEY}
        conn.execute(update(projects).where(projects.c.name == "big").values(project_metadata=meta))
    engine.dispose()
    missed = fastpath.attempt(clone, project="big", database_url=url)
    assert isinstance(missed, fastpath.Miss) and "no work tree recorded" in missed.reason, missed
    assert run_cli("sync", str(clone), "--project", "big", "--database-url", url).returncode == 0
    assert isinstance(fastpath.attempt(clone, project="big", database_url=url), fastpath.NoopSync)


def test_sync_follows_a_repository_moved_to_another_folder_as_the_reads_do(
        two_bigs: tuple[str, GitRepo, GitRepo], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``mv big big2``: ``status`` there read the project ``big`` (its folder holds no file any more), but ``sync``
    named the folder ``big2`` and forked a new project, leaving reviews and results behind. Sync follows it as the
    reads do, saying so in one line; the next sync says nothing; a clone still there is not followed."""
    url, synced, _ = two_bigs
    moved = synced.path.rename(tmp_path / "x" / "big2")
    monkeypatch.chdir(moved)
    note = (f"warning: project 'big' was synced from {tmp_path / 'x' / 'big'}, which holds no file any more: "
            "following it here; pass --project NAME to sync this folder as a new project\n")
    dry = run_cli("sync", "--dry-run", "--database-url", url)
    assert dry.returncode == 0 and dry.stdout.startswith("would sync big ") and dry.stderr == note, dry
    done = run_cli("sync", "--format", "json", "--database-url", url)
    assert done.returncode == 0 and json.loads(done.stdout)["project"] == "big", done
    assert json.loads(done.stdout)["counts"]["adr"]["created"] == 0, done.stdout
    again = run_cli("sync", "--database-url", url)
    assert again.returncode == 0 and again.stdout.startswith("synced big ") and again.stderr == "", again
    clone = tmp_path / "z" / "big3"
    subprocess.run(["git", "clone", "-q", str(moved), str(clone)], check=True, capture_output=True)
    subprocess.run(["git", "-C", str(clone), "remote", "remove", "origin"], check=True)  # (named after its folder)
    monkeypatch.chdir(clone)
    fork = run_cli("sync", "--database-url", url)
    assert fork.returncode == 0 and fork.stdout.startswith("synced big3 ") and fork.stderr == "", fork


def test_backfill_follows_a_repository_moved_to_another_folder_as_sync_does(
        two_bigs: tuple[str, GitRepo, GitRepo], tmp_path: Path) -> None:
    """``mv big big2``, then ``backfill`` there (no sync first): it named the folder ``big2`` and created that
    project, so every later sync wrote to the fork. It follows ``big`` as sync does, with the same line; then a sync
    too, saying nothing."""
    url, synced, _ = two_bigs
    moved = synced.path.rename(tmp_path / "x" / "big2")
    note = (f"warning: project 'big' was synced from {tmp_path / 'x' / 'big'}, which holds no file any more: "
            "following it here; pass --project NAME to sync this folder as a new project")
    done = run_cli("backfill", str(moved), "--quiet", "--database-url", url)
    assert done.returncode == 0 and done.stdout == "" and done.stderr == note + "\n", done
    again = run_cli("backfill", str(moved), "--format", "json", "--database-url", url)
    assert again.returncode == 0 and json.loads(again.stdout)["project"] == "big", again
    assert json.loads(again.stdout)["warnings"] == [], "it records the new folder: said once"
    after = run_cli("sync", str(moved), "--database-url", url)
    assert after.returncode == 0 and after.stdout.startswith("synced big ") and after.stderr == "", after


@pytest.mark.parametrize("second", ["worktree", "clone"])
def test_a_work_tree_never_synced_reads_nothing_of_another_synced_one(second: str, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """``q1`` never synced, a second work tree of it (``git worktree add``, or a clone) synced as ``q1-2``: the reads
    in ``q1`` answered ``q1-2``, which records the same folder of the same history, while a sync there makes a
    project ``q1`` of its own (the other work tree is still there: nothing moved). They say there is no project,
    as for any repository never synced; once synced, ``q1`` reads its own."""
    url = f"sqlite:///{tmp_path / 'specs.db'}"
    first = init_repo(tmp_path / "q1")
    first.write("docs/adr/0001-use-queues.md", adr(1, "Use queues"))
    first.write("features/one.feature", feature(1, "First feature"))
    first.commit("init")
    other = GitRepo(tmp_path / "q1-2")
    if second == "worktree":
        first.git("worktree", "add", "-q", str(other.path), "-b", "other")
    else:
        first.git("clone", "-q", str(first.path), str(other.path))
        other.git("remote", "remove", "origin")  # (named after its folder, as the worktree)
    other.write("features/one.feature", feature(1, "Other feature"))
    other.commit("other")
    assert run_cli("sync", str(other.path), "--database-url", url).returncode == 0
    monkeypatch.chdir(first.path)
    database = url.removeprefix("sqlite:///")
    for argv in READS:
        result = run_cli(*argv, "--database-url", url)
        assert result.returncode == 2 and result.stdout == "", (argv, result.stdout + result.stderr)
        assert result.stderr == (f"tracertm: error: no project for q1 in {database}; run 'tracertm sync "
                                 f"{first.path}' first, or name one with --project\n"), (argv, result.stderr)
    dry = run_cli("sync", "--dry-run", "--database-url", url)
    assert dry.returncode == 0 and dry.stdout.startswith("would sync q1 ") and dry.stderr == "", dry
    assert run_cli("sync", "--database-url", url).returncode == 0
    for where, title, name in ((first.path, "First feature", "q1"), (other.path, "Other feature", "q1-2")):
        monkeypatch.chdir(where)
        status = run_cli("status", "--format", "json", "--database-url", url)
        assert status.returncode == 0 and json.loads(status.stdout)["project"] == name, status.stderr
        shown = run_cli("show", "FEAT-1", "--database-url", url)
        assert shown.returncode == 0 and title in shown.stdout, shown.stderr
