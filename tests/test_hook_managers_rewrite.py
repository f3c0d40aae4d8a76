"""Native hooks after a hook manager wrote its hooks again over them: husky 9's ``prepare`` (``husky``, which every
``npm install`` runs) writes each hook of ``.husky/_`` afresh, and ``lefthook install`` moves a hook not its own to
``<hook>.old``. tracertm's script is gone then, and the hook it chained is left as ``<hook>.tracertm-chained``:
``hook install`` again chains the manager's new hook in its place when the two are the same, and ``hook uninstall``
leaves exactly the manager's hooks.

husky and lefthook are the real ones, pinned in ``tests/hook_managers/package.json`` and installed there by ``npm
install`` on first use (its ``.npmrc``: no install scripts, since lefthook's postinstall would hook this repository);
without npm or the registry these tests skip, unless ``TRACERTM_REQUIRE_NODE=1`` (CI, whenever npm exists) makes
them fail."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import GitRepo, run_cli
from specs import adr, feature

MANAGERS = Path(__file__).resolve().parent / "hook_managers"
BIN = MANAGERS / "node_modules" / ".bin"
# npm's own configuration (a CA file, a proxy, a registry mirror) is in the real home's .npmrc: the tests' home is
# a temporary one (conftest.isolate), so npm runs with the one this process started with.
NPM_HOME = os.environ.get("HOME", "")
BROKEN = "@FEAT-9\nFeature: Broken\n  Scenario: s\n    Given a\n  Oops\n"


def _missing(why: str) -> None:
    if os.environ.get("TRACERTM_REQUIRE_NODE") == "1":
        pytest.fail(f"TRACERTM_REQUIRE_NODE=1 but {why}")
    pytest.skip(why)


@pytest.fixture(scope="session")
def managers() -> Path:
    """The folder of the husky and lefthook commands, installed by ``npm install`` once (under a lock: xdist's
    workers may all ask at once), then kept there."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        _missing("npm is not installed")
    with (MANAGERS / "package.json").open("rb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not all((BIN / name).exists() for name in ("husky", "lefthook")):
            done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=MANAGERS,
                                  capture_output=True, text=True, check=False, timeout=600,
                                  env={**os.environ, "HOME": NPM_HOME})
            if done.returncode != 0:
                said = [line for line in done.stderr.splitlines() if line.strip() not in ("", "npm error")]
                _missing(f"npm install in {MANAGERS} failed: {(said or ['?'])[0]}")
    return BIN


def _manager(repo: GitRepo, command: Path, *args: str) -> None:
    """Run a hook manager's command in ``repo`` as a developer would (husky's ``prepare``, ``lefthook install``)."""
    env = {key: value for key, value in os.environ.items() if key not in ("HUSKY", "LEFTHOOK")}
    done = subprocess.run([str(command), *args], cwd=repo.path, capture_output=True, text=True, check=False,
                          env=env)
    assert done.returncode == 0, done.stdout + done.stderr


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def _seed(repo: GitRepo) -> None:
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    repo.write("features/login.feature", "@ADR-1\n" + feature(1, "Login"))
    repo.commit("seed")


def _commit(repo: GitRepo, message: str) -> subprocess.CompletedProcess[str]:
    """``git commit -a`` of the work tree, through its hooks (the verdict may be a refusal)."""
    repo.git("add", "-A")
    return subprocess.run(["git", "commit", "-q", "-m", message], cwd=repo.path, capture_output=True, text=True,
                          check=False)


def _husky_repo(repo: GitRepo, bin_folder: Path) -> Path:
    """A repository set up as husky 9's users have it: ``.husky/pre-commit`` committed, ``husky`` run."""
    _seed(repo)
    repo.write(".husky/pre-commit", 'echo "husky ran $(basename "$0")" >> "$(git rev-parse --git-dir)/husky.log"\n')
    repo.commit("husky")
    _manager(repo, bin_folder / "husky")
    return repo.path / ".husky" / "_"


def test_install_again_after_husky_wrote_its_hooks_again(git_repo: GitRepo, managers: Path) -> None:
    """The next ``npm install`` wrote husky's stubs over tracertm's scripts: the chained copies are those same
    stubs, and a second ``hook install`` was refused ('… is taken too'), so tracertm's hooks stayed gone."""
    folder = _husky_repo(git_repo, managers)
    husky = _files(folder)
    assert run_cli("hook", "install", str(git_repo.path), "--sync-on", "all").returncode == 0
    _manager(git_repo, managers / "husky")
    assert (folder / "pre-commit").read_bytes() == husky["pre-commit"], "husky wrote its stub over ours"

    again = run_cli("hook", "install", str(git_repo.path), "--sync-on", "all")
    assert again.returncode == 0, again.stderr
    assert [line.split(" (")[0] for line in again.stdout.splitlines()] == [
        f"{hook}: {action}" for hook in ("pre-commit", "pre-merge-commit", "post-commit", "post-merge",
                                         "post-checkout", "post-rewrite") for action in ("chained", "installed")]
    assert (folder / "pre-commit.tracertm-chained").read_bytes() == husky["pre-commit"]
    # Both run: the user's husky hook, then tracertm's check.
    git_repo.write("docs/adr/0002-more.md", adr(2, "More"))
    assert _commit(git_repo, "ok").returncode == 0
    git_repo.write("features/broken.feature", BROKEN)
    refused = _commit(git_repo, "broken")
    assert refused.returncode == 1 and "features/broken.feature:5:" in refused.stderr
    assert (git_repo.path / ".git" / "husky.log").read_text() == "husky ran pre-commit\n" * 2

    assert run_cli("hook", "uninstall", str(git_repo.path)).returncode == 0
    assert _files(folder) == husky


