"""Index edges of the pre-commit hook path, on real git repositories. The rule: the hook's verdict
(``check --staged``) agrees with ``check --ref`` of the commit made.

- an intent-to-add entry (``git add -N``) is no part of the commit, so the hook does not see it either;
- a spec file that is a symbolic link changes when the commit changes (or deletes) its target, also when the target
  lies outside the spec folders;
- the commit that deletes the last step-definition file leaves a repository without step definitions: no step
  findings (README, "Step definitions");
- a merge git commits on its own runs ``pre-merge-commit``, not ``pre-commit``: ``hook install`` installs both.
"""

from __future__ import annotations

import os
import subprocess
from typing import Any

import pytest

from conftest import GitRepo
from specs import adr, feature
from tracertm import hooks
from tracertm.checker import check

BROKEN_TAIL = "Feature: broken\n  Scenario\n"
# Spec folders that do not hold shared/: a link's target there is outside them.
NARROW = (
    'adr_paths = ["docs/adr/**/*.md"]\nfeature_paths = ["features/**/*.feature"]\nstep_paths = ["steps/**/*.py"]\n'
)


def _errors(diagnostics: list[Any]) -> list[tuple[str, int, str]]:
    return sorted((d.path, d.line, d.message) for d in diagnostics)


def _commit_unchecked(repo: GitRepo, message: str) -> None:
    repo.git("commit", "-q", "--no-verify", "-m", message)


def _hook_then_ref(repo: GitRepo) -> tuple[list[tuple[str, int, str]], list[tuple[str, int, str]]]:
    """The hook's errors on the index as it is (with and without the cache), and ``check --ref HEAD``'s once the
    index is committed (without the hook)."""
    hook = _errors(check(repo.path, staged=True).errors)
    assert _errors(check(repo.path, staged=True, cache=False).errors) == hook
    _commit_unchecked(repo, "the commit")
    return hook, _errors(check(repo.path, ref="HEAD").errors)


# ------------------------------------------------------------------------------------------- intent to add


def _linked_feature(repo: GitRepo, narrow: bool, chained: bool = False) -> None:
    """ADR 1 and ``features/a.feature``, a link to ``shared/a.feature`` (outside the spec folders when ``narrow``;
    ``chained``: through the link ``shared/alias.txt``) tagging it, committed."""
    if narrow:
        repo.write(".tracertm.toml", NARROW)
    repo.write("docs/adr/0001-a.md", adr(1, "A"))
    repo.write("shared/a.feature", "@ADR-1\n" + feature(1, "A"))
    os.makedirs(repo.path / "features", exist_ok=True)
    if chained:
        os.symlink("a.feature", repo.path / "shared" / "alias.txt")
    os.symlink("../shared/alias.txt" if chained else "../shared/a.feature", repo.path / "features" / "a.feature")
    repo.commit("init")


def test_an_intent_to_add_adr_is_not_part_of_the_commit_nor_of_the_hook(git_repo: GitRepo) -> None:
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.commit("init")
    git_repo.write("docs/adr/0002-b.md", adr(2, "B"))
    git_repo.git("add", "-N", "docs/adr/0002-b.md")
    git_repo.write("NOTES.txt", "notes\n")
    git_repo.git("add", "NOTES.txt")
    result = check(git_repo.path, staged=True)
    assert result.ok and not result.errors, result.errors
    every = check(git_repo.path, staged=True, all_files=True)
    assert every.ok and not every.errors, every.errors
    _commit_unchecked(git_repo, "notes")
    assert "docs/adr/0002-b.md" not in git_repo.git("ls-tree", "-r", "--name-only", "HEAD").split("\n")
    assert check(git_repo.path, ref="HEAD").ok


def test_a_tag_of_an_adr_that_is_only_intent_to_add_fails_the_hook_as_it_fails_the_commit(git_repo: GitRepo) -> None:
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.commit("init")
    git_repo.write("docs/adr/0002-b.md", adr(2, "B"))
    git_repo.git("add", "-N", "docs/adr/0002-b.md")
    git_repo.write("features/f.feature", "@ADR-2\n" + feature(1, "F"))
    git_repo.git("add", "features/f.feature")
    hook, ref = _hook_then_ref(git_repo)
    assert hook == ref and [p for p, _, _ in ref] == ["features/f.feature"], (hook, ref)
    assert "ADR-0002" in ref[0][2]


def test_an_adr_put_back_as_intent_to_add_is_deleted_by_the_commit(git_repo: GitRepo) -> None:
    """``git rm --cached`` then ``git add -N``: the index holds an intent-to-add entry where HEAD has the ADR, so
    the commit deletes it, and the feature that tags it is left with a dangling tag."""
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.write("docs/adr/0002-b.md", adr(2, "B"))
    git_repo.write("features/f.feature", "@ADR-2\n" + feature(1, "F"))
    git_repo.commit("init")
    git_repo.git("rm", "-q", "--cached", "docs/adr/0002-b.md")
    git_repo.git("add", "-N", "docs/adr/0002-b.md")
    hook, ref = _hook_then_ref(git_repo)
    assert hook == ref and ref and all("ADR-0002" in m for _, _, m in ref), (hook, ref)
    assert not any("empty ADR file" in m for _, _, m in hook)


# ------------------------------------------------------------------------------------- symbolic link targets


