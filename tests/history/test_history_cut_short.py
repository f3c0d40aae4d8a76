"""A history whose ``git log`` output is cut short — git killed (by the OOM killer, a ``kill`` of its process group)
or cancelled part-way — must end in an error, never in a last commit that changed fewer files than it did, or a
file with half its name. ``git.history`` yielded the commit it was reading when the output ended before it looked
at git's exit status, and a record cut inside its header or a change line raised ``RuntimeError`` (a
``StopIteration`` inside a generator) or ``IndexError``.

The cut is made by a ``git`` of the test's first on ``PATH``: the real git, except that the history's ``git log``
writes its whole output to a file, passes on all of it but the last ``CUT`` bytes and kills itself."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from conftest import GitRepo
from specs import adr, feature
from test_backfill_promise import _state, from_scratch
from tracertm import db, git
from tracertm.cli import main
from tracertm.errors import Cancelled, GitError
from tracertm.history.backfill import backfill

PREFIXES = ("docs/adr/", "features/")


def _three_commits(repo: GitRepo) -> list[str]:
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    repo.commit("one ADR")
    for n in range(2, 6):
        repo.write(f"docs/adr/{n:04d}-adr-number-{n}.md", adr(n, f"ADR number {n}"))
    repo.commit("four ADRs")
    for n in range(1, 6):
        repo.write(f"features/feature-number-{n}.feature", feature(n, f"Feature number {n}"))
    repo.commit("five features")
    return repo.git("rev-list", "--reverse", "HEAD").split()


def _cutting_git(folder: Path, monkeypatch: pytest.MonkeyPatch, cut: int) -> None:
    """Put first on ``PATH`` a git whose ``git log --raw`` (the history's) dies with all but ``cut`` bytes written."""
    real = shutil.which("git")
    assert real is not None
    folder.mkdir()
    script = folder / "git"
    script.write_text(
        "#!/bin/sh\n"
        'case " $* " in *" log "*" --raw "*)\n'
        f'  out="{folder}/out.$$"\n'
        f'  \'{real}\' "$@" > "$out" || exit $?\n'
        f'  head -c $(( $(wc -c < "$out") - {cut} )) "$out"\n'
        '  rm -f "$out"\n'
        "  kill -KILL $$;;\n"
        "esac\n"
        f'exec \'{real}\' "$@"\n'
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")


# Bytes left out: the last path's NUL only, inside the last path, inside its change line, a whole change and more.
@pytest.mark.parametrize("cut", [1, 5, 30, 60, 130, 400])
def test_a_history_cut_short_ends_in_an_error_after_whole_commits_only(git_repo: GitRepo, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch,
                                                                       cut: int) -> None:
    _three_commits(git_repo)
    whole = list(git.history(git_repo.path, ["HEAD"], PREFIXES))
    assert [len(c.changes) for c in whole] == [1, 4, 5]
    _cutting_git(tmp_path / "bin", monkeypatch, cut)
    seen = []
    with pytest.raises(GitError, match="git log failed"):
        for commit in git.history(git_repo.path, ["HEAD"], PREFIXES):
            seen.append(commit)
    assert seen == whole[:len(seen)] and len(seen) < len(whole)


def test_a_cancelled_history_ends_in_cancelled_after_whole_commits_only(git_repo: GitRepo) -> None:
    _three_commits(git_repo)
    whole = list(git.history(git_repo.path, ["HEAD"], PREFIXES))
    seen = []
    with git.Scope() as scope, pytest.raises(Cancelled):
        for commit in git.history(git_repo.path, ["HEAD"], PREFIXES):
            seen.append(commit)
            scope.cancel()  # git has written its (small) output already: what is in the pipe is read on
    assert seen == whole[:len(seen)] and len(seen) < len(whole)


def test_a_backfill_whose_history_is_cut_short_fails_in_a_line_and_the_next_one_completes_it(
        git_repo: GitRepo, database_url: str, other_database_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _three_commits(git_repo)
    expected = from_scratch(git_repo, other_database_url)
    with monkeypatch.context() as patched:
        _cutting_git(tmp_path / "bin", patched, 30)
        code = main(["backfill", str(git_repo.path), "--database-url", database_url, "--project", "p",
                     "--batch-size", "1"])
    err = capsys.readouterr().err
    assert code != 0 and "git log failed" in err and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1, err
    engine = db.make_engine(database_url)
    try:
        backfill(git_repo.path, engine=engine, project="p")
        assert _state(engine) == expected
    finally:
        engine.dispose()
