"""A backfill after hook syncs of the commits since the last complete backfill skips the in-memory replay of the
history (``history.synced``) and ends in exactly the state the replay gives: the same database, copied, backfilled
both ways (``TRACERTM_BACKFILL_REPLAY=1`` forces the replay), compared table by table, every row (ids, run ids and
wall-clock times replaced by what they name). Scripted sequences (from the differential audit that found the replay
to be 85% of such a backfill), the configuration a hook synced with differing from the committed one (falls back),
random sequences; SQLite, one PostgreSQL case. And the hook's own command, ``tracertm hook sync``, takes the fast
way."""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine, make_url

from conftest import GitRepo, _pg_admin_url, _pg_execute_autocommit, _with_database, init_repo, isolated, run_cli
from specs import adr, contract, feature
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill
from tracertm.history.results import BackfillResult
from tracertm.history.settings import READ_KEY
from tracertm.history.synced import ENV_REPLAY

UNDATED = "# 3. No date\n\n## Status\n\nAccepted\n\n## Context\n\nC.\n\n## Decision\n\nD.\n"
WALL = {"created_at", "updated_at", "started_at", "finished_at", "last_synced_at", "reviewed_at", "imported_at"}

Step = Callable[[GitRepo, Engine], None]


class _Clock:
    """Commit dates one day apart (author and committer dates differ: the merge must use the right one)."""

    def __init__(self) -> None:
        self.n = 0

    def commit(self, repo: GitRepo, message: str, *, add: bool = True) -> None:
        self.n += 1
        if add:
            repo.git("add", "-A")
        repo.git("commit", "-q", "--allow-empty", "-m", message,
                 env={"GIT_AUTHOR_DATE": f"2024-01-{self.n:02d}T10:00:00+00:00",
                      "GIT_COMMITTER_DATE": f"2024-02-{self.n:02d}T10:00:00+00:00"})


CLOCK = _Clock()


def _base(repo: GitRepo) -> None:
    CLOCK.n = 0
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    repo.write("docs/adr/0002-use-queues.md", adr(2, "Use queues"))
    repo.write("features/pay.feature", feature(1, "Pay").replace("@FEAT-1", "@FEAT-1 @ADR-0001"))
    repo.write("features/old.feature", feature(2, "Old").replace("@SC-1", "@SC-1 @ADR-0002"))
    repo.write("contracts/pay.yaml", contract(1, "Payments"))
    CLOCK.commit(repo, "first")
    repo.write("features/pay.feature", repo.read("features/pay.feature").replace("When I act", "When I pay"))
    CLOCK.commit(repo, "second")


def edit(repo: GitRepo, e: Engine) -> None:
    repo.write("features/pay.feature", repo.read("features/pay.feature").replace("Then it works", "Then it is paid"))
    CLOCK.commit(repo, "edit")


def edit2(repo: GitRepo, e: Engine) -> None:
    text = repo.read("features/pay.feature").replace("Given another thing", "Given a card")
    repo.write("features/pay.feature", "# c\n" + text)  # every line below moves: the links' lines too
    CLOCK.commit(repo, "edit2")


def undated(repo: GitRepo, e: Engine) -> None:
    repo.write("docs/adr/0003-no-date.md", UNDATED)
    CLOCK.commit(repo, "undated")


def undated_edit(repo: GitRepo, e: Engine) -> None:
    repo.write("docs/adr/0003-no-date.md", UNDATED.replace("D.", "D2."))
    CLOCK.commit(repo, "undated edit")


def mv(repo: GitRepo, e: Engine) -> None:
    repo.git("mv", "docs/adr/0002-use-queues.md", "docs/adr/0002-use-a-queue.md")
    CLOCK.commit(repo, "mv")


def rm(repo: GitRepo, e: Engine) -> None:
    repo.remove("features/old.feature")
    CLOCK.commit(repo, "rm")


def readme(repo: GitRepo, e: Engine) -> None:
    repo.write("README.md", f"x{CLOCK.n}\n")
    CLOCK.commit(repo, "readme")


def broken(repo: GitRepo, e: Engine) -> None:
    repo.write("contracts/pay.yaml", "id: [unclosed\n")
    CLOCK.commit(repo, "broken")


