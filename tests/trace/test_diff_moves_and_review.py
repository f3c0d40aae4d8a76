"""``tracertm diff``'s parse method pairs a renamed file's records as sync does (a step file with several
definitions, a contract file with several id-less documents), names a scenario that exists on one side only by the
id it had there, and ``tracertm review '#N'`` of a dangling link says what to fix, as the API's PATCH does — real
git repositories, SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import GitRepo
from tracertm.cli import main
from tracertm.trace.diff import diff

STEPS = ('from behave import given\n\n@given("a user")\ndef gu(ctx):\n    pass\n\n'
         '@given("a bad user")\ndef gb(ctx):\n    pass\n')
UNTAGGED = "Feature: U\n  Scenario: u1\n    Given x\n  Scenario: u2\n    Given y\n"


def _changes(result: Any) -> list[tuple[Any, ...]]:
    return [(c.action, c.kind, c.id, c.path, c.from_path, c.fields) for c in result.changes]


def _both(repo: GitRepo, a: str, b: str, database_url: str) -> list[tuple[Any, ...]]:
    """The changes from ``a`` to ``b`` by parsing; the backfilled history must say the same."""
    parsed = diff(repo.path, a, b, method="parse")
    recorded = diff(repo.path, a, b, method="history", database_url=database_url)
    assert (parsed.method, recorded.method) == ("parse", "history")
    assert _changes(parsed) == _changes(recorded), (a, b)
    return _changes(parsed)


def test_a_moved_step_file_and_a_moved_contract_file_of_several_documents_are_moves(
        git_repo: GitRepo, engine: Any, database_url: str) -> None:
    """README: "A moved step file keeps its definitions" — each definition (``file::function``) and each id-less
    document (``pay``, ``pay#2``) is ``moved`` in both methods, also with a definition added on the way."""
    from tracertm.history.backfill import backfill

    git_repo.write("features/f.feature", "Feature: F\n  Scenario: s\n    Given a user\n    Given a bad user\n")
    git_repo.write("features/steps/s.py", STEPS)
    git_repo.write("contracts/pay.yaml", "title: A\n---\ntitle: B\n")
    first = git_repo.commit("one")
    git_repo.git("mv", "features/steps/s.py", "features/steps/t.py")
    git_repo.git("mv", "contracts/pay.yaml", "contracts/money.yaml")
    second = git_repo.commit("move")
    git_repo.write("features/steps/t.py", STEPS + '\n@given("a good user")\ndef gg(ctx):\n    pass\n')
    git_repo.commit("a third definition")
    git_repo.git("mv", "features/steps/t.py", "features/steps/u.py")
    git_repo.write("features/steps/u.py", STEPS + '\n@given("a good user")\ndef gg(ctx):\n    pass\n'
                   + '\n@given("a new user")\ndef gn(ctx):\n    pass\n')
    last = git_repo.commit("move and add")
    backfill(git_repo.path, engine=engine)

    s, t, u = "features/steps/s.py", "features/steps/t.py", "features/steps/u.py"
    assert _both(git_repo, first, second, database_url) == [
        ("moved", "contract", "money", "contracts/money.yaml", "contracts/pay.yaml", ()),
        ("moved", "contract", "money#2", "contracts/money.yaml", "contracts/pay.yaml", ()),
        ("moved", "step_definition", f"{t}::gb", t, s, ()),
        ("moved", "step_definition", f"{t}::gu", t, s, ()),
    ]
    moved = _both(git_repo, second, last, database_url)
    assert [(a, i) for a, _, i, *_ in moved] == [
        ("moved", f"{u}::gb"), ("created", f"{u}::gg"), ("created", f"{u}::gn"), ("moved", f"{u}::gu")]
    back = _both(git_repo, second, first, database_url)  # backwards: the same pairs, the ids of the second commit
    assert [(a, i, p, f) for a, _, i, p, f, _ in back] == [
        ("moved", "pay", "contracts/pay.yaml", "contracts/money.yaml"),
        ("moved", "pay#2", "contracts/pay.yaml", "contracts/money.yaml"),
        ("moved", f"{s}::gb", s, t), ("moved", f"{s}::gu", s, t)]


def test_a_scenario_on_one_side_of_a_feature_rename_keeps_the_id_it_had(
        git_repo: GitRepo, engine: Any, database_url: str) -> None:
    """An untagged feature renamed with a scenario added and one removed: diffed backwards, the added scenario is
    deleted under the id it had (``x/v/u3``), never under the old feature's id it never had (``x/u/u3``)."""
    from tracertm.history.backfill import backfill

    git_repo.write("features/x/u.feature", UNTAGGED + "  Scenario: u5\n    Given w\n")
    first = git_repo.commit("c1")
    git_repo.git("mv", "features/x/u.feature", "features/x/v.feature")
    git_repo.write("features/x/v.feature", UNTAGGED + "  Scenario: u3\n    Given z\n")
    last = git_repo.commit("c2")
    backfill(git_repo.path, engine=engine)

    u, v = "features/x/u.feature", "features/x/v.feature"
    assert _both(git_repo, last, first, database_url) == [
        ("moved", "feature", "x/u", u, v, ()),
        ("moved", "scenario", "x/u/u1", u, v, ()),
        ("moved", "scenario", "x/u/u2", u, v, ()),
        ("created", "scenario", "x/u/u5", u, None, ()),
        ("deleted", "scenario", "x/v/u3", v, None, ()),
    ]
    # Forwards, the removed scenario went with its feature (sync recorded its deletion under the new id).
    assert _both(git_repo, first, last, database_url) == [
        ("moved", "feature", "x/v", v, u, ()),
        ("moved", "scenario", "x/v/u1", v, u, ()),
        ("moved", "scenario", "x/v/u2", v, u, ()),
        ("created", "scenario", "x/v/u3", v, None, ()),
        ("deleted", "scenario", "x/v/u5", u, None, ()),
    ]


def test_reviewing_a_dangling_link_by_number_says_which_reference_to_fix(
        git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """``tracertm review '#N'`` of a dangling link: one line naming the reference's file:line and what to do, exit 1
    (the reference is the spec error ``check`` reports), nothing written — as the API's ``PATCH /links/N`` (409)."""
    from sqlalchemy import select

    from tracertm import db
    from tracertm.models import Link

    git_repo.write("docs/adr/0001-a.md", "# 1. A\n\n## Status\n\nAccepted\n")
    git_repo.write("features/a.feature", "@FEAT-1 @ADR-4\nFeature: A\n  Scenario: one\n    Given x\n")
    git_repo.commit("init")
    opts = ["--path", str(git_repo.path), "--database-url", database_url]
    main(["sync", str(git_repo.path), "--database-url", database_url])
    capsys.readouterr()
    assert main(["status", "--format", "json", *opts]) == 0
    dangling = json.loads(capsys.readouterr().out)["links"]["dangling_links"]
    number = next(x["id"] for x in dangling if x["source"]["id"] == "FEAT-1")

    for selector in (f"#{number}", str(number)):
        code = main(["review", selector, *opts])
        out, err = capsys.readouterr()
        assert code == 1, (out, err)
        assert out == "" and err.count("\n") == 1, err
        assert "dangling" in err and "ADR-0004" in err and "features/a.feature:1" in err and "fix" in err, err
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            assert session.execute(select(Link.reviewed_by).where(Link.id == number)).scalar_one() is None
    finally:
        engine.dispose()
    # A record's links: its dangling ones are not suspect, nothing to review (as before).
    assert main(["review", "FEAT-1", *opts]) == 0
    assert capsys.readouterr().out.strip() == "no suspect link to review for FEAT-1"
