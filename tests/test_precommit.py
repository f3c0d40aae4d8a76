"""The published ``.pre-commit-hooks.yaml``: valid for the pre-commit framework, and its hooks working under the real
framework (``repo: local`` mirrors of the published hooks, run through this interpreter; no network)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import create_engine

from conftest import GitRepo
from specs import adr, dump, feature
from tracertm.config import DEFAULT_PATHS, literal_prefix

MANIFEST = Path(__file__).resolve().parent.parent / ".pre-commit-hooks.yaml"
BROKEN = "@FEAT-9\nFeature: Broken\n  Scenario: s\n    Given a\n  Oops\n"


def _manifest() -> dict[str, dict[str, Any]]:
    from pre_commit.clientlib import load_manifest

    return {hook["id"]: hook for hook in load_manifest(str(MANIFEST))}


def test_manifest_is_valid_for_pre_commit() -> None:
    hooks = _manifest()  # raises InvalidManifestError when the schema is not met
    assert set(hooks) == {"tracertm-check", "tracertm-sync"}
    check, sync = hooks["tracertm-check"], hooks["tracertm-sync"]
    # The files pre-commit runs it on (a commit's staged files, every file under --all-files) are named to it.
    assert (check["entry"], check["language"], check["pass_filenames"]) == ("tracertm hook check", "python", True)
    assert "pre-commit" in check["stages"] and check["always_run"], "a commit that only deletes must be checked"
    # Which files are specs is the project's configuration's, not a pattern of the manifest (and a spec file that
    # is a symbolic link is named too: pre-commit's default `types: [file]` leaves links out).
    assert check["files"] == "" and check["types"] == [] and check["types_or"] == []
    assert sync["always_run"] and not sync["pass_filenames"]
    assert set(sync["stages"]) == {"post-commit", "post-merge", "post-checkout", "post-rewrite"}
    files = re.compile(sync["files"])
    for pattern in (p for kind in ("adr", "contract", "feature") for p in DEFAULT_PATHS[kind]):
        example = pattern.replace("**/", "").replace("*", "x")  # a file the glob matches, at its shallowest
        assert files.search(literal_prefix(pattern) + "x") or files.search(example), pattern


def _local_config(*ids: str) -> str:
    """A ``.pre-commit-config.yaml`` whose ``repo: local`` hooks are the published ones, run by this interpreter."""
    published = _manifest()
    hooks = []
    for hook_id in ids:
        hook = {
            k: v
            for k, v in published[hook_id].items()
            if k in ("id", "name", "entry", "pass_filenames", "always_run", "files", "types", "stages",
                     "require_serial")
        }
        hook["entry"] = hook["entry"].replace("tracertm", f"{sys.executable} -m tracertm", 1)
        hook["language"] = "system"
        hooks.append(hook)
    return yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]}, sort_keys=False)


def _pre_commit(repo: GitRepo, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=repo.path, check=True, capture_output=True)


def _commit(repo: GitRepo, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "commit", "-m", "change", *args], cwd=repo.path, capture_output=True, text=True, check=False
    )


@pytest.fixture
def framework_repo(git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "pre-commit-home"))
    monkeypatch.setenv("PRE_COMMIT_COLOR", "never")
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.write("features/login.feature", "@ADR-1\n" + feature(1, "Login"))
    git_repo.write(".pre-commit-config.yaml", _local_config("tracertm-check", "tracertm-sync"))
    git_repo.commit("seed")
    return git_repo


def test_framework_rejects_broken_specs_and_judges_the_staged_content(framework_repo: GitRepo) -> None:
    repo = framework_repo
    _pre_commit(repo, "install", "-t", "pre-commit")

    repo.write("features/broken.feature", BROKEN)
    repo.git("add", "features/broken.feature")
    result = _commit(repo)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "tracertm check" in output and "Failed" in output
    assert "features/broken.feature:5:3: expected:" in output, output

    repo.write("features/broken.feature", BROKEN.replace("  Oops\n", "    Then b\n"))
    repo.git("add", "features/broken.feature")
    result = _commit(repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout + result.stderr

    # Partially staged: a staged breakage with the fix only in the work tree is rejected (pre-commit stashes
    # the unstaged fix away; tracertm reads the index anyway) ...
    good = "@ADR-1\n" + feature(1, "Login, reworded")
    repo.write("features/login.feature", "@ADR-1\n" + feature(1, "Login") + "  Oops\n")
    repo.git("add", "features/login.feature")
    repo.write("features/login.feature", good)
    result = _commit(repo)
    assert result.returncode != 0 and "features/login.feature:" in result.stdout + result.stderr
    assert repo.read("features/login.feature") == good, "pre-commit restored the unstaged work tree"
    # ... and a staged fix with a breakage only in the work tree passes.
    repo.git("add", "features/login.feature")
    repo.write("features/login.feature", BROKEN.replace("FEAT-9", "FEAT-1"))
    result = _commit(repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert repo.git("show", "HEAD:features/login.feature") == good.strip()

    # A commit that touches no spec file passes (the hook runs on every commit) ...
    repo.write("src/app.py", "print('hi')\n")
    repo.git("add", "src/app.py")
    result = _commit(repo)
    assert result.returncode == 0 and "Passed" in result.stdout + result.stderr, result.stdout + result.stderr
    # ... and one that only deletes an ADR a feature still tags is refused (pre-commit passes no deleted path).
    repo.git("rm", "-q", "docs/adr/0001-use-git.md")
    result = _commit(repo)
    assert result.returncode != 0 and "ADR-0001" in result.stdout + result.stderr, result.stdout + result.stderr


def _run_all(repo: GitRepo, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pre_commit", "run", *args], cwd=repo.path, capture_output=True,
                          text=True, check=False)


def test_framework_run_all_files_checks_every_spec_file(framework_repo: GitRepo) -> None:
    """`pre-commit run --all-files` (pre-commit.ci, the pre-commit GitHub action) runs with the index equal to HEAD:
    `check --staged` checked nothing there and passed a repository whose specs were broken. The hook now checks
    what the framework names: every file then, the named ones under `--files`, and a commit what it stages."""
    repo = framework_repo
    _pre_commit(repo, "install", "-t", "pre-commit")
    repo.write("features/broken.feature", BROKEN)
    repo.write("features/dangling.feature", "@ADR-0007\n" + feature(2, "Dangling"))
    repo.git("add", "-A")
    repo.git("commit", "-q", "--no-verify", "-m", "broken, past the hook")

    result = _run_all(repo, "tracertm-check", "--all-files")
    output = result.stdout + result.stderr
    assert result.returncode == 1 and "Failed" in output, output
    assert "features/broken.feature:5:3: expected:" in output, output
    assert "features/dangling.feature:1:" in output and "ADR-0007" in output, output
    assert "4 files checked" in output, output

    result = _run_all(repo, "tracertm-check", "--files", "features/broken.feature", "README.md")
    output = result.stdout + result.stderr
    assert result.returncode == 1 and "features/broken.feature:5:3:" in output, output
    assert "dangling.feature" not in output, "only the named files are reported on"
    assert _run_all(repo, "tracertm-check", "--files", "docs/adr/0001-use-git.md").returncode == 0

    # A commit still reports what it changes only: errors already committed are not its own ...
    repo.write("docs/adr/0003-fine.md", adr(3, "Fine"))
    repo.git("add", "docs/adr/0003-fine.md")
    result = _commit(repo)
    assert result.returncode == 0, result.stdout + result.stderr
    # ... and a fixed repository passes --all-files.
    repo.git("rm", "-q", "features/broken.feature", "features/dangling.feature")
    assert _commit(repo).returncode == 0
    result = _run_all(repo, "tracertm-check", "--all-files")
    assert result.returncode == 0 and "Passed" in result.stdout, result.stdout + result.stderr


def test_framework_committing_a_conflicted_merge_checks_what_the_merge_commits(framework_repo: GitRepo) -> None:
    """Committing a merge that stopped on conflicts, pre-commit names the files the merge message lists as
    conflicted: one resolved as this branch had it is no change of the merge, and errors it held (committed past
    the hook) are not the merge's to report (git runs the hook with GIT_INDEX_FILE: a commit is checked as
    `check --staged` checks it, whatever is named)."""
    repo = framework_repo
    _pre_commit(repo, "install", "-t", "pre-commit")
    base = repo.git("rev-parse", "--abbrev-ref", "HEAD").strip()
    repo.git("checkout", "-q", "-b", "other")
    repo.write("features/login.feature", "@ADR-1\n" + feature(1, "Log in, theirs"))
    repo.git("commit", "-q", "--no-verify", "-am", "theirs")
    repo.git("checkout", "-q", base)
    repo.write("features/login.feature", BROKEN.replace("FEAT-9", "FEAT-1"))
    repo.git("commit", "-q", "--no-verify", "-am", "ours, broken past the hook")
    merged = subprocess.run(["git", "merge", "-q", "other"], cwd=repo.path, capture_output=True, text=True,
                            check=False)
    assert merged.returncode != 0 and "CONFLICT" in merged.stdout + merged.stderr
    repo.git("checkout", "--ours", "features/login.feature")
    repo.git("add", "features/login.feature")
    assert "features/login.feature" in (repo.path / ".git" / "MERGE_MSG").read_text()

    result = _commit(repo, "--no-edit")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout + result.stderr
    result = _run_all(repo, "tracertm-check", "--all-files")
    assert result.returncode == 1 and "features/login.feature:5:3:" in result.stdout, result.stdout


def test_framework_sync_hook_updates_the_database(framework_repo: GitRepo, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    repo = framework_repo
    url = f"sqlite:///{tmp_path / 'hooked.db'}"
    monkeypatch.setenv("TRACERTM_DATABASE_URL", url)
    _pre_commit(repo, "install", "-t", "post-commit")
    repo.write("docs/adr/0002-use-postgres.md", adr(2, "Use PostgreSQL"))
    repo.git("add", "-A")
    result = _commit(repo)
    assert result.returncode == 0, result.stdout + result.stderr
    engine = create_engine(url)
    try:
        assert sorted(r["adr_number"] for r in dump(engine)["adrs"] if not r["deleted"]) == ["ADR-0001", "ADR-0002"]
    finally:
        engine.dispose()


@pytest.mark.parametrize(("how", "rewrite"), [("exec", True), ("force", True), ("force", False)])
def test_framework_sync_hook_syncs_a_rebase_once_at_its_end(
    framework_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str, rewrite: bool
) -> None:
    """A rebase checks out its base and makes its commits through the post-checkout and post-commit hooks: each
    was synced, and a rebase whose commits git reused (--exec) left the database at its base. tracertm-sync now
    passes over a rebase and syncs at its post-rewrite, when that hook type is installed; without it, each commit
    is synced as before (nothing would sync the end)."""
    repo = framework_repo
    for number in (2, 3, 4):
        repo.write(f"docs/adr/000{number}-more.md", adr(number, f"More {number}"))
        repo.commit(f"adr {number}")
    url = f"sqlite:///{tmp_path / 'hooked.db'}"
    monkeypatch.setenv("TRACERTM_DATABASE_URL", url)
    types = ["post-commit", "post-checkout", *(["post-rewrite"] if rewrite else [])]
    _pre_commit(repo, "install", *(f"-t{t}" for t in types))
    repo.git("checkout", "-q", "-b", "topic")  # (post-checkout: syncs HEAD)
    engine = create_engine(url)
    try:
        runs = _runs(engine)
        option = ["--force-rebase"] if how == "force" else ["--exec", "true"]
        done = subprocess.run(["git", "rebase", "-q", "-i", *option, "HEAD~3"], cwd=repo.path, capture_output=True,
                              text=True, check=False, env={**os.environ, "GIT_SEQUENCE_EDITOR": "true"})
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Traceback" not in done.stdout + done.stderr
        live = sorted(r["adr_number"] for r in dump(engine)["adrs"] if not r["deleted"])
        assert live == ["ADR-0001", "ADR-0002", "ADR-0003", "ADR-0004"]
        # One sync with post-rewrite (before: the base's and one per commit, or the base's alone); else those four,
        # as before.
        assert _runs(engine) == runs + (1 if rewrite else 4)
        if rewrite:  # an amend is synced by post-commit; its post-rewrite adds no second run
            repo.write("docs/adr/0004-more.md", adr(4, "More 4, amended"))
            repo.git("add", "-A")
            assert _commit(repo, "--amend").returncode == 0
            assert _runs(engine) == runs + 2
    finally:
        engine.dispose()


def _runs(engine: Any) -> int:
    return len(dump(engine, tables=("sync_runs",))["sync_runs"])


# ------------------------------------------------------------------------------------------------ CI recipes

CI = Path(__file__).resolve().parent.parent / "docs" / "ci"


def _commands(node: Any) -> list[str]:
    """Every shell line of a workflow / pipeline that runs tracertm."""
    if isinstance(node, dict):
        return [c for v in node.values() for c in _commands(v)]
    if isinstance(node, list):
        return [c for v in node for c in _commands(v)]
    if isinstance(node, str):
        return [line.strip() for line in node.splitlines() if line.strip().startswith("tracertm ")]
    return []


def test_ci_recipes_are_valid_and_use_real_options() -> None:
    import shlex

    from tracertm.cli import build_parser

    github = yaml.safe_load((CI / "github-actions.yml").read_text())
    gitlab = yaml.safe_load((CI / "gitlab-ci.yml").read_text())
    assert {"check", "sync", "drift", "backfill"} <= set(github["jobs"])
    sync = github["jobs"]["sync"]
    assert sync["env"]["TRACERTM_DATABASE_URL"] == "${{ secrets.TRACERTM_DATABASE_URL }}"
    assert any(step.get("with", {}).get("fetch-depth") == 0 for step in sync["steps"])
    assert gitlab["tracertm:sync"]["variables"]["GIT_DEPTH"] == "0"
    commands = _commands(github) + _commands(gitlab)
    assert any("--format github" in c for c in commands) and any("--dry-run --exit-code" in c for c in commands)
    parser = build_parser()
    for command in commands:
        argv = shlex.split(command.split("#")[0].split(">")[0].split("||")[0])[1:]
        parser.parse_args(argv)  # raises UsageError on an option tracertm does not have


def test_hook_check_names_from_the_current_folder_and_passes_over_other_projects(
    git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`hook check --path svc` (a sub-folder project's hook) hears of the whole repository's files, named from the
    top where pre-commit runs: the project's own are reported on (named from there too), another folder's and
    non-spec files passed over."""
    from conftest import run_cli

    git_repo.write("svc/features/broken.feature", BROKEN)
    git_repo.write("svc/features/fine.feature", feature(2, "Fine"))
    git_repo.write("web/features/broken.feature", BROKEN)
    git_repo.commit("seed")
    monkeypatch.chdir(git_repo.path)

    result = run_cli("hook", "check", "--path", "svc", "svc/features/broken.feature", "web/features/broken.feature",
                     "README.md")
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines()[0].startswith("svc/features/broken.feature:5:3: expected:"), result.stdout
    assert len(result.stdout.splitlines()) == 1, result.stdout
    assert run_cli("hook", "check", "--path", "svc", "svc/features/fine.feature",
                   "web/features/broken.feature").returncode == 0
    monkeypatch.chdir(git_repo.path / "svc")
    assert run_cli("hook", "check", "--path", ".", "features/broken.feature").returncode == 1
