"""``check --staged`` (the pre-commit hook) judges the commit with the configuration the commit holds: the staged
``.tracertm.toml`` (else ``[tool.tracertm]`` of the staged ``pyproject.toml``, and the staged ``.adr-dir``), not the
work tree's; and a configuration error about a key of a table (``[step_checks]``, ``[tool.tracertm.step_checks]``,
an unknown ``[table]``) names its line, as one about a top-level key does. Real git repositories, real commits."""

from __future__ import annotations

import subprocess

import pytest

from conftest import GitRepo, run_cli
from specs import adr, contract, feature
from tracertm import hooks
from tracertm.cli import main

STEPS = 'from behave import given\n\n\n@given("a")\ndef step_a(context):\n    pass\n'
FEATURE = "Feature: F\n  Scenario: s\n    Given a\n"
UNDEFINED = "Feature: F\n  Scenario: s\n    Given a\n    Given nobody defines this\n"


def _seed(repo: GitRepo) -> None:
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    repo.write("features/steps/steps.py", STEPS)
    repo.write("features/f.feature", FEATURE)
    repo.commit("seed")
    hooks.install(repo.path)


def _commit(repo: GitRepo, message: str) -> subprocess.CompletedProcess[str]:
    """``git commit`` through the installed pre-commit hook (which may refuse it)."""
    return subprocess.run(["git", "commit", "-q", "-m", message], cwd=repo.path, capture_output=True, text=True,
                          check=False)


def _stage(repo: GitRepo, name: str, staged: str, worktree: str) -> None:
    """``name`` staged with ``staged``, then changed to ``worktree`` in the work tree only (partial staging)."""
    repo.write(name, staged)
    repo.git("add", name)
    repo.write(name, worktree)


@pytest.mark.parametrize("name, staged, worktree, line", [
    (".tracertm.toml", '# settings\nadr_paths = "docs/adr"\n', 'adr_paths = ["docs/adr/*.md"]\n', 2),
    ("pyproject.toml", '[project]\nname = "x"\n\n[tool.tracertm]\nadr_paths = "docs/adr"\n',
     '[project]\nname = "x"\n', 5),
])
def test_a_staged_invalid_configuration_fails_the_hook_at_its_staged_line(
        git_repo: GitRepo, capsys: pytest.CaptureFixture[str], name: str, staged: str, worktree: str,
        line: int) -> None:
    _seed(git_repo)
    _stage(git_repo, name, staged, worktree)
    assert main(["check", str(git_repo.path)]) == 0, "the work tree's configuration is fine"
    capsys.readouterr()
    wrong = f"{git_repo.path / name}:{line}: adr_paths must be a list of globs, e.g. adr_paths = [\"docs/adr/*.md\"]"
    for argv in (["check", "--staged"], ["check", "--staged", "--all"]):
        assert main([*argv, str(git_repo.path)]) == 2, argv
        assert capsys.readouterr().err.strip() == f"tracertm: error: {wrong}"
    result = _commit(git_repo, "config")
    assert result.returncode != 0, "the commit would hold a configuration that does not load"
    assert wrong in result.stdout + result.stderr
    assert git_repo.git("rev-list", "--count", "HEAD") == "1"


