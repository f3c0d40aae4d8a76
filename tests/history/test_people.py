"""Dates and people of revisions (issue 13 item 11): the author and author date, the committer and commit date.

Real repositories with distinct authors and committers (GIT_AUTHOR_* / GIT_COMMITTER_*), a branch written by someone
else and merged with ``--no-ff``: a merge commit's revision names the author of the most recent commit on the
merged side that changed the file, and a backfill and syncs at each commit agree on every revision's people.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from typing import Any

import pytest
from sqlalchemy import select

from apikit import api_client
from conftest import GitRepo
from specs import adr, feature
from tracertm import db, git
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill
from tracertm.models import Base

PEOPLE = ("author_name", "author_email", "authored_at", "committer_name", "committer_email", "committed_at")


def _commit(repo: GitRepo, message: str, *, author: tuple[str, str, str], committer: tuple[str, str, str]) -> str:
    """Commit everything with a distinct author and committer, each (name, email, date)."""
    repo.git("add", "-A")
    env = {
        "GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1], "GIT_AUTHOR_DATE": author[2],
        "GIT_COMMITTER_NAME": committer[0], "GIT_COMMITTER_EMAIL": committer[1], "GIT_COMMITTER_DATE": committer[2],
    }  # fmt: skip
    repo.git("commit", "-q", "-m", message, env=env)
    return repo.head()


ALICE = ("Alice Author", "alice@example.com")
BOB = ("Bob Branch", "bob@example.com")
CAROL = ("Carol Branch", "carol@example.com")
MERGER = ("Max Merger", "max@example.com")


def _at(who: tuple[str, str], date: str) -> tuple[str, str, str]:
    return (*who, date)


def _merge_history(repo: GitRepo, on_each: Any = None) -> dict[str, str]:
    """main: ADR 1 by Alice (committed by Max a day later); branch: Bob writes ADR 2 and a feature, Carol edits the
    feature, Bob edits ADR 1; main meanwhile gets ADR 3 by Alice; Max merges the branch (--no-ff) and, in the same
    merge, resolves nothing. ``on_each(sha)`` runs after every first-parent commit (a post-commit hook)."""
    shas: dict[str, str] = {}

    def done(name: str, sha: str) -> None:
        shas[name] = sha
        if on_each is not None:
            on_each(sha)

    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    done("seed", _commit(repo, "seed", author=_at(ALICE, "2024-01-01T09:00:00+01:00"),
                         committer=_at(MERGER, "2024-01-02T10:00:00+00:00")))
    repo.git("checkout", "-q", "-b", "topic")
    repo.write("docs/adr/0002-use-kafka.md", adr(2, "Use Kafka"))
    repo.write("features/checkout.feature", feature(1, "Checkout"))
    shas["bob1"] = _commit(repo, "bob: kafka and checkout", author=_at(BOB, "2024-02-01T08:00:00-05:00"),
                           committer=_at(BOB, "2024-02-01T08:00:00-05:00"))
    repo.write("features/checkout.feature", feature(1, "Checkout", {"pay": ["Given a cart", "When I pay"]}))
    shas["carol"] = _commit(repo, "carol: pay scenario", author=_at(CAROL, "2024-02-03T12:00:00+02:00"),
                            committer=_at(BOB, "2024-02-04T12:00:00+00:00"))
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git", decision="We will use git, signed."))
    shas["bob2"] = _commit(repo, "bob: sign commits", author=_at(BOB, "2024-02-05T08:00:00-05:00"),
                           committer=_at(BOB, "2024-02-05T08:00:00-05:00"))
    repo.git("checkout", "-q", "main")
    repo.write("docs/adr/0003-use-python.md", adr(3, "Use Python"))
    done("alice", _commit(repo, "alice: python", author=_at(ALICE, "2024-02-06T09:00:00+00:00"),
                          committer=_at(ALICE, "2024-02-06T09:00:00+00:00")))
    env = {"GIT_AUTHOR_NAME": MERGER[0], "GIT_AUTHOR_EMAIL": MERGER[1], "GIT_AUTHOR_DATE": "2024-03-01T09:00:00+00:00",
           "GIT_COMMITTER_NAME": MERGER[0], "GIT_COMMITTER_EMAIL": MERGER[1],
           "GIT_COMMITTER_DATE": "2024-03-01T09:30:00+00:00"}
    repo.git("merge", "-q", "--no-ff", "-m", "Merge topic", "topic", env=env)
    done("merge", repo.head())
    return shas


def _people(engine: Any, project: str = "p") -> dict[tuple[str, str, int], dict[str, Any]]:
    """Every git revision's commit and people, by (kind, number, version)."""
    t = Base.metadata.tables["spec_revisions"].c
    with engine.connect() as conn:
        rows = conn.execute(select(t.entity_type, t.number, t.version, t.change, t.commit_sha, *(t[c] for c in PEOPLE))
                            .where(t.change != "annotated")).mappings().all()
    out: dict[tuple[str, str, int], dict[str, Any]] = {}
    for r in rows:
        assert (r["entity_type"], r["number"], r["version"]) not in out, "one revision per version"
        out[(r["entity_type"], r["number"], r["version"])] = dict(r)
    return out


