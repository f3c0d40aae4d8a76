"""Every way tracertm reaches a repository state stores the same links and live records, and ``check`` calls a
reference an error exactly where its link is dangling.

A generated history of commits creates, edits, deletes and renames ADRs (with and without slugged front-matter ids,
``Supersedes`` / ``Superseded by`` lines and mentions, plain or slugged), features (``@ADR-n`` / ``@ADR-000n-use-x``
tags on the feature and its scenario, mentions in both descriptions) and contracts mentioning ADRs. After each
commit the incremental database (synced after every commit: from the work tree, from ``HEAD``, or of the changed
paths alone, as the watcher does) is compared with a first sync of the commit into a new project (of ``HEAD``, or
of the work tree: the eager writer); after the last one also with ``sync --full`` of it and a backfill of the whole
history. Compared: the links (source, line, type, target, whether it is dangling) and the live records (kind,
number, content hash; not ``version``, which counts a record's writes).

By design (README "How sync decides", Conflicts): of two files claiming one identity, the one the database already
knows keeps it, on a first sync the first by path. So a fresh sync may keep the other claimant than the incremental
database: the records of a contested identity are compared by presence only, and the links from them not at all.
The incremental database, ``--full`` on it and a backfill (which replays the same commits in order) must agree
exactly, contested identities included. ``check`` (every file, of the commit) reports an ADR reference error at
exactly the lines of the dangling links from ADRs and from feature and scenario tags (a mention in a description
or a contract is a sync warning, no error), but in the files claiming a contested identity (``check`` keeps it with
the first by path; the database with the file it knew).

Each history is a real git repository; every example gets its own projects in one database. The histories are the
same on every run (``derandomize``); a failure prints each commit's files (``note``).
"""

from __future__ import annotations

import itertools
import re
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import select

from conftest import GitRepo, init_repo, sqlite_only
from tracertm import kinds
from tracertm.checker import check
from tracertm.engine.links import LINKS
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill
from tracertm.models import Feature, Project, Scenario

NUMBERS = (1, 2, 3)
SLUGS = ("a", "b")
ADR_FILES = tuple(f"docs/adr/{n:04d}-{suffix}.md" for n in NUMBERS for suffix in ("p", "q"))


# ------------------------------------------------------------------------------------------------- the files

def _ref(number: int, slug: str | None) -> str:
    return f"ADR-{number:04d}" + (f"-use-{slug}" if slug else "")


REFS = st.builds(_ref, st.sampled_from(NUMBERS), st.sampled_from((None, *SLUGS)))
TAGS = st.builds(lambda n, slug: "@" + (_ref(n, slug) if slug else f"ADR-{n}"),
                 st.sampled_from(NUMBERS), st.sampled_from((None, *SLUGS)))


@st.composite
def adr_texts(draw: st.DrawFn) -> str:
    """An ADR: numbered by its file name, or by a front-matter id (plain or slugged, maybe another number than the
    file's); a ``Supersedes`` / ``Superseded by`` line or not; a mention in its context."""
    own = draw(st.sampled_from((None, *(_ref(n, s) for n in NUMBERS for s in (None, *SLUGS)))))
    front = f"---\nid: {own}\n---\n" if own else ""
    heading = f"# {own.split('-use-')[0] if own else 'ADR'}: T\n"
    relation = draw(st.sampled_from(("", "Supersedes ", "Superseded by ")))
    status = "Accepted" if relation != "Superseded by " else "Superseded"
    body = f"{front}{heading}\n## Status\n{status}\n\n"
    if relation:
        body += f"{relation}{draw(REFS)}\n\n"
    mention = draw(st.one_of(st.none(), REFS))
    return body + "## Context\n" + (f"see {mention}\n" if mention else "Nothing else.\n")


@st.composite
def feature_texts(draw: st.DrawFn) -> str:
    """A feature with ADR tags on the feature and its scenario and mentions in their descriptions."""
    number = draw(st.sampled_from((1, 2)))
    tags = " ".join(draw(st.lists(TAGS, max_size=2)))
    scenario_tags = " ".join(draw(st.lists(TAGS, max_size=1)))
    description = draw(st.one_of(st.none(), REFS))
    scenario_description = draw(st.one_of(st.none(), REFS))
    return (f"@FEAT-{number} {tags}\nFeature: F{number}\n  desc {description or 'none'}\n\n"
            f"  @SC-1 {scenario_tags}\n  Scenario: s\n    {scenario_description or 'plain'}\n\n    Given x\n")


def _contract(number: int, refs: list[str]) -> str:
    return f"id: CTR-{number:04d}\ntitle: C\nmetadata: {{d: [{', '.join(refs)}]}}\n"