def test_a_staged_valid_configuration_passes_whatever_the_work_tree_holds(
        git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    _seed(git_repo)
    _stage(git_repo, ".tracertm.toml", 'adr_paths = ["docs/adr/*.md"]\n', 'adr_paths = "docs/adr"\n')
    assert main(["check", str(git_repo.path)]) == 2, "the work tree's configuration is broken"
    capsys.readouterr()
    assert main(["check", "--staged", str(git_repo.path)]) == 0
    assert main(["check", "--staged", "--all", str(git_repo.path)]) == 0
    capsys.readouterr()
    assert _commit(git_repo, "good config").returncode == 0
    assert git_repo.git("show", "HEAD:.tracertm.toml") == 'adr_paths = ["docs/adr/*.md"]'
    # `git commit -a` commits the broken work-tree copy: the hook reads git's temporary index, and refuses it.
    result = subprocess.run(["git", "commit", "-q", "-a", "-m", "all"], cwd=git_repo.path, capture_output=True,
                            text=True, check=False)
    assert result.returncode != 0 and ".tracertm.toml:1: adr_paths must be a list" in result.stdout + result.stderr
    git_repo.write(".tracertm.toml", 'adr_paths = ["docs/adr/*.md"]\n')
    # A configuration file that is not staged at all is not the commit's either: the defaults apply.
    git_repo.write(".tracertm.toml", "")
    git_repo.commit("no settings")
    git_repo.write("pyproject.toml", '[tool.tracertm]\nadr_paths = "docs/adr"\n')  # untracked
    git_repo.write("docs/adr/0002-more.md", adr(2, "More"))
    git_repo.git("add", "docs/adr/0002-more.md")
    assert main(["check", "--staged", str(git_repo.path)]) == 0
    assert _commit(git_repo, "an ADR").returncode == 0


@pytest.mark.parametrize("staged, worktree, verdict", [
    ("off", "error", 0),
    ("error", "off", 1),
])
def test_the_staged_step_checks_decide_the_verdict(
        git_repo: GitRepo, capsys: pytest.CaptureFixture[str], staged: str, worktree: str, verdict: int) -> None:
    _seed(git_repo)
    _stage(git_repo, ".tracertm.toml", f'[step_checks]\nundefined = "{staged}"\n',
           f'[step_checks]\nundefined = "{worktree}"\n')
    git_repo.write("features/f.feature", UNDEFINED)
    git_repo.git("add", "features/f.feature")
    assert main(["check", "--staged", str(git_repo.path)]) == verdict
    said = capsys.readouterr()
    assert ("undefined step 'Given nobody defines this'" in said.out + said.err) == (verdict == 1)
    assert (_commit(git_repo, "undefined step").returncode == 0) == (verdict == 0)


def test_a_staged_adr_dir_decides_the_spec_folders(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    _seed(git_repo)
    broken = "# 2. Broken\n\nDate: 2024-13-45\n\n## Status\n\nNonsense\n"
    git_repo.write("decisions/0002-broken.md", broken)
    git_repo.write("decisions/0003-also-broken.md", broken.replace("2.", "3."))
    git_repo.commit("not specs yet")
    _stage(git_repo, ".adr-dir", "decisions\n", "elsewhere\n")
    git_repo.write("decisions/0002-broken.md", broken + "\nmore\n")
    git_repo.git("add", "decisions/0002-broken.md")
    main(["check", "--staged", str(git_repo.path)])
    said = capsys.readouterr()
    assert "decisions/0002-broken.md" in said.out + said.err, "the staged .adr-dir makes decisions/ a spec folder"


@pytest.mark.parametrize("name, text, line, said", [
    ("pyproject.toml", '[project]\nname = "x"\n\n[tool.tracertm.step_checks]\nundefined = "fatal"\n', 5,
     "step_checks.undefined = 'fatal': rules are"),
    ("pyproject.toml", '[tool.tracertm]\nproject = "x"\n\n[tool.tracertm.stepchecks]\nunused = "off"\n', 4,
     "unknown key 'stepchecks' in tracertm settings"),
    ("pyproject.toml", '[tool.tracertm]\nproject = "x"\nstep_checks.unused = "never"\n', 3,
     "step_checks.unused = 'never': rules are"),
    (".tracertm.toml", '# settings\n[step_checks]\nundefined = "off"\nunusd = "off"\n', 4,
     "step_checks.unusd = 'off': rules are"),
    (".tracertm.toml", 'project = "x"\n[stepchecks]\nunused = "off"\n', 2,
     "unknown key 'stepchecks' in tracertm settings"),
    (".tracertm.toml", 'project = "x"\n\n[ "step_checks" ]\n"unused" = 3\n', 4,
     "step_checks.unused = 3: rules are"),
    (".tracertm.toml", 'project = "x"\nstep_checks = { unused = "never" }\n', 2,
     "step_checks.unused = 'never': rules are"),
    (".tracertm.toml", '[step_checks]\nunused = "off"\n[lock_timeout]\nseconds = 3\n', 3,
     "lock_timeout must be a number"),
])
@pytest.mark.parametrize("command", ["check", "check --staged"])
def test_a_key_of_a_table_names_its_line(git_repo: GitRepo, capsys: pytest.CaptureFixture[str], name: str,
                                         text: str, line: int, said: str, command: str) -> None:
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("seed")
    git_repo.write(name, text)
    git_repo.git("add", name)
    assert main([*command.split(), str(git_repo.path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"tracertm: error: {git_repo.path / name}:{line}: {said}"), err


def test_a_sub_folder_project_reads_its_own_staged_configuration(
        git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write("svc/docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.write("svc/.tracertm.toml", 'project = "svc"\n')
    git_repo.write(".tracertm.toml", 'adr_paths = "not read: another project"\n')
    git_repo.commit("seed")
    _stage(git_repo, "svc/.tracertm.toml", 'project = "svc"\nexclude = "docs/adr/drafts"\n', 'project = "svc"\n')
    assert main(["check", str(git_repo.path / "svc")]) == 0
    capsys.readouterr()
    assert main(["check", "--staged", str(git_repo.path / "svc")]) == 2
    assert capsys.readouterr().err.strip().startswith(
        f"tracertm: error: {git_repo.path / 'svc' / '.tracertm.toml'}:2: exclude must be a list of globs")


def test_sync_staged_takes_the_spec_files_of_the_staged_configuration(git_repo: GitRepo, database_url: str) -> None:
    # ``check --staged`` and ``sync --staged`` read one commit alike: the index holds no .tracertm.toml any more,
    # so none of the work tree's excludes; the work tree's (ignored, per-machine) database_url still says where.
    from sqlalchemy import create_engine, text

    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.write("contracts/pay.yaml", contract(1, "Pay"))
    git_repo.write("features/pay.feature", feature(1, "Pay"))
    git_repo.write(".tracertm.toml", 'exclude = ["features/pay.feature"]\n')
    git_repo.commit("seed")
    git_repo.git("rm", "-q", "--cached", ".tracertm.toml")
    git_repo.write(".gitignore", ".tracertm.toml\n")
    git_repo.write(".tracertm.toml", f'exclude = ["features/pay.feature"]\ndatabase_url = "{database_url}"\n')
    checked = run_cli("check", "--staged", "--format", "json", str(git_repo.path))
    assert '"files_checked": 3' in checked.stdout, checked.stdout
    for dry in (["--dry-run"], []):
        synced = run_cli("sync", "--staged", *dry, str(git_repo.path))
        assert synced.returncode == 0 and "(3 files" in synced.stdout, synced.stdout + synced.stderr
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM features WHERE deleted_at IS NULL")).scalar() == 1
    finally:
        engine.dispose()
    assert "(2 files" in run_cli("sync", "--dry-run", str(git_repo.path)).stdout  # the work tree: its own exclude
