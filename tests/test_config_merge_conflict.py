"""A configuration file left with a merge's conflict markers is named as such, at the first marker's line — not as
"invalid TOML" at whatever character the TOML reader stumbled on."""

from __future__ import annotations

from conftest import GitRepo, run_cli
from specs import adr


def test_a_conflicted_configuration_says_so(git_repo: GitRepo) -> None:
    git_repo.write("docs/adr/0001-one.md", adr(1, "One"))
    git_repo.write(".tracertm.toml", 'project = "base"\n')
    git_repo.commit("base")
    git_repo.conflict(".tracertm.toml", ours='project = "ours"\n', theirs='project = "theirs"\n')
    assert (git_repo.path / ".tracertm.toml").read_text().startswith("<<<<<<< ")

    done = run_cli("check", str(git_repo.path))
    assert done.returncode == 2
    line, = done.stderr.strip().splitlines()
    assert line.endswith(".tracertm.toml:1: unresolved merge conflict (conflict markers); resolve it, then git add "
                         "the file"), line