MUTATIONS = st.one_of(
    st.tuples(st.just("write"), st.sampled_from(ADR_FILES), adr_texts()),
    st.tuples(st.just("delete"), st.sampled_from(ADR_FILES), st.just("")),
    st.tuples(st.just("rename"), st.sampled_from(ADR_FILES), st.sampled_from(ADR_FILES)),
    st.tuples(st.just("write"), st.sampled_from(("features/f1.feature", "features/f2.feature")), feature_texts()),
    st.tuples(st.just("delete"), st.sampled_from(("features/f1.feature", "features/f2.feature")), st.just("")),
    st.tuples(st.just("write"), st.sampled_from(("contracts/c1.yaml", "contracts/c2.yaml")),
              st.builds(_contract, st.sampled_from((1, 2)), st.lists(REFS, min_size=1, max_size=2))),
)
# One commit: its file changes, then how the incremental database syncs it.
COMMITS = st.tuples(st.lists(MUTATIONS, min_size=1, max_size=3), st.sampled_from(("worktree", "ref", "paths")))


def _apply(repo: GitRepo, mutation: tuple[str, str, str]) -> None:
    action, path, other = mutation
    if action == "write":
        repo.write(path, other)
    elif action == "delete" and (repo.path / path).exists():
        repo.remove(path)
    elif action == "rename" and (repo.path / path).exists() and not (repo.path / other).exists():
        (repo.path / path).rename(repo.path / other)


def _changed_paths(repo: GitRepo, first: bool) -> list[str]:
    """What the watcher would hand a sync: every path the commit added, changed or removed."""
    if first:
        return repo.git("ls-files").splitlines()
    return repo.git("diff", "--name-only", "--no-renames", "HEAD~1", "HEAD").splitlines()


# ---------------------------------------------------------------------------------------------- the database

Link = tuple[str, str, int | None, str, str, str, bool]


def _project_id(conn: Any, project: str) -> Any:
    return conn.execute(select(Project.id).where(Project.name == project)).scalar_one()


def _links(engine: Any, project: str) -> set[Link]:
    t = LINKS.c
    with engine.connect() as conn:
        rows = conn.execute(select(t.source_kind, t.source_ref, t.source_line, t.link_type, t.target_kind,
                                   t.target_ref, t.target_id).where(t.project_id == _project_id(conn, project)))
        return {(*r[:6], r.target_id is None) for r in rows}


def _records(engine: Any, project: str) -> set[tuple[str, str, str | None]]:
    """(kind, number, content hash) of every live record; a scenario's number within its feature's."""
    found: set[tuple[str, str, str | None]] = set()
    with engine.connect() as conn:
        pid = _project_id(conn, project)
        for kind in ("adr", "contract", "feature"):
            table = kinds.table(kind)
            number = table.c[kinds.NUMBER_COLUMN[kind]]
            rows = conn.execute(select(number, table.c.content_hash)
                                .where(table.c.project_id == pid, table.c.deleted_at.is_(None)))
            found |= {(kind, r[0], r[1]) for r in rows}
        rows = conn.execute(
            select(Feature.feature_number, Scenario.scenario_number, Scenario.content_hash)
            .join(Feature, Feature.id == Scenario.feature_id)
            .where(Feature.project_id == pid, Scenario.deleted_at.is_(None)))
        found |= {("scenario", f"{r[0]}/{r[1]}", r[2]) for r in rows}
    return found


class State:
    """A project's links and live records, as compared."""

    def __init__(self, engine: Any, project: str) -> None:
        self.project = project
        self.links = _links(engine, project)
        self.records = _records(engine, project)

    def without(self, contested: set[str]) -> tuple[set[Link], set[tuple[str, str, str | None]]]:
        """The links and records but those of the contested identities (kept by presence only)."""
        links = {link for link in self.links if link[1].split("/")[0] not in contested}
        records = {(kind, number, None if number.split("/")[0] in contested else digest)
                   for kind, number, digest in self.records}
        return links, records


def _diff(label: str, ours: Iterable[Any], theirs: Iterable[Any]) -> str:
    a, b = set(ours), set(theirs)
    return f"{label}: only incremental {sorted(a - b, key=str)}; only the other {sorted(b - a, key=str)}"


def _agree(incremental: State, other: State, contested: set[str], exactly: bool) -> None:
    if exactly:
        mine, theirs = (incremental.links, incremental.records), (other.links, other.records)
    else:
        mine, theirs = incremental.without(contested), other.without(contested)
    assert mine[0] == theirs[0], _diff(f"links ({other.project})", mine[0], theirs[0])
    assert mine[1] == theirs[1], _diff(f"records ({other.project})", mine[1], theirs[1])


# ------------------------------------------------------------------------------------------------ check

_DUPLICATE = re.compile(r"^\S+ (\S+) is already defined in (\S+); ")


def _tag_line(repo: GitRepo, path: str, line: int | None) -> bool:
    if line is None:
        return False
    lines = repo.read(path).splitlines()
    return 0 < line <= len(lines) and lines[line - 1].lstrip().startswith("@")


