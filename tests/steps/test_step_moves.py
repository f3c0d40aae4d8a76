"""A moved step file keeps its definitions (identity ``file::function``): ``git mv`` — also with small edits — is a
``moved`` revision of the same rows (same ids, usage and links kept; the version moves only when a pattern
changed), following ``engine.moves``'s rules for other kinds; a definition added or removed in the same commit is
created or deleted on its own. Sync and backfill agree, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from conftest import GitRepo
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill
from tracertm.models import SpecRevision, StepDefinition
from tracertm.steps.packed import match_rows

FEATURE = """\
Feature: Basket
  Scenario: add
    Given an empty basket
    When I add 2 "apples"
    Then the basket holds 2 items
"""
STEPS = r"""const { Given, When, Then } = require('@cucumber/cucumber');

Given('an empty basket', function empty() {});

When('I add {int} {string}', function add(n, what) {
  // adds n of what
});

Then(/^the basket holds (\d+) items?$/, function holds(n) {});

Then('the basket is emptied', function emptied() {});

Then('the basket is saved', () => {});
"""
OLD = "features/step_definitions/basket.js"
NEW = "features/step_definitions/shop/basket.js"
LAST = "features/step_definitions/checkout.js"


def _edited(text: str) -> str:
    """Small edits with the move: a body edited, one definition removed, one added, one pattern changed."""
    return (text.replace("// adds n of what", "// adds n pieces of what")
            .replace("Then('the basket is emptied', function emptied() {});\n", "")
            .replace("items?$/", "items?\\.?$/")
            + "\nThen('the basket is paid', function paid() {});\n")


def _mv(repo: GitRepo, old: str, new: str) -> None:
    (repo.path / new).parent.mkdir(parents=True, exist_ok=True)
    repo.git("mv", old, new)


def _history(repo: GitRepo) -> None:
    repo.write("features/basket.feature", FEATURE)
    repo.write(OLD, STEPS)
    repo.commit("steps", date="2024-01-01T09:00:00+00:00")
    _mv(repo, OLD, NEW)
    repo.commit("pure move", date="2024-01-02T09:00:00+00:00")
    _mv(repo, NEW, LAST)
    repo.write(LAST, _edited(STEPS))
    repo.commit("move with small edits", date="2024-01-03T09:00:00+00:00")


def _rows(engine: Any) -> dict[str, tuple[Any, ...]]:
    with db.session(engine) as session:
        rows = session.scalars(select(StepDefinition).execution_options(include_deleted=True)).all()
        return {r.step_number: (r.id, r.version, r.usage_count, r.deleted_at is not None, r.source_path)
                for r in rows}


def _changes(engine: Any) -> list[tuple[str, str, int, Any]]:
    with db.session(engine) as session:
        rows = session.execute(
            select(SpecRevision.number, SpecRevision.change, SpecRevision.version, SpecRevision.entity_id)
            .where(SpecRevision.entity_type == "step_definition")
            .order_by(SpecRevision.number, SpecRevision.version, SpecRevision.change)
        ).all()
        return [tuple(r) for r in rows]  # type: ignore[misc]


def _final_state(engine: Any, before: dict[str, tuple[Any, ...]] | None = None) -> None:
    rows = _rows(engine)
    live = {n: r for n, r in rows.items() if not r[3]}
    assert {n: r[1] for n, r in live.items()} == {
        f"{LAST}::empty": 1, f"{LAST}::add": 1, f"{LAST}::then(the basket is saved)": 1,
        f"{LAST}::holds": 2,  # its pattern changed with the move: one new version
        f"{LAST}::paid": 1,
    }
    assert all(r[4] == LAST for r in live.values())
    # The one removed with the move is deleted at its last place; nothing else is.
    assert [n for n, r in rows.items() if r[3]] == [f"{NEW}::emptied"]
    changes = _changes(engine)
    holds_id = live[f"{LAST}::holds"][0]
    assert sorted((v, c, n) for n, c, v, i in changes if i == holds_id) == [
        (1, "created", f"{OLD}::holds"), (1, "moved", f"{NEW}::holds"), (2, "moved", f"{LAST}::holds")]
    assert {c for _, c, _, _ in changes} == {"created", "moved", "deleted"}
    assert sorted(n for n, c, _, _ in changes if c == "created") == [
        f"{OLD}::add", f"{OLD}::emptied", f"{OLD}::empty", f"{OLD}::holds", f"{OLD}::then(the basket is saved)",
        f"{LAST}::paid"]
    if before is not None:  # the same rows as before the moves
        for name in ("add", "empty", "holds", "then(the basket is saved)"):
            assert live[f"{LAST}::{name}"][0] == before[f"{OLD}::{name}"][0]


def test_sync_follows_a_moved_step_file(git_repo: GitRepo, database_url: str) -> None:
    engine = db.make_engine(database_url)
    try:
        git_repo.write("features/basket.feature", FEATURE)
        git_repo.write(OLD, STEPS)
        git_repo.commit("steps")
        sync(git_repo.path, engine=engine)
        before = _rows(engine)
        with db.session(engine) as session:
            links_before = sorted((m.step_text, m.step_definition_id) for m in match_rows(session))

        _mv(git_repo, OLD, NEW)
        git_repo.commit("pure move")
        moved = sync(git_repo.path, engine=engine)
        assert moved.counts["step_definition"] | {"unchanged": 0} == {
            "created": 0, "updated": 0, "deleted": 0, "restored": 0, "moved": 5, "unchanged": 0, "errors": 0}
        after = _rows(engine)
        assert {n.split("::")[1]: r[:4] for n, r in after.items()} == {
            n.split("::")[1]: r[:4] for n, r in before.items()}, "same rows, versions and usage counts"
        with db.session(engine) as session:
            links_after = sorted((m.step_text, m.step_definition_id) for m in match_rows(session))
        assert links_after == links_before

        _mv(git_repo, NEW, LAST)
        git_repo.write(LAST, _edited(STEPS))
        git_repo.commit("move with small edits")
        edited = sync(git_repo.path, engine=engine)
        counts = edited.counts["step_definition"]
        assert (counts["moved"], counts["created"], counts["deleted"]) == (4, 1, 1)
        _final_state(engine, before)
    finally:
        engine.dispose()


def test_backfill_follows_a_moved_step_file_like_sync(git_repo: GitRepo, database_url: str) -> None:
    _history(git_repo)
    engine = db.make_engine(database_url)
    try:
        backfill(git_repo.path, engine=engine, project="p")
        _final_state(engine)
    finally:
        engine.dispose()


def test_a_moved_and_rewritten_step_file_is_not_a_move(git_repo: GitRepo, database_url: str) -> None:
    """Below git's 50% similarity a new file is a new file: its definitions are new even where names repeat."""
    engine = db.make_engine(database_url)
    try:
        git_repo.write(OLD, STEPS)
        git_repo.commit("steps")
        sync(git_repo.path, engine=engine)
        git_repo.remove(OLD)
        git_repo.write(LAST, "const { Given } = require('@cucumber/cucumber');\n"
                             "Given('a wholly new step', function empty() {});\n")
        git_repo.commit("rewritten")
        result = sync(git_repo.path, engine=engine)
        counts = result.counts["step_definition"]
        assert (counts["moved"], counts["created"], counts["deleted"]) == (0, 1, 5)
    finally:
        engine.dispose()


