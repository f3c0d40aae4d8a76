"""Which ADR a reference names, by the ADRs there are (``crossfile.resolve_adr``): one rule for ``check`` (every
file), the hook's ``check --staged`` (cold and warm check cache), the links a sync stores (its first sync's eager
writer, a first sync of a commit, later syncs, ``sync --full``) and a backfill's.

- A reference with a slug (``ADR-0005-use-kafka``) names the ADR with exactly that id, else the ADR with its number:
  in a repository whose ADRs are numbered by file name (``0005-use-kafka.md`` is ADR-0005) it names ADR-0005, as it
  did before slugged ids were kept as written.
- A plain reference (``ADR-0008``, a tag ``@ADR-8``, a front matter list) names ADR-0008, else the one ADR whose id
  is ADR-0008 with a slug; when several are, it is ambiguous: an error of ``check`` naming them, at the reference,
  and a dangling link (warned about) in the database.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from conftest import GitRepo
from tracertm.check_cache import CACHE_NAME
from tracertm.cli import main
from tracertm.crossfile import adr_resolver
from tracertm.engine.links import LINKS
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill

DANGLING = "which is not an ADR of this repository; fix the id or add the ADR"
AMBIGUOUS = ("which is ambiguous: ADR-0008-use-w and ADR-0008-use-y have that number; write the full id of the one "
             "meant")


def test_the_rule() -> None:
    name = adr_resolver({"ADR-0005", "ADR-0007-use-x", "ADR-0008-use-y", "ADR-0008-use-w", "ADR-0009", "use-z"})
    assert name("ADR-0005") == ("ADR-0005", ())
    assert name("ADR-0005-use-kafka") == ("ADR-0005", ())  # no such id: its number
    assert name("adr_0005_use_kafka") == ("ADR-0005", ())
    assert name("ADR-0007-use-x") == ("ADR-0007-use-x", ())
    assert name("ADR-0007") == ("ADR-0007-use-x", ())  # the one ADR of that number
    assert name("ADR-0007-use-q") == (None, ())  # a slug names its id or its number, never another slug
    assert name("ADR-0008") == (None, ("ADR-0008-use-w", "ADR-0008-use-y"))
    assert name("ADR-0009-use-z") == ("ADR-0009", ())
    assert name("use-z") == ("use-z", ())
    assert name("ADR-0010") == (None, ())
    both = adr_resolver({"ADR-0008", "ADR-0008-use-y", "ADR-0008-use-w"})
    assert both("ADR-0008") == ("ADR-0008", ())  # the exact id first
    assert both("ADR-0008-use-y") == ("ADR-0008-use-y", ())


def _check(capsys: pytest.CaptureFixture[str], repo: GitRepo, *argv: str) -> tuple[int, list[str]]:
    code = main(["check", str(repo.path), *argv])
    return code, capsys.readouterr().out.splitlines()


def _staged(capsys: pytest.CaptureFixture[str], repo: GitRepo, cache: str) -> tuple[int, list[str]]:
    """``check --staged`` with the check cache of the commit before (warm) or none (cold)."""
    if cache == "cold":
        (repo.path / ".git" / CACHE_NAME).unlink(missing_ok=True)
    return _check(capsys, repo, "--staged")


def _links(engine: Any) -> dict[tuple[str, str], tuple[bool, int]]:
    """(source, target) → (resolved, line) of every link to an ADR."""
    t = LINKS.c
    with engine.connect() as conn:
        rows = conn.execute(select(t.source_ref, t.target_ref, t.target_id, t.source_line)
                            .where(t.target_kind == "adr")).all()
    return {(r.source_ref, r.target_ref): (r.target_id is not None, r.source_line) for r in rows}


# ------------------------------------------------------------------------------- ADRs numbered by file name

KAFKA = "docs/adr/0005-use-kafka.md"
REDIS = "docs/adr/0006-use-redis.md"
REDIS_TEXT = "# 6. Use Redis\n\n## Status\n\nAccepted\n\n## Context\n\nBuilds on ADR-0005-use-kafka.\n"  # line 9


def _numbered(repo: GitRepo) -> None:
    repo.write(KAFKA, "# 5. Use Kafka\n\n## Status\n\nAccepted\n\n## Context\n\nWe need a log.\n")
    repo.write(REDIS, REDIS_TEXT)
    repo.commit("numbered ADRs")


@pytest.mark.parametrize("cache", ["cold", "warm"])
def test_a_slugged_mention_names_the_adr_of_its_number(
    git_repo: GitRepo, capsys: pytest.CaptureFixture[str], cache: str
) -> None:
    _numbered(git_repo)
    assert _check(capsys, git_repo) == (0, [])  # (writes the cache)
    git_repo.write(REDIS, REDIS_TEXT + "\nAnd ADR-0005-use-kafka again.\n")
    git_repo.git("add", "-A")
    assert _staged(capsys, git_repo, cache) == (0, [])
    git_repo.commit("edit")
    assert _check(capsys, git_repo) == (0, [])

    # Taking ADR-0005 away breaks the unchanged file that names it so.
    git_repo.git("rm", "-q", KAFKA)
    expected = [f"{REDIS}:9:1: related_adrs refers to ADR-0005-use-kafka, {DANGLING}"]
    assert _staged(capsys, git_repo, cache) == (1, expected)
    git_repo.commit("ADR-0005 goes")
    assert _check(capsys, git_repo) == (1, expected)


def test_sync_links_a_slugged_mention_to_the_adr_of_its_number(git_repo: GitRepo, engine: Any) -> None:
    _numbered(git_repo)
    sync(git_repo.path, engine=engine, project="p")
    assert _links(engine) == {("ADR-0006", "ADR-0005"): (True, 9)}

    git_repo.remove(KAFKA)
    git_repo.commit("ADR-0005 goes")
    result = sync(git_repo.path, engine=engine, project="p")
    assert _links(engine) == {("ADR-0006", "ADR-0005-use-kafka"): (False, 9)}  # dangling: as written
    assert [(d.path, d.line) for d in result.links] == [(REDIS, 9)]
    assert "ADR-0006 related ADR-0005-use-kafka, which is not a live ADR" in result.links[0].message

    git_repo.write(KAFKA, "# 5. Use Kafka\n\n## Status\n\nAccepted\n")
    git_repo.commit("ADR-0005 is back")
    sync(git_repo.path, engine=engine, project="p")
    assert _links(engine) == {("ADR-0006", "ADR-0005"): (True, 9)}
    sync(git_repo.path, engine=engine, project="p", full=True)
    assert _links(engine) == {("ADR-0006", "ADR-0005"): (True, 9)}


# ------------------------------------------------------------------------------ ADRs with slugged front matter ids


def _slugged_adr(number: int, slug: str, extra: str = "", body: str = "") -> str:
    title = slug.replace("-", " ").capitalize()
    return (f"---\nid: ADR-{number:04d}-{slug}\nstatus: accepted\ndate: 2024-01-02\n{extra}---\n\n"
            f"# ADR-{number:04d}: {title}\n\n## Context\n\nContext.{body}\n\n## Decision\n\nDo it.\n")


X, Y, W, Z = ("docs/adr/0007-use-x.md", "docs/adr/0008-use-y.md", "docs/adr/0008-use-w.md", "docs/adr/0009-use-z.md")
# ADR-0009-use-z: a front matter list naming ADR-0008 (line 5), and prose naming ADR-0007 (line 12).
Z_TEXT = _slugged_adr(9, "use-z", extra="decisions: [ADR-0008]\n", body=" Builds on ADR-0007.")
FEATURE = "features/pay.feature"
FEATURE_TEXT = "@FEAT-1 @ADR-8\nFeature: Pay\n\n  @SC-1 @ADR-0007\n  Scenario: one\n    Given x\n"
RESOLVED = {
    ("ADR-0009-use-z", "ADR-0008-use-y"): (True, 5), ("ADR-0009-use-z", "ADR-0007-use-x"): (True, 12),
    ("FEAT-1", "ADR-0008-use-y"): (True, 1),
    ("FEAT-1/SC-1", "ADR-0007-use-x"): (True, 4), ("FEAT-1/SC-1", "ADR-0008-use-y"): (True, 1),
}
AMBIGUOUS_LINKS = {
    ("ADR-0009-use-z", "ADR-0008"): (False, 5), ("ADR-0009-use-z", "ADR-0007-use-x"): (True, 12),
    ("FEAT-1", "ADR-0008"): (False, 1),
    ("FEAT-1/SC-1", "ADR-0007-use-x"): (True, 4), ("FEAT-1/SC-1", "ADR-0008"): (False, 1),
}
AMBIGUOUS_ERRORS = [f"{Z}:5:1: related_adrs refers to ADR-0008, {AMBIGUOUS}",
                    f"{FEATURE}:1:9: tag refers to ADR-0008, {AMBIGUOUS}"]


def _slugged(repo: GitRepo, *, with_w: bool = False) -> None:
    repo.write(X, _slugged_adr(7, "use-x"))
    repo.write(Y, _slugged_adr(8, "use-y"))
    repo.write(Z, Z_TEXT)
    repo.write(FEATURE, FEATURE_TEXT)
    if with_w:
        repo.write(W, _slugged_adr(8, "use-w"))
    repo.commit("slugged ids")


@pytest.mark.parametrize("cache", ["cold", "warm"])
def test_a_plain_reference_names_the_one_adr_of_its_number(
    git_repo: GitRepo, capsys: pytest.CaptureFixture[str], cache: str
) -> None:
    _slugged(git_repo)
    assert _check(capsys, git_repo) == (0, [])
    git_repo.write(FEATURE, FEATURE_TEXT.replace("Pay\n", "Pay now\n"))
    git_repo.git("add", "-A")
    assert _staged(capsys, git_repo, cache) == (0, [])
    git_repo.commit("edit")
    assert _check(capsys, git_repo) == (0, [])

    # A second ADR-0008: the plain references of the unchanged files are ambiguous now, each an error where it is.
    git_repo.write(W, _slugged_adr(8, "use-w"))
    git_repo.git("add", "-A")
    assert _staged(capsys, git_repo, cache) == (1, AMBIGUOUS_ERRORS)
    git_repo.commit("a second ADR-0008")
    assert _check(capsys, git_repo) == (1, AMBIGUOUS_ERRORS)
    assert _check(capsys, git_repo, "--ref", "HEAD") == (1, AMBIGUOUS_ERRORS)

    # The one ADR-0008 again (the other taken away): fine; the one named by its full id taken away: dangling.
    git_repo.git("rm", "-q", W)
    assert _staged(capsys, git_repo, cache) == (0, [])
    git_repo.commit("ADR-0008-use-w goes")
    git_repo.git("rm", "-q", X)
    assert _staged(capsys, git_repo, cache) == (1, [
        f"{Z}:12:1: related_adrs refers to ADR-0007, {DANGLING}",
        f"{FEATURE}:4:9: scenario SC-1 tag refers to ADR-0007, {DANGLING}",
    ])


@pytest.mark.parametrize("ref", [None, "HEAD"], ids=["eager-worktree", "commit"])
def test_a_first_sync_links_plain_references_as_check_names_them(
    git_repo: GitRepo, engine: Any, ref: str | None
) -> None:
    _slugged(git_repo)
    sync(git_repo.path, engine=engine, project="one", ref=ref)
    assert _links(engine) == RESOLVED


@pytest.mark.parametrize("ref", [None, "HEAD"], ids=["eager-worktree", "commit"])
def test_a_first_sync_leaves_ambiguous_references_dangling(
    git_repo: GitRepo, engine: Any, ref: str | None
) -> None:
    _slugged(git_repo, with_w=True)
    result = sync(git_repo.path, engine=engine, project="one", ref=ref)
    assert _links(engine) == AMBIGUOUS_LINKS
    found = sorted((d.path, d.line, d.message) for d in result.links)
    assert [(p, line) for p, line, _ in found] == [(Z, 5), (FEATURE, 1), (FEATURE, 1)]
    assert all(m.endswith(f"ADR-0008, {AMBIGUOUS}") for _, _, m in found), found


def test_later_syncs_follow_the_adrs_there_are(git_repo: GitRepo, engine: Any) -> None:
    _slugged(git_repo)
    sync(git_repo.path, engine=engine, project="p")
    assert _links(engine) == RESOLVED

    git_repo.write(W, _slugged_adr(8, "use-w"))
    git_repo.commit("a second ADR-0008")
    result = sync(git_repo.path, engine=engine, project="p")
    assert _links(engine) == AMBIGUOUS_LINKS
    assert sorted((d.path, d.line) for d in result.links) == [(Z, 5), (FEATURE, 1), (FEATURE, 1)]
    sync(git_repo.path, engine=engine, project="p", full=True)
    assert _links(engine) == AMBIGUOUS_LINKS

    git_repo.remove(W)
    git_repo.commit("ADR-0008-use-w goes")
    sync(git_repo.path, engine=engine, project="p")
    assert _links(engine) == RESOLVED

    # ADR-0008-use-y goes, a plain ADR-0008 comes: the plain references name it.
    git_repo.remove(Y)
    git_repo.write("docs/adr/0008-plain.md", "# 8. Plain\n\n## Status\n\nAccepted\n")
    git_repo.commit("a plain ADR-0008")
    sync(git_repo.path, engine=engine, project="p")
    plain = {(s, "ADR-0008" if t == "ADR-0008-use-y" else t): v for (s, t), v in RESOLVED.items()}
    assert _links(engine) == plain
    sync(git_repo.path, engine=engine, project="p", full=True)
    assert _links(engine) == plain


def test_backfill_links_as_sync(git_repo: GitRepo, engine: Any) -> None:
    _slugged(git_repo)
    git_repo.write(W, _slugged_adr(8, "use-w"))
    git_repo.commit("a second ADR-0008")
    git_repo.remove(W)
    git_repo.commit("ADR-0008-use-w goes")
    backfill(git_repo.path, engine=engine, project="p")
    assert _links(engine) == RESOLVED


# ------------------------------------------------------------------------- front matter relations at their values

FRONT = "docs/adr/0002-two.md"
FRONT_TEXT = """\
---
status: superseded
date: 2020-01-01
supersedes: 97
superseded_by:
  - 1
  - 98