@pytest.mark.parametrize("chained", [False, True], ids=["link", "link-to-a-link"])
@pytest.mark.parametrize("narrow", [False, True], ids=["target-in-spec-folders", "target-outside-spec-folders"])
@pytest.mark.parametrize("change", ["broken", "deleted"])
def test_a_staged_change_of_a_spec_links_target_is_a_change_of_the_link(
    git_repo: GitRepo, narrow: bool, change: str, chained: bool
) -> None:
    """Also through a link on the way (``check --ref`` follows a chain of links inside the repository)."""
    _linked_feature(git_repo, narrow, chained)
    assert check(git_repo.path, ref="HEAD").ok
    if change == "broken":
        git_repo.write("shared/a.feature", git_repo.read("shared/a.feature") + BROKEN_TAIL)
        git_repo.git("add", "shared/a.feature")
    else:
        git_repo.git("rm", "-q", "shared/a.feature")
    hook, ref = _hook_then_ref(git_repo)
    assert ref and {p for p, _, _ in ref} == {"features/a.feature"}, ref
    assert hook == ref


@pytest.mark.parametrize("narrow", [False, True], ids=["target-in-spec-folders", "target-outside-spec-folders"])
def test_deleting_the_target_of_an_adr_link_takes_its_adr_away(git_repo: GitRepo, narrow: bool) -> None:
    """The ADR a link holds goes with its target: an unchanged feature that tags it is reported, as by --ref."""
    if narrow:
        git_repo.write(".tracertm.toml", NARROW)
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.write("shared/0002-b.md", adr(2, "B"))
    os.symlink("../../shared/0002-b.md", git_repo.path / "docs" / "adr" / "0002-b.md")
    git_repo.write("features/f.feature", "@ADR-2\n" + feature(1, "F"))
    git_repo.commit("init")
    assert check(git_repo.path, staged=True).ok  # (fills the cache: the link's ADR comes from it)
    assert check(git_repo.path, ref="HEAD").ok
    git_repo.git("rm", "-q", "shared/0002-b.md")
    hook, ref = _hook_then_ref(git_repo)
    assert {p for p, _, _ in ref} == {"docs/adr/0002-b.md", "features/f.feature"}, ref
    assert hook == ref


def test_a_change_beside_a_spec_link_that_leaves_its_target_alone_passes(git_repo: GitRepo) -> None:
    _linked_feature(git_repo, narrow=True)
    git_repo.write("shared/other.txt", "x\n")
    git_repo.git("add", "-A")
    result = check(git_repo.path, staged=True)
    assert result.ok and result.files_parsed == 0, result.errors


# ------------------------------------------------------------------------------------------------------- steps


def test_deleting_the_last_step_file_gives_no_step_findings(git_repo: GitRepo) -> None:
    git_repo.write(".tracertm.toml", '[step_checks]\nundefined = "error"\n')
    git_repo.write("features/a.feature", "@FEAT-1\nFeature: A\n  Scenario: s\n    Given x happens\n")
    git_repo.write("features/steps/s.py", 'from behave import given\n\n@given("x happens")\ndef gx(ctx):\n    pass\n')
    git_repo.commit("base")
    git_repo.git("rm", "-q", "features/steps/s.py")
    hook = check(git_repo.path, staged=True)
    every = check(git_repo.path, staged=True, all_files=True)
    assert hook.ok and not hook.errors and not hook.warnings, hook.errors + hook.warnings
    assert every.ok and not every.errors
    _commit_unchecked(git_repo, "drop the steps")
    ref = check(git_repo.path, ref="HEAD")
    assert ref.ok and not ref.errors and not ref.warnings


# ------------------------------------------------------------------------------------------------------ merges


def test_a_clean_merge_runs_the_installed_check_and_is_blocked(git_repo: GitRepo) -> None:
    """main deletes ADR-2, the branch tags it: git merges them without a conflict and runs pre-merge-commit."""
    git_repo.write("docs/adr/0001-a1.md", adr(1, "A1"))
    git_repo.write("docs/adr/0002-a2.md", adr(2, "A2"))
    git_repo.commit("init")
    changes = hooks.install(git_repo.path)
    assert {c.hook for c in changes if c.action == "installed"} == {"pre-commit", "pre-merge-commit"}
    git_repo.git("checkout", "-q", "-b", "feat")
    git_repo.write("features/a.feature", "@ADR-2\n" + feature(1, "A"))
    git_repo.commit("feat")
    git_repo.git("checkout", "-q", "main")
    git_repo.git("rm", "-q", "docs/adr/0002-a2.md")
    git_repo.commit("drop ADR-2")
    head = git_repo.git("rev-parse", "HEAD")
    merge = subprocess.run(["git", "merge", "-q", "--no-edit", "feat"], cwd=git_repo.path, capture_output=True,
                           text=True, check=False)
    assert merge.returncode != 0, merge.stdout + merge.stderr
    assert "features/a.feature:1:1: tag refers to ADR-0002" in merge.stdout + merge.stderr
    assert git_repo.git("rev-parse", "HEAD") == head, "the merge commit was not made"
    git_repo.git("merge", "--abort")

    directory = git_repo.path / ".git" / "hooks"
    assert "check --staged" in (directory / "pre-merge-commit").read_text()
    assert [c.hook for c in hooks.uninstall(git_repo.path)] == ["pre-commit", "pre-merge-commit"]
    assert not (directory / "pre-merge-commit").exists()
    clean = subprocess.run(["git", "merge", "-q", "--no-edit", "feat"], cwd=git_repo.path, capture_output=True,
                           text=True, check=False)
    assert clean.returncode == 0, "without the hooks the merge goes through"
