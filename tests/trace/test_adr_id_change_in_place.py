"""An ADR whose front matter ``id:`` changes at the same path (a slug added or dropped, another slug, another number).

The plan sees the old id deleted and the new one created (a number written in the file is the user's own:
``engine.moves``), so the links of unchanged records that name either number are derived again
(``adr_links._renamed_adrs``), as for any ADR that comes or goes: an incremental sync leaves the links and the
dangling warnings a sync of the same commit into a fresh project gives, and ``sync --full`` changes nothing. The
hook's ``check --staged`` flags the unchanged files whose references the change broke, as ``check`` of the commit
does.
"""

from __future__ import annotations

from typing import Any

import pytest

from conftest import GitRepo
from link_rows import adr_links
from tracertm.check_cache import CACHE_NAME
from tracertm.cli import main
from tracertm.engine.sync import sync

ADR = "docs/adr/0005-use-kafka.md"
OTHER = "docs/adr/0008-use-a.md"
REFS = "docs/adr/0020-refs.md"
FEATURE = "features/pay.feature"
CONTRACT = "contracts/pay.yaml"


def _adr(identifier: str, title: str = "Use kafka") -> str:
    return (f"---\nid: {identifier}\nstatus: accepted\ndate: 2024-01-02\n---\n\n# {title}\n\n## Context\n\n"
            "Context.\n\n## Decision\n\nDo it.\n")


# An unchanged feature (tags: plain references), contract (mentions) and ADR (slugged references) naming ADR 5 and 8.
FEATURE_TEXT = "@FEAT-1 @ADR-5 @ADR-8\nFeature: Pay\n\n  @SC-1\n  Scenario: one\n    Given x\n"
CONTRACT_TEXT = "id: CTR-1\ntitle: Pay\nmetadata: {see: [ADR-0005, ADR-0008]}\n"
REFS_TEXT = ("# 20. Refs\n\n## Status\n\nAccepted\n\n## Context\n\nBuilds on ADR-0005-use-kafka.\n\n"
             "And on ADR-0006.\n")


def _repo(repo: GitRepo, identifier: str) -> None:
    repo.write(ADR, _adr(identifier))
    repo.write(OTHER, _adr("ADR-0008-use-a", "Use a"))
    repo.write(REFS, REFS_TEXT)
    repo.write(FEATURE, FEATURE_TEXT)
    repo.write(CONTRACT, CONTRACT_TEXT)
    repo.commit("ADRs and their references")


def _links(engine: Any, project: str) -> set[tuple[str, str, str, bool, int]]:
    """(source, type, target, resolved, line) of every link of ``project`` to an ADR."""
    return adr_links(engine, project, "source_ref", "link_type", "target_ref", "resolved", "source_line")


def _warnings(result: Any) -> set[tuple[str, int, str]]:
    return {(d.path, d.line, d.message) for d in result.links}


# (the id before, the id after, another ADR's id after or None) → the links of the unchanged records to ADR 5.
CHANGES = {
    "slug added": ("ADR-0005", "ADR-0005-use-kafka", None),
    "slug dropped": ("ADR-0005-use-kafka", "ADR-0005", None),
    "another slug": ("ADR-0005-use-kafka", "ADR-0005-use-k", None),
    "another number": ("ADR-0005", "ADR-0006", None),
    "a second ADR-0008": ("ADR-0005", "ADR-0008-use-b", None),
    "ADR-0005 comes back beside": ("ADR-0005-use-kafka", "ADR-0005", "ADR-0005-use-kafka"),
}


# Every change on SQLite, two on PostgreSQL too: the changes differ in how the ids are spelled (read above the
# database); the store's search for the records naming a number (a ``LIKE`` on both dialects) runs on PostgreSQL
# by these two (another number; a number made ambiguous) and by test_an_id_changed_in_place_says_what_it_names.
ON_POSTGRESQL = ("another number", "a second ADR-0008")


@pytest.mark.parametrize(("database_url", "change"), [
    *(pytest.param("sqlite", change, id=f"sqlite-{change}") for change in CHANGES),
    *(pytest.param("postgresql", change, id=f"postgresql-{change}") for change in ON_POSTGRESQL),
], indirect=["database_url"])
def test_unchanged_records_follow_an_id_changed_in_place(git_repo: GitRepo, engine: Any, change: str) -> None:
    before, after, beside = CHANGES[change]
    _repo(git_repo, before)
    sync(git_repo.path, engine=engine, project="p")

    git_repo.write(ADR, _adr(after))
    if beside is not None:
        git_repo.write("docs/adr/0005-use-kafka-again.md", _adr(beside))
    git_repo.commit(f"the ADR's id: {change}")
    result = sync(git_repo.path, engine=engine, project="p")
    assert {(op.action, op.number) for op in result.operations if op.kind == "adr"} >= {("created", after)}
    fresh = sync(git_repo.path, engine=engine, project="fresh", ref="HEAD")
    first = sync(git_repo.path, engine=engine, project="first")  # (the first sync of a work tree: eager)
    assert _links(engine, "p") == _links(engine, "fresh") == _links(engine, "first")
    assert _warnings(result) <= _warnings(fresh) == _warnings(first)
    # What changed for ADR 5 and 8 is among this sync's warnings (the others were warned about before).
    named = {w for w in _warnings(fresh) if "ADR-0005" in w[2] or "ADR-0008" in w[2]}
    assert named <= _warnings(result)
    full = sync(git_repo.path, engine=engine, project="p", full=True)
    assert _links(engine, "p") == _links(engine, "fresh")
    assert _warnings(full) == _warnings(fresh)