---
# 2. Two
"""
ONE = "docs/adr/0001-one.md"
ONE_TEXT = "---\nstatus: accepted\nsupersedes: [ 2, 99 ]\n---\n# 1. One\n"


def _front_matter(repo: GitRepo) -> None:
    repo.write(FRONT, FRONT_TEXT)
    repo.write(ONE, ONE_TEXT)
    repo.commit("front matter relations")


@pytest.mark.parametrize("cache", ["cold", "warm"])
def test_a_front_matter_relation_is_reported_at_its_value(
    git_repo: GitRepo, capsys: pytest.CaptureFixture[str], cache: str
) -> None:
    """``supersedes: 97`` names no ADR: said at its line and the value's column (it was the title's line, column 1,
    or 1:1 without a title), a list's items each at its own (a block list's, a flow list's)."""
    _front_matter(git_repo)
    expected = [
        # A second superseded ADR (successor) is named as sync names its link: it said related_adrs.
        f"{ONE}:3:18: supersedes refers to ADR-0099, {DANGLING}",
        f"{FRONT}:4:13: supersedes refers to ADR-0097, {DANGLING}",
        f"{FRONT}:7:5: superseded_by refers to ADR-0098, {DANGLING}",
    ]
    assert _check(capsys, git_repo) == (1, expected)
    assert _check(capsys, git_repo, "--format", "github")[1][1] == (
        f"::error file={FRONT},line=4,col=13::supersedes refers to ADR-0097, {DANGLING}")
    git_repo.write(FRONT, FRONT_TEXT.replace("# 2. Two\n", "Two.\n"))  # no title: it was 1:1
    git_repo.git("add", "-A")
    assert _staged(capsys, git_repo, cache) == (1, expected[1:])  # (the changed file's)