def _step_links(engine: Any) -> list[tuple[Any, ...]]:
    from tracertm.models import Link

    with db.session(engine) as session:
        rows = session.execute(
            select(Link.source_ref, Link.target_ref, StepDefinition.step_number)
            .join(StepDefinition, StepDefinition.id == Link.target_id).where(Link.link_type == "step")
        ).all()
        return sorted(tuple(r) for r in rows)


def test_step_links_name_a_moved_definition_by_its_new_identity(git_repo: GitRepo, database_url: str) -> None:
    """A step link names its definition by identity (``file::function``): when the definition moves, the link
    follows it (sync, backfill), as a fresh sync of the same commit writes it; ``sync --full`` mends a link left
    naming the old identity."""
    from sqlalchemy import update

    from tracertm.models import Link

    _history(git_repo)
    engine = db.make_engine(database_url)
    try:
        for sha in git_repo.git("rev-list", "--reverse", "HEAD").split():
            sync(git_repo.path, ref=sha, engine=engine, project="p")
        links = _step_links(engine)
        assert links and all(ref == number for _, ref, number in links)
        assert {ref for _, ref, _ in links} <= {f"{LAST}::{name}" for name in ("empty", "add", "holds", "paid")}
        with engine.begin() as conn:  # as a sync before moves were followed left them
            conn.execute(update(Link).where(Link.link_type == "step").values(target_ref="old/" + Link.target_ref))
        sync(git_repo.path, ref="HEAD", engine=engine, project="p", full=True)
        assert _step_links(engine) == links
    finally:
        engine.dispose()
    filled = db.make_engine(database_url.replace(".db", "-backfill.db")) if database_url.startswith("sqlite") \
        else None
    if filled is not None:
        try:
            backfill(git_repo.path, engine=filled, project="p")
            assert _step_links(filled) == links
        finally:
            filled.dispose()


