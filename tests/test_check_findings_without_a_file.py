"""A finding that names no file (``<database>``: ``check --strict`` could not read the suspect links) is a GitHub
annotation without ``file``/``line``/``col`` (GitHub accepts one: ``::error title=...::message``), not one at a file
``<database>`` (or ``svc/<database>`` for a sub-folder spec root); text shows no position for it. Real git
repository, a database URL whose server refuses connections."""

from __future__ import annotations

import pytest

from conftest import GitRepo
from specs import adr
from tracertm import output
from tracertm.cli import main
from tracertm.errors import Diagnostic

UNREACHABLE = "postgresql+psycopg://nobody:secret@127.0.0.1:1/none"


@pytest.fixture
def monorepo(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    git_repo.write("svc/docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("seed")
    monkeypatch.chdir(git_repo.path)
    monkeypatch.setenv("TRACERTM_DATABASE_URL", UNREACHABLE)
    return git_repo


@pytest.mark.parametrize("project", ["svc", "."])
def test_the_database_finding_is_an_annotation_without_a_file(
        monorepo: GitRepo, capsys: pytest.CaptureFixture[str], project: str) -> None:
    if project == ".":
        monorepo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    assert main(["check", project, "--strict", "--format", "github"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1, out
    assert out[0].startswith("::error title=<database>::suspect links not checked: "), out
    assert "file=" not in out[0] and "line=" not in out[0]


def test_text_shows_no_position_for_it(monorepo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "svc", "--strict"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith("<database>: suspect links not checked: "), out
    assert main(["check", "svc", "--strict", "--format", "json"]) == 1
    assert '"path": "<database>"' in capsys.readouterr().out  # (JSON keeps its fields: path, line 0, column 0)


def test_escaping_still_applies_without_a_file() -> None:
    diag = Diagnostic("<data,base:x>", 0, 0, "100% sure\r\nno", severity="warning")
    shown = output.diagnostic(diag, "github", prefix="svc/")
    assert shown == "::warning title=<data%2Cbase%3Ax>::100%25 sure%0D%0Ano"
    assert output.diagnostic(Diagnostic("svc.md", 0, 0, "m"), "github", prefix="a/") == (
        "::error file=a/svc.md,line=1,col=1::m")


def test_a_finding_with_no_path_at_all() -> None:
    diag = Diagnostic("", 0, 0, "approved scenario SC-1 has no passing result")
    assert output.diagnostic(diag, "github", prefix="svc/") == "::error::approved scenario SC-1 has no passing result"
    assert output.diagnostic(diag) == "approved scenario SC-1 has no passing result"
