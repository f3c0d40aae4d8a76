"""Globs that made ``re`` backtrack for ever: ``*a*a*a*a*a*a*a*a*a*a*a*ab*.yaml`` against a 44-letter name took
minutes in ``check``, ``check --staged`` (the pre-commit hook) and ``sync`` (each ``*`` became ``[^/]*``, and a
failing match tried every way to share the name between them: polynomial in its length, the stars as the power).
Now each text between wildcards is matched where it first fits when that is provably as good as any later place
(``config._glob_source``), and a glob with more than one wildcard that cannot be so committed is one configuration
error. An audit found it; real git repositories and processes."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import GitRepo
from specs import adr, contract
from tracertm.config import DEFAULT_EXCLUDE, DEFAULT_PATHS, DEFAULT_STEP_PATHS, _glob_backtracking, _glob_source

NAME = "a" * 44


def _tracertm(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # The old translation took over 120 s here: the timeout fails the test instead of hanging the suite.
    return subprocess.run([sys.executable, "-m", "tracertm", *args], cwd=repo, capture_output=True, text=True,
                          timeout=60, check=False)


def test_a_glob_of_many_stars_is_checked_synced_and_hooked_at_once(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.write(f"contracts/{NAME}.yaml", contract(1, "Many"))
    git_repo.write(".tracertm.toml", 'contract_paths = ["contracts/*a*a*a*a*a*a*a*a*a*a*a*ab*.yaml"]\n')
    git_repo.commit("seed")
    staged = _tracertm(git_repo.path, "check", "--staged", "--all")
    assert staged.returncode == 0 and "contract_paths matched nothing" in staged.stdout, staged.stderr
    synced = _tracertm(git_repo.path, "sync", "--database-url", f"sqlite:///{tmp_path / 'x.db'}")
    assert synced.returncode == 0, synced.stderr


def test_an_exclude_of_many_double_stars_is_quick(git_repo: GitRepo) -> None:
    git_repo.write(f"docs/adr/0001-{NAME}.md", adr(1, "Kept"))
    git_repo.write(".tracertm.toml", 'exclude = ["**a**a**a**a**a**a**a**a**a**ab**"]\n')
    git_repo.commit("seed")
    checked = _tracertm(git_repo.path, "check")
    assert checked.returncode == 0 and "1 file" in checked.stdout + checked.stderr, (checked.stdout, checked.stderr)


def test_a_glob_with_two_uncommitted_wildcards_is_one_configuration_error(git_repo: GitRepo) -> None:
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.write(".tracertm.toml", 'project = "p"\nadr_paths = ["docs/**a*b/**x*y.md"]\n')
    checked = _tracertm(git_repo.path, "check")
    lines = checked.stderr.strip().splitlines()
    assert checked.returncode == 2 and len(lines) == 1 and "Traceback" not in checked.stderr, checked.stderr
    assert lines[0].startswith(f"tracertm: error: {git_repo.path / '.tracertm.toml'}:2: adr_paths: the glob "
                               "'docs/**a*b/**x*y.md' has more than one '**'"), lines[0]


def test_every_default_glob_is_accepted() -> None:
    globs = [*DEFAULT_EXCLUDE, *DEFAULT_STEP_PATHS, *(g for found in DEFAULT_PATHS.values() for g in found)]
    assert [g for g in globs if _glob_backtracking(g) > 1] == []
    for glob in ("docs/adr/**/*.md", "**/StepDefinitions/**/*.cs", "src/**/test/**/*Steps.java", "**"):
        assert _glob_backtracking(glob) <= 1, glob


def _reference(glob: str) -> re.Pattern[str]:
    """The translation before the change (``**`` spanning newlines too, as it now does): what a glob means."""
    out, i = [], 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        else:
            out.append({"*": "[^/]*", "?": "[^/]"}.get(glob[i], re.escape(glob[i])))
            i += 1
    return re.compile("".join(out), re.S)


def _paths_like(glob: str) -> st.SearchStrategy[str]:
    """Paths made from the glob itself (each wildcard replaced by a few characters), so that many match."""
    pieces = re.split(r"(\*\*/|\*\*|\*|\?)", glob)
    fill = {"**/": st.text("ab/", max_size=5).map(lambda t: t + "/" if t else t), "**": st.text("ab/\n", max_size=5),
            "*": st.text("ab", max_size=4), "?": st.sampled_from("ab/")}
    return st.tuples(*(fill.get(p, st.just(p)) for p in pieces)).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.text("ab/*?", min_size=1, max_size=12).flatmap(
    lambda glob: st.tuples(st.just(glob), st.lists(st.one_of(_paths_like(glob), st.text("ab/", max_size=12)),
                                                   min_size=1, max_size=8))))
def test_the_linear_translation_matches_what_the_glob_always_matched(case: tuple[str, list[str]]) -> None:
    glob, paths = case
    new, old = re.compile(_glob_source(glob)), _reference(glob)
    for path in paths:
        assert bool(new.fullmatch(path)) == bool(old.fullmatch(path)), (glob, path)