def test_a_backfill_matches_steps_as_a_sync_of_each_commit(git_repo: GitRepo, database_url: str) -> None:
    """A backfill ends with the step matches, usage counts and step links a sync of the head gives (its batches
    write the definitions; the matching is done once, at the end): the same as syncing each commit."""
    _history(git_repo)
    git_repo.write("features/step_definitions/types.js",
                   "defineParameterType({name: 'fruit', regexp: /apples?|pears?/});\n"
                   "When('I eat {int} {fruit}', function eat(n, f) {});\n")
    git_repo.write("features/eat.feature", "Feature: Eat\n  Scenario: eat\n    When I eat 2 pears\n")
    git_repo.commit("a custom parameter type")
    synced = db.make_engine(database_url)
    filled = db.make_engine(database_url.replace(".db", "-backfill.db")) if database_url.startswith("sqlite") \
        else None
    if filled is None:
        pytest.skip("one database of each is enough: the SQLite run compares them")
    try:
        for sha in git_repo.git("rev-list", "--reverse", "HEAD").split():
            sync(git_repo.path, ref=sha, engine=synced, project="p")
        backfill(git_repo.path, engine=filled, project="p")
        for engine in (synced, filled):
            with db.session(engine) as session:
                matches = sorted((m.step_text, m.status) for m in match_rows(session))
            assert ("I eat 2 pears", "defined") in matches
        results = []
        for engine in (synced, filled):
            rows = _rows(engine)
            numbers = {r[0]: n for n, r in rows.items()}
            with db.session(engine) as session:
                matches = sorted((m.step_text, m.status, numbers.get(m.step_definition_id)) for m in match_rows(session))
            results.append((matches, {n: r[1:] for n, r in rows.items()}, _step_links(engine)))
        assert results[0] == results[1]
    finally:
        synced.dispose()
        filled.dispose()


def test_a_moved_file_keeps_its_definitions_short_ids(git_repo: GitRepo, database_url: str) -> None:
    """``STEP-n`` follows each definition's identity when it was first synced: a file moved past another file of the
    same first sync (``a.js`` → ``z.js``, beyond ``m.js``) does not swap their numbers."""
    from tracertm.models import Project
    from tracertm.steps.queries import find_definition, short_ids

    engine = db.make_engine(database_url)
    try:
        git_repo.write("features/basket.feature", FEATURE)
        git_repo.write("features/step_definitions/a.js", "const { Given } = require('@cucumber/cucumber');\n"
                       "Given('an empty basket', function empty() {});\n")
        git_repo.write("features/step_definitions/m.js", "const { When } = require('@cucumber/cucumber');\n"
                       "When('I add {int} {string}', function add(n, what) {});\n")
        git_repo.commit("steps")
        sync(git_repo.path, engine=engine)

        def numbers() -> dict[str, str]:
            with db.session(engine) as session:
                project = session.scalars(select(Project)).one()
                ids = short_ids(session, project.id)
                rows = session.scalars(select(StepDefinition)).all()
                found = {ids[r.id]: r.step_number for r in rows}
                for short, identity in found.items():  # the short id finds the row it names
                    definition = find_definition(session, project, short)
                    assert definition is not None and definition.step_number == identity
                return found

        assert numbers() == {"STEP-1": "features/step_definitions/a.js::empty",
                             "STEP-2": "features/step_definitions/m.js::add"}
        _mv(git_repo, "features/step_definitions/a.js", "features/step_definitions/z.js")
        git_repo.commit("move a past m")
        sync(git_repo.path, engine=engine)
        assert numbers() == {"STEP-1": "features/step_definitions/z.js::empty",
                             "STEP-2": "features/step_definitions/m.js::add"}
    finally:
        engine.dispose()