def broken_feature(repo: GitRepo, e: Engine) -> None:
    text = repo.read("features/old.feature").replace("Feature:", "Feature")
    repo.write("features/old.feature", "# moved down\n" + text)
    CLOCK.commit(repo, "broken feature")


def broken_pay(repo: GitRepo, e: Engine) -> None:
    text = repo.read("features/pay.feature").replace("Feature:", "Feature")
    repo.write("features/pay.feature", "# up\n# up\n" + text)
    CLOCK.commit(repo, "broken pay")


def fixed_pay(repo: GitRepo, e: Engine) -> None:
    repo.write("features/pay.feature", repo.read("features/pay.feature").replace("Feature ", "Feature: "))
    CLOCK.commit(repo, "fixed pay")


def fixed(repo: GitRepo, e: Engine) -> None:
    repo.write("contracts/pay.yaml", contract(1, "Payments", ("a", "b")))
    CLOCK.commit(repo, "fixed")


def dangling(repo: GitRepo, e: Engine) -> None:
    repo.write("features/four.feature", feature(4, "Four").replace("@FEAT-4", "@FEAT-4 @ADR-0099"))
    CLOCK.commit(repo, "dangling")


def dangling_moved(repo: GitRepo, e: Engine) -> None:
    repo.write("features/four.feature", "# x\n" + repo.read("features/four.feature"))
    CLOCK.commit(repo, "dangling moved")


def unlinked(repo: GitRepo, e: Engine) -> None:
    repo.write("features/three.feature", feature(3, "Three"))
    CLOCK.commit(repo, "unlinked")


def linked(repo: GitRepo, e: Engine) -> None:
    text = repo.read("features/three.feature").replace("@SC-2", "@SC-2 @ADR-0001")
    repo.write("features/three.feature", "# a\n# b\n" + text)
    CLOCK.commit(repo, "linked")


def copied(repo: GitRepo, e: Engine) -> None:
    repo.write("features/copy.feature", repo.read("features/pay.feature"))  # loses FEAT-1: holds nothing
    CLOCK.commit(repo, "copied")


def contracts_claim_one_id(repo: GitRepo, e: Engine) -> None:
    # Both files have links (their mentions of ADRs), and more.yaml gives CTR-0001 too: it loses that identity and
    # keeps CTR-0009 — two linked files give one record (the replay keeps pay.yaml's lines).
    repo.write("contracts/pay.yaml", contract(1, "Payments") + "description: follows ADR-0001\n")
    repo.write("contracts/more.yaml", contract(9, "More") + "description: per ADR-0002\n---\n"
               + contract(1, "Payments again") + "description: as ADR-0001\n")
    CLOCK.commit(repo, "contracts claim one id")


def contract_gives_it_up(repo: GitRepo, e: Engine) -> None:
    repo.write("contracts/more.yaml", contract(9, "More") + "description: per ADR-0002\n")
    CLOCK.commit(repo, "contract gives it up")


def symlinked(repo: GitRepo, e: Engine) -> None:
    (repo.path / "features/alias.feature").symlink_to("pay.feature")  # what it reads changes with pay.feature
    CLOCK.commit(repo, "symlinked")


def hook(repo: GitRepo, e: Engine) -> None:
    sync(repo.path, ref="HEAD", engine=e, project="p", trigger="hook")


def ref_sync(repo: GitRepo, e: Engine) -> None:
    sync(repo.path, ref=repo.head(), engine=e, project="p")


def worktree_sync(repo: GitRepo, e: Engine) -> None:
    sync(repo.path, engine=e, project="p")


def backfill_(repo: GitRepo, e: Engine) -> None:
    backfill(repo.path, engine=e, project="p")