def _utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC)


def test_backfill_stores_author_committer_and_both_dates(git_repo: GitRepo, database_url: str) -> None:
    shas = _merge_history(git_repo)
    engine = db.make_engine(database_url)
    try:
        backfill(git_repo.path, engine=engine, project="p")
        revs = _people(engine)
        seed = revs[("adr", "ADR-0001", 1)]
        assert seed["commit_sha"] == shas["seed"]
        assert (seed["author_name"], seed["author_email"]) == ALICE
        assert (seed["committer_name"], seed["committer_email"]) == MERGER
        assert seed["authored_at"] == _utc("2024-01-01T09:00:00+01:00")
        assert seed["committed_at"] == _utc("2024-01-02T10:00:00+00:00")

        # The merge is on the first-parent line: its revisions carry the merge's sha, committer and commit date,
        # and the author (and author date) of the most recent commit on the merged side that changed each file.
        kafka = revs[("adr", "ADR-0002", 1)]
        assert kafka["commit_sha"] == shas["merge"] and kafka["change"] == "created"
        assert (kafka["author_name"], kafka["author_email"]) == BOB
        assert kafka["authored_at"] == _utc("2024-02-01T08:00:00-05:00")
        assert (kafka["committer_name"], kafka["committed_at"]) == (MERGER[0], _utc("2024-03-01T09:30:00+00:00"))
        checkout = revs[("feature", "FEAT-1", 1)]
        assert checkout["commit_sha"] == shas["merge"]
        assert (checkout["author_name"], checkout["authored_at"]) == (CAROL[0], _utc("2024-02-03T12:00:00+02:00")), \
            "Carol's commit is the most recent on the branch that changed the feature"
        edited = revs[("adr", "ADR-0001", 2)]
        assert (edited["commit_sha"], edited["author_name"]) == (shas["merge"], BOB[0])
        assert edited["authored_at"] == _utc("2024-02-05T08:00:00-05:00")
        python = revs[("adr", "ADR-0003", 1)]
        assert (python["commit_sha"], python["author_name"]) == (shas["alice"], ALICE[0])
        assert not any(r["author_name"] == MERGER[0] for r in revs.values()), "nothing is the merger's work"
    finally:
        engine.dispose()


def test_syncs_at_each_commit_agree_with_the_backfill(git_repo: GitRepo, database_url: str, tmp_path: Any) -> None:
    """A post-commit hook's ``sync --ref HEAD`` after every first-parent commit (the merge included) writes the same
    commits and people as a backfill of the same history."""
    synced = db.make_engine(database_url)
    try:
        _merge_history(git_repo, on_each=lambda sha: sync(git_repo.path, engine=synced, project="p", ref=sha,
                                                           trigger="hook"))
        by_sync = _people(synced)
    finally:
        synced.dispose()
    other = tmp_path / "backfilled.db"
    backfilled = db.make_engine(f"sqlite:///{other}")
    try:
        db.upgrade(backfilled)
        backfill(git_repo.path, engine=backfilled, project="p")
        by_backfill = _people(backfilled)
    finally:
        backfilled.dispose()
    assert by_sync == by_backfill
    assert by_sync[("adr", "ADR-0002", 1)]["author_name"] == BOB[0]


def test_work_tree_sync_leaves_commit_people_empty(git_repo: GitRepo, database_url: str) -> None:
    """Uncommitted edits have no author, committer or dates yet: all NULL (the revision's ``created_at`` says when
    it was synced)."""
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    engine = db.make_engine(database_url)
    try:
        sync(git_repo.path, engine=engine, project="p")
        rev = _people(engine)[("adr", "ADR-0001", 1)]
        assert {k: rev[k] for k in ("commit_sha", *PEOPLE)} == dict.fromkeys(("commit_sha", *PEOPLE))
    finally:
        engine.dispose()