def test_an_id_changed_in_place_says_what_it_names(git_repo: GitRepo, engine: Any) -> None:
    """The links spelled out, for one change: a slug added names the same ADR; another number leaves ADR 5's
    references dangling, as written."""
    _repo(git_repo, "ADR-0005")
    sync(git_repo.path, engine=engine, project="p")
    assert {link for link in _links(engine, "p") if link[2].startswith("ADR-0005")} == {
        ("CTR-1", "implements", "ADR-0005", True, 3), ("FEAT-1", "implements", "ADR-0005", True, 1),
        ("FEAT-1/SC-1", "implements", "ADR-0005", True, 1), ("ADR-0020", "related", "ADR-0005", True, 9),
    }
    git_repo.write(ADR, _adr("ADR-0005-use-kafka"))
    git_repo.commit("a slug")
    sync(git_repo.path, engine=engine, project="p")
    assert {link for link in _links(engine, "p") if link[2].startswith("ADR-0005")} == {
        ("CTR-1", "implements", "ADR-0005-use-kafka", True, 3),
        ("FEAT-1", "implements", "ADR-0005-use-kafka", True, 1),
        ("FEAT-1/SC-1", "implements", "ADR-0005-use-kafka", True, 1),
        ("ADR-0020", "related", "ADR-0005-use-kafka", True, 9),
    }
    git_repo.write(ADR, _adr("ADR-0007"))
    git_repo.commit("another number")
    result = sync(git_repo.path, engine=engine, project="p")
    assert {link for link in _links(engine, "p") if link[2].startswith("ADR-0005")} == {
        ("CTR-1", "implements", "ADR-0005", False, 3), ("FEAT-1", "implements", "ADR-0005", False, 1),
        ("FEAT-1/SC-1", "implements", "ADR-0005", False, 1),
        ("ADR-0020", "related", "ADR-0005-use-kafka", False, 9),
    }
    assert sorted((d.path, d.line) for d in result.links if "ADR-0005" in d.message) == [
        (CONTRACT, 3), (REFS, 9), (FEATURE, 1), (FEATURE, 1)]
    assert any("ADR-0020 related ADR-0005-use-kafka, which is not a live ADR" in m for _, _, m in _warnings(result))


# ------------------------------------------------------------------------------------------- the hook's check

DANGLING = "which is not an ADR of this repository; fix the id or add the ADR"


def _check(capsys: pytest.CaptureFixture[str], repo: GitRepo, *argv: str) -> tuple[int, list[str]]:
    code = main(["check", str(repo.path), *argv])
    return code, [line for line in capsys.readouterr().out.splitlines() if ": warning: " not in line
                  and " checked, " not in line]


@pytest.mark.parametrize("cache", ["cold", "warm"])
@pytest.mark.parametrize(("before", "after", "broken"), [
    ("ADR-0005", "ADR-0006", [f"{REFS}:9:1: related_adrs refers to ADR-0005-use-kafka, {DANGLING}",
                              f"{FEATURE}:1:9: tag refers to ADR-0005, {DANGLING}"]),
    ("ADR-0005-use-kafka", "ADR-0005-use-k", [f"{REFS}:9:1: related_adrs refers to ADR-0005-use-kafka, {DANGLING}"]),
    ("ADR-0005", "ADR-0008-use-b", [
        f"{REFS}:9:1: related_adrs refers to ADR-0005-use-kafka, {DANGLING}",
        f"{FEATURE}:1:9: tag refers to ADR-0005, {DANGLING}",
        f"{FEATURE}:1:16: tag refers to ADR-0008, which is ambiguous: ADR-0008-use-a and ADR-0008-use-b have that "
        "number; write the full id of the one meant",
    ]),
    ("ADR-0005", "ADR-0005-use-kafka", []),
], ids=["another number", "another slug", "a second ADR-0008", "slug added"])
def test_check_staged_flags_unchanged_files_an_id_change_broke(
    git_repo: GitRepo, capsys: pytest.CaptureFixture[str], cache: str, before: str, after: str, broken: list[str]
) -> None:
    _repo(git_repo, before)
    git_repo.write(REFS, REFS_TEXT.replace("\n\nAnd on ADR-0006.", ""))  # (no reference that is broken already)
    git_repo.commit("no dangling reference")
    assert _check(capsys, git_repo)[0] == 0  # (writes the check cache)
    git_repo.write(ADR, _adr(after))
    git_repo.git("add", "-A")
    if cache == "cold":
        (git_repo.path / ".git" / CACHE_NAME).unlink(missing_ok=True)
    code, lines = _check(capsys, git_repo, "--staged")
    assert (code, lines) == (1 if broken else 0, broken)
    git_repo.commit("the id changes")
    code, lines = _check(capsys, git_repo)
    assert (code, lines) == (1 if broken else 0, broken)
