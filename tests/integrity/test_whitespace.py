"""Whitespace that carries meaning is part of the content hash (issue 11, item 6): doc strings, fenced code blocks,
literal YAML blocks and parsed structures are hashed exactly; prose is hashed whitespace-collapsed; positional keys
are dropped only where the parser puts them. A hash-scheme change refreshes hashes silently. SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select, update

from conftest import GitRepo
from specs import adr, revisions, versions
from tracertm import kinds
from tracertm.engine.sync import sync
from tracertm.models import Base
from tracertm.parsers.common import canonical_json, collapse_prose, previous_scheme_hash

FEATURE = """@FEAT-1
Feature: Payload
  Scenario: post
    Given a body
      \"\"\"
      {
        "a": 1
      }
      \"\"\"
    Then it is stored
"""

CONTRACT = """id: CTR-0001
title: Ledger   balance
type: database
status: approved
states: [open, closed]
spec:
  language: sql
  source: |
    SELECT id
      FROM postings
    WHERE x = 1;
invariants:
  - name: layout
    rule: kept
    details: {line: 3, slug: a}
"""

ADR_CODE = adr(1, "Use git", decision="We will do it:\n\n```yaml\nkey:\n  nested: 1\n```\n\nThat is all.")


def _seed(repo: GitRepo) -> None:
    repo.write("features/payload.feature", FEATURE)
    repo.write("contracts/ledger.yaml", CONTRACT)
    repo.write("docs/adr/0001-use-git.md", ADR_CODE)
    repo.commit("seed")


def test_reindenting_meaningful_whitespace_is_a_new_version(git_repo: GitRepo, engine) -> None:
    _seed(git_repo)
    sync(git_repo.path, engine=engine)
    git_repo.write("features/payload.feature", FEATURE.replace('        "a": 1', '          "a": 1'))
    git_repo.write("contracts/ledger.yaml", CONTRACT.replace("      FROM postings", "    FROM postings"))
    git_repo.write("docs/adr/0001-use-git.md", ADR_CODE.replace("  nested: 1", "    nested: 1"))
    result = sync(git_repo.path, engine=engine)
    assert result.counts["scenario"]["updated"] == 1
    assert result.counts["contract"]["updated"] == 1
    assert result.counts["adr"]["updated"] == 1
    assert versions(engine, "scenarios", "scenario_number") == {"post": 2}


def test_keys_named_like_positions_count_inside_parsed_structures(git_repo: GitRepo, engine) -> None:
    _seed(git_repo)
    sync(git_repo.path, engine=engine)
    git_repo.write("contracts/ledger.yaml", CONTRACT.replace("{line: 3, slug: a}", "{line: 4, slug: b}"))
    result = sync(git_repo.path, engine=engine)
    assert result.counts["contract"]["updated"] == 1
    assert ("contract", "CTR-0001", "updated", 2) in revisions(engine)


def test_rewrapping_prose_and_moving_lines_is_no_new_version(git_repo: GitRepo, engine) -> None:
    _seed(git_repo)
    sync(git_repo.path, engine=engine)
    before = revisions(engine)
    git_repo.write("features/payload.feature", "# moved down\n\n" + FEATURE)  # every line number changes
    git_repo.write("contracts/ledger.yaml", CONTRACT.replace("title: Ledger   balance", "title: Ledger balance"))
    git_repo.write("docs/adr/0001-use-git.md", ADR_CODE.replace("We will do it:", "We  will\ndo it:"))
    result = sync(git_repo.path, engine=engine)
    assert not result.changed
    assert revisions(engine) == before


def test_a_hash_scheme_change_is_a_silent_refresh(git_repo: GitRepo, engine) -> None:
    """A database written by tracertm before this scheme (hashes of scheme 1) is re-synced with --full: no version,
    no revision, and the stored hashes become the current scheme's."""
    _seed(git_repo)
    sync(git_repo.path, engine=engine)
    from tracertm.parsers import parse

    old_hashes: dict[tuple[str, str], str] = {}
    for path, kind in (("features/payload.feature", "feature"), ("contracts/ledger.yaml", "contract"),
                       ("docs/adr/0001-use-git.md", "adr")):
        for record in parse(kind, path, (git_repo.path / path).read_bytes()).records:  # type: ignore[arg-type]
            for rec in (record, *record.children):
                old_hashes[(rec.kind, rec.number)] = previous_scheme_hash(rec.kind, rec.fields)
    with engine.begin() as conn:
        for (kind, number), old in old_hashes.items():
            table = kinds.table(kind)
            conn.execute(update(table).where(table.c[kinds.NUMBER_COLUMN[kind]] == number).values(content_hash=old))
    before = revisions(engine)
    result = sync(git_repo.path, engine=engine, full=True)
    assert not result.changed
    assert revisions(engine) == before
    with engine.connect() as conn:
        for (kind, number), old in old_hashes.items():
            table = Base.metadata.tables[kinds.KINDS[kind].table]
            row = conn.execute(select(table.c.content_hash, table.c.version)
                               .where(table.c[kinds.NUMBER_COLUMN[kind]] == number)).one()
            assert row.content_hash != old and row.version == 1


