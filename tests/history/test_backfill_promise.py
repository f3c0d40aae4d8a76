"""Backfill's promise, stated exactly: a backfill of REF ends in the state that syncing each first-parent commit of
REF in order gives — including a file that parsed once and is broken at REF (it keeps its last good records) — and
records deleted in history carry the deleting commit's author date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from conftest import GitRepo
from specs import adr, contract, dump, feature
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill
from tracertm.models import Base


def _commit(repo: GitRepo, message: str, authored: str, committed: str) -> str:
    """A commit whose author date differs from its commit date (a rebased or cherry-picked change)."""
    repo.git("add", "-A")
    repo.git("commit", "-q", "--allow-empty", "-m", message,
             env={"GIT_AUTHOR_DATE": authored, "GIT_COMMITTER_DATE": committed})
    return repo.head()


def _history_with_a_file_broken_at_ref(repo: GitRepo) -> dict[str, str]:
    c: dict[str, str] = {}
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    repo.write("docs/adr/0002-use-cobol.md", adr(2, "Use COBOL"))
    repo.write("contracts/payments.yaml", contract(1, "Payments"))
    repo.write("features/login.feature", feature(1, "Login"))
    c["seed"] = _commit(repo, "seed", "2024-01-01T09:00:00+00:00", "2024-01-01T09:00:00+00:00")
    repo.write("contracts/payments.yaml", contract(1, "Payments", ("pending", "paid", "refunded")))
    repo.write("features/login.feature", repo.read("features/login.feature").replace("When I act again", "When I retry"))
    c["edit"] = _commit(repo, "edit", "2024-01-02T09:00:00+00:00", "2024-01-02T09:00:00+00:00")
    repo.remove("docs/adr/0002-use-cobol.md")
    c["drop"] = _commit(repo, "drop cobol", "2024-01-03T08:30:00+02:00", "2024-02-20T17:00:00+00:00")
    repo.git("mv", "features/login.feature", "features/sign-in.feature")
    repo.write("docs/adr/0003-use-kafka.md", adr(3, "Use Kafka"))
    c["move"] = _commit(repo, "move", "2024-01-04T09:00:00+00:00", "2024-01-04T09:00:00+00:00")
    repo.git("checkout", "-q", "-b", "side")
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git", decision="We will use git everywhere."))
    _commit(repo, "side work", "2024-01-05T09:00:00+00:00", "2024-01-05T09:00:00+00:00")
    repo.git("checkout", "-q", "main")
    repo.write("features/sign-in.feature", repo.read("features/sign-in.feature") + "  not gherkin at all\n")
    c["break feature"] = _commit(repo, "break the feature", "2024-01-06T09:00:00+00:00", "2024-01-06T09:00:00+00:00")
    repo.git("merge", "-q", "--no-ff", "side", "-m", "merge side",
             env={"GIT_AUTHOR_DATE": "2024-01-07T09:00:00+00:00", "GIT_COMMITTER_DATE": "2024-01-07T09:00:00+00:00"})
    c["merge"] = repo.head()
    repo.write("contracts/payments.yaml", "id: CTR-0001\ntitle: [unclosed\n")
    c["break contract"] = _commit(repo, "break the contract", "2024-01-08T09:00:00+00:00", "2024-01-08T09:00:00+00:00")
    return c


def sync_each_commit(repo: GitRepo, engine: Any) -> None:
    """``sync --ref`` of each first-parent commit in turn: what a backfill must equal."""
    for sha in repo.git("rev-list", "--first-parent", "--reverse", "main").split():
        sync(repo.path, ref=sha, engine=engine, project="p")


def from_scratch(repo: GitRepo, url: str, project: str = "p") -> dict[str, list[dict[str, Any]]]:
    """A backfill of ``repo`` into the empty database ``url`` (it must be a full one), and the state it wrote
    (``_state``): what a merge into an already-synced project must equal."""
    engine = db.make_engine(url)
    try:
        assert backfill(repo.path, engine=engine, project=project).mode == "full"
        return _state(engine)
    finally:
        engine.dispose()


def _state(engine: Any) -> dict[str, list[dict[str, Any]]]:
    """Rows, revisions and the file index, without ids and timestamps (``deleted`` says whether soft-deleted)."""
    out = dump(engine)
    for row in out["spec_revisions"]:
        del row["entity_id"]
    out["spec_revisions"].sort(key=repr)
    return out


def test_backfill_equals_syncing_each_first_parent_commit(git_repo: GitRepo, database_url: str,
                                                          other_database_url: str) -> None:
    c = _history_with_a_file_broken_at_ref(git_repo)
    chain = git_repo.git("rev-list", "--first-parent", "--reverse", "main").split()
    assert len(chain) == 7 and c["merge"] in chain
    filled, synced = db.make_engine(database_url), db.make_engine(other_database_url)
    try:
        result = backfill(git_repo.path, ref="main", engine=filled, project="p")
        for sha in chain:
            sync(git_repo.path, ref=sha, engine=synced, project="p")
        state = _state(filled)
        assert state == _state(synced)

        # The promise is about a real case: files broken at REF kept their last good records, in both.
        assert {(d.path, d.line > 0) for d in result.head_errors} == {
            ("contracts/payments.yaml", True), ("features/sign-in.feature", True)}
        contracts = {r["contract_number"]: r for r in state["contracts"]}
        assert contracts["CTR-0001"]["states"] == ["pending", "paid", "refunded"] and not contracts["CTR-0001"]["deleted"]
        scenarios = {r["scenario_number"]: r for r in state["scenarios"]}
        assert set(scenarios) == {"SC-1", "SC-2"} and not any(r["deleted"] for r in scenarios.values())
        features = {r["feature_number"]: r for r in state["features"]}
        assert features["FEAT-1"]["source_path"] == "features/sign-in.feature"
        adrs = {r["adr_number"]: r for r in state["adrs"]}
        assert adrs["ADR-0002"]["deleted"] and not adrs["ADR-0003"]["deleted"]
        assert "We will use git everywhere." in str(adrs["ADR-0001"])
    finally:
        filled.dispose()
        synced.dispose()


UNDATED = "# 4. No date\n\n## Status\n\nProposed\n\n## Context\n\nC.\n\n## Decision\n\nD.\n"


def test_syncing_each_commit_after_a_backfill_keeps_an_edited_undated_adr_as_a_backfill_dates_it(
        git_repo: GitRepo, database_url: str, other_database_url: str) -> None:
    """The ADR date is the one addition of a backfill to the state that syncing each commit gives (README "The
    promise"): an ADR without a date of its own has the creating commit's. A backfill, then ``sync --ref`` of each
    later commit — its Status accepted, a move with an edit, its own date written and removed again — ends as a
    backfill of the whole history does, the dates too (the edits' syncs wrote none)."""
    c = _history_with_a_file_broken_at_ref(git_repo)
    git_repo.git("checkout", "-q", c["move"])  # the undated ADR is created in the middle of the history
    git_repo.git("checkout", "-q", "-b", "line")
    git_repo.write("docs/adr/0004-no-date.md", UNDATED)
    _commit(git_repo, "undated", "2024-01-04T10:00:00+00:00", "2024-01-05T10:00:00+00:00")
    filled, synced = db.make_engine(database_url), db.make_engine(other_database_url)
    try:
        backfill(git_repo.path, ref="line", engine=synced, project="p")
        edits = [("docs/adr/0004-no-date.md", UNDATED.replace("Proposed", "Accepted")),
                 ("docs/adr/0004-no-date.md", UNDATED.replace("Proposed", "Accepted").replace("D.", "D!")),
                 ("docs/adr/0004-decided.md", UNDATED.replace("Proposed", "Accepted").replace("D.", "D!!")),
                 ("docs/adr/0004-decided.md", UNDATED.replace("## Status", "Date: 2023-12-24\n\n## Status")),
                 ("docs/adr/0004-decided.md", UNDATED.replace("C.", "C!"))]
        for n, (path, text) in enumerate(edits):
            for gone in {"docs/adr/0004-no-date.md", "docs/adr/0004-decided.md"} - {path}:
                if (git_repo.path / gone).exists():
                    git_repo.remove(gone)
            git_repo.write(path, text)
            _commit(git_repo, f"edit {n}", f"2024-02-0{n + 1}T10:00:00+00:00", f"2024-02-0{n + 1}T10:00:00+00:00")
            sync(git_repo.path, ref="HEAD", engine=synced, project="p", trigger="hook")
        backfill(git_repo.path, ref="line", engine=filled, project="p")

        assert _state(filled) == _state(synced)
        adrs = {r["adr_number"]: r for r in _state(filled)["adrs"]}
        assert (adrs["ADR-0004"]["date"], adrs["ADR-0004"]["version"]) == (dt.date(2024, 1, 5), 6)
    finally:
        filled.dispose()
        synced.dispose()


def test_records_deleted_in_history_carry_the_author_date_of_the_deleting_commit(git_repo: GitRepo,
                                                                                 database_url: str) -> None:
    c = _history_with_a_file_broken_at_ref(git_repo)
    engine = db.make_engine(database_url)
    try:
        backfill(git_repo.path, engine=engine, project="p", batch_size=2)
        t = Base.metadata.tables
        with engine.connect() as conn:
            adr_deleted = conn.execute(select(t["adrs"].c.deleted_at).where(t["adrs"].c.adr_number == "ADR-0002")).scalar_one()
            file_deleted = dict(conn.execute(select(t["source_files"].c.path, t["source_files"].c.deleted_at)).all())
        authored = dt.datetime(2024, 1, 3, 6, 30, tzinfo=dt.UTC)  # 08:30+02:00, not the commit date (20 Feb)
        assert _utc(adr_deleted) == authored, c["drop"]
        assert _utc(file_deleted["docs/adr/0002-use-cobol.md"]) == authored
        assert _utc(file_deleted["features/login.feature"]) == dt.datetime(2024, 1, 4, 9, tzinfo=dt.UTC)
        assert file_deleted["features/sign-in.feature"] is None
    finally:
        engine.dispose()


def _utc(value: dt.datetime | None) -> dt.datetime:
    assert value is not None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def test_an_identity_lost_to_another_file_is_taken_over_as_in_sync(git_repo: GitRepo, database_url: str,
                                                                   other_database_url: str) -> None:
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.write("docs/adr/0001-use-git-too.md", adr(1, "Use git", decision="We will use git, really."))
    git_repo.write("docs/adr/0002-other.md", adr(2, "Other"))
    git_repo.commit("two files claim ADR-0001")
    git_repo.write("docs/adr/0002-other.md", adr(2, "Other", decision="Changed."))
    git_repo.commit("an unrelated change")
    git_repo.remove("docs/adr/0001-use-git-too.md")  # first by path: the winner
    git_repo.commit("the winner goes")
    filled, synced = db.make_engine(database_url), db.make_engine(other_database_url)
    try:
        result = backfill(git_repo.path, engine=filled, project="p", batch_size=1)
        for sha in git_repo.git("rev-list", "--first-parent", "--reverse", "main").split():
            sync(git_repo.path, ref=sha, engine=synced, project="p")
        assert _state(filled) == _state(synced)
        adrs = {r["adr_number"]: r for r in _state(filled)["adrs"]}
        assert adrs["ADR-0001"]["source_path"] == "docs/adr/0001-use-git.md" and not adrs["ADR-0001"]["deleted"]
        assert result.head_errors == []
    finally:
        filled.dispose()
        synced.dispose()


def test_an_identity_taken_over_within_one_batch_is_a_move_as_in_sync(git_repo: GitRepo, database_url: str,
                                                                       other_database_url: str) -> None:
    """The file that lost an identity takes it over when the winner goes, read as the commit has it: in one batch
    the tree is a batch ahead, where that file may be renamed already (it was read from there, and missed)."""
    git_repo.write("docs/adr/0001-a.md", adr(1, "Alpha"))
    git_repo.write("docs/adr/0001-b.md", adr(1, "Bravo"))
    git_repo.commit("both claim ADR-0001")
    git_repo.remove("docs/adr/0001-a.md")
    git_repo.commit("the winner goes")
    git_repo.write("docs/adr/0001-a.md", adr(1, "Alpha"))
    git_repo.git("mv", "docs/adr/0001-b.md", "docs/adr/0001-d.md")
    git_repo.commit("back, and the other renamed")
    filled, synced = db.make_engine(database_url), db.make_engine(other_database_url)
    try:
        backfill(git_repo.path, engine=filled, project="p")
        sync_each_commit(git_repo, synced)
        assert _state(filled) == _state(synced)
        t = Base.metadata.tables["spec_revisions"].c
        with filled.connect() as conn:
            changes = [r[0] for r in conn.execute(select(t.change).where(t.number == "ADR-0001").order_by(t.version))]
        assert changes == ["created", "moved", "moved"], "never deleted: the other file took the identity over"
    finally:
        filled.dispose()
        synced.dispose()


def test_a_deleted_record_whose_file_is_back_broken_is_not_taken_by_another_file(
        git_repo: GitRepo, database_url: str, other_database_url: str) -> None:
    """The owner's file is back but cannot be read: the other file claiming its id waits (a conflict), and the
    record comes back from its own file once that parses — in a sync of each commit and in a backfill alike."""
    alpha, bravo = contract(1, "Alpha"), contract(1, "Bravo", ("open", "closed"))
    git_repo.write("contracts/a.yaml", alpha)
    git_repo.write("contracts/b.yaml", bravo)
    git_repo.commit("both claim CTR-0001, a.yaml first")
    git_repo.remove("contracts/a.yaml")
    git_repo.remove("contracts/b.yaml")
    git_repo.commit("both gone")
    git_repo.write("contracts/a.yaml", alpha + "bad: [unclosed\n")
    git_repo.commit("a.yaml back, broken")
    git_repo.write("contracts/b.yaml", bravo)
    git_repo.commit("b.yaml back")
    git_repo.write("contracts/a.yaml", alpha)
    git_repo.commit("a.yaml fixed")
    filled, synced = db.make_engine(database_url), db.make_engine(other_database_url)
    try:
        shas = git_repo.git("rev-list", "--first-parent", "--reverse", "main").split()
        for n, sha in enumerate(shas):
            result = sync(git_repo.path, ref=sha, engine=synced, project="p")
            if n == 3:
                assert [op.action for op in result.operations] == []
                assert any("already defined in contracts/a.yaml" in d.message for d in result.errors)
        backfill(git_repo.path, engine=filled, project="p", batch_size=2)
        assert _state(filled) == _state(synced)
        (record,) = _state(synced)["contracts"]
        assert (record["title"], record["source_path"], record["deleted"]) == ("Alpha", "contracts/a.yaml", False)
    finally:
        filled.dispose()
        synced.dispose()


def test_a_project_of_another_repository_is_refused_with_exit_2(git_repo: GitRepo, tmp_path: Path,
                                                                 database_url: str, capsys: Any) -> None:
    from tracertm.cli import main

    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.commit("one repository")
    other = GitRepo(tmp_path / "other" / "repo")  # the same folder name, no remote, unrelated history
    other.path.mkdir(parents=True)
    other.git("init", "-q", "-b", "main")
    other.write("docs/adr/0001-b.md", adr(1, "B"))
    other.commit("another repository")
    assert main(["backfill", str(git_repo.path), "--database-url", database_url, "--quiet"]) == 0
    capsys.readouterr()
    assert main(["backfill", str(other.path), "--database-url", database_url, "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "belongs to another repository" in err and "--project" in err
    assert main(["backfill", str(other.path), "--database-url", database_url, "--project", "other", "--quiet"]) == 0


def test_a_file_grown_over_max_file_size_keeps_its_records_as_in_sync(git_repo: GitRepo, database_url: str,
                                                                      other_database_url: str) -> None:
    git_repo.write(".tracertm.toml", "max_file_size = 600\n")
    git_repo.write("contracts/payments.yaml", contract(1, "Payments"))
    git_repo.commit("small enough")
    git_repo.write("contracts/payments.yaml", contract(1, "Payments") + "# padding\n" * 80)
    git_repo.commit("too large now")
    filled, synced = db.make_engine(database_url), db.make_engine(other_database_url)
    try:
        result = backfill(git_repo.path, engine=filled, project="p")
        for sha in git_repo.git("rev-list", "--first-parent", "--reverse", "main").split():
            sync(git_repo.path, ref=sha, engine=synced, project="p")
        assert _state(filled) == _state(synced)
        assert [e.diagnostic.path for e in result.errors] == ["contracts/payments.yaml"]
        assert "over the 600-byte limit" in result.errors[0].diagnostic.message
        assert [r["contract_number"] for r in _state(filled)["contracts"] if not r["deleted"]] == ["CTR-0001"]
    finally:
        filled.dispose()
        synced.dispose()


def _random_history(repo: GitRepo, commits: int, seed: int) -> None:
    """Edits, renames (with and without small edits), deletions, re-additions and broken files of untagged
    features, id-less contracts and ADRs, committed one by one."""
    import random

    rng = random.Random(seed)
    live: dict[str, str] = {}
    gone: dict[str, str] = {}

    def new_file(n: int) -> tuple[str, str]:
        kind = n % 3
        if kind == 0:
            steps = {f"case {k}": [f"Given state {k}", f"When I act {rng.randint(0, 3)}", "Then it works"] for k in range(2)}
            text = feature(n, f"Feature {n}", steps).split("\n", 1)[1]  # untagged: named after its file
            return f"features/area{n % 2}/f{n}.feature", text
        if kind == 1:
            return f"contracts/c{n}.yaml", contract(n, f"Contract {n}").split("\n", 1)[1]  # no id: the file name
        dated = adr(n, f"Decision {n}").replace(f"Date: 2024-01-{n:02d}", "Date: 2024-01-15")  # a real date
        return f"docs/adr/{n:04d}-d{n}.md", dated

    for n in range(1, 10):
        path, text = new_file(n)
        live[path] = text
    for i in range(commits):
        for path, text in live.items():
            repo.write(path, text)
        repo.commit(f"c{i}", date=f"2024-01-01T{i // 60:02d}:{i % 60:02d}:00+00:00")
        for _ in range(rng.randint(1, 3)):
            action, path = rng.random(), rng.choice(sorted(live))
            text = live[path]
            if action < 0.3:  # edit
                live[path] = text.replace("works", f"works {i}") if "works" in text else text + f"\n# note {i}\n"
            elif action < 0.5 and not path.startswith("docs/adr/"):  # rename, sometimes with a small edit
                folder, name = path.rsplit("/", 1)
                target = f"{folder}/{name.split('.')[0]}x{i}.{name.split('.', 1)[1]}"
                if target in live or target in gone:
                    continue
                (repo.path / target).parent.mkdir(parents=True, exist_ok=True)
                repo.git("mv", path, target)
                live[target] = live.pop(path) + (f"\n# moved {i}\n" if rng.random() < 0.5 else "")
            elif action < 0.6:  # delete
                repo.git("rm", "-q", "-f", path)
                gone[path] = live.pop(path)
            elif action < 0.7 and gone:  # bring a deleted file back
                back = rng.choice(sorted(gone))
                live[back] = gone.pop(back)
            elif action < 0.8:  # break it (fixed by a later edit or left broken)
                live[path] = text + "\n  not: [valid\n" if path.endswith(".yaml") else text + "\n  not gherkin\n"
            else:  # a new file
                path, text = new_file(len(live) + len(gone) + 10 + i)
                if path not in live and path not in gone:
                    live[path] = text
        for path in list(gone):
            if (repo.path / path).exists():
                repo.remove(path)
    for path, text in live.items():
        repo.write(path, text)
    repo.commit("last")


RANDOM_COMMITS = 15  # (and "last"): batches of seven cut it three times; every kind of change occurs (asserted)


# One history cut in batches of seven commits, one in batches cut by files (seeds 2 and 3 with batches of seven
# repeated the first case on other draws; the scripted tests above hold the edge cases).
@pytest.mark.parametrize(("seed", "batch_size", "max_files"), [(1, 7, None), (4, None, 5)])
def test_backfill_equals_syncing_each_commit_on_a_random_history(git_repo: GitRepo, database_url: str,
                                                                 other_database_url: str, seed: int,
                                                                 batch_size: int | None, max_files: int | None,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Also with batches cut by the number of files their commits change (``replay.MAX_BATCH_FILES``), and then
    with a parse cache emptied between batches (``replay._CACHE_BYTES``): what a later batch needs again — a file
    brought back, a held or lost file — is parsed again, to the same state."""
    from tracertm.history import replay

    if max_files is not None:
        monkeypatch.setattr(replay, "MAX_BATCH_FILES", max_files)
        monkeypatch.setattr(replay, "_CACHE_BYTES", 0)
        trimmed: list[int] = []
        trim = replay.Replay.trim

        def checked_trim(self: replay.Replay) -> None:
            trim(self)
            assert set(self._cost) == set(self.cache) and self._cached == sum(self._cost.values())
            trimmed.append(len(self.cache))

        monkeypatch.setattr(replay.Replay, "trim", checked_trim)
    _random_history(git_repo, commits=RANDOM_COMMITS, seed=seed)
    filled, synced = db.make_engine(database_url), db.make_engine(other_database_url)
    try:
        result = backfill(git_repo.path, engine=filled, project="p", batch_size=batch_size)
        if max_files is not None:  # the first commit of 9 files: one batch each at least, and more than one
            assert 5 < result.batches < RANDOM_COMMITS + 1, result.batches
            assert len(trimmed) >= result.batches and not any(trimmed), trimmed
        for sha in git_repo.git("rev-list", "--first-parent", "--reverse", "main").split():
            sync(git_repo.path, ref=sha, engine=synced, project="p")
        state = _state(filled)
        assert state == _state(synced)
        assert _reviews(filled) == _reviews(synced), "links born and suspect as a sync of each commit leaves them"
        changes = {r["change"] for r in state["spec_revisions"]}
        assert {"created", "updated", "moved", "deleted"} <= changes, "the history exercises the rules"
    finally:
        filled.dispose()
        synced.dispose()


def _links(engine: Any) -> list[tuple[Any, ...]]:
    t = Base.metadata.tables["links"].c
    with engine.connect() as conn:
        return sorted(conn.execute(select(t.source_ref, t.link_type, t.target_kind, t.target_ref, t.target_id.is_(None))))


def _checkpoint(engine: Any) -> dict[str, Any]:
    t = Base.metadata.tables["projects"].c
    with engine.connect() as conn:
        meta = conn.execute(select(t.project_metadata).where(t.name == "p")).scalar_one()
    return {k: v for k, v in meta["backfill"].items() if k not in ("updated_at", "runs")}


def test_a_backfill_killed_after_its_last_batch_derives_the_links_when_run_again(
        git_repo: GitRepo, database_url: str, other_database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The soak's "re-run did not end where an uninterrupted backfill ends": killed between the last batch and the
    links, the re-run found the history complete and never derived the links. (Now the links are derived in the
    last batch's transaction — tests/history/test_backfill_links_atomic.py — so that state is what a backfill of an
    older tracertm left: its last batch committed without the links, made here by deriving none.)"""
    from tracertm.history.backfill import _Backfill

    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("one")
    git_repo.write("docs/adr/0002-use-hg.md", adr(2, "Use hg", extra="\nSupersedes [ADR-0001](0001-use-git.md)\n"))
    git_repo.commit("two")
    whole, stopped = db.make_engine(database_url), db.make_engine(other_database_url)
    try:
        backfill(git_repo.path, engine=whole, project="p")
        assert _links(whole), "the history has links to derive"

        def no_links(self: Any, *args: Any) -> None:  # an older tracertm's last batch: no links derived in it
            return None

        with monkeypatch.context() as patched:
            patched.setattr(_Backfill, "derive_links", no_links)
            backfill(git_repo.path, engine=stopped, project="p")
        assert _links(stopped) == [] and _checkpoint(stopped)["links"] is False
        again = backfill(git_repo.path, engine=stopped, project="p")
        assert (again.mode, again.revisions) == ("up-to-date", 0)
        assert _links(stopped) == _links(whole)
        assert _state(stopped) == _state(whole) and _checkpoint(stopped) == _checkpoint(whole)
        assert _checkpoint(whole)["links"] is True
    finally:
        whole.dispose()
        stopped.dispose()


def test_backfilled_links_point_at_the_lines_a_sync_gives(git_repo: GitRepo, database_url: str,
                                                          other_database_url: str) -> None:
    """A backfill derives its links from the stored rows at its end: a scenario's links point at the lines a sync
    gives them there too, the line of the reference (they all said line 1, then the scenario's keyword line)."""
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.write("features/f.feature", "@FEAT-1\nFeature: F\n\n  Some text.\n\n  @SC-1 @ADR-0001\n  Scenario: s\n"
                                         "    Given x\n\n  @SC-2 @ADR-0001\n  Scenario Outline: o <n>\n    Given <n>\n\n"
                                         "    Examples:\n      | n |\n      | 1 |\n")
    git_repo.commit("seed")
    filled, synced = db.make_engine(database_url), db.make_engine(other_database_url)
    t = Base.metadata.tables["links"].c
    try:
        backfill(git_repo.path, engine=filled, project="p")
        sync(git_repo.path, ref="HEAD", engine=synced, project="p")
        lines = []
        for engine in (filled, synced):
            with engine.connect() as conn:
                lines.append(sorted(conn.execute(select(t.source_ref, t.link_type, t.target_ref, t.source_line))))
        assert lines[0] == lines[1]
        # (At the line of the @ADR-0001 tag that makes the link, as a sync gives it.)
        assert ("FEAT-1/SC-1", "implements", "ADR-0001", 6) in lines[0]
        assert ("FEAT-1/SC-2", "implements", "ADR-0001", 10) in lines[0]
    finally:
        filled.dispose()
        synced.dispose()


def _reviews(engine: Any) -> list[tuple[Any, ...]]:
    t = Base.metadata.tables["links"].c
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(
            select(t.source_ref, t.link_type, t.target_ref, t.target_version, t.reviewed_version)))


def _suspect_history(git_repo: GitRepo) -> None:
    """Links born before and after their targets change (four commits)."""
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("an ADR")
    git_repo.write("features/f.feature", "@FEAT-1 @ADR-0001 @ADR-0002\nFeature: F\n\n  @SC-1\n  Scenario: s\n"
                                         "    Given x\n")
    git_repo.commit("a feature implementing it, and one not written yet")
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git", decision="We will use git everywhere."))
    git_repo.write("docs/adr/0002-use-hg.md", adr(2, "Use hg"))
    git_repo.commit("the ADR changes; the other is written")
    git_repo.write("docs/adr/0002-use-hg.md", adr(2, "Use hg", decision="Not."))
    git_repo.write("docs/adr/0003-use-svn.md", adr(3, "Use svn", extra="\nSupersedes [ADR-0001](0001-use-git.md)\n"))
    git_repo.commit("it changes too; a third supersedes the first")


def test_backfilled_links_are_suspect_where_a_sync_of_each_commit_leaves_them(
        git_repo: GitRepo, database_url: str, other_database_url: str) -> None:
    """A link is born reviewed against its target as it was when the link appeared, not at the backfill's end: a
    target changed since makes it suspect, as syncing each commit does (and a link born dangling is reviewed against
    its target's first version)."""
    _suspect_history(git_repo)
    filled, synced = db.make_engine(database_url), db.make_engine(other_database_url)
    try:
        backfill(git_repo.path, engine=filled, project="p")
        sync_each_commit(git_repo, synced)
        assert _reviews(filled) == _reviews(synced)
        reviews = {(r[0], r[2]): r[3:] for r in _reviews(filled)}
        assert reviews[("FEAT-1", "ADR-0001")] == (2, 1), "born at version 1: suspect"
        assert reviews[("FEAT-1", "ADR-0002")] == (2, 1), "born dangling, reviewed against the first version"
        assert reviews[("ADR-0003", "ADR-0001")] == (2, 2), "born after the change: reviewed"
    finally:
        filled.dispose()
        synced.dispose()


def test_a_link_whose_target_is_gone_at_the_end_keeps_its_review_for_its_return(
        git_repo: GitRepo, database_url: str, other_database_url: str) -> None:
    """A link whose target is deleted keeps the version it was reviewed against (a sync of each commit leaves it
    on the dangling link), so that the target restored later makes it suspect. A backfill ending with the target
    deleted gave the dangling link no review: the sync that restored the target then had it born reviewed, where
    syncing each commit leaves it suspect."""
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.write("features/f.feature", "@FEAT-1 @ADR-0001 @ADR-0002\nFeature: F\n\n  @SC-1\n  Scenario: s\n"
                                         "    Given x\n")
    git_repo.commit("an ADR, a feature implementing it and one never written")
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git", decision="We will use git everywhere."))
    git_repo.commit("the ADR changes: the link is suspect")
    git_repo.remove("docs/adr/0001-use-git.md")
    git_repo.commit("the ADR is deleted: the link dangles")
    filled, synced = db.make_engine(database_url), db.make_engine(other_database_url)
    try:
        backfill(git_repo.path, engine=filled, project="p")
        sync_each_commit(git_repo, synced)
        assert _reviews(filled) == _reviews(synced)
        assert {(r[0], r[2]): r[3:] for r in _reviews(filled)} == {  # (the scenario inherits the tags)
            (source, target): (None, 1 if target == "ADR-0001" else None)
            for source in ("FEAT-1", "FEAT-1/SC-1") for target in ("ADR-0001", "ADR-0002")}

        git_repo.git("revert", "--no-edit", "HEAD")  # the ADR is back as it was at its deletion: v4
        for engine in (filled, synced):
            sync(git_repo.path, ref="HEAD", engine=engine, project="p")
        assert _reviews(filled) == _reviews(synced)
        assert {(r[0], r[2]): r[3:] for r in _reviews(filled)}[("FEAT-1", "ADR-0001")] == (4, 1), "suspect"
    finally:
        filled.dispose()
        synced.dispose()


class _Stop(Exception):
    pass


@pytest.mark.parametrize("stop_at", [2, 3, 4])
def test_a_resumed_backfill_gives_its_earlier_links_the_births_of_their_history(
        git_repo: GitRepo, database_url: str, other_database_url: str, stop_at: int) -> None:
    """A backfill stopped after some commits and resumed reviews the links of the part written before as they were
    born there (the revisions of that part are replayed for it), not as of the resumed run's end: the same links
    and reviews as an uninterrupted backfill and as a sync of each commit."""
    _suspect_history(git_repo)
    filled, synced = db.make_engine(database_url), db.make_engine(other_database_url)

    def stop(progress: Any) -> None:  # called as a commit is planned, before its batch is written
        if progress.done >= stop_at:
            raise _Stop

    try:
        with pytest.raises(_Stop):
            backfill(git_repo.path, engine=filled, project="p", batch_size=1, on_progress=stop)
        assert backfill(git_repo.path, engine=filled, project="p", resume=True).mode == "resumed"
        sync_each_commit(git_repo, synced)
        assert _reviews(filled) == _reviews(synced)
        assert {(r[0], r[2]): r[3:] for r in _reviews(filled)}[("FEAT-1", "ADR-0001")] == (2, 1)
    finally:
        filled.dispose()
        synced.dispose()


@pytest.mark.parametrize("stop_at", [2, 4])
def test_a_resumed_backfill_records_the_parsers_as_an_uninterrupted_one(
        git_repo: GitRepo, database_url: str, other_database_url: str, stop_at: int) -> None:
    """A backfill killed after some batches, then resumed, wrote the whole history with this version of the parsers
    as an uninterrupted one does: it records so (``parser_output``), and the next sync need not parse every file
    again. It recorded nothing (the project's metadata differed from an uninterrupted backfill's: the soak's SIGKILL
    of a backfill found it), as a merge onto rows another run wrote rightly does not."""
    from tracertm.engine.parsed_by import PARSER_OUTPUT, PARSER_OUTPUT_KEY
    from tracertm.models import Project

    _suspect_history(git_repo)
    stopped, whole = db.make_engine(database_url), db.make_engine(other_database_url)

    def stop(progress: Any) -> None:  # called as a commit is planned, before its batch is written
        if progress.done >= stop_at:
            raise _Stop

    def metadata(engine: Any) -> dict[str, Any]:
        with engine.connect() as conn:
            return dict(conn.execute(select(Project.metadata_).where(Project.name == "p")).scalar_one())

    try:
        with pytest.raises(_Stop):
            backfill(git_repo.path, engine=stopped, project="p", batch_size=1, on_progress=stop)
        assert PARSER_OUTPUT_KEY not in metadata(stopped)
        assert backfill(git_repo.path, engine=stopped, project="p", resume=True).mode == "resumed"
        backfill(git_repo.path, engine=whole, project="p")
        assert metadata(stopped)[PARSER_OUTPUT_KEY] == metadata(whole)[PARSER_OUTPUT_KEY] == PARSER_OUTPUT
        assert _state(stopped) == _state(whole)
    finally:
        stopped.dispose()
        whole.dispose()


def test_a_backfill_stopped_before_its_links_derives_them_with_their_births(
        git_repo: GitRepo, database_url: str, other_database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stopped after its last batch, before the links (an older tracertm's last batch, which derived none: now they
    are derived in that transaction): the run that finishes derives them as born in the history."""
    from tracertm.history import backfill as backfill_module

    _suspect_history(git_repo)
    filled, synced = db.make_engine(database_url), db.make_engine(other_database_url)
    try:
        with monkeypatch.context() as patch:
            patch.setattr(backfill_module._Backfill, "derive_links", lambda self, *args: None)
            backfill(git_repo.path, engine=filled, project="p")
        assert backfill(git_repo.path, engine=filled, project="p", resume=True).mode == "up-to-date"
        sync_each_commit(git_repo, synced)
        assert _reviews(filled) == _reviews(synced)
    finally:
        filled.dispose()
        synced.dispose()


_STEP_FEATURE = "@FEAT-1\nFeature: F\n\n  @SC-1\n  Scenario: s\n    When the agent refunds 30.00 EUR\n"
_STEP_FIXED = 'from behave import when\n\n@when("the agent refunds 30.00 EUR")\ndef refunds(ctx):\n    pass\n'
_STEP_PARSED = 'from behave import when\n\n@when("the agent refunds {amount} EUR")\ndef refunds(ctx, amount):\n    pass\n'


def _step_reviews(engine: Any) -> list[tuple[Any, ...]]:
    return [r for r in _reviews(engine) if r[1] == "step"]


def _step_file_changes(git_repo: GitRepo, change: str) -> None:
    """The definition's pattern changes (v2), or its file is deleted in one commit and restored in the next (v3)."""
    if change == "pattern":
        git_repo.write("features/steps/refund.py", _STEP_PARSED)
        git_repo.commit("the pattern takes the amount")
    else:
        git_repo.remove("features/steps/refund.py")
        git_repo.commit("the step file goes")
        git_repo.write("features/steps/refund.py", _STEP_FIXED)
        git_repo.commit("it is back")


@pytest.mark.parametrize("change", ["pattern", "deleted and restored"])
def test_a_backfill_adding_new_commits_gives_its_step_links_as_an_uninterrupted_one(
        git_repo: GitRepo, database_url: str, other_database_url: str, change: str) -> None:
    """A backfill adding commits that change a step definition to a finished backfill (no sync between) ends with
    the step links of an uninterrupted backfill: born reviewed at the head's definitions. It left the links the
    first run made naming the definition's old version, reviewed there, as if it had never changed (1/1, where an
    uninterrupted backfill gives 2/2, and 3/3 after a deletion and restore, as a sync of each commit does)."""
    git_repo.write("features/f.feature", _STEP_FEATURE)
    git_repo.write("features/steps/refund.py", _STEP_FIXED)
    git_repo.commit("a scenario and its step")
    added, whole = db.make_engine(database_url), db.make_engine(other_database_url)
    try:
        backfill(git_repo.path, engine=added, project="p")
        assert _step_reviews(added) == [("FEAT-1/SC-1", "step", "features/steps/refund.py::refunds", 1, 1)]
        _step_file_changes(git_repo, change)
        assert backfill(git_repo.path, engine=added, project="p").mode == "resumed"
        backfill(git_repo.path, engine=whole, project="p")
        version = 2 if change == "pattern" else 3
        assert _step_reviews(added) == _step_reviews(whole) == [
            ("FEAT-1/SC-1", "step", "features/steps/refund.py::refunds", version, version)]
        assert _reviews(added) == _reviews(whole)
    finally:
        added.dispose()
        whole.dispose()


def test_a_merged_backfill_makes_a_step_link_suspect_when_its_definition_changed(
        git_repo: GitRepo, database_url: str, other_database_url: str) -> None:
    """A backfill merging onto a sync (a hook's) keeps the reviews of the step links it finds, and their target
    version follows the definition its batches changed, as a sync of each commit leaves it: suspect. The link kept
    the version the sync saw, reviewed there (not suspect). A backfill continuing it keeps that review."""
    git_repo.write("features/f.feature", _STEP_FEATURE)
    git_repo.write("features/steps/refund.py", _STEP_FIXED)
    git_repo.commit("a scenario and its step")
    merged, synced = db.make_engine(database_url), db.make_engine(other_database_url)
    try:
        sync(git_repo.path, ref="HEAD", engine=merged, project="p")
        _step_file_changes(git_repo, "pattern")
        assert backfill(git_repo.path, engine=merged, project="p").mode == "merged"
        sync_each_commit(git_repo, synced)
        assert _step_reviews(merged) == _step_reviews(synced) == [
            ("FEAT-1/SC-1", "step", "features/steps/refund.py::refunds", 2, 1)]
        # A backfill adding a commit after it gives no new birth to the suspect link: it stays suspect.
        git_repo.write("features/steps/refund.py", _STEP_PARSED.replace("{amount} EUR", "{amount:g} EUR"))
        git_repo.commit("the amount is a number")
        assert backfill(git_repo.path, engine=merged, project="p").mode == "resumed"
        assert _step_reviews(merged) == [("FEAT-1/SC-1", "step", "features/steps/refund.py::refunds", 3, 1)]
    finally:
        merged.dispose()
        synced.dispose()