def test_merge_authors_reads_the_merged_side_in_one_log(git_repo: GitRepo) -> None:
    shas = _merge_history(git_repo)
    found = git.merge_authors(git_repo.path, shas["merge"],
                              ["0001-use-git.md", "0002-use-kafka.md", "0003-use-python.md"], "docs/adr/")
    assert {p: a.name for p, a in found.items()} == {"0001-use-git.md": BOB[0], "0002-use-kafka.md": BOB[0]}, \
        "ADR 3 came from the first parent: not the merged side's"
    assert found["0001-use-git.md"].at == _utc("2024-02-05T08:00:00-05:00")
    info = git.commit_info(git_repo.path, shas["merge"], ["features/checkout.feature"])
    assert info.is_merge and info.committer_name == MERGER[0]
    assert info.author_of("features/checkout.feature").name == CAROL[0]
    assert info.author_of("docs/adr/0003-use-python.md").name == MERGER[0], "not brought in by the merge"
    plain = git.commit_info(git_repo.path, shas["seed"], ["docs/adr/0001-use-git.md"])
    assert not plain.is_merge and plain.merged == {}
    assert (plain.author_name, plain.committer_name) == (ALICE[0], MERGER[0])


def test_history_cli_shows_author_and_author_date(git_repo: GitRepo, database_url: str, capsys: Any) -> None:
    _merge_history(git_repo)
    engine = db.make_engine(database_url)
    try:
        backfill(git_repo.path, engine=engine, project="p")
    finally:
        engine.dispose()
    base = ["--database-url", database_url, "--project", "p"]
    assert main(["history", "ADR-0002", *base]) == 0
    out = capsys.readouterr().out
    assert BOB[0] in out and "2024-02-01T13:00:00Z" in out, out  # Bob's author date, not the merge's
    assert MERGER[0] not in out
    assert main(["history", "ADR-0002", *base, "--format", "json"]) == 0
    (rev,) = json.loads(capsys.readouterr().out)
    assert (rev["author_name"], rev["committer_name"]) == (BOB[0], MERGER[0])
    assert _utc(rev["authored_at"]) == _utc("2024-02-01T08:00:00-05:00")
    assert _utc(rev["committed_at"]) == _utc("2024-03-01T09:30:00+00:00")


def test_api_history_shows_author_and_author_date(git_repo: GitRepo, database_url: str) -> None:
    shas = _merge_history(git_repo)
    engine = db.make_engine(database_url)
    try:
        backfill(git_repo.path, engine=engine, project="p")
        with api_client(engine) as client:
            response = client.get("/api/v1/features/FEAT-1/history")
            assert response.status_code == 200, response.text
            (rev,) = response.json()
            schema = client.get("/openapi.json").json()["components"]["schemas"]["RevisionRead"]["properties"]
    finally:
        engine.dispose()
    assert (rev["commit_sha"], rev["author_name"], rev["author_email"]) == (shas["merge"], *CAROL)
    assert _utc(rev["authored_at"]) == _utc("2024-02-03T12:00:00+02:00")
    assert (rev["committer_name"], rev["committer_email"]) == MERGER
    assert {"authored_at", "committer_name", "committer_email"} <= set(schema), "documented in the OpenAPI document"


def test_merge_authors_of_more_paths_than_a_command_line_holds(git_repo: GitRepo, monkeypatch: Any) -> None:
    """Too many paths for one command line: the spec root is logged instead and the paths picked from it — the
    same answer."""
    shas = _merge_history(git_repo)
    paths = ["features/checkout.feature", "docs/adr/0001-use-git.md", "docs/adr/0003-use-python.md"]
    named = git.merge_authors(git_repo.path, shas["merge"], paths)
    monkeypatch.setattr(git.log, "MAX_PATHSPEC_BYTES", 10)
    assert git.merge_authors(git_repo.path, shas["merge"], paths) == named
    assert {p: a.name for p, a in named.items()} == {"features/checkout.feature": CAROL[0],
                                                     "docs/adr/0001-use-git.md": BOB[0]}


