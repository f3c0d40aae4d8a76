"""``tracertm hook install PATH`` with PATH a sub-folder of its repository (a monorepo project): the hooks check and
sync that project, not the repository's top — from whatever folder ``git commit`` is typed in, and in a linked work
tree — and several projects of one repository can each be hooked. Real repositories, real ``git commit``."""

from __future__ import annotations

import shlex

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from conftest import GitRepo
from specs import adr, dump, feature
from tracertm import hooks
from tracertm.cli import main
from tracertm.models import Project


def _monorepo(repo: GitRepo) -> None:
    """``svc/`` and ``web/``, two projects: each a feature tagged with its own ADR-0001."""
    for name in ("svc", "web"):
        repo.write(f"{name}/docs/adr/0001-one.md", adr(1, f"One of {name}"))
        repo.write(f"{name}/features/f.feature", "@ADR-0001\n" + feature(1, f"F of {name}"))
    repo.commit("init")


def _commit(repo: GitRepo, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``git commit`` that may fail (the hook's verdict is the point)."""
    return subprocess.run(["git", "commit", "-q", *args], cwd=cwd or repo.path, capture_output=True, text=True,
                          check=False)


def test_the_check_hook_checks_the_sub_folder_project(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    """The audit's case: deleting an ADR the project's feature still tags is refused by the hook as by
    ``tracertm check --staged svc`` — committed from a folder below the top, and from a linked work tree."""
    _monorepo(git_repo)
    assert main(["hook", "install", str(git_repo.path / "svc")]) == 0
    assert "pre-commit: installed" in capsys.readouterr().out

    git_repo.git("rm", "-q", "svc/docs/adr/0001-one.md")
    result = _commit(git_repo, "-m", "delete ADR-0001", cwd=git_repo.path / "svc" / "features")
    assert result.returncode == 1, result.stderr
    assert "features/f.feature:1:1: tag refers to ADR-0001" in result.stdout + result.stderr
    git_repo.git("reset", "-q", "--hard")

    linked = git_repo.path.parent / "linked"
    git_repo.git("worktree", "add", "-q", str(linked), "-b", "topic")
    subprocess.run(["git", "rm", "-q", "svc/docs/adr/0001-one.md"], cwd=linked, check=True)
    result = _commit(git_repo, "-m", "delete it there", cwd=linked)
    assert result.returncode == 1, "the hook checked the linked work tree's svc/"
    assert "features/f.feature:1:1: tag refers to ADR-0001" in result.stdout + result.stderr

    # A commit that keeps the project valid passes.
    git_repo.write("svc/docs/adr/0002-two.md", adr(2, "Two"))
    git_repo.git("add", "-A")
    assert _commit(git_repo, "-m", "two").returncode == 0


def test_sync_hooks_sync_the_sub_folder_project(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _monorepo(git_repo)
    url = f"sqlite:///{tmp_path / 'hooks.db'}"
    monkeypatch.setenv("TRACERTM_DATABASE_URL", url)
    hooks.install(git_repo.path / "svc", sync_on="all")
    git_repo.write("svc/docs/adr/0002-two.md", adr(2, "Two"))
    git_repo.commit("two")  # post-commit
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            assert list(c.execute(select(Project.name)).scalars()) == ["svc"], "not a project named after the top"
        paths = sorted(r["source_path"] for r in dump(engine)["adrs"] if not r["deleted"])
        assert paths == ["docs/adr/0001-one.md", "docs/adr/0002-two.md"], "paths relative to svc/"
    finally:
        engine.dispose()


def test_two_projects_share_each_hook_and_uninstall_one_at_a_time(git_repo: GitRepo) -> None:
    _monorepo(git_repo)
    directory = git_repo.path / ".git" / "hooks"
    legacy = "#!/bin/sh\nexit 0\n"
    (directory / "pre-commit").write_text(legacy)
    (directory / "pre-commit").chmod(0o755)

    first = hooks.install(git_repo.path / "svc", sync_on="post-commit")
    assert [(c.hook, c.action) for c in first] == [
        ("pre-commit", "chained"), ("pre-commit", "installed"), ("pre-merge-commit", "installed"),
        ("post-commit", "installed"), ("post-rewrite", "installed")]
    second = hooks.install(git_repo.path / "web")  # no --sync-on: svc's sync hook stays
    assert [(c.hook, c.action) for c in second] == [("pre-commit", "updated"), ("pre-merge-commit", "updated")]
    assert [c.action for c in hooks.install(git_repo.path / "web")] == ["unchanged", "unchanged"]
    assert [c.action for c in hooks.install(git_repo.path / "svc", sync_on="post-commit")] == ["unchanged"] * 4
    assert (directory / "post-commit").exists()

    # Each project is checked: breaking either one stops the commit, and both report — each finding naming its file
    # from the top, where git runs the hooks (``features/f.feature``, the same in both projects, told nothing).
    for broken in ("svc", "web"):
        git_repo.git("rm", "-q", f"{broken}/docs/adr/0001-one.md")
        result = _commit(git_repo, "-m", f"break {broken}")
        assert result.returncode == 1, broken
        said = result.stdout + result.stderr  # (git gives a hook's output to stderr)
        findings = [line for line in said.splitlines() if "tag refers to ADR-0001" in line]
        assert [line.split(":")[0] for line in findings] == [f"{broken}/features/f.feature"], said
        assert (result.stdout + result.stderr).count(" checked, ") == 2
        git_repo.git("reset", "-q", "--hard")

    # Uninstalling one project leaves the other's hooks running.
    assert [(c.hook, c.action) for c in hooks.uninstall(git_repo.path / "web")] == [
        ("pre-commit", "updated"), ("pre-merge-commit", "updated")]
    git_repo.git("rm", "-q", "web/docs/adr/0001-one.md")
    assert _commit(git_repo, "-m", "web is not checked any more").returncode == 0
    git_repo.git("rm", "-q", "svc/docs/adr/0001-one.md")
    assert _commit(git_repo, "-m", "svc still is").returncode == 1
    git_repo.git("reset", "-q", "--hard")

    assert [(c.hook, c.action) for c in hooks.uninstall(git_repo.path / "svc")] == [
        ("pre-commit", "removed"), ("pre-commit", "restored"), ("pre-merge-commit", "removed"),
        ("post-commit", "removed"), ("post-rewrite", "removed")]
    assert (directory / "pre-commit").read_text() == legacy
    assert not (directory / "pre-merge-commit").exists() and not (directory / "post-commit").exists()


def test_the_top_and_a_sub_folder_together(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    """The top is a project like the others; ``hook uninstall`` at the top when only sub-folders are hooked still
    removes tracertm's hooks (as it always did, from anywhere in the repository)."""
    _monorepo(git_repo)
    git_repo.write("docs/adr/0001-top.md", adr(1, "Top"))
    git_repo.commit("top")
    directory = git_repo.path / ".git" / "hooks"
    hooks.install(git_repo.path)
    top_only = (directory / "pre-commit").read_text()
    assert top_only == hooks.script("pre-commit", sys.executable)
    hooks.install(git_repo.path / "svc")
    text = (directory / "pre-commit").read_text()
    assert "check --staged . ||" in text and "check --staged ./svc ||" in text
    git_repo.git("rm", "-q", "svc/docs/adr/0001-one.md")
    assert _commit(git_repo, "-m", "break svc").returncode == 1
    git_repo.git("reset", "-q", "--hard")

    hooks.uninstall(git_repo.path / "svc")
    assert (directory / "pre-commit").read_text() == top_only, "back to the top's own script"
    hooks.uninstall(git_repo.path)
    assert not (directory / "pre-commit").exists()

    hooks.install(git_repo.path / "svc")
    hooks.install(git_repo.path / "web")
    monkeypatch.chdir(git_repo.path)
    assert [c.action for c in hooks.uninstall()] == ["removed", "removed"]  # no path: the top, hooked by none


def _gone(python: str, what: str) -> str:
    return ("'tracertm hook: " + python + " (the Python that installed this hook) is gone: " + what
            + '; run "tracertm hook install" again from an environment that has tracertm, or "tracertm hook '
            "uninstall\"'")


def _lost(python: str, what: str, stop: str) -> str:
    """The guard's lines for an interpreter that no longer has tracertm (its package folder gone)."""
    folder = shlex.quote(hooks._package_folder())
    return (f"if [ ! -d {folder} ] && ! {python} -c 'import tracertm' >/dev/null 2>&1; then\n"
            "  printf '%s\\n' 'tracertm hook: " + python + " (the Python that installed this hook) no longer has "
            "tracertm: " + what + '; install tracertm in it again, or run "tracertm hook install" again from an '
            "environment that has tracertm, or \"tracertm hook uninstall\"' >&2; " + stop + "\nfi\n")


# How the scripts run a chained hook: a POSIX shell hook read by the script's shell, keeping its $0 (husky).
_RUN_CHAINED = (
    "run_chained() {\n"
    '  first=; read -r first < "$chained" || :\n'
    "  case $first in\n"
    "    '#!/bin/sh' | '#!/bin/sh '* | '#!/usr/bin/env sh' | '#!/usr/bin/env sh '*) (. \"$chained\") ;;\n"
    '    *) "$chained" "$@" ;;\n'
    "  esac\n"
    "}\n"
)


def test_the_top_level_script_is_byte_for_byte_what_it_was() -> None:
    """A hook for the top alone keeps the exact script (and so the fast ``check --staged`` command line)."""
    assert hooks.script("pre-commit", "/opt/py") == (
        "#!/bin/sh\n"
        f"{hooks.MARKER}\n"
        'chained="$(dirname "$0")/pre-commit.tracertm-chained"\n'
        "# The hook that was here before runs first; a failure stops the commit.\n"
        + _RUN_CHAINED +
        'if [ -x "$chained" ]; then run_chained "$@" || exit $?; fi\n'
        # (a gone interpreter is said in one line: tests/test_hook_interpreter_gone.py)
        "if ! command -v /opt/py >/dev/null 2>&1; then\n"
        f"  printf '%s\\n' {_gone('/opt/py', 'the commit is not checked')} >&2; exit 1\n"
        "fi\n"
        + _lost('/opt/py', 'the commit is not checked', 'exit 1') +
        "exec /opt/py -m tracertm check --staged\n"
    )
    assert hooks.script("post-merge", "/opt/py") == (
        "#!/bin/sh\n"
        f"{hooks.MARKER}\n"
        'chained="$(dirname "$0")/post-merge.tracertm-chained"\n'
        "# The hook that was here before runs first; its status is ours. A sync problem never fails git.\n"
        "status=0\n"
        + _RUN_CHAINED +
        'if [ -x "$chained" ]; then run_chained "$@" || status=$?; fi\n'
        # (a rebase in progress is passed over by ``hook sync`` itself: hooks.passed_over)
        "if ! command -v /opt/py >/dev/null 2>&1; then\n"
        f"  printf '%s\\n' {_gone('/opt/py', 'the database is not synced')} >&2; exit \"$status\"\n"
        "fi\n"
        + _lost('/opt/py', 'the database is not synced', 'exit "$status"') +
        "/opt/py -m tracertm hook sync\n"
        'exit "$status"\n'
    )