def test_prose_collapses_but_fenced_code_stays_exact() -> None:
    assert collapse_prose("a  b\n\n c") == "a b c"
    text = "Do this:\n\n```python\nif x:\n    y()\n```\n\nthen   that"
    assert "if x:\n    y()" in collapse_prose(text)
    assert collapse_prose(text) != collapse_prose(text.replace("    y()", "  y()"))
    # Only the listed paths are positional: a step's line goes, a "line" key elsewhere stays.
    scenario = {"title": "t", "given_steps": [{"keyword": "Given", "text": "x", "line": 4}], "examples": [{"line": 1}]}
    canonical = canonical_json(scenario, "scenario")
    assert '"line":4' not in canonical and '"examples":[{"line":1}]' in canonical


def test_the_previous_scheme_is_reproduced_exactly() -> None:
    """Pinned: the hash tracertm's scheme 1 gave this record (computed with the scheme-1 code), so databases
    written before the upgrade are recognised."""
    import datetime

    fields = {
        "title": "Use  git\n now",
        "date": datetime.date(2024, 1, 2),
        "given_steps": [{"keyword": "Given", "text": "a  b", "line": 3}],
        "adr_metadata": {"slug": "x", "n": {"line": 1, "k": "v"}},
    }
    assert previous_scheme_hash("adr", fields) == "0070ffd3efd10daf570d99d976831bcc7e5dc6398cf07dac8f2d14f4f09505ef"


from hypothesis import given, settings, strategies as st  # noqa: E402

_words = st.lists(st.text(alphabet="abc`~-", min_size=1, max_size=5), min_size=1, max_size=12)
_spaces = st.sampled_from([" ", "  ", "\n", "\n\n", "\t", " \n  "])


@settings(max_examples=200, deadline=None)
@given(words=_words, gaps=st.lists(_spaces, min_size=12, max_size=12), code=st.text(alphabet="ab \n", max_size=20))
def test_prose_is_whitespace_insensitive_and_code_is_not(words: list[str], gaps: list[str], code: str) -> None:
    words = [w.replace("`", "").replace("~", "") or "x" for w in words]  # no accidental fences in the prose
    plain = " ".join(words)
    spaced = "".join(w + g for w, g in zip(words, gaps))
    assert collapse_prose(spaced) == collapse_prose(plain) == plain
    fenced = f"{plain}\n\n```\n{code}\n```\n"
    assert collapse_prose(collapse_prose(fenced)) == collapse_prose(fenced)
    assert code in collapse_prose(fenced)
    if code.strip():
        assert collapse_prose(f"{plain}\n\n```\n{code} \n```\n") != collapse_prose(fenced)