def _source_paths(engine: Any, project: str) -> dict[tuple[str, str], str]:
    """(kind, number) → the path of the file holding each live record (a scenario by its feature's number)."""
    found: dict[tuple[str, str], str] = {}
    with engine.connect() as conn:
        pid = _project_id(conn, project)
        for kind in ("adr", "feature"):
            table = kinds.table(kind)
            rows = conn.execute(select(table.c[kinds.NUMBER_COLUMN[kind]], table.c.source_path)
                                .where(table.c.project_id == pid, table.c.deleted_at.is_(None)))
            found |= {(kind, r[0]): r[1] for r in rows}
    return found


def _check_agrees(repo: GitRepo, engine: Any, state: State) -> set[str]:
    """``check`` of the commit reports an ADR reference error at exactly the lines of the dangling links of ADRs
    and of feature and scenario tags (but in the files claiming a contested identity: ``check`` may keep it with
    the other claimant than the database). Returns the contested identities (those of duplicate errors)."""
    result = check(repo.path, jobs=1)
    duplicates = [(d.path, m) for d in result.errors if (m := _DUPLICATE.match(d.message))]
    contested = {m.group(1) for _, m in duplicates}
    claimants = {p for path, m in duplicates for p in (path, m.group(2))}
    reported = {(d.path, d.line) for d in result.errors if " refers to " in d.message and d.path not in claimants}
    paths = _source_paths(engine, state.project)
    dangling = set()
    for kind, ref, line, _, target_kind, _, unresolved in state.links:
        if target_kind != "adr" or not unresolved or ref.split("/")[0] in contested:
            continue
        path = paths[("adr" if kind == "adr" else "feature", ref.split("/")[0])] if kind != "contract" else None
        if path is not None and (kind == "adr" or _tag_line(repo, path, line)):
            dangling.add((path, line))
    assert reported == dangling, _diff("check errors vs dangling links", reported, dangling)
    return contested


# ------------------------------------------------------------------------------------------------ the property

_PROJECTS = itertools.count()


def _histories(examples: int) -> Any:
    """The property over ``examples`` generated histories, the same ones on every run (``derandomize``)."""
    return lambda test: settings(
        max_examples=examples, deadline=None, derandomize=True, database=None, print_blob=False,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )(given(commits=st.lists(COMMITS, min_size=1, max_size=5))(test))


def _every_path_agrees(engine: Any, tmp_path: Path, commits: list[tuple[list[tuple[str, str, str]], str]]) -> None:
    run = next(_PROJECTS)  # one database for every example: each its own projects
    with tempfile.TemporaryDirectory(dir=tmp_path) as folder:
        repo = init_repo(Path(folder) / "repo")
        project = f"inc{run}"
        for index, (mutations, how) in enumerate(commits):
            for mutation in mutations:
                _apply(repo, mutation)
            repo.commit(f"c{index}")
            note(f"commit {index} ({how}): {repo.git('show', '--format=', '--name-status', 'HEAD')!r}")
            note("".join(f"  {p}:\n{repo.read(p)}" for p in repo.git("ls-files").splitlines()))
            if how == "paths":
                sync(repo.path, engine=engine, project=project, jobs=1, paths=_changed_paths(repo, index == 0))
            else:
                sync(repo.path, engine=engine, project=project, jobs=1, ref="HEAD" if how == "ref" else None)
            incremental = State(engine, project)
            contested = _check_agrees(repo, engine, incremental)
            fresh = f"fresh{run}.{index}"  # of HEAD, or of the work tree (the eager writer), in turn
            sync(repo.path, engine=engine, project=fresh, jobs=1, ref="HEAD" if index % 2 else None)
            _agree(incremental, State(engine, fresh), contested, exactly=False)
        backfill(repo.path, engine=engine, project=f"backfill{run}", jobs=1)
        _agree(incremental, State(engine, f"backfill{run}"), contested, exactly=True)
        sync(repo.path, engine=engine, project=project, jobs=1, full=True)
        _agree(incremental, State(engine, project), contested, exactly=True)


# 21 histories: the first 21 of the former 30 (the same ones: derandomized) hold every contested identity, a
# rename and each way of syncing; the 9 after them repeated these shapes at 5 commits each for ~5 s.
@sqlite_only
@_histories(21)
def test_every_sync_path_stores_one_state(engine: Any, tmp_path: Path,
                                          commits: list[tuple[list[tuple[str, str, str]], str]]) -> None:
    _every_path_agrees(engine, tmp_path, commits)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@_histories(8)  # as of 12: renames, dangling links and each way of syncing, on PostgreSQL's store
def test_every_sync_path_stores_one_state_on_postgresql(
    engine: Any, tmp_path: Path, commits: list[tuple[list[tuple[str, str, str]], str]]
) -> None:
    """Fewer histories: each sync costs several times SQLite's on PostgreSQL."""
    _every_path_agrees(engine, tmp_path, commits)
