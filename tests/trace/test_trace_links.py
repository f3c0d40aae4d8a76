"""Links derived by sync: created with the records, followed as targets change, suspect after a target's content
changes, dangling when a target is missing — on SQLite and PostgreSQL, against real git repositories."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from conftest import GitRepo
from specs import adr, contract
from tracertm.engine.links import LINKS_FORMAT, derive
from tracertm.engine.sync import sync
from tracertm.models import ADR, Link, Project
from tracertm.parsers.records import DEFAULT_OPTIONS

FEATURE = """@FEAT-1 @ADR-1 @REQ-7
Feature: Refunds
  Implements the decision of ADR-2.

  @SC-1 @ADR-0003
  Scenario: full refund
    Given a paid order
    When I refund it
    Then the money is back

  @SC-2 @REQ-9
  Scenario: partial refund
    Covers REQ-10 as well.
    Given a paid order
    When I refund half
    Then half the money is back
"""


def seed(repo: GitRepo) -> None:
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git", extra="\nRelates to REQ-1.\n"))
    repo.write("docs/adr/0002-use-postgres.md", adr(2, "Use PostgreSQL", status="Accepted\n\nSupersedes [1. Use git](0001-use-git.md)"))
    repo.write("docs/adr/0003-use-queues.md", adr(3, "Use queues", extra="\nSee ADR-0002.\n"))
    repo.write("contracts/refunds.yaml", contract(1, "Refunds") + "metadata: {decision: ADR-0003, requirement: REQ-7}\n")
    repo.write("features/refunds.feature", FEATURE)
    repo.commit("seed")


def links(engine: Any) -> dict[tuple[str, str, str], Any]:
    t = Link.__table__
    with engine.connect() as conn:
        rows = conn.execute(select(t)).mappings().all()
    return {(r["source_ref"], r["link_type"], r["target_ref"]): r for r in rows}


def test_derive_is_pure_and_covers_every_kind() -> None:
    adr_fields = {"adr_number": "ADR-0002", "supersedes": "ADR-0001", "superseded_by": None,
                  "related_adrs": ["ADR-0001", "ADR-0004"], "related_requirements": ["REQ-1"]}
    assert [tuple(x) for x in derive("adr", adr_fields, DEFAULT_OPTIONS)] == [
        ("supersedes", "adr", "ADR-0001"), ("related", "adr", "ADR-0004"), ("covers", "requirement", "REQ-1")]
    scenario = {"scenario_number": "SC-1", "tags": ["ADR-3"], "description": "see adr-12",
                "scenario_metadata": {"inherited_tags": ["FEAT-1", "ADR-1"]}, "requirement_ids": ["REQ-2"]}
    assert [tuple(x) for x in derive("scenario", scenario, DEFAULT_OPTIONS)] == [
        ("implements", "adr", "ADR-0003"), ("implements", "adr", "ADR-0001"), ("implements", "adr", "ADR-0012"),
        ("covers", "requirement", "REQ-2")]
    huge = {"adr_number": "ADR-0001", "related_adrs": [], "related_requirements": ["REQ-" + "9" * 600, "REQ-3"]}
    assert [x.target_ref for x in derive("adr", huge, DEFAULT_OPTIONS)] == ["REQ-3"]
    ctr = {"contract_number": "CTR-0001", "title": "x", "contract_metadata": {"decision": "ADR-0003 and REQ-4"}}
    assert [tuple(x) for x in derive("contract", ctr, DEFAULT_OPTIONS)] == [
        ("implements", "adr", "ADR-0003"), ("covers", "requirement", "REQ-4")]


def test_sync_derives_links_and_resolves_targets(git_repo: GitRepo, engine: Any) -> None:
    seed(git_repo)
    result = sync(git_repo.path, engine=engine)
    assert result.errors == [] and result.links == []
    found = links(engine)
    expected = {
        ("ADR-0001", "covers", "REQ-1"), ("ADR-0002", "supersedes", "ADR-0001"), ("ADR-0003", "related", "ADR-0002"),
        ("CTR-0001", "implements", "ADR-0003"), ("CTR-0001", "covers", "REQ-7"),
        ("FEAT-1", "implements", "ADR-0001"), ("FEAT-1", "implements", "ADR-0002"), ("FEAT-1", "covers", "REQ-7"),
        ("FEAT-1/SC-1", "implements", "ADR-0003"), ("FEAT-1/SC-1", "implements", "ADR-0001"),
        ("FEAT-1/SC-1", "covers", "REQ-7"), ("FEAT-1/SC-2", "implements", "ADR-0001"),
        ("FEAT-1/SC-2", "covers", "REQ-9"), ("FEAT-1/SC-2", "covers", "REQ-10"), ("FEAT-1/SC-2", "covers", "REQ-7"),
    }
    assert expected <= set(found), expected - set(found)
    with engine.connect() as conn:
        adr_ids = dict(conn.execute(select(ADR.adr_number, ADR.id)).all())
    link = found[("FEAT-1/SC-1", "implements", "ADR-0003")]
    assert link["target_id"] == adr_ids["ADR-0003"] and link["target_version"] == 1 == link["reviewed_version"]
    assert link["source_path"] == "features/refunds.feature" and link["source_line"] > 1
    assert found[("FEAT-1", "covers", "REQ-7")]["target_id"] is None  # requirements are ids, not rows

    before = links(engine)
    again = sync(git_repo.path, engine=engine)
    assert not again.changed and links(engine) == before, "a no-op sync must not touch links"


def test_a_rules_and_an_examples_description_link_and_version_a_scenario(git_repo: GitRepo, engine: Any) -> None:
    """ADR mentions in a Rule's description and an Examples block's link each scenario they reach, at their lines;
    editing either is a version of the scenario; the Rule's description is shown with it (metadata). Both were
    dropped: no link, no version."""
    from tracertm.models import Scenario

    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.write("docs/adr/0002-use-postgres.md", adr(2, "Use PostgreSQL"))
    feature = ("Feature: f\n  Rule: r\n    Refunds are capped, see ADR-0001\n    Scenario Outline: s\n"
               "      Given a <x>\n\n      Examples:\n        Big ones need ADR-0002\n        | x |\n        | 1 |\n")
    git_repo.write("features/a.feature", feature)
    git_repo.commit("ruled")
    assert sync(git_repo.path, engine=engine).errors == []
    found = links(engine)
    assert found[("a/s", "implements", "ADR-0001")]["source_line"] == 3
    assert found[("a/s", "implements", "ADR-0002")]["source_line"] == 8
    for old, new in (("capped", "limited"), ("Big ones", "Large ones")):
        git_repo.write("features/a.feature", feature := feature.replace(old, new))
        git_repo.commit(f"{old} edited")
        sync(git_repo.path, engine=engine)
    with engine.connect() as conn:
        version, metadata, examples = conn.execute(
            select(Scenario.version, Scenario.metadata_, Scenario.examples)).one()
    assert version == 3
    assert (metadata["rule_description"], examples[0]["description"]) == ("Refunds are limited, see ADR-0001",
                                                                          "Large ones need ADR-0002")


def test_target_change_makes_links_suspect_and_source_edits_keep_review(git_repo: GitRepo, engine: Any) -> None:
    seed(git_repo)
    sync(git_repo.path, engine=engine)
    git_repo.write("docs/adr/0003-use-queues.md", adr(3, "Use queues", decision="We will use Kafka.", extra="\nSee ADR-0002.\n"))
    sync(git_repo.path, engine=engine)
    found = links(engine)
    for key in [("FEAT-1/SC-1", "implements", "ADR-0003"), ("CTR-0001", "implements", "ADR-0003")]:
        assert found[key]["target_version"] == 2 and found[key]["reviewed_version"] == 1, key
    assert found[("FEAT-1/SC-2", "implements", "ADR-0001")]["target_version"] == 1  # untouched target

    # Reformatting the target (same content hash) is not a new version: nothing more becomes suspect.
    git_repo.write("docs/adr/0001-use-git.md", "\n" + git_repo.read("docs/adr/0001-use-git.md"))
    sync(git_repo.path, engine=engine)
    assert links(engine)[("FEAT-1/SC-2", "implements", "ADR-0001")]["target_version"] == 1

    # Editing the source does not clear the suspicion: only a review does.
    git_repo.write("features/refunds.feature", FEATURE.replace("When I refund it", "When I refund it fully"))
    sync(git_repo.path, engine=engine)
    link = links(engine)[("FEAT-1/SC-1", "implements", "ADR-0003")]
    assert (link["target_version"], link["reviewed_version"]) == (2, 1)


def test_database_side_edits_do_not_make_links_suspect(git_repo: GitRepo, engine: Any) -> None:
    seed(git_repo)
    sync(git_repo.path, engine=engine)
    from tracertm import db

    with db.session(engine) as session:  # an 'annotated' edit through the ORM: version 1 → 2, no sync
        session.info["actor"] = "api:alice"
        row = session.execute(select(ADR).where(ADR.adr_number == "ADR-0003")).scalar_one()
        row.compliance_score = 0.5
        session.commit()
        assert row.version == 2
    git_repo.write("features/refunds.feature", FEATURE.replace("Then the money is back", "Then the money is back!"))
    sync(git_repo.path, engine=engine)
    link = links(engine)[("FEAT-1/SC-1", "implements", "ADR-0003")]
    assert link["target_version"] == link["reviewed_version"] == 1
    # The next content change (version 3) does make it suspect.
    git_repo.write("docs/adr/0003-use-queues.md", adr(3, "Use queues", decision="Kafka.", extra="\nSee ADR-0002.\n"))
    sync(git_repo.path, engine=engine)
    link = links(engine)[("FEAT-1/SC-1", "implements", "ADR-0003")]
    assert (link["target_version"], link["reviewed_version"]) == (3, 1)


def test_dangling_links_are_findings_and_resolve_when_the_target_appears(git_repo: GitRepo, engine: Any) -> None:
    seed(git_repo)
    git_repo.write("features/refunds.feature", FEATURE.replace("@ADR-0003", "@ADR-0009"))
    git_repo.commit("typo")
    result = sync(git_repo.path, engine=engine)
    assert [(d.path, d.severity) for d in result.links] == [("features/refunds.feature", "warning")]
    assert "ADR-0009" in result.links[0].message and "FEAT-1/SC-1" in result.links[0].message
    assert links(engine)[("FEAT-1/SC-1", "implements", "ADR-0009")]["target_id"] is None

    git_repo.write("docs/adr/0009-later.md", adr(9, "Later"))
    result = sync(git_repo.path, engine=engine)
    assert result.links == []
    link = links(engine)[("FEAT-1/SC-1", "implements", "ADR-0009")]
    assert link["target_id"] is not None and link["target_version"] == link["reviewed_version"] == 1

    # Deleting a target leaves its links dangling (reported), restoring it makes them suspect (new version).
    git_repo.remove("docs/adr/0003-use-queues.md")
    result = sync(git_repo.path, engine=engine)
    assert [d.message.split(",")[0] for d in result.links] == ["dangling link: CTR-0001 implements ADR-0003"]
    assert result.links[0].path == "contracts/refunds.yaml"
    assert links(engine)[("CTR-0001", "implements", "ADR-0003")]["target_id"] is None
    git_repo.write("docs/adr/0003-use-queues.md", adr(3, "Use queues", extra="\nSee ADR-0002.\n"))
    sync(git_repo.path, engine=engine)
    link = links(engine)[("CTR-0001", "implements", "ADR-0003")]
    assert (link["target_version"], link["reviewed_version"]) == (3, 1)


def test_deleting_a_source_removes_its_links(git_repo: GitRepo, engine: Any) -> None:
    seed(git_repo)
    sync(git_repo.path, engine=engine)
    git_repo.write("features/refunds.feature", FEATURE.split("  @SC-2")[0])
    sync(git_repo.path, engine=engine)
    assert not [k for k in links(engine) if k[0] == "FEAT-1/SC-2"]
    git_repo.remove("features/refunds.feature")
    sync(git_repo.path, engine=engine)
    assert not [k for k in links(engine) if k[0].startswith("FEAT-1")]


def test_links_are_rebuilt_once_for_a_database_synced_before_links(git_repo: GitRepo, engine: Any) -> None:
    seed(git_repo)
    sync(git_repo.path, engine=engine)
    expected = set(links(engine))
    with engine.begin() as conn:  # as a database migrated to 0009 from an older schema looks
        conn.execute(Link.__table__.delete())
        conn.execute(update(Project).values(project_metadata={}))
    result = sync(git_repo.path, engine=engine)
    assert not result.changed and set(links(engine)) == expected
    with engine.connect() as conn:
        assert conn.execute(select(Project.metadata_)).scalar_one()["links_format"] == LINKS_FORMAT == 4


def test_backfill_leaves_the_links_of_head(git_repo: GitRepo, engine: Any) -> None:
    from tracertm.history.backfill import backfill

    seed(git_repo)
    git_repo.write("docs/adr/0003-use-queues.md", adr(3, "Use queues", decision="Kafka.", extra="\nSee ADR-0002.\n"))
    git_repo.commit("kafka")
    backfill(git_repo.path, engine=engine)
    found = links(engine)
    link = found[("FEAT-1/SC-1", "implements", "ADR-0003")]
    # Born when the scenario first named ADR-0003 (at its version 1), as a sync of each commit leaves it: the ADR
    # changed since, so the link is suspect (history.births).
    assert (link["target_version"], link["reviewed_version"]) == (2, 1)
    sync_result = sync(git_repo.path, engine=engine)
    assert not sync_result.changed and links(engine) == found


def test_moved_source_keeps_its_links_and_reviews(git_repo: GitRepo, engine: Any) -> None:
    seed(git_repo)
    sync(git_repo.path, engine=engine)
    git_repo.write("docs/adr/0003-use-queues.md", adr(3, "Use queues", decision="Kafka.", extra="\nSee ADR-0002.\n"))
    sync(git_repo.path, engine=engine)
    before = links(engine)[("FEAT-1/SC-1", "implements", "ADR-0003")]
    git_repo.git("add", "-A")
    git_repo.git("mv", "features/refunds.feature", "features/money-back.feature")
    sync(git_repo.path, engine=engine)
    after = links(engine)[("FEAT-1/SC-1", "implements", "ADR-0003")]
    assert after["id"] == before["id"] and after["source_path"] == "features/money-back.feature"
    assert (after["target_version"], after["reviewed_version"]) == (2, 1)


def test_a_broken_file_changes_no_link(git_repo: GitRepo, engine: Any) -> None:
    seed(git_repo)
    sync(git_repo.path, engine=engine)
    before = links(engine)
    git_repo.write("features/refunds.feature", FEATURE.replace("  @SC-1 @ADR-0003\n", "  @SC-1 @ADR-0009 Scenario: broken\n"))
    git_repo.write("docs/adr/0002-use-postgres.md", b"# 2. Use PostgreSQL\n\xff\xfe\n")
    result = sync(git_repo.path, engine=engine)
    assert len(result.errors) == 2
    assert links(engine) == before


def test_an_adr_replacing_two_links_to_both(git_repo: GitRepo, engine: Any) -> None:
    """``adr new -s 2 -s 3`` writes two ``Supercedes`` lines in ADR 4 (and ``Superceded by`` in ADR 2 and 3); a
    later ``adr new -s 2`` a second ``Superceded by`` in ADR 2. Only the first was a ``supersedes`` link: ADR-0003
    was a ``related`` one, while ADR-0003 named ADR-0004 its successor. Every sync path derives them all, each at
    its line (``sync --full`` and a backfill read them back from the stored ADR)."""
    git_repo.write("docs/adr/0002-use-kafka.md", adr(2, "Use Kafka", status="Superceded by [4. Use Cockroach]"
                   "(0004-use-cockroach.md)\n\nSuperceded by [5. Use Pulsar](0005-use-pulsar.md)"))
    git_repo.write("docs/adr/0003-use-postgres.md", adr(3, "Use Postgres", status="Superceded by "
                   "[4. Use Cockroach](0004-use-cockroach.md)"))
    git_repo.write("docs/adr/0004-use-cockroach.md", adr(4, "Use Cockroach", status="Accepted\n\nSupercedes "
                   "[2. Use Kafka](0002-use-kafka.md)\n\nSupercedes [3. Use Postgres](0003-use-postgres.md)"))
    git_repo.write("docs/adr/0005-use-pulsar.md", adr(5, "Use Pulsar", status="Accepted\n\nSupercedes "
                   "[2. Use Kafka](0002-use-kafka.md)"))
    git_repo.commit("two replaced by one, one replaced by two")
    expected = {
        ("ADR-0002", "superseded_by", "ADR-0004", 7), ("ADR-0002", "superseded_by", "ADR-0005", 9),
        ("ADR-0003", "superseded_by", "ADR-0004", 7),
        ("ADR-0004", "supersedes", "ADR-0002", 9), ("ADR-0004", "supersedes", "ADR-0003", 11),
        ("ADR-0005", "supersedes", "ADR-0002", 9),
    }
    from tracertm.history.backfill import backfill

    for how in ("work tree", "full", "backfill"):
        if how == "backfill":
            backfill(git_repo.path, engine=engine, project=how)
        else:
            result = sync(git_repo.path, engine=engine, project="p", full=how == "full")
            assert result.errors == [] and result.links == [], how
        with engine.connect() as conn:
            pid = select(Project.id).where(Project.name == ("p" if how != "backfill" else how)).scalar_subquery()
            rows = conn.execute(select(Link.source_ref, Link.link_type, Link.target_ref, Link.source_line,
                                       Link.target_id).where(Link.project_id == pid)).all()
        assert {tuple(r[:4]) for r in rows} == expected, how
        assert all(r.target_id is not None for r in rows), how
