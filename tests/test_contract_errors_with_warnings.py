"""A contract file with errors shows its warnings too, each at its line: in every format of ``check`` (text, json,
github; work tree, ``--ref`` and the ``--staged`` hook mode) and in sync's report — and the file still changes
nothing in the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from conftest import GitRepo
from specs import contract
from tracertm import db
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.errors import ParseError
from tracertm.models import Contract, SourceFile
from tracertm.parsers.contract import parse

PATH = "contracts/pay.yaml"
# Line 3: an error (unknown status). Line 7: a warning (an unknown key, kept in metadata). Line 4: a second error.
BROKEN = (
    "id: CTR-0001\ntitle: Pay\nstatus: bogus\ntype: nonsense\nstates: [pending, paid]\ntransitions: []\n"
    "colour: blue\n"
)
ERRORS = {(3, "error"), (4, "error")}
WARNING = (7, "warning")


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


def test_the_parse_error_carries_the_warnings_with_the_first_error_as_headline() -> None:
    with pytest.raises(ParseError) as caught:
        parse(PATH, BROKEN.encode())
    found = {(d.line, d.severity) for d in caught.value.diagnostics}
    assert found == ERRORS | {WARNING}
    assert (caught.value.line, caught.value.message) == (3, caught.value.diagnostics[0].message)
    assert "colour" in next(d.message for d in caught.value.diagnostics if d.severity == "warning")


@pytest.mark.parametrize("mode", [(), ("--ref", "HEAD"), ("--staged",)])
def test_check_shows_errors_and_warnings_of_one_file_in_every_format(
    git_repo: GitRepo, capsys: pytest.CaptureFixture[str], mode: tuple[str, ...]
) -> None:
    git_repo.write("contracts/ok.yaml", contract(2, "Fine"))
    git_repo.commit("seed")
    git_repo.write(PATH, BROKEN)
    git_repo.git("add", PATH)
    if mode != ("--staged",):
        git_repo.commit("broken contract")
    repo = str(git_repo.path)

    code, text = _cli(capsys, "check", repo, *mode, "--no-cache")
    assert code == 1
    assert f"{PATH}:3:" in text and f"{PATH}:4:" in text
    assert f"{PATH}:7:" in text and "warning" in text.split(f"{PATH}:7:")[1].splitlines()[0]

    code, out = _cli(capsys, "check", repo, *mode, "--no-cache", "--format", "json")
    body = json.loads(out)
    assert code == 1
    assert {(d["line"], d["severity"]) for d in body["errors"] if d["path"] == PATH} == ERRORS
    assert [(d["line"], d["severity"]) for d in body["warnings"] if d["path"] == PATH] == [WARNING]

    code, out = _cli(capsys, "check", repo, *mode, "--no-cache", "--format", "github")
    assert code == 1
    annotations = [line for line in out.splitlines() if f"file={PATH}" in line]
    assert any(a.startswith("::error ") and "line=3" in a for a in annotations)
    assert any(a.startswith("::warning ") and "line=7" in a and "colour" in a for a in annotations), annotations

    code, out = _cli(capsys, "check", repo, *mode, "--no-cache", "--format", "json", "--strict")
    assert code == 1 and (7, "error") in {(d["line"], d["severity"]) for d in json.loads(out)["errors"]}


def test_sync_reports_both_and_changes_nothing(git_repo: GitRepo, engine: Any) -> None:
    git_repo.write(PATH, contract(1, "Pay"))
    git_repo.commit("good")
    assert not sync(git_repo.path, engine=engine, project="shop").errors
    with db.session(engine) as session:
        before = session.execute(select(Contract.title, Contract.status, Contract.version)).all()

    git_repo.write(PATH, BROKEN)
    git_repo.commit("broken")
    result = sync(git_repo.path, engine=engine, project="shop")
    assert {(d.line, d.severity) for d in result.errors if d.path == PATH} == ERRORS
    assert [(d.line, d.severity) for d in result.warnings if d.path == PATH] == [WARNING]
    with db.session(engine) as session:
        assert session.execute(select(Contract.title, Contract.status, Contract.version)).all() == before
        stored = session.execute(select(SourceFile.parse_error).where(SourceFile.path == PATH)).scalar_one()
    assert {(d["line"], d["severity"]) for d in stored} == ERRORS | {WARNING}

    # A no-op sync reports the same (from the stored findings).
    again = sync(git_repo.path, engine=engine, project="shop")
    assert {(d.line, d.severity) for d in again.errors if d.path == PATH} == ERRORS
    assert [(d.line, d.severity) for d in again.warnings if d.path == PATH] == [WARNING]
