"""With both ``.tracertm.toml`` and a ``[tool.tracertm]`` table in pyproject.toml, the dot file is the
configuration and the table is not read: ``check`` and a full ``sync`` say so in one warning at the table's header
(it was ignored without a word — its settings silently not applied). A pyproject.toml without such a table, or one
that is no TOML, beside ``.tracertm.toml`` stays none of tracertm's business: no warning, no error."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import GitRepo, run_cli
from specs import adr

WARNING = ("pyproject.toml:4:0: warning: [tool.tracertm] is not read: .tracertm.toml is the configuration; move "
           "these settings into .tracertm.toml, or remove one of the two")


@pytest.mark.parametrize(("pyproject", "warned"), [
    ('[project]\nname = "p"\n\n[tool.tracertm]\nadr_paths = ["decisions/*.md"]\n', True),
    ('[project]\nname = "p"\n\n[tool.tracertm.step_checks]\nunused = "off"\n', True),
    ('[project]\nname = "tracertm-user"\n\n[tool.ruff]\nline-length = 100\n', False),
    ('[project\nname = "tracertm"\n', False),  # no TOML: as before, not read at all
])
def test_a_table_beside_the_dot_file_is_warned_about(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pyproject: str, warned: bool
) -> None:
    git_repo.write("docs/adr/0001-use-x.md", adr(1, "Use X"))
    git_repo.write(".tracertm.toml", 'project = "acme/x"\n')
    git_repo.write("pyproject.toml", pyproject)
    git_repo.commit("seed")
    monkeypatch.chdir(git_repo.path)
    check = run_cli("check")
    assert check.returncode == 0, check.stderr
    assert (WARNING in check.stdout.splitlines()) is warned, check.stdout
    done = run_cli("sync", "--database-url", f"sqlite:///{tmp_path / 'specs.db'}")
    assert done.returncode == 0, done.stderr
    assert (WARNING in done.stderr.splitlines()) is warned, done.stderr
    assert "synced acme/x" in done.stdout  # the dot file's settings, whatever the table says


def test_the_table_alone_is_read_without_a_warning(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    git_repo.write("decisions/0001-use-x.md", adr(1, "Use X"))
    git_repo.write("pyproject.toml", '[project]\nname = "p"\n\n[tool.tracertm]\nadr_paths = ["decisions/*.md"]\n')
    git_repo.commit("seed")
    monkeypatch.chdir(git_repo.path)
    check = run_cli("check")
    assert (check.returncode, check.stdout) == (0, ""), check.stdout
    assert check.stderr.endswith(" 0 errors, 0 warnings\n"), check.stderr
