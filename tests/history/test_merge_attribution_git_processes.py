"""What attributing merges costs in git processes: a backfill of a merge-heavy history (every first-parent commit a
``--no-ff`` merge of a one-commit branch) ran three git processes per merge — the merged side's ``git log``, a
``git diff-tree -c`` for the merge's own files and a ``git rev-parse --git-path shallow`` for the shallow boundary,
constant for the run — 3,011 processes for 999 merges. Now the boundary is read once per run, every merge's own
files come from one ``git diff-tree --stdin`` process, and the merged sides of one-commit branches from one ``git
log --no-walk`` per window of commits: no process per such merge, one (the merged side's ``git log``) per merge of
a longer branch. Counted from GIT_TRACE: the difference between two histories that differ only in their number of
merges."""

from __future__ import annotations

from pathlib import Path
import pytest
from sqlalchemy import select

from conftest import GitRepo, init_repo, sqlite_only
from specs import feature
from tracertm import db
from tracertm.history.backfill import backfill
from tracertm.history.results import BackfillResult
from tracertm.models import Base

BOB = {"GIT_AUTHOR_NAME": "Bob Branch", "GIT_AUTHOR_EMAIL": "bob@example.com"}


def _merges(repo: GitRepo, lengths: list[int]) -> list[str]:
    """A seed commit, then a merge (``--no-ff``, by the repository's user) of a branch by Bob of each of ``lengths``
    commits, each editing one feature and ``pyproject.toml``; the last merge edits its feature again in the merge
    commit itself (content neither parent holds: the merger's). The merges, oldest first."""
    for n in range(1, 4):
        repo.write(f"features/f{n}.feature", feature(n, f"Feature {n}"))
    repo.commit("seed")
    merges = []
    for k, length in enumerate(lengths):
        repo.git("checkout", "-q", "-b", f"side{k}")
        n = k % 3 + 1
        for j in range(length):
            repo.write(f"features/f{n}.feature", feature(n, f"Feature {n} take {k}.{j}"))
            # A configuration file too (about something else): the settings' history reads it, needs no authors.
            repo.write("pyproject.toml", f'[project]\nname = "p"\nversion = "0.{k}.{j}"\n')
            repo.git("add", "-A")
            repo.git("commit", "-q", "-m", f"side {k}.{j}", env=BOB)
        repo.git("checkout", "-q", "main")
        repo.git("merge", "-q", "--no-ff", "--no-commit", f"side{k}")
        if k == len(lengths) - 1:  # an edit made in the merge: the merger's, told by the merge's combined diff
            repo.write(f"features/f{n}.feature", feature(n, f"Feature {n} edited in the merge"))
            repo.git("add", "-A")
        repo.git("commit", "-q", "-m", f"merge side {k}")
        merges.append(repo.head())
    return merges


def _traced_backfill(repo: GitRepo, url: str, project: str, trace: Path, monkeypatch: pytest.MonkeyPatch
                     ) -> tuple[list[str], BackfillResult]:
    """The git commands (``log``, ``diff-tree`` ...) a backfill of ``repo`` ran, one per process, from GIT_TRACE,
    and its result."""
    trace.write_text("")
    engine = db.make_engine(url)
    try:
        with monkeypatch.context() as m:
            m.setenv("GIT_TRACE", str(trace))
            result = backfill(repo.path, engine=engine, project=project)
    finally:
        engine.dispose()
    marker = "trace: built-in: git "
    return [line.split(marker, 1)[1] for line in trace.read_text().splitlines() if marker in line], result


def _authors(url: str, project: str) -> dict[str, str]:
    """The author each feature's newest git revision names, by feature number."""
    engine = db.make_engine(url)
    try:
        revs = Base.metadata.tables["spec_revisions"].c
        projects = Base.metadata.tables["projects"].c
        with engine.connect() as conn:
            rows = conn.execute(
                select(revs.number, revs.version, revs.author_name)
                .join_from(Base.metadata.tables["spec_revisions"], Base.metadata.tables["projects"],
                           revs.project_id == projects.id)
                .where(projects.name == project, revs.entity_type == "feature", revs.change != "annotated")
            ).all()
    finally:
        engine.dispose()
    return {number: author for number, _, author in sorted(rows, key=lambda r: (r[0], r[1]))}


@sqlite_only  # (git processes, whatever the database)
@pytest.mark.parametrize(("length", "per_merge"), [(1, 0), (2, 1)])
def test_a_backfill_runs_a_bounded_number_of_git_processes_per_merge(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch, length: int, per_merge: int
) -> None:
    """Merges of one-commit branches: no git process per merge (their merged sides are read together, ``prefetch``);
    of longer branches: one, the merged side's ``git log``."""
    few, many = init_repo(tmp_path / "few"), init_repo(tmp_path / "many")
    _merges(few, [length] * 2)
    _merges(many, [length] * 6)
    trace = tmp_path / "trace"
    small, _ = _traced_backfill(few, database_url, "few", trace, monkeypatch)
    large, _ = _traced_backfill(many, database_url, "many", trace, monkeypatch)

    def count(commands: list[str], start: str) -> int:
        return sum(1 for c in commands if c.startswith(start))

    assert len(large) - len(small) == 4 * per_merge, (small, large)
    assert count(large, "log --topo-order") == 6 * per_merge
    assert count(large, "diff-tree --stdin") == count(large, "diff-tree") == 1, large
    assert count(large, "rev-parse --git-path shallow") <= 2, large  # once for the merges, not once per merge
    # The attribution is unchanged: each feature's last revision names Bob, who wrote it on the branch, except the
    # one the last merge edited itself (the merger's).
    authors = _authors(database_url, "many")
    assert sorted(authors.values()).count("Bob Branch") == 2, authors
    assert len(set(authors.values()) - {"Bob Branch"}) == 1, authors