# (steps after a complete backfill, whether the replay is skipped)
SEQUENCES: dict[str, tuple[list[Step], bool]] = {
    "edit+hook": ([edit, hook], True),
    "undated+hook": ([undated, hook], True),
    "mv+hook": ([mv, hook], True),
    "rm+hook": ([rm, hook], True),
    "edit+hook,rm(unsynced)": ([edit, hook, rm], True),
    "edit+hook,rm+hook": ([edit, hook, rm, hook], True),
    "edit+ref-sync": ([edit, ref_sync], True),
    "edit,undated+hook": ([edit, undated, hook], False),  # a commit of specs no sync read
    "undated+hook,edit-undated+hook": ([undated, hook, undated_edit, hook], True),
    "undated+hook,backfill,undated-edit+hook": ([undated, hook, backfill_, undated_edit, hook], True),
    # The edit's sync dates it by the creating commit the backfill recorded (``derived_dates.from_history``), also
    # from the work tree (then replayed): as the replay dates it.
    "undated,backfill,undated-edit+worktree-sync": ([undated, backfill_, undated_edit, worktree_sync], False),
    "readme+hook,edit+hook,mv+hook": ([readme, hook, edit, hook, mv, hook], True),
    "edit+hook,edit2+hook,backfill,rm+hook": ([edit, hook, edit2, hook, backfill_, rm, hook], True),
    "edit+hook,readme(unsynced)": ([edit, hook, readme], True),
    # Records without links (their lines are not read again): a dangling reference, one added later, moved down.
    "dangling+hook": ([dangling, hook], True),
    "dangling+hook,moved+hook": ([dangling, hook, dangling_moved, hook], True),
    "dangling,backfill,moved+hook": ([dangling, backfill_, dangling_moved, hook, edit, hook], True),
    "unlinked+hook,linked+hook": ([unlinked, hook, linked, hook], True),
    "unlinked,backfill,linked+hook": ([unlinked, backfill_, linked, hook], True),
    "edit+worktree-sync": ([edit, worktree_sync], False),  # the work tree: not a commit
    "broken+hook": ([broken, hook], True),  # the merge's run lists the history's errors: from the runs
    "broken+hook,edit+hook": ([broken, hook, edit, hook], True),
    "broken+hook,backfill,edit+hook,fixed+hook": ([broken, hook, backfill_, edit, hook, fixed, hook], True),
    "broken,edit+hook": ([broken, edit, hook], False),
    "edit2+hook,broken+hook": ([edit2, hook, broken, hook], True),
    "broken+backfill,edit2+hook": ([broken, backfill_, edit2, hook], True),
    "broken-feature+hook,edit2+hook": ([broken_feature, hook, edit2, hook], True),
    "edit2,broken-feature+hook": ([edit2, broken_feature, hook], False),
    # The file whose links' lines moved breaks: its records and links keep their last good parse's lines.
    "edit2+hook,broken-pay+hook": ([edit2, hook, broken_pay, hook], True),
    "edit2,broken-pay,backfill,mv+hook": ([edit2, broken_pay, backfill_, mv, hook], True),
    "edit2+hook,broken-pay+hook,fixed-pay+hook": ([edit2, hook, broken_pay, hook, fixed_pay, hook], True),
    "broken+hook,resumed,edit+hook": ([broken, hook, edit, backfill_, rm, hook, backfill_, edit2, hook], True),
    # Two files give one record: the loser, with no record left, has no link (the fast way); one that keeps a
    # linked record is known from its stored conflict (replayed), and is no more once it gives the id up.
    "copied+hook": ([copied, hook], True),
    "copied,backfill,edit+hook": ([copied, backfill_, edit, hook], True),
    "contracts-claim+hook": ([contracts_claim_one_id, hook], False),
    "contracts-claim,backfill,edit+hook": ([contracts_claim_one_id, backfill_, edit, hook], False),
    "contracts-claim+hook,given-up+hook": ([contracts_claim_one_id, hook, contract_gives_it_up, hook], True),
    # A spec file that is a symbolic link, added since the backfill or there before it: replayed.
    "symlinked+hook": ([symlinked, hook], False),
    "symlinked,backfill,edit+hook": ([symlinked, backfill_, edit, hook], False),
    "nothing since": ([edit, backfill_, hook], False),  # the hook's run is of the checkpoint's own commit
}


# ------------------------------------------------------------------------------------------------ the comparison