def test_uninstall_after_husky_wrote_its_hooks_again(git_repo: GitRepo, managers: Path) -> None:
    """Our scripts gone, ``hook uninstall`` said 'no tracertm hooks' and left the chained copies beside husky's
    stubs; a copy the same as the stub there now is removed, and the folder is husky's."""
    folder = _husky_repo(git_repo, managers)
    husky = _files(folder)
    assert run_cli("hook", "install", str(git_repo.path), "--sync-on", "post-commit").returncode == 0
    _manager(git_repo, managers / "husky")

    done = run_cli("hook", "uninstall", str(git_repo.path))
    assert done.returncode == 0
    assert done.stdout.splitlines() == [
        f"{hook}: removed ({folder / hook}.tracertm-chained): the same hook as {hook}, which replaced tracertm's "
        "script" for hook in ("pre-commit", "pre-merge-commit", "post-commit", "post-rewrite")]
    assert _files(folder) == husky


def test_install_again_after_lefthook_install(git_repo: GitRepo, managers: Path) -> None:
    """``lefthook install`` moves tracertm's script to ``<hook>.old`` and writes its own, the same as the one
    chained: ``hook install`` again puts tracertm's back, and ``hook uninstall`` leaves lefthook's."""
    _seed(git_repo)
    git_repo.write("lefthook.yml", "pre-commit:\n  jobs:\n    - run: echo lefthook ran >> .git/lefthook.log\n"
                                   "post-commit:\n  jobs:\n    - run: 'true'\n")
    git_repo.commit("lefthook")
    folder = git_repo.path / ".git" / "hooks"
    _manager(git_repo, managers / "lefthook", "install")
    lefthook = {name: (folder / name).read_bytes() for name in ("pre-commit", "post-commit")}
    assert run_cli("hook", "install", str(git_repo.path), "--sync-on", "post-commit").returncode == 0
    _manager(git_repo, managers / "lefthook", "install")
    assert (folder / "pre-commit").read_bytes() == lefthook["pre-commit"], "lefthook put its own back"

    again = run_cli("hook", "install", str(git_repo.path), "--sync-on", "post-commit")
    assert again.returncode == 0, again.stderr
    assert "pre-commit: chained" in again.stdout and "post-commit: chained" in again.stdout
    git_repo.write("features/broken.feature", BROKEN)
    refused = _commit(git_repo, "broken")
    assert refused.returncode == 1 and "features/broken.feature:5:" in refused.stderr
    assert (git_repo.path / ".git" / "lefthook.log").read_text() == "lefthook ran\n"

    assert run_cli("hook", "uninstall", str(git_repo.path)).returncode == 0
    assert {name: (folder / name).read_bytes() for name in ("pre-commit", "post-commit")} == lefthook
    assert not list(folder.glob("*.tracertm-chained"))


def _replaced(repo: GitRepo, hook: str, new: str | None) -> Path:
    """tracertm's hooks installed over a user's ``hook``, then its script replaced by ``new`` (None: deleted), as a
    hook manager or a hand edit does; the hooks folder."""
    _seed(repo)
    folder = repo.path / ".git" / "hooks"
    (folder / hook).write_text("#!/bin/sh\necho old\n")
    (folder / hook).chmod(0o755)
    assert run_cli("hook", "install", str(repo.path), "--sync-on", "post-commit").returncode == 0
    (folder / hook).unlink()
    if new is not None:
        (folder / hook).write_text(new)
        (folder / hook).chmod(0o755)
    return folder


def test_a_different_hook_in_place_of_our_script_is_refused_with_nothing_changed(git_repo: GitRepo) -> None:
    """The chained hook and the one there now differ: chaining the new one would lose the old one. One line
    says what is there and what to do, and nothing is installed (before, the hooks before it in the list were)."""
    folder = _replaced(git_repo, "post-commit", "#!/bin/sh\necho new\n")
    for hook in ("pre-commit", "pre-merge-commit", "post-rewrite"):
        (folder / hook).unlink()
    before = _files(folder)

    refused = run_cli("hook", "install", str(git_repo.path), "--sync-on", "post-commit")
    assert refused.returncode == 2
    assert refused.stderr == (
        f"tracertm: error: {folder / 'post-commit'}: another hook replaced tracertm's script, and "
        "post-commit.tracertm-chained, the hook that script ran first, differs from it; nothing was installed; keep "
        "what you need of post-commit.tracertm-chained in post-commit (nothing, if post-commit is its newer "
        "version) and delete post-commit.tracertm-chained, then rerun 'tracertm hook install'\n")
    assert _files(folder) == before


def test_uninstall_puts_back_a_chained_hook_whose_script_is_gone(git_repo: GitRepo) -> None:
    folder = _replaced(git_repo, "post-commit", None)
    done = run_cli("hook", "uninstall", str(git_repo.path))
    assert f"post-commit: restored ({folder / 'post-commit'})" in done.stdout.splitlines()
    assert (folder / "post-commit").read_text() == "#!/bin/sh\necho old\n"
    assert not (folder / "post-commit.tracertm-chained").exists()


def test_uninstall_keeps_a_chained_hook_that_would_replace_another(git_repo: GitRepo) -> None:
    folder = _replaced(git_repo, "post-commit", "#!/bin/sh\necho new\n")
    done = run_cli("hook", "uninstall", str(git_repo.path))
    assert done.returncode == 0
    assert (f"post-commit: kept ({folder / 'post-commit.tracertm-chained'}): not put back: another hook replaced "
            "tracertm's script as post-commit, and differs from it; keep what you need of it in post-commit and "
            "delete it") in done.stdout.splitlines()
    assert (folder / "post-commit").read_text() == "#!/bin/sh\necho new\n"
    assert (folder / "post-commit.tracertm-chained").read_text() == "#!/bin/sh\necho old\n"