def test_merge_authors_read_through_one_process_agree_with_one_merge_at_a_time(git_repo: GitRepo) -> None:
    """``Merges`` (one diff-tree process, the boundary read once, the merged sides of one-commit branches read
    together) answers as ``merge_authors`` does, merge by merge, and ends its process when closed."""
    from tracertm import git

    merges = _merges(git_repo, [1, 2, 1, 1, 3, 1])
    paths = [f"f{n}.feature" for n in range(1, 4)]
    infos = [git.commit_info(git_repo.path, m) for m in merges]
    with git.log.Merges(git_repo.path, ("features/",)) as through_one:
        through_one.prefetch(infos)
        assert set(through_one._sides) == {merges[i] for i in (0, 2, 3, 5)}, "the one-commit branches' merges"
        together = [through_one.authors(m, paths, "features/") for m in merges]
        pid = through_one._combined._proc.pid  # type: ignore[union-attr]
    assert not Path(f"/proc/{pid}").exists(), "the diff-tree process ended (and was reaped) with the run"
    assert together == [git.merge_authors(git_repo.path, m, paths, "features/") for m in merges]
    assert [sorted(a) for a in together][:5] == [[f"f{k % 3 + 1}.feature"] for k in range(5)]
    assert {a.name for found in together[:5] for a in found.values() if a is not None} == {"Bob Branch"}
    assert together[-1] == {}, "f3, edited again in the merge itself, is the merger's"


def test_the_merges_process_ended_under_it_is_one_line_and_reaped(git_repo: GitRepo) -> None:
    """The diff-tree process killed part-way through a run: the next merge's question is one ``GitError`` line,
    the process is reaped, and later questions are refused rather than answered from a stream at an unknown place;
    a ``Scope`` cancelled meanwhile (the watch daemon's abort) is ``Cancelled``, not a broken repository."""
    import os
    import signal

    from tracertm import git
    from tracertm.errors import Cancelled, GitError

    first, second = _merges(git_repo, [1, 1])
    paths = [f"f{n}.feature" for n in range(1, 4)]
    with git.log.Merges(git_repo.path, ("features/",)) as merges:
        alone = git.merge_authors(git_repo.path, first, paths, "features/")
        assert merges.authors(first, paths, "features/") == alone
        proc = merges._combined._proc
        assert proc is not None
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        with pytest.raises(GitError, match=r"^git diff-tree failed in .*$"):
            merges.authors(second, paths, "features/")
        assert merges._combined._proc is None and proc.stdout is not None and proc.stdout.closed
        with pytest.raises(GitError, match="failed earlier"):
            merges.authors(second, paths, "features/")
    with git.Scope() as scope, git.log.Merges(git_repo.path, ("features/",)) as merges:
        merges.authors(first, paths, "features/")
        scope.cancel()  # (ends the diff-tree process; the merge's own files are asked of it)
        with pytest.raises(Cancelled):
            merges._made_by(second)


@sqlite_only  # (git processes, whatever the database)
def test_a_backfill_after_hook_syncs_of_merges_reads_no_merged_side(tmp_path: Path, database_url: str,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """After a complete backfill and a hook's ``sync --ref`` of each merge since, the backfill proves the syncs from
    the rows (``history.synced``): it reads which commits changed spec files, not who wrote them — no merged side's
    ``git log`` (it ran one per merge)."""
    from tracertm.engine.sync import sync

    repo = init_repo(tmp_path / "repo")
    _merges(repo, [1])
    engine = db.make_engine(database_url)
    try:
        backfill(repo.path, engine=engine, project="p")
        for k in range(1, 4):
            repo.git("checkout", "-q", "-b", f"more{k}")
            repo.write("features/f1.feature", feature(1, f"Feature 1 more {k}"))
            repo.git("commit", "-q", "-am", f"more {k}", env=BOB)
            repo.git("checkout", "-q", "main")
            repo.git("merge", "-q", "--no-ff", "-m", f"merge more {k}", f"more{k}")
            sync(repo.path, engine=engine, ref="HEAD", project="p")
    finally:
        engine.dispose()
    trace = tmp_path / "trace"
    commands, result = _traced_backfill(repo, database_url, "p", trace, monkeypatch)
    assert (result.mode, result.replayed) == ("merged", 0), result
    assert not [c for c in commands if c.startswith("log --topo-order")], commands


def test_an_interrupt_while_the_merges_process_answers_goes_on_as_it_is(git_repo: GitRepo,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C (a ``KeyboardInterrupt``) while an answer is read ends the diff-tree process and goes on as an
    interrupt — not as a git failure, which the CLI would print as one."""
    from tracertm import git

    (first,) = _merges(git_repo, [1])

    def interrupted(out: object) -> frozenset[str]:
        raise KeyboardInterrupt

    with git.log.Merges(git_repo.path, ("features/",)) as merges:
        merges._made_by(first)
        proc = merges._combined._proc
        monkeypatch.setattr(git.log, "_combined_paths", interrupted)
        with pytest.raises(KeyboardInterrupt):
            merges._made_by(first)
        assert merges._combined._proc is None and proc is not None and proc.poll() is not None
