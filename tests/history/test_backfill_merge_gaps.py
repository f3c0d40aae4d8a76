"""A commit no sync read between two that syncs did (a hook skipped while the database was out of reach), alone
and then with a backfill. It merges: it writes the history before what the syncs recorded, not between, so the record's revisions
say nothing of that commit, and ``show --at`` of it answered the state before it (``Given x`` where the file says
``Given y``), ``diff`` through it "no spec changes" — from revisions a complete backfill was taken to have written.
The merge now records the changes it left out (``history.merge.unwritten``): ``show --at`` a commit in such a span
answers only when the file there holds the revision it would read (else one line, exit 2), and ``diff`` parses
there (``--method history`` refuses, naming the commit); commits the syncs recorded read as before. Without a
backfill, ``show --at`` such a commit answers only where the record's file is unchanged or still holds the revision
it would read."""

from __future__ import annotations

import json

from conftest import GitRepo, run_cli
from tracertm.history.merge import GAPS_KEY

FEATURE = "Feature: Shop\n\n  Scenario: buy\n    Given {step}\n\n  Scenario: pay\n    Given a card\n"


def _skipped_hook(git_repo: GitRepo, database_url: str) -> tuple[str, str, str]:
    """Commits A, B and C, as hook syncs (``sync --ref HEAD``) of A and C record them: B changes the scenario
    ``buy`` (``Given x`` → ``Given y``), C the feature's name."""
    git_repo.write("features/shop.feature", FEATURE.format(step="x"))
    a = git_repo.commit("A")
    assert run_cli("sync", str(git_repo.path), "--ref", "HEAD", "--database-url", database_url).returncode == 0
    git_repo.write("features/shop.feature", FEATURE.format(step="y"))
    b = git_repo.commit("B: not synced (the hook could not reach the database)")
    git_repo.write("features/shop.feature", FEATURE.format(step="y").replace("Shop", "Shop 2"))
    c = git_repo.commit("C")
    assert run_cli("sync", str(git_repo.path), "--ref", "HEAD", "--database-url", database_url).returncode == 0
    return a, b, c


def _refusal(where: list[str], commit: str) -> str:
    """The one line ``show buy --at commit`` refuses with (exit 2, nothing on standard output)."""
    refused = run_cli("show", "buy", "--at", commit, *where)
    assert refused.returncode == 2 and refused.stdout == "", refused
    return refused.stderr


def test_show_at_a_commit_no_sync_read_answers_only_what_its_file_holds(git_repo: GitRepo, database_url: str) -> None:
    """Without a backfill: a commit no sync read (also a rebase's commits before its last, which the hook syncs
    once) answered the revision before it, whatever the file said there."""
    where = ["--path", str(git_repo.path), "--database-url", database_url]
    a, b, c = _skipped_hook(git_repo, database_url)
    assert _refusal(where, b) == (
        f"tracertm: error: --at {b}: no sync read that commit, and the record's file changed since {a[:12]}, whose "
        "revision holds another state, so its state then is not recorded; the file at that commit holds it: "
        f"git show {b[:12]}:features/shop.feature\n")
    # The other scenario of that file is what the revision holds; the commits the syncs read answer as before.
    pay = run_cli("show", "pay", "--at", b, *where, "--format", "json")
    assert pay.returncode == 0 and json.loads(pay.stdout)["version"] == 1
    for commit, step in ((a, "x"), (c, "y")):
        shown = json.loads(run_cli("show", "buy", "--at", commit, *where, "--format", "json").stdout)
        assert shown["snapshot"]["given_steps"][0]["text"] == step


def test_a_backfill_merged_around_an_unsynced_commit_answers_nothing_from_the_gap(
        git_repo: GitRepo, database_url: str) -> None:
    where = ["--path", str(git_repo.path), "--database-url", database_url]
    a, b, c = _skipped_hook(git_repo, database_url)
    done = run_cli("backfill", str(git_repo.path), "--database-url", database_url)
    assert done.returncode == 0 and "(merged)" in done.stdout, done

    status = json.loads(run_cli("status", *where, "--format", "json").stdout)
    assert status["counts"]["scenario"]["live"] == 2

    # show --at: the gap's commit is refused in one line naming it; the synced commits answer as before, and so
    # does a record the gap did not change (its file holds the revision read).
    assert _refusal(where, b) == (
        f"tracertm: error: --at {b}: the record changed at {b[:12]}, a commit no sync recorded, which a backfill "
        "merged around (it writes the history before what syncs recorded, not between), so its state then is not "
        f"recorded; the file at that commit holds it: git show {b[:12]}:features/shop.feature\n")
    for commit, step, version in ((a, "x", 1), (c, "y", 2)):
        shown = json.loads(run_cli("show", "buy", "--at", commit, *where, "--format", "json").stdout)
        assert (shown["version"], shown["snapshot"]["given_steps"][0]["text"]) == (version, step)
    pay = run_cli("show", "pay", "--at", b, *where, "--format", "json")
    assert pay.returncode == 0 and json.loads(pay.stdout)["version"] == 1

    # diff: through the gap it parses (and says the change), --method history refuses; between recorded commits
    # the history still answers.
    parsed = run_cli("diff", a, b, *where)
    assert parsed.returncode == 0 and "from parse" in parsed.stdout and "shop/buy" in parsed.stdout, parsed
    history = run_cli("diff", a, b, *where, "--method", "history")
    assert history.returncode == 2 and history.stderr == (
        f"tracertm: error: diff --method history: commit {b[:12]} changed specs that no sync recorded, between two "
        "that syncs did, and the backfill merged around it: the revisions hold an older state than the files there; "
        "use --method parse\n")
    recorded = run_cli("diff", a, c, *where)
    assert recorded.returncode == 0 and "from history" in recorded.stdout and "shop/buy" in recorded.stdout

    # A second backfill keeps the one gap (once).
    assert run_cli("backfill", str(git_repo.path), "--database-url", database_url, "-q").returncode == 0
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            metadata = conn.execute(text("SELECT project_metadata FROM projects")).scalar_one()
    finally:
        engine.dispose()
    metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
    assert metadata[GAPS_KEY] == [[b, c]]