def test_a_second_supercedes_line_is_named_supersedes(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    """adr-tools' ``adr new -s 1 -s 9`` writes two ``Supercedes`` lines: the second ADR is superseded too, and a
    sync's dangling link says so; check said ``related_adrs``."""
    git_repo.write("doc/adr/0001-one.md", "# 1. One\n\nDate: 2024-01-01\n\n## Status\n\nSuperseded by "
                   "[3. New](0003-new.md)\n\n## Context\n\nc\n")
    git_repo.write("doc/adr/0003-new.md", "# 3. New\n\nDate: 2024-01-03\n\n## Status\n\nAccepted\n\nSupercedes "
                   "[1. One](0001-one.md)\n\nSupercedes [9. Gone](0009-gone.md)\n\n## Context\n\nc\n")
    git_repo.commit("adr new -s 1 -s 9")
    expected = [f"doc/adr/0003-new.md:11:1: supersedes refers to ADR-0009, {DANGLING}"]
    assert _check(capsys, git_repo) == (1, expected)
    git_repo.write("doc/adr/0003-new.md", git_repo.read("doc/adr/0003-new.md") + "\nMore.\n")
    git_repo.git("add", "-A")
    assert _staged(capsys, git_repo, "cold") == (1, expected)


def test_sync_links_a_front_matter_relation_at_its_value(git_repo: GitRepo, engine: Any) -> None:
    _front_matter(git_repo)
    result = sync(git_repo.path, engine=engine, project="p")
    assert _links(engine) == {
        ("ADR-0002", "ADR-0097"): (False, 4),
        ("ADR-0002", "ADR-0001"): (True, 6),
        ("ADR-0002", "ADR-0098"): (False, 7),
        ("ADR-0001", "ADR-0002"): (True, 3),
        ("ADR-0001", "ADR-0099"): (False, 3),
    }
    assert sorted((d.path, d.line) for d in result.links) == [(ONE, 3), (FRONT, 4), (FRONT, 7)]
    assert sorted(d.message.split(",")[0] for d in result.links) == [  # (the relations check names)
        "dangling link: ADR-0001 supersedes ADR-0099", "dangling link: ADR-0002 superseded_by ADR-0098",
        "dangling link: ADR-0002 supersedes ADR-0097"]
