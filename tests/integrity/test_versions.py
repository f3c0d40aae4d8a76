"""``version`` is the optimistic-lock counter, and every increment has exactly one revision (issue 11, item 4);
JSON columns are mutation-tracked, nested (item 5); no column type cuts or rejects user-written text (item 3).

Run on SQLite and PostgreSQL, against real repositories synced by the real engine."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from conftest import GitRepo
from specs import adr, feature
from tracertm import db
from tracertm.errors import UsageError
from tracertm.repositories import Projects, Records, find_any
from tracertm.engine.sync import sync
from tracertm.models import ADR, Feature, Scenario, SpecRevision, StepDefinition, StepType, TestCase
from tracertm.models.audit import ACTOR_KEY
from tracertm.repositories.errors import GitOwnedField


def _revisions(engine, entity_id) -> list[SpecRevision]:  # type: ignore[no-untyped-def]
    with db.session(engine) as s:
        rows = s.execute(
            select(SpecRevision).where(SpecRevision.entity_id == entity_id).order_by(SpecRevision.version)
        ).scalars().all()
        s.expunge_all()
        return list(rows)


def _adr(engine, number: str = "ADR-0001") -> ADR:  # type: ignore[no-untyped-def]
    with db.session(engine) as s:
        row = s.execute(select(ADR).where(ADR.adr_number == number)).scalar_one()
        s.expunge(row)
        return row


def _contiguous(revs: list[SpecRevision], current: int) -> None:
    """One revision per version, 1..current, no gap and no duplicate."""
    assert [r.version for r in revs] == list(range(1, current + 1)), [(r.version, r.change) for r in revs]


def test_every_version_bump_has_exactly_one_revision(git_repo: GitRepo, engine) -> None:
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("seed")
    sync(git_repo.path, engine=engine)
    before = _adr(engine)
    assert before.version == 1

    with db.session(engine) as s:
        s.info[ACTOR_KEY] = "api:alice"
        row = s.get_one(ADR, before.id)
        row.compliance_score = 0.9
        row.approved_by = "alice"
        s.commit()
    with db.session(engine) as s:  # a second edit, no actor
        row = s.get_one(ADR, before.id)
        row.metadata["owner"] = "team-a"
        s.commit()

    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git", decision="We will use git everywhere."))
    git_repo.commit("edit")
    sync(git_repo.path, engine=engine)

    after = _adr(engine)
    revs = _revisions(engine, before.id)
    assert after.version == 4
    _contiguous(revs, 4)
    assert [r.change for r in revs] == ["created", "annotated", "annotated", "updated"]
    first_edit, second_edit = revs[1], revs[2]
    assert first_edit.actor == "api:alice" and sorted(first_edit.changed_fields or []) == ["approved_by", "compliance_score"]
    assert first_edit.snapshot == {"compliance_score": 0.9, "approved_by": "alice"}
    assert second_edit.actor is None and second_edit.changed_fields == ["adr_metadata"]
    # Database-side edits never change content_hash; the git update does.
    assert first_edit.content_hash == second_edit.content_hash == before.content_hash
    assert revs[3].content_hash == after.content_hash != before.content_hash
    assert first_edit.commit_sha is None and first_edit.sync_run_id is None
    # The database-owned fields survived the git update.
    assert (after.compliance_score, after.approved_by) == (0.9, "alice")


def test_a_write_that_changes_nothing_bumps_nothing(git_repo: GitRepo, engine) -> None:
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("seed")
    sync(git_repo.path, engine=engine)
    row_id = _adr(engine).id
    with db.session(engine) as s:
        row = s.get_one(ADR, row_id)
        row.title = row.title  # same value
        row.tags = list(row.tags)
        s.commit()
    assert _adr(engine).version == 1
    assert len(_revisions(engine, row_id)) == 1


def test_an_in_place_json_edit_that_ends_as_stored_bumps_nothing(git_repo: GitRepo, engine) -> None:
    """An in-place edit leaves SQLAlchemy no old value to compare: the same value set again, a key added and
    removed, an item appended and popped wrote a version and an ``annotated`` revision naming the column. Now only a
    real change does — ``1.0`` for ``1`` is one (JSON tells them apart), and so is a change beside an unchanged one."""
    git_repo.write("docs/adr/0001-use-git.md", "---\nowner: team-x\n---\n" + adr(1, "Use git"))
    git_repo.commit("seed")
    sync(git_repo.path, engine=engine)
    row_id = _adr(engine).id
    with db.session(engine) as s:  # a key of the database's (the file's own keys are git's: refused at flush)
        row = s.get_one(ADR, row_id)
        row.metadata["level"] = 1
        s.commit()
    with db.session(engine) as s:
        row = s.get_one(ADR, row_id)
        row.metadata["owner"] = row.metadata["owner"]
        row.metadata["scratch"] = {"a": [1]}
        del row.metadata["scratch"]
        row.tags.append("x")
        row.tags.pop()
        row.decision_drivers.extend([])
        s.commit()
    assert _adr(engine).version == 2
    assert len(_revisions(engine, row_id)) == 2
    with db.session(engine) as s:
        row = s.get_one(ADR, row_id)
        row.metadata["level"] = 1.0  # equal in Python, another JSON value
        row.tags.append("x")
        row.tags.pop()
        s.commit()
    revs = _revisions(engine, row_id)
    _contiguous(revs, 3)
    assert revs[2].changed_fields == ["adr_metadata"] and _adr(engine).metadata["level"] == 1.0
    with db.session(engine) as s:
        row = s.get_one(ADR, row_id)
        row.metadata["owner"] = row.metadata["owner"]
        row.approved_by = "carol"
        s.commit()
    revs = _revisions(engine, row_id)
    _contiguous(revs, 4)
    assert revs[3].changed_fields == ["approved_by"]


def test_a_stale_writer_gets_stale_data_error_and_writes_no_revision(git_repo: GitRepo, engine) -> None:
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("seed")
    sync(git_repo.path, engine=engine)
    row_id = _adr(engine).id
    with db.session(engine, expire_on_commit=False) as first, db.session(engine) as second:
        mine = first.get_one(ADR, row_id)
        first.commit()  # read, then the reading transaction ends (as between two HTTP requests)
        theirs = second.get_one(ADR, row_id)
        theirs.compliance_score = 0.1
        second.commit()
        mine.compliance_score = 0.2
        with pytest.raises(StaleDataError):
            first.commit()
    revs = _revisions(engine, row_id)
    _contiguous(revs, 2)
    assert _adr(engine).compliance_score == 0.1


def _refused(engine, edit, error: type[Exception] = GitOwnedField) -> str:  # type: ignore[no-untyped-def]
    """The one-line message of the flush that refuses ``edit(session)``; nothing of it is written."""
    with db.session(engine) as s:
        held = edit(s)  # noqa: F841 - the edited row, held until the flush (an in-place edit of a freed one is lost)
        with pytest.raises(error) as caught:
            s.commit()
        s.rollback()
    assert "\n" not in str(caught.value)
    return str(caught.value)


def test_an_orm_edit_of_a_git_owned_field_is_refused_at_flush(git_repo: GitRepo, engine) -> None:
    """Only sync and backfill write what the files say (docs/models.md). An ORM edit of a title was kept for good: a
    version and an ``annotated`` revision, and no later sync looked at the unchanged file again (``sync --full``:
    unchanged), so ``show`` said what the file did not. It is refused as the API refuses it (409), naming the file;
    so is a soft delete of a synced record (the next plain sync left it deleted)."""
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.write("features/login.feature", feature(1, "Login"))
    git_repo.commit("seed")
    sync(git_repo.path, engine=engine)
    row = _adr(engine)

    def one(s):  # type: ignore[no-untyped-def]
        return s.get_one(ADR, row.id)

    assert _refused(engine, lambda s: setattr(one(s), "title", "Edited via ORM")) == (
        "title of adr ADR-0001: owned by git, not the database; edit docs/adr/0001-use-git.md and commit (the next "
        "sync updates the database). Editable here: compliance_score, approved_by, approved_at, last_verified_at, "
        "metadata keys the file does not set")
    assert _refused(engine, lambda s: (edited := one(s), edited.tags.append("x"))).startswith(
        "tags of adr ADR-0001: owned by git")
    assert _refused(engine, lambda s: (edited := one(s), edited.soft_delete())) == (
        "adr ADR-0001 comes from docs/adr/0001-use-git.md: delete or restore it in git (the next sync follows)")
    assert _refused(engine, lambda s: setattr(one(s), "content_hash", "x")) == (
        "content_hash of adr ADR-0001: maintained by tracertm itself (no file sets it), so it cannot be set")
    assert _refused(engine, lambda s: setattr(s.execute(select(Scenario).where(Scenario.scenario_number == "SC-2"))
                                              .scalar_one(), "title", "x")).startswith(
        "title of scenario FEAT-1/SC-2: owned by git, not the database; edit features/login.feature and commit")
    after = _adr(engine)
    assert (after.version, after.title, after.tags, after.deleted_at) == (1, "Use git", row.tags, None)
    _contiguous(_revisions(engine, row.id), 1)
    with db.session(engine) as s:  # the database's fields beside them stay editable
        one(s).compliance_score = 0.5
        s.commit()
    assert _adr(engine).version == 2


def test_an_orm_edit_of_a_metadata_key_the_file_sets_is_refused_at_flush(git_repo: GitRepo, engine) -> None:
    """The metadata keys a file sets are git's, as the API's ``PATCH`` decides them (409): an ORM edit of one — in
    place, nested, removed, or by a new dict — was kept for good (a version, an ``annotated`` revision; ``sync
    --full`` left the unchanged file's record as edited). Refused at flush, naming the key and the file; the keys the
    file does not set stay the database's, editable beside the file's unchanged ones."""
    git_repo.write("docs/adr/0001-use-git.md", "---\nowner: team-x\nreview:\n  by: [a]\n---\n" + adr(1, "Use git"))
    git_repo.commit("seed")
    sync(git_repo.path, engine=engine)
    row = _adr(engine)

    def one(s):  # type: ignore[no-untyped-def]
        return s.get_one(ADR, row.id)

    assert _refused(engine, lambda s: (edited := one(s), edited.metadata.__setitem__("owner", "HACKED"))) == (
        "metadata 'owner' of adr ADR-0001: set by its file, so owned by git; edit docs/adr/0001-use-git.md and "
        "commit (the next sync updates the database), or use another key")
    assert _refused(engine, lambda s: (edited := one(s), edited.metadata["review"]["by"].append("b"))).startswith(
        "metadata 'review' of adr ADR-0001: set by its file")
    assert _refused(engine, lambda s: (edited := one(s), edited.metadata.pop("owner"))).startswith(
        "metadata 'owner' of adr ADR-0001")
    assert _refused(engine, lambda s: (edited := one(s), setattr(edited, "metadata", {
        **{key: value for key, value in edited.metadata.items() if key != "review"}, "mine": 1}))).startswith(
        "metadata 'review' of adr ADR-0001")
    assert _refused(engine, lambda s: setattr(one(s), "metadata", {})).startswith(
        f"metadata {', '.join(repr(key) for key in sorted(row.metadata))} of adr ADR-0001")
    assert (_adr(engine).version, _adr(engine).metadata) == (1, row.metadata)
    with db.session(engine) as s:  # the database's keys: added, changed, removed, beside the file's unchanged ones
        edited = one(s)
        edited.metadata["reviewed_by"] = "alice"
        edited.metadata["owner"] = "team-x"
        s.commit()
    with db.session(engine) as s:
        edited = one(s)
        edited.metadata = {**edited.metadata, "reviewed_by": "bob", "ticket": 7}
        s.commit()
    with db.session(engine) as s:
        edited = one(s)
        del edited.metadata["ticket"]
        s.commit()
    after = _adr(engine)
    assert after.version == 4 and after.metadata == {**row.metadata, "reviewed_by": "bob"}
    _contiguous(_revisions(engine, row.id), 4)


def test_a_version_set_by_hand_is_refused(git_repo: GitRepo, engine) -> None:
    """A version set by hand made a jump no revision accounts for (history 1, 2, 10)."""
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("seed")
    sync(git_repo.path, engine=engine)
    row_id = _adr(engine).id

    def jump(s):  # type: ignore[no-untyped-def]
        row = s.get_one(ADR, row_id)
        row.version, row.compliance_score = 10, 0.5

    assert _refused(engine, jump, UsageError) == (
        "version of adr ADR-0001: set to 10 by hand; it is the optimistic-lock counter, set by tracertm (one "
        "revision per increment): leave it alone and set only the fields to change")
    assert (_adr(engine).version, _adr(engine).compliance_score) == (1, None)
    _contiguous(_revisions(engine, row_id), 1)


def test_scenario_and_test_case_edits_are_audited(git_repo: GitRepo, engine) -> None:
    git_repo.write("features/login.feature", feature(1, "Login"))
    git_repo.commit("seed")
    sync(git_repo.path, engine=engine)
    with db.session(engine) as s:
        s.info[ACTOR_KEY] = "test-results"
        scenario = s.execute(select(Scenario).where(Scenario.scenario_number == "SC-1")).scalar_one()
        feature_row = s.get_one(Feature, scenario.feature_id)
        case = TestCase(project_id=feature_row.project_id, test_case_number="TC-1", title="t")
        s.add(case)
        s.flush()
        scenario.pass_rate = 0.5
        case.status = "passed"
        s.commit()
        scenario_id, case_id = scenario.id, case.id
    scenario_revs = _revisions(engine, scenario_id)
    _contiguous(scenario_revs, 2)
    assert scenario_revs[1].change == "annotated" and scenario_revs[1].actor == "test-results"
    assert scenario_revs[1].snapshot == {"pass_rate": 0.5, "feature_number": "FEAT-1"}
    case_revs = _revisions(engine, case_id)
    # A test case is created by the database: the ORM insert records version 1 ("created", with its fields), so its
    # history is contiguous from 1 like a synced record's.
    _contiguous(case_revs, 2)
    assert [(r.version, r.change, r.entity_type, r.number) for r in case_revs] == [
        (1, "created", "test_case", "TC-1"), (2, "annotated", "test_case", "TC-1")]
    assert case_revs[0].actor == "test-results" and case_revs[0].changed_fields is None
    assert case_revs[0].snapshot["title"] == "t" and case_revs[0].snapshot["test_case_number"] == "TC-1"


def test_history_shows_annotated_revisions_with_actor_and_fields(
    git_repo: GitRepo, engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("seed")
    sync(git_repo.path, engine=engine)
    row_id = _adr(engine).id
    with db.session(engine) as s:
        s.info[ACTOR_KEY] = "bob"
        s.get_one(ADR, row_id).compliance_score = 1.0
        s.commit()
    with db.session(engine) as s:
        project = Projects(s).resolve(None)
        kind, row = find_any(s, project, "ADR-0001")
        items = Records(s, kind).history(row)
        assert [(i.version, i.change) for i in items] == [(1, "created"), (2, "annotated")]
        assert items[1].actor == "bob" and items[1].changed_fields == ["compliance_score"]
    from tracertm.cli import main

    common = ["--database-url", database_url, "--path", str(git_repo.path)]
    assert main(["history", "ADR-0001", *common]) == 0
    out = capsys.readouterr().out
    assert "annotated (compliance_score)" in out and "bob" in out
    assert "version counts every write of the record" in out
    assert main(["show", "ADR-0001", *common]) == 0
    assert "version: 2 (every write: git changes and database-side edits" in capsys.readouterr().out


# ------------------------------------------------------------------------------------------------ item 5: JSON


def test_in_place_json_edits_persist_at_any_depth(git_repo: GitRepo, engine) -> None:
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("seed")
    sync(git_repo.path, engine=engine)
    row_id = _adr(engine).id
    with db.session(engine) as s:
        row = s.get_one(ADR, row_id)
        row.metadata["owner"] = "x"
        s.commit()
    with db.session(engine) as s:
        row = s.get_one(ADR, row_id)
        row.metadata["review"] = {"by": ["a"]}
        s.commit()
    with db.session(engine) as s:
        row = s.get_one(ADR, row_id)
        row.metadata["review"]["by"].append("b")  # nested list inside a nested dict, loaded from the database
        row.metadata["review"]["when"] = {"day": 1}
        s.commit()
    with db.session(engine) as s:
        row = s.get_one(ADR, row_id)
        row.metadata["review"]["when"]["day"] = 2  # a dict added in place in an earlier session
        s.commit()
    final = _adr(engine)
    assert final.metadata["owner"] == "x"
    assert final.metadata["review"] == {"by": ["a", "b"], "when": {"day": 2}}
    _contiguous(_revisions(engine, row_id), final.version)
    assert final.version == 5


# ----------------------------------------------------------------------------------------- item 3: column limits


def test_long_titles_names_and_numbers_sync_on_every_database(git_repo: GitRepo, engine) -> None:
    long_title = "Use " + "very " * 240 + "long titles"  # > 1,200 characters
    long_name = "Scenario " + "step " * 250
    git_repo.write("docs/adr/0001-use-git.md", adr(1, long_title))
    git_repo.write("docs/adr/0002-other.md", adr(2, "Other"))
    git_repo.write(
        "features/login.feature",
        "Feature: Login\n\n  Scenario: " + long_name + "\n    Given a thing\n    Then it works\n",
    )
    git_repo.commit("seed")
    result = sync(git_repo.path, engine=engine)
    assert result.errors == []
    assert result.counts["adr"]["created"] == 2 and result.counts["scenario"]["created"] == 1
    assert _adr(engine).title == long_title
    with db.session(engine) as s:
        scenario = s.execute(select(Scenario)).scalar_one()
        assert scenario.title == long_name.strip() and len(scenario.scenario_number) > 1000


def test_an_id_too_long_for_an_index_is_an_error_of_its_file_only(git_repo: GitRepo, engine) -> None:
    huge = "Scenario " + "word " * 700  # ~3,500 bytes: no database index takes it as a key
    git_repo.write("features/huge.feature", "Feature: Huge\n\n  Scenario: " + huge + "\n    Given a thing\n")
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("seed")
    result = sync(git_repo.path, engine=engine)
    assert [(d.path, d.line) for d in result.errors] == [("features/huge.feature", 3)]
    assert "2000-byte limit" in result.errors[0].message
    assert result.counts["adr"]["created"] == 1
    from tracertm.checker import check

    assert [d.path for d in check(git_repo.path).errors] == ["features/huge.feature"]


def test_database_metadata_keys_survive_git_changes_and_file_keys_win(git_repo: GitRepo, engine) -> None:
    """Git owns the metadata keys the parser produces; keys a database-side edit added stay through later syncs."""
    from tracertm.engine.sync import sync as run_sync

    git_repo.write("docs/adr/0001-use-git.md", "---\nowner: team-x\n---\n" + adr(1, "Use git"))
    git_repo.commit("seed")
    run_sync(git_repo.path, engine=engine)
    row_id = _adr(engine).id
    assert _adr(engine).metadata.get("owner") == "team-x"
    with db.session(engine) as s:
        row = s.get_one(ADR, row_id)
        row.metadata["reviewed_by"] = {"name": "alice"}
        s.commit()

    git_repo.write("docs/adr/0001-use-git.md", "---\nowner: team-y\n---\n" + adr(1, "Use git", decision="Changed."))
    git_repo.commit("edit")
    assert run_sync(git_repo.path, engine=engine).counts["adr"]["updated"] == 1
    after = _adr(engine)
    assert after.metadata["reviewed_by"] == {"name": "alice"}
    assert after.metadata["owner"] == "team-y"

    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git", decision="Changed again."))  # front matter gone
    git_repo.commit("drop the owner")
    run_sync(git_repo.path, engine=engine)
    final = _adr(engine)
    assert "owner" not in final.metadata, "a key removed from the file goes"
    assert final.metadata["reviewed_by"] == {"name": "alice"}
    _contiguous(_revisions(engine, row_id), final.version)


def test_a_restored_record_drops_the_metadata_keys_its_file_no_longer_has(git_repo: GitRepo, engine) -> None:
    """A record deleted and restored from a file without a key it had before: the key goes (the file owns it), keys a
    database-side edit added stay. The deletion's revision, which holds no field, is not the git revision that says
    which keys are git's: by it every key was the database's, and the old ``owner`` stayed in the row though neither
    the file nor the restored revision had it."""
    from tracertm.engine.sync import sync as run_sync

    git_repo.write("docs/adr/0001-use-git.md", "---\nowner: team-x\n---\n" + adr(1, "Use git"))
    git_repo.commit("seed")
    run_sync(git_repo.path, engine=engine)
    row_id = _adr(engine).id
    with db.session(engine) as s:
        row = s.get_one(ADR, row_id)
        row.metadata["reviewed_by"] = "alice"
        s.commit()
    git_repo.remove("docs/adr/0001-use-git.md")
    git_repo.commit("remove")
    assert run_sync(git_repo.path, engine=engine).counts["adr"]["deleted"] == 1
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))  # back, without its front matter
    git_repo.commit("restore")
    assert run_sync(git_repo.path, engine=engine).counts["adr"]["restored"] == 1
    restored = _adr(engine)
    assert "owner" not in restored.metadata, restored.metadata
    assert restored.metadata["reviewed_by"] == "alice"
    revs = _revisions(engine, row_id)
    _contiguous(revs, restored.version)
    assert revs[-1].change == "restored" and "owner" not in revs[-1].snapshot["adr_metadata"]


def test_any_session_is_audited_not_only_tracertms(git_repo: GitRepo, engine) -> None:
    """The audit lives on the models, so a plain SQLAlchemy session (an API's own sessionmaker) is covered too."""
    from sqlalchemy.orm import Session

    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("seed")
    sync(git_repo.path, engine=engine)
    row_id = _adr(engine).id
    with Session(engine, info={ACTOR_KEY: "plain"}) as s:
        s.get_one(ADR, row_id).approved_by = "carol"
        s.commit()
    revs = _revisions(engine, row_id)
    _contiguous(revs, 2)
    assert (revs[1].change, revs[1].actor, revs[1].changed_fields) == ("annotated", "plain", ["approved_by"])


def test_a_shared_library_step_definition_edit_is_audited(engine) -> None:  # type: ignore[no-untyped-def]
    """A step definition without a project (the shared library, docs/models.md) need not have a ``file::function``:
    its edit is versioned and audited under its pattern instead of failing on the revision's NOT NULL number."""
    with db.session(engine) as s, s.begin():
        row = StepDefinition(step_type=StepType.GIVEN, pattern="a signed-in user", documentation="old")
        s.add(row)
    with db.session(engine) as s:
        s.info[ACTOR_KEY] = "librarian"
        row = s.execute(select(StepDefinition)).scalar_one()
        row.documentation = "new"
        s.commit()
        row_id = row.id
        assert row.version == 2
    revs = _revisions(engine, row_id)
    assert [(r.version, r.change, r.entity_type, r.number, r.project_id, r.actor, r.changed_fields, r.snapshot)
            for r in revs] == [(2, "annotated", "step_definition", "a signed-in user", None, "librarian",
                                ["documentation"], {"documentation": "new"})]