def test_a_file_only_the_merge_commit_changed_is_the_mergers(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    _commit(git_repo, "seed", author=_at(ALICE, "2024-01-01T09:00:00+00:00"),
            committer=_at(ALICE, "2024-01-01T09:00:00+00:00"))
    git_repo.git("checkout", "-q", "-b", "topic")
    git_repo.write("docs/adr/0002-use-kafka.md", adr(2, "Use Kafka"))
    _commit(git_repo, "bob", author=_at(BOB, "2024-02-01T09:00:00+00:00"), committer=_at(BOB, "2024-02-01T09:00:00+00:00"))
    git_repo.git("checkout", "-q", "main")
    git_repo.git("merge", "-q", "--no-ff", "--no-commit", "topic")
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git", decision="Decided while merging."))
    merge = _commit(git_repo, "merge topic, and an edit", author=_at(MERGER, "2024-03-01T09:00:00+00:00"),
                    committer=_at(MERGER, "2024-03-01T09:00:00+00:00"))
    engine = db.make_engine(database_url)
    try:
        backfill(git_repo.path, engine=engine, project="p")
        revs = _people(engine)
    finally:
        engine.dispose()
    assert (revs[("adr", "ADR-0002", 1)]["commit_sha"], revs[("adr", "ADR-0002", 1)]["author_name"]) == (merge, BOB[0])
    assert (revs[("adr", "ADR-0001", 2)]["commit_sha"], revs[("adr", "ADR-0001", 2)]["author_name"]) == (merge, MERGER[0])


def _conflict_resolved(repo: GitRepo) -> dict[str, str]:
    """Both sides edit ADR 1 and ADR 2 (Bob on the branch, Jan 7; Alice on main, Jan 8); Max merges on Mar 1 and
    resolves ADR 1 with text neither side wrote, and ADR 2 by taking Bob's."""
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    repo.write("docs/adr/0002-use-kafka.md", adr(2, "Use Kafka"))
    shas = {"seed": _commit(repo, "seed", author=_at(ALICE, "2024-01-01T09:00:00+00:00"),
                            committer=_at(ALICE, "2024-01-01T09:00:00+00:00"))}
    repo.git("checkout", "-q", "-b", "topic")
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git", decision="Bob's."))
    repo.write("docs/adr/0002-use-kafka.md", adr(2, "Use Kafka", decision="Bob's."))
    bob = _at(BOB, "2024-01-07T09:00:00+00:00")
    _commit(repo, "bob", author=bob, committer=bob)
    repo.git("checkout", "-q", "main")
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git", decision="Alice's."))
    repo.write("docs/adr/0002-use-kafka.md", adr(2, "Use Kafka", decision="Alice's."))
    shas["alice"] = _commit(repo, "alice", author=_at(ALICE, "2024-01-08T09:00:00+00:00"),
                            committer=_at(ALICE, "2024-01-08T09:00:00+00:00"))
    with pytest.raises(subprocess.CalledProcessError):  # both files conflict
        repo.git("merge", "-q", "--no-commit", "topic")
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git", decision="Resolved."))
    repo.write("docs/adr/0002-use-kafka.md", adr(2, "Use Kafka", decision="Bob's."))
    shas["merge"] = _commit(repo, "merge topic", author=_at(MERGER, "2024-03-01T09:00:00+00:00"),
                            committer=_at(MERGER, "2024-03-01T09:30:00+00:00"))
    return shas


def test_a_conflict_resolved_in_the_merge_is_the_mergers(git_repo: GitRepo, database_url: str, tmp_path: Any) -> None:
    """A file whose content at the merge is neither parent's (a conflict resolved with new text) was written in the
    merge: its revision is the merge's author's, with the merge's author date — not the branch's last author, whose
    older date would come after Alice's. One taken whole from the branch stays Bob's. The same in a backfill (linear,
    and merged onto a work-tree sync of the merge), in ``sync --ref`` and in ``merge_authors``."""
    shas = _conflict_resolved(git_repo)
    found = git.merge_authors(git_repo.path, shas["merge"], ["0001-use-git.md", "0002-use-kafka.md"], "docs/adr/")
    assert {p: a.name for p, a in found.items() if a} == {"0002-use-kafka.md": BOB[0]}
    expected = {"ADR-0001": (MERGER[0], _utc("2024-03-01T09:00:00+00:00")),
                "ADR-0002": (BOB[0], _utc("2024-01-07T09:00:00+00:00"))}
    for name, write in (("backfill", lambda e: backfill(git_repo.path, engine=e, project="p")),
                        ("sync --ref", lambda e: [sync(git_repo.path, engine=e, project="p", ref=sha)
                                                  for sha in (shas["alice"], shas["merge"])]),
                        ("work tree", lambda e: (sync(git_repo.path, engine=e, project="p"),
                                                 backfill(git_repo.path, engine=e, project="p")))):
        url = database_url if name == "backfill" else f"sqlite:///{tmp_path / name.replace(' ', '-')}.db"
        engine = db.make_engine(url)
        try:
            db.upgrade(engine)
            write(engine)
            revs = _people(engine)
        finally:
            engine.dispose()
        for number, (author, authored) in expected.items():
            last = max((v for k, v in revs.items() if k[1] == number), key=lambda r: r["committed_at"])
            made = (last["commit_sha"], last["author_name"], last["authored_at"])
            assert made == (shas["merge"], author, authored), (name, number)


def _clone(origin: GitRepo, depth: int) -> GitRepo:
    """A ``git clone --depth`` of ``origin`` (a CI checkout; a file:// URL: a local path would ignore ``--depth``)."""
    dest = origin.path.parent / f"depth-{depth}"
    GitRepo(origin.path.parent).git("clone", "-q", "--depth", str(depth), f"file://{origin.path}", str(dest))
    return GitRepo(dest)


def test_a_shallow_merge_checkout_names_no_author_and_warns(
        git_repo: GitRepo, database_url: str, capsys: Any) -> None:
    """A depth-1 checkout of a merge (a pull request's merge ref in CI): git shows the merge without the parents the
    clone did not fetch, so whose work it brought in cannot be read. Its revisions name no author — not the
    merger — and a warning line says so; deepened, the clone names Bob again."""
    shas = _merge_history(git_repo)
    clone = _clone(git_repo, 1)
    base = ["--database-url", database_url, "--project", "p"]
    assert main(["sync", str(clone.path), "--ref", "HEAD", *base]) == 0
    err = capsys.readouterr().err
    assert (f"warning: {shas['merge'][:12]} is a merge whose merged side this shallow clone cut off (its history "
            f"stops at {shas['merge'][:12]}): who wrote ") in err and "'git fetch --deepen=N'" in err, err
    engine = db.make_engine(database_url)
    try:
        revs = _people(engine)
    finally:
        engine.dispose()
    kafka = revs[("adr", "ADR-0002", 1)]
    assert (kafka["commit_sha"], kafka["author_name"], kafka["author_email"], kafka["authored_at"]) == (
        shas["merge"], None, None, None)
    assert (kafka["committer_name"], kafka["committed_at"]) == (MERGER[0], _utc("2024-03-01T09:30:00+00:00"))
    assert main(["show", "ADR-0002", "--at", shas["merge"], "--path", str(clone.path), *base]) == 0
    assert f"created in {shas['merge'][:12]} by an unknown author" in capsys.readouterr().out

    clone.git("fetch", "-q", "--unshallow")
    info = git.commit_info(clone.path, shas["merge"], ["docs/adr/0002-use-kafka.md"])
    assert info.author_of("docs/adr/0002-use-kafka.md") == git.Author(BOB[0], BOB[1], _utc("2024-02-01T13:00:00Z"))


def test_a_merge_whose_branch_a_shallow_clone_cut_names_what_it_holds(git_repo: GitRepo) -> None:
    """A depth-3 clone holds the branch's last two commits, Carol's at its boundary (git shows it without a parent,
    as adding every file it holds): Bob's last edit of ADR 1 is known, and who last changed the other files on the
    branch (Carol, or Bob's first commit) is unknown — not Carol for all of them."""
    shas = _merge_history(git_repo)
    clone = _clone(git_repo, 3)
    assert shas["carol"] in (clone.path / ".git/shallow").read_text(), "Carol's commit is the boundary"
    paths = ["docs/adr/0001-use-git.md", "docs/adr/0002-use-kafka.md", "features/checkout.feature"]
    found = git.merge_authors(clone.path, shas["merge"], paths)
    assert {p: a.name if a else None for p, a in found.items()} == {
        "docs/adr/0001-use-git.md": BOB[0], "docs/adr/0002-use-kafka.md": None, "features/checkout.feature": None}
    assert git.commit_info(clone.path, shas["merge"], paths).unknown_authors == paths[1:]