def _dump(engine: Engine) -> dict[str, list[str]]:
    """Every row of every table, sorted; ids replaced by what they name, wall-clock times and the checkpoint's
    digest of run ids (random) left out."""
    from tracertm.models import Base

    labels: dict[Any, str] = {}
    with engine.connect() as c:
        rows = {name: [dict(r) for r in c.execute(select(t)).mappings()] for name, t in Base.metadata.tables.items()}
    for name, found in rows.items():
        for r in found:
            label = next((r[k] for k in r if k.endswith("_number")), None) or r.get("path") or r.get("name")
            if name == "sync_runs":
                label = (r["trigger"], r["commit_sha"], json.dumps(r["counts"], sort_keys=True))
            if "id" in r and label is not None:
                labels[r["id"]] = f"{name}:{label}"
    for r in rows["scenarios"]:
        labels[r["id"]] = f"scenario:{r['scenario_number']}@{labels.get(r['feature_id'])}"

    def norm(value: Any) -> Any:
        if isinstance(value, uuid.UUID):
            return labels.get(value, "?id")
        if isinstance(value, dict):
            return {k: norm([uuid.UUID(i) for i in v] if k == "errors_in" and v else v)
                    for k, v in value.items() if not k.endswith("_at") and k != "after"}
        if isinstance(value, list):
            return [norm(v) for v in value]
        return value

    return {name: sorted(json.dumps({k: norm(v) for k, v in r.items() if k not in WALL}, default=str,
                                    sort_keys=True) for r in found) for name, found in rows.items()}


def _copy(url: str, tag: str) -> str:
    """A copy of the database at ``url`` (nobody connected to it)."""
    if url.startswith("sqlite"):
        src = make_url(url).database
        assert src is not None
        dst = src.replace(".db", f"-{tag}.db")
        _backup(Path(src), Path(dst))
        return f"sqlite:///{dst}"
    admin = _pg_admin_url()
    assert admin is not None
    name = f"{make_url(url).database}_{tag}"
    _pg_execute_autocommit(admin, f'CREATE DATABASE "{name}" TEMPLATE "{make_url(url).database}"')
    _COPIES.append(name)
    return _with_database(admin, name).replace("postgresql://", "postgresql+psycopg://", 1)


_COPIES: list[str] = []


