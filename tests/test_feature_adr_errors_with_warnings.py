"""A feature or ADR file with errors shows its warnings too, each at its line (as contracts do, see
test_contract_errors_with_warnings.py): in every format of ``check`` (text, json, github, --strict; work tree,
``--ref`` and the ``--staged`` hook mode) and in sync's report — and the file still changes nothing in the
database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from conftest import GitRepo
from specs import adr, feature
from tracertm import db
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.errors import ParseError
from tracertm.models import ADR, Feature, Scenario, SourceFile
from tracertm.parsers import parse

FEATURE = "features/pay.feature"
# Line 1: a warning (unknown status). Line 7: an error (a second @SC-1). Line 4: a warning (And continues nothing).
BROKEN_FEATURE = (
    "@FEAT-1 @status:bogus\nFeature: Pay\n  @SC-1\n  Scenario: a\n    And a dangling conjunction\n"
    "    Then it works\n  @SC-1\n  Scenario: b\n    Given y\n"
)
ADR_PATH = "docs/adr/0001-pay.md"
# Line 3: an error (an impossible time). Line 4: a warning (an unknown status word).
BROKEN_ADR = "---\ntitle: Pay\ndate: 2018-01-01 25:00:00\nstatus: Onhold\n---\n# 1. Pay\n\n## Context\n\nx\n"

CASES = {
    "feature": (FEATURE, BROKEN_FEATURE, {(7, "error")}, [(1, "warning"), (5, "warning")]),
    "adr": (ADR_PATH, BROKEN_ADR, {(3, "error")}, [(4, "warning")]),
}


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


@pytest.mark.parametrize("kind", sorted(CASES))
def test_the_parse_error_carries_the_warnings_with_the_first_error_as_headline(kind: str) -> None:
    path, text, errors, warnings = CASES[kind]
    with pytest.raises(ParseError) as caught:
        parse(kind, path, text.encode())  # type: ignore[arg-type]
    found = [(d.line, d.severity) for d in caught.value.diagnostics]
    assert set(found) == errors | set(warnings)
    assert found == sorted(found)  # file order
    first_error = next(d for d in caught.value.diagnostics if d.severity == "error")
    assert (caught.value.line, caught.value.message) == (first_error.line, first_error.message)


@pytest.mark.parametrize("kind", sorted(CASES))
@pytest.mark.parametrize("mode", [(), ("--ref", "HEAD"), ("--staged",)])
def test_check_shows_errors_and_warnings_of_one_file_in_every_format(
    git_repo: GitRepo, capsys: pytest.CaptureFixture[str], mode: tuple[str, ...], kind: str
) -> None:
    path, text, errors, warnings = CASES[kind]
    git_repo.write("docs/adr/0002-fine.md", adr(2, "Fine"))
    git_repo.commit("seed")
    git_repo.write(path, text)
    git_repo.git("add", path)
    if mode != ("--staged",):
        git_repo.commit("broken file")
    repo = str(git_repo.path)

    code, out = _cli(capsys, "check", repo, *mode, "--no-cache")
    assert code == 1
    for line, severity in [*errors, *warnings]:
        assert f"{path}:{line}:" in out
        shown = out.split(f"{path}:{line}:")[1].splitlines()[0]
        assert ("warning" in shown) == (severity == "warning"), shown

    code, out = _cli(capsys, "check", repo, *mode, "--no-cache", "--format", "json")
    body = json.loads(out)
    assert code == 1
    assert {(d["line"], d["severity"]) for d in body["errors"] if d["path"] == path} == errors
    assert [(d["line"], d["severity"]) for d in body["warnings"] if d["path"] == path] == warnings

    code, out = _cli(capsys, "check", repo, *mode, "--no-cache", "--format", "github")
    assert code == 1
    annotations = [line for line in out.splitlines() if f"file={path}" in line]
    for line, severity in [*errors, *warnings]:
        assert any(a.startswith(f"::{severity} ") and f"line={line}," in a for a in annotations), annotations

    code, out = _cli(capsys, "check", repo, *mode, "--no-cache", "--format", "json", "--strict")
    strict = {(d["line"], d["severity"]) for d in json.loads(out)["errors"] if d["path"] == path}
    assert code == 1 and strict == errors | {(line, "error") for line, _ in warnings}


def _rows(engine: Any) -> list[Any]:
    with db.session(engine) as session:
        return [
            *session.execute(select(ADR.adr_number, ADR.title, ADR.status, ADR.version)).all(),
            *session.execute(select(Feature.feature_number, Feature.name, Feature.status, Feature.version)).all(),
            *session.execute(select(Scenario.scenario_number, Scenario.title, Scenario.status,
                                    Scenario.version)).all(),
        ]


@pytest.mark.parametrize("kind", sorted(CASES))
def test_sync_reports_both_and_changes_nothing(git_repo: GitRepo, engine: Any, kind: str) -> None:
    path, text, errors, warnings = CASES[kind]
    git_repo.write(path, adr(1, "Pay") if kind == "adr" else feature(1, "Pay"))
    git_repo.commit("good")
    assert not sync(git_repo.path, engine=engine, project="shop").errors
    before = _rows(engine)

    git_repo.write(path, text)
    git_repo.commit("broken")
    result = sync(git_repo.path, engine=engine, project="shop")
    assert {(d.line, d.severity) for d in result.errors if d.path == path} == errors
    assert [(d.line, d.severity) for d in result.warnings if d.path == path] == warnings
    assert _rows(engine) == before
    with db.session(engine) as session:
        stored = session.execute(select(SourceFile.parse_error).where(SourceFile.path == path)).scalar_one()
    assert {(d["line"], d["severity"]) for d in stored} == errors | set(warnings)

    # A no-op sync reports the same (from the stored findings).
    again = sync(git_repo.path, engine=engine, project="shop")
    assert {(d.line, d.severity) for d in again.errors if d.path == path} == errors
    assert [(d.line, d.severity) for d in again.warnings if d.path == path] == warnings