def test_a_record_whose_file_the_unsynced_commit_deleted_names_no_path_git_cannot_show(
        git_repo: GitRepo, database_url: str) -> None:
    """B deletes the feature's file with no sync, C is synced, then a backfill: ``show --at B`` said "the file at
    that commit holds it: git show B:features/shop.feature", which git answers with "path does not exist"."""
    where = ["--path", str(git_repo.path), "--database-url", database_url]
    git_repo.write("features/shop.feature", FEATURE.format(step="x"))
    git_repo.write("features/other.feature", FEATURE.format(step="z").replace("Shop", "Other"))
    git_repo.commit("A")
    assert run_cli("sync", str(git_repo.path), "--ref", "HEAD", "--database-url", database_url).returncode == 0
    git_repo.remove("features/shop.feature")
    b = git_repo.commit("B: not synced")
    git_repo.write("features/other.feature", FEATURE.format(step="w").replace("Shop", "Other"))
    git_repo.commit("C")
    assert run_cli("sync", str(git_repo.path), "--ref", "HEAD", "--database-url", database_url).returncode == 0
    assert run_cli("backfill", str(git_repo.path), "--database-url", database_url, "-q").returncode == 0

    refused = run_cli("show", "shop", "--at", b, *where)
    assert refused.returncode == 2 and "git show" not in refused.stderr, refused.stderr
    assert refused.stderr.endswith(
        "; features/shop.feature does not hold it at that commit (deleted, moved, or the record renamed in it): "
        f"git log --stat {b[:12]} -- features/shop.feature shows the commits that changed it\n"), refused.stderr
    shown = git_repo.git("log", "--stat", b[:12], "--", "features/shop.feature")
    assert "features/shop.feature" in str(shown)


def test_the_refusal_in_a_gap_names_the_commit_that_changed_that_record(git_repo: GitRepo, database_url: str) -> None:
    """A synced; B changes only ADR 1, C only ADR 2, D no spec; D synced, then a backfill (two gaps, B's and C's,
    both up to D). ``show ADR-0002 --at C`` named B, a commit that never touched ADR 2 (the project's first gap in
    reach); the API's 404 said the same."""
    from apikit import api_client
    from specs import adr
    from tracertm import db
    from tracertm.api.app import ApiSettings

    where = ["--path", str(git_repo.path), "--database-url", database_url]
    git_repo.write("docs/adr/0001-one.md", adr(1, "One"))
    git_repo.write("docs/adr/0002-two.md", adr(2, "Two"))
    git_repo.commit("A")
    assert run_cli("sync", str(git_repo.path), "--ref", "HEAD", "--database-url", database_url).returncode == 0
    git_repo.write("docs/adr/0001-one.md", adr(1, "One b"))
    b = git_repo.commit("B: ADR 1 only")
    git_repo.write("docs/adr/0002-two.md", adr(2, "Two b"))
    c = git_repo.commit("C: ADR 2 only")
    git_repo.write("README", "r\n")
    git_repo.commit("D: no spec")
    assert run_cli("sync", str(git_repo.path), "--ref", "HEAD", "--database-url", database_url).returncode == 0
    assert run_cli("backfill", str(git_repo.path), "--database-url", database_url, "-q").returncode == 0

    detail = (f"--at {c}: the record changed at {c[:12]}, a commit no sync recorded, which a backfill merged around "
              "(it writes the history before what syncs recorded, not between), so its state then is not recorded; "
              f"the file at that commit holds it: git show {c[:12]}:docs/adr/0002-two.md")
    refused = run_cli("show", "ADR-0002", "--at", c, *where)
    assert (refused.returncode, refused.stderr) == (2, f"tracertm: error: {detail}\n"), refused
    assert f"changed at {b[:12]}" in run_cli("show", "ADR-0001", "--at", b, *where).stderr
    assert run_cli("show", "ADR-0002", "--at", b, *where).returncode == 0, "its file holds the revision read"
    engine = db.make_engine(database_url)
    try:
        with api_client(engine, ApiSettings(repositories={"repo": str(git_repo.path)})) as client:
            answer = client.get(f"/api/v1/adrs/ADR-0002/at/{c}", params={"project": "repo"})
    finally:
        engine.dispose()
    assert answer.status_code == 404 and f"changed at {c[:12]}" in answer.text and b[:12] not in answer.text, \
        answer.text