@pytest.fixture
def _drop_copies() -> Iterator[None]:
    yield
    admin = _pg_admin_url()
    while _COPIES:
        name = _COPIES.pop()
        assert admin is not None
        _pg_execute_autocommit(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _both_ways(repo: GitRepo, url: str, monkeypatch: pytest.MonkeyPatch) -> tuple[BackfillResult, BackfillResult]:
    """Backfill a copy of the database with the replay forced and another as it comes; the tables must be equal."""
    slow, fast = db.make_engine(_copy(url, "slow")), db.make_engine(_copy(url, "fast"))
    try:
        with monkeypatch.context() as m:
            m.setenv(ENV_REPLAY, "1")
            replayed = backfill(repo.path, engine=slow, project="p")
        taken = backfill(repo.path, engine=fast, project="p")
        a, b = _dump(slow), _dump(fast)
        for table in a:
            assert (table, sorted(set(a[table]) - set(b[table]))) == (table, sorted(set(b[table]) - set(a[table])))
        assert _summary(replayed) == _summary(taken)
        return replayed, taken
    finally:
        slow.dispose()
        fast.dispose()


def _summary(r: BackfillResult) -> tuple[Any, ...]:
    return (r.mode, r.commits, r.commits_total, r.revisions, r.batches, r.orphaned, r.files_parsed >= 0,
            [str(e) for e in r.errors], [str(d) for d in r.head_errors])


def _sqlite_url(tmp_path: Path, template: Path) -> str:
    path = tmp_path / "tracertm.db"
    _backup(template, path)
    return f"sqlite:///{path}"


def _backup(src: Path, dst: Path) -> None:
    """Copy the SQLite database ``src`` to ``dst`` as SQLite reads it, its WAL included. Not the file alone: a bulk
    write leaves its WAL checkpoint to a thread (``db.engines._checkpoint_soon``) that may still hold the file open
    after the writer's engine is disposed (a loaded host), the backfill's commits then in ``src``-wal only — a copy
    of the file held none of them, or a page the checkpoint was writing."""
    a, b = sqlite3.connect(src), sqlite3.connect(dst)
    try:
        a.backup(b)
    finally:
        a.close()
        b.close()


def _run(repo: GitRepo, url: str, steps: list[Step], *, based: bool = False) -> None:
    """``steps`` after the base history's complete backfill (``based``: the repository and database hold it
    already, copied from ``_backfilled``)."""
    if not based:
        _base(repo)
    engine = db.make_engine(url)
    try:
        if not based:
            backfill(repo.path, engine=engine, project="p")
        for step in steps:
            step(repo, engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def _backfilled_base(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path) -> tuple[Path, Path]:
    """The base history and a SQLite database with its complete backfill, built once for the module (every SQLite
    case starts there): the committer identity and home as ``_isolated_home`` gives each test, so the commits are
    the ones a test's own ``_base`` makes."""
    folder = tmp_path_factory.mktemp("backfilled-base")
    with isolated(tmp_path_factory):
        repo = init_repo(folder / "repo")
        _base(repo)
        database = Path(make_url(_sqlite_url(folder, _sqlite_template)).database or "")
        engine = db.make_engine(f"sqlite:///{database}")
        try:
            backfill(repo.path, engine=engine, project="p")
        finally:
            engine.dispose()
    return repo.path, database


@pytest.fixture
def based(_backfilled_base: tuple[Path, Path], tmp_path: Path) -> tuple[GitRepo, str]:
    """This test's own copy of the backfilled base: the repository and the database's URL."""
    source, database = _backfilled_base
    shutil.copytree(source, tmp_path / "repo", symlinks=True)
    url = _sqlite_url(tmp_path, database)
    CLOCK.n = 2  # the base's two commits
    return GitRepo(tmp_path / "repo"), url


# ------------------------------------------------------------------------------------------------------ the tests


@pytest.mark.parametrize("label", list(SEQUENCES))
def test_the_fast_merge_equals_the_replay(label: str, based: tuple[GitRepo, str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    steps, skips = SEQUENCES[label]
    repo, url = based
    _run(repo, url, steps, based=True)
    replayed, taken = _both_ways(repo, url, monkeypatch)
    assert replayed.mode == "merged" and replayed.replayed > 0
    assert (taken.replayed == 0) is skips


def test_the_fast_merge_equals_the_replay_on_postgresql(
        database_url: str, git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch, _drop_copies: None) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("the SQLite cases are the tests above")
    _run(git_repo, database_url, [undated, hook, edit, hook, edit2, hook, rm, hook, readme])
    replayed, taken = _both_ways(git_repo, database_url, monkeypatch)
    assert replayed.replayed > 0 and taken.replayed == 0


@pytest.mark.parametrize("touched", ["the excluded file", "another file", "the excluded file, added"])
def test_a_hook_sync_with_an_uncommitted_configuration_is_replayed(
        touched: str, based: tuple[GitRepo, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The hook read the work tree's configuration (excluding a feature), reverted before the backfill: its rows
    are not what the history gives, so the backfill replays it (and the two ways agree)."""
    git_repo, url = based  # the base history, backfilled
    engine = db.make_engine(url)
    try:
        if touched == "the excluded file, added":  # the hook's sync changes nothing: a no-op records no settings
            git_repo.write(".tracertm.toml", 'exclude = ["features/new.feature"]\n')
            path = "features/new.feature"
            git_repo.write(path, feature(7, "New"))
        else:
            git_repo.write(".tracertm.toml", 'exclude = ["features/old.feature"]\n')
            path = "features/old.feature" if touched == "the excluded file" else "features/pay.feature"
            git_repo.write(path, git_repo.read(path).replace("Given a thing", "Given one thing"))
        git_repo.git("add", path)
        CLOCK.commit(git_repo, "c1", add=False)
        hook(git_repo, engine)  # with the configuration in the work tree only
        (git_repo.path / ".tracertm.toml").unlink()
        edit(git_repo, engine)
        hook(git_repo, engine)
    finally:
        engine.dispose()
    replayed, taken = _both_ways(git_repo, url, monkeypatch)
    assert taken.replayed > 0


# Four of twelve seeds, which between them commit every kind of step synced by a hook, by ``sync --ref`` and not at
# all, and caught each fault planted while choosing them (undated ADRs' dates not merged: 9; the syncs' errors not
# merged: 6; a commit no sync read taken as synced: 5 and 10). The scripted SEQUENCES above are the edge cases.
@pytest.mark.parametrize("seed", [5, 6, 9, 10])
def test_random_hook_sequences(seed: int, based: tuple[GitRepo, str], monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    git_repo, url = based  # the base history, backfilled
    engine = db.make_engine(url)
    gone: dict[str, str] = {}
    try:
        for step in range(rng.randint(2, 7)):
            files = sorted(str(p.relative_to(git_repo.path)) for p in git_repo.path.rglob("*")
                           if p.is_file() and ".git" not in p.parts and p.suffix in (".md", ".feature", ".yaml")
                           and p.name != "README.md")
            roll = rng.random()
            if roll < 0.45:
                f = rng.choice(files)
                t = git_repo.read(f)
                if f.endswith(".feature"):
                    t = t.replace("Then", f"Then {rng.randint(0, 9)}", 1) if rng.random() < 0.7 else "# top\n" + t
                elif f.endswith(".md"):
                    t = t.replace("## Decision\n\n", f"## Decision\n\nChoice {rng.randint(0, 99)}. ", 1)
                else:
                    t = t.replace("status: approved", f"status: approved\ndescription: d{rng.randint(0, 99)}")
                git_repo.write(f, t)
            elif roll < 0.55 and len(files) > 3:
                f = rng.choice(files)
                gone[f] = git_repo.read(f)
                git_repo.remove(f)
            elif roll < 0.65 and gone:
                f = rng.choice(sorted(gone))
                git_repo.write(f, gone.pop(f))
            elif roll < 0.75:
                f = rng.choice(files)
                stem, dot, ext = f.rpartition(".")
                git_repo.git("mv", f, f"{stem}-m{step}{dot}{ext}")
            elif roll < 0.85:
                k = rng.randint(10, 99)
                git_repo.write(f"features/new{k}.feature",
                               feature(k, f"New {k}").replace("@SC-1", "@SC-1 @ADR-0001"))
            elif roll < 0.92:
                k = rng.randint(4, 9)
                git_repo.write(f"docs/adr/000{k}-undated-{k}.md", UNDATED.replace("# 3.", f"# {k}."))
            elif roll < 0.97:  # broken (and mended by a later edit's restore, or not)
                f = rng.choice(files)
                gone.setdefault(f, git_repo.read(f))
                git_repo.write(f, "# up\n" + git_repo.read(f).replace("Feature:", "Feature").replace("id:", "id: ["))
            else:
                git_repo.write("README.md", f"r{step}\n")
            CLOCK.commit(git_repo, f"step {step}")
            then = rng.random()
            if then < 0.75:
                hook(git_repo, engine)
            elif then < 0.8:
                ref_sync(git_repo, engine)
            elif then < 0.88:
                backfill(git_repo.path, engine=engine, project="p")
    finally:
        engine.dispose()
    _both_ways(git_repo, url, monkeypatch)


def test_the_hook_command_leads_to_the_fast_merge(git_repo: GitRepo, tmp_path: Path, _sqlite_template: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The common case, by the commands a user runs: a complete backfill, then commits each synced by ``tracertm
    hook sync`` (the post-commit hook's command); the next backfill replays none of the history."""
    url = _sqlite_url(tmp_path, _sqlite_template)
    monkeypatch.setenv("TRACERTM_DATABASE_URL", url)
    _base(git_repo)
    assert run_cli("backfill", str(git_repo.path)).returncode == 0
    # (The README's commit: a no-op, which ``tracertm.fastpath`` records without the settings it read.)
    for step in (edit, undated, readme, mv):
        step(git_repo, None)  # type: ignore[arg-type]  # (the steps that commit use no database)
        assert run_cli("hook", "sync", str(git_repo.path)).returncode == 0
    done = run_cli("backfill", str(git_repo.path), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["mode"] == "merged"
    engine = db.make_engine(url)
    try:
        from tracertm.models import SyncRun

        with engine.connect() as c:
            merge_run = c.execute(select(SyncRun.__table__.c.counts).where(SyncRun.__table__.c.trigger == "backfill")
                                  .order_by(SyncRun.__table__.c.started_at.desc()).limit(2)).scalars().all()
        assert {"commits": 6} in merge_run  # the merge's run: no revision grafted
        with engine.connect() as c:
            hooks = c.execute(select(SyncRun.__table__.c.counts).where(SyncRun.__table__.c.trigger == "hook")
                              ).scalars().all()
        assert sorted(READ_KEY in counts for counts in hooks) == [False, True, True, True]
    finally:
        engine.dispose()
    # And the same history as the replay writes: the hook's rows are taken over as they are.
    project = git_repo.path.name
    _assert_taken(git_repo, url, project)


def _assert_taken(repo: GitRepo, url: str, project: str) -> None:
    from tracertm.history import backfill as module

    seen: list[str] = []
    original = module._Backfill.merge_synced

    def spy(self: Any, synced: Any) -> None:
        seen.append(synced.end)
        original(self, synced)

    engine = db.make_engine(url)
    try:
        module._Backfill.merge_synced = spy  # type: ignore[method-assign]
        edit2(repo, engine)
        assert run_cli("hook", "sync", str(repo.path)).returncode == 0
        result = backfill(repo.path, engine=engine, project=project)
    finally:
        module._Backfill.merge_synced = original  # type: ignore[method-assign]
        engine.dispose()
    assert seen == [repo.head()] and result.replayed == 0


def test_the_runs_holding_errors_grow_with_errors_not_with_backfills(git_repo: GitRepo, tmp_path: Path) -> None:
    """``errors_in`` beside the checkpoint names the runs that found errors, not every incremental backfill's
    run: it lives in the project's metadata, which every sync and the project list read."""
    from tracertm.history.checkpoint import RUNS_KEY
    from tracertm.models import Project

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    _base(git_repo)
    broken(git_repo, db.make_engine(url))  # one commit with a broken file: its run holds errors
    engine = db.make_engine(url)
    try:
        for n in range(4):
            backfill(git_repo.path, database_url=url, project="p")
            git_repo.write(f"features/f{n}.feature", feature(10 + n, f"F{n}"))
            CLOCK.commit(git_repo, f"more {n}")
        backfill(git_repo.path, database_url=url, project="p")
        with db.session(engine) as session:
            meta = session.execute(select(Project.metadata_).where(Project.name == "p")).scalar_one()
        listed = meta[RUNS_KEY]["errors_in"]
        assert len(listed) == 1, listed
    finally:
        engine.dispose()


def test_a_copy_of_the_backfilled_base_holds_a_backfill_still_in_the_wal(git_repo: GitRepo, tmp_path: Path,
                                                                          _sqlite_template: Path) -> None:
    """``based`` copies the module's backfilled database right after its backfill, whose bulk write leaves the WAL
    checkpoint to a thread that may not have run yet (a loaded host): the copy must hold the backfill anyway (a copy
    of the file alone held none of it — the hook's sync then wrote the project afresh and the backfill replayed
    the history, ``taken.replayed == 3``). Here a reader's open transaction, older than the backfill, keeps the
    checkpoint from copying the backfill's pages into the file, as a late thread would."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    database = Path(make_url(_sqlite_url(tmp_path / "a", _sqlite_template)).database or "")
    reader = sqlite3.connect(database, isolation_level=None)
    try:
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM projects").fetchone() == (0,)
        _base(git_repo)
        engine = db.make_engine(f"sqlite:///{database}")
        try:
            backfill(git_repo.path, engine=engine, project="p")
            db.engines.wait_for_checkpoints(engine)  # (the checkpoint ran, as far as the reader lets it)
        finally:
            engine.dispose()
        copy = sqlite3.connect(make_url(_sqlite_url(tmp_path / "b", database)).database or "")
        try:
            held = copy.execute("SELECT name, last_synced_commit FROM projects").fetchall()
        finally:
            copy.close()
        assert held == [("p", git_repo.head())]
    finally:
        reader.close()
