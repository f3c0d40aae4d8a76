"""Reliability soak: figures for the README's reliability section (not part of the default test run).

    python -m bench.soak                       # the full soak (a few minutes on a busy 2-core machine)
    python -m bench.soak --smoke               # every section, small numbers (a test runs this)
    python -m bench.soak --rounds 20 --kills 20 --inputs 10000 --postgres-url postgresql+psycopg://...

Sections, one table row each, every row with its trials and its failures (the goal is 0 everywhere):

(a) ``concurrent syncers``: N rounds of 8 ``tracertm sync`` processes started at once against one database
    (PostgreSQL when a URL is given or ``$TRACERTM_TEST_DATABASE_URL`` is set, else SQLite), with random edits,
    renames, deletions and broken files between rounds; then a fresh sync into an empty database. Failures: an
    exit code other than 0/1, a duplicate record, a record whose version is not its number of revisions, or a
    difference between the two databases' live rows (ignoring ids, versions and timestamps).
(b) ``SIGKILL of sync`` / ``SIGKILL of backfill``: K trials each, the process killed at a random moment. A sync
    must leave the database exactly as before it or as after it (compared with the same sync run to completion
    on a copy); a backfill exactly as after one of its transactions (the states a reference run goes through),
    and a re-run must finish it. Rows compared ignoring ids and timestamps; ``sync_runs`` is the run log (a killed
    run's row stays ``running`` until the next writer closes it) and is not compared.
(c) ``parser fuzz``: every parser is fed generated inputs (real spec files mutated by a seeded mutator: byte
    flips, cuts, splices, syntax tokens, bad encodings); the only exception allowed is ``ParseError``. Inputs
    that break the rule are written to ``bench/.soak-failures/``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import corpus as corpus_mod

BENCH_DIR = Path(__file__).resolve().parent
FAILURES_DIR = BENCH_DIR / ".soak-failures"
PG_ENVS = ("TRACERTM_BENCH_DATABASE_URL", "TRACERTM_TEST_DATABASE_URL")
TABLES = ("projects", "adrs", "contracts", "features", "scenarios", "source_files", "spec_revisions")
RECORD_TABLES = ("adrs", "contracts", "features", "scenarios")
# Columns that name rows or moments rather than content.
VOLATILE = {
    "id", "project_id", "feature_id", "entity_id", "sync_run_id", "created_at", "updated_at", "last_synced_at",
    "started_at", "finished_at",
}


@dataclass
class Row:
    """One line of the table."""

    name: str
    trials: int
    failures: int
    detail: str
    seconds: float
    examples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "trials": self.trials, "failures": self.failures, "detail": self.detail,
            "seconds": round(self.seconds, 1), "examples": self.examples[:5],
        }


# ------------------------------------------------------------------------------------------------- databases


class Store:
    """A database the soak can create, copy, read and drop: a SQLite file or a PostgreSQL database."""

    def __init__(self, url: str, admin: str | None = None, name: str | None = None, path: Path | None = None):
        self.url, self._admin, self._name, self._path = url, admin, name, path

    @classmethod
    def create(cls, dialect: str, workdir: Path, pg_admin: str | None, template: str | None = None) -> Store:
        """A new database at the current schema (or a copy of ``template``)."""
        if dialect == "sqlite":
            path = workdir / f"soak-{uuid.uuid4().hex[:8]}.db"
            store = cls(f"sqlite:///{path}", path=path)
        else:
            assert pg_admin is not None
            name = f"trtm_soak_{uuid.uuid4().hex[:10]}"
            _pg_admin_execute(pg_admin, f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
            store = cls(_with_database(pg_admin, name), admin=pg_admin, name=name)
        if template is None:
            from tracertm import db

            engine = db.make_engine(store.url)
            try:
                db.ensure_schema(engine)
            finally:
                engine.dispose()
        return store

    def copy(self, workdir: Path) -> Store:
        """A copy of this database (no process may be writing it)."""
        if self._path is not None:
            target = workdir / f"soak-{uuid.uuid4().hex[:8]}.db"
            _sqlite_checkpoint(self._path)
            shutil.copy(self._path, target)
            return Store(f"sqlite:///{target}", path=target)
        assert self._admin is not None and self._name is not None
        _pg_admin_execute(
            self._admin,
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{self._name}' "
            "AND pid <> pg_backend_pid()",
        )
        return Store.create("postgresql", workdir, self._admin, template=self._name)

    def drop(self) -> None:
        if self._path is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self._path}{suffix}").unlink(missing_ok=True)
        elif self._admin is not None:
            _pg_admin_execute(self._admin, f'DROP DATABASE IF EXISTS "{self._name}" WITH (FORCE)')


def _with_database(url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=name, drivername="postgresql+psycopg").render_as_string(hide_password=False)


def _pg_admin_execute(admin: str, sql: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(_with_database(admin, _admin_db(admin)), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


def _admin_db(admin: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(admin).database or "postgres"


def _sqlite_checkpoint(path: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def snapshot(url: str, *, live_only: bool = False, versions: bool = True) -> tuple[Any, ...]:
    """The database's rows as comparable values: ids and timestamps left out, ``deleted_at`` as a flag, JSON as
    canonical text. ``live_only``: records and files that are not soft-deleted, and no revisions."""
    from sqlalchemy import MetaData, select

    from tracertm import db

    engine = db.make_engine(url)
    try:
        meta = MetaData()
        meta.reflect(engine, only=list(TABLES))
        out: list[tuple[str, list[str]]] = []
        with engine.connect() as conn:
            for name in TABLES:
                if live_only and name == "spec_revisions":
                    continue
                table = meta.tables[name]
                rows: list[str] = []
                for row in conn.execute(select(table)).mappings():
                    if live_only and row.get("deleted_at") is not None:
                        continue
                    item: dict[str, Any] = {}
                    for key, value in row.items():
                        if key in VOLATILE or (not versions and key == "version"):
                            continue
                        if key == "deleted_at":
                            value = value is not None
                        if key == "project_metadata" and isinstance(value, dict) and "backfill" in value:
                            # the checkpoint's clock time and run counter say when, not what
                            checkpoint = {k: v for k, v in value["backfill"].items() if k not in ("updated_at", "runs")}
                            value = {**value, "backfill": checkpoint}
                        item[key] = value
                    rows.append(json.dumps(item, sort_keys=True, default=str))
                out.append((name, sorted(rows)))
        return tuple((name, tuple(rows)) for name, rows in out)
    finally:
        engine.dispose()


def audit(url: str) -> list[str]:
    """Problems a database must never have: duplicate numbers, versions without exactly one revision each."""
    from sqlalchemy import text

    from tracertm import db

    problems: list[str] = []
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            for table, number in (("adrs", "adr_number"), ("contracts", "contract_number"),
                                  ("features", "feature_number")):
                dup = conn.execute(text(
                    f"SELECT project_id, {number}, count(*) FROM {table} GROUP BY project_id, {number} HAVING count(*) > 1"
                )).all()
                problems += [f"duplicate {table} {r[1]}" for r in dup]
            for table in RECORD_TABLES:
                bad = conn.execute(text(
                    f"SELECT t.version, (SELECT count(*) FROM spec_revisions r WHERE r.entity_id = t.id) AS n "
                    f"FROM {table} t"
                )).all()
                problems += [f"{table}: version {v} with {n} revision(s)" for v, n in bad if v != n]
    finally:
        engine.dispose()
    return problems


# -------------------------------------------------------------------------------------------------- processes


def _tracertm(*args: str) -> list[str]:
    return [sys.executable, "-m", "tracertm", *args]


def _run(cmd: list[str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


@contextmanager
def _spawned(cmds: list[list[str]]) -> Iterator[list[subprocess.Popen[str]]]:
    procs = [subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for c in cmds]
    try:
        yield procs
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait()
            if p.stderr is not None:
                p.stderr.close()


def _random_edits(corpus: corpus_mod.Corpus, rng: random.Random, broken: set[str]) -> None:
    """A handful of edits, a rename, a deletion, and a file broken (or repaired) now and then."""
    root = corpus.root
    for path in list(broken):  # repair what the previous round broke
        if path in corpus.files:
            (root / path).write_text(corpus.render(path), encoding="utf-8")
        broken.discard(path)
    paths = sorted(corpus.files)
    for path in rng.sample(paths, min(len(paths), rng.randint(1, 6))):
        corpus.edit(path)
    if len(paths) > 10 and rng.random() < 0.5:
        gone = rng.choice(sorted(corpus.files))
        (root / gone).unlink()
        del corpus.files[gone]
    if rng.random() < 0.5:
        old = rng.choice(sorted(corpus.files))
        new = old.replace("/", "/moved-", 1) if "/moved-" not in old else old.replace("/moved-", "/", 1)
        if new not in corpus.files and corpus_mod.Corpus is not None:
            (root / new).parent.mkdir(parents=True, exist_ok=True)
            os.rename(root / old, root / new)
            corpus.files[new], corpus.numbers[new] = corpus.files.pop(old), corpus.numbers.pop(old)
    if rng.random() < 0.3:
        victim = rng.choice(sorted(corpus.files))
        (root / victim).write_text("id: [unclosed\n# broken on purpose\n", encoding="utf-8")
        broken.add(victim)


# ------------------------------------------------------------------------------------------ (a) concurrency


def soak_concurrency(
    workdir: Path, dialect: str, pg_admin: str | None, rounds: int, syncers: int, size: tuple[int, int, int], seed: int
) -> Row:
    started = time.monotonic()
    rng = random.Random(f"soak-a:{seed}")
    corpus = corpus_mod.build(workdir / "a" / "repo", adrs=size[0], contracts=size[1], features=size[2], scenarios=4)
    store = Store.create(dialect, workdir, pg_admin)
    fresh: Store | None = None
    failures: list[str] = []
    exits: dict[int, int] = {}
    broken: set[str] = set()
    try:
        for r in range(rounds + 1):
            if 0 < r < rounds:
                _random_edits(corpus, rng, broken)
            elif r == rounds:  # a last round on repaired files, so that a fresh sync can be compared
                _random_edits(corpus, rng, broken)
                for path in list(broken):
                    (corpus.root / path).write_text(corpus.render(path), encoding="utf-8")
                    broken.discard(path)
            cmds = [_tracertm("sync", str(corpus.root), "--database-url", store.url, "--jobs", "1")] * syncers
            with _spawned(cmds) as procs:
                for p in procs:
                    _, err = p.communicate(timeout=600)
                    exits[p.returncode] = exits.get(p.returncode, 0) + 1
                    if p.returncode not in (0, 1):
                        failures.append(f"round {r}: exit {p.returncode}: {err.strip().splitlines()[-1:]}")
            failures += [f"round {r}: {p}" for p in audit(store.url)]
        fresh = Store.create(dialect, workdir, pg_admin)
        done = _run(_tracertm("sync", str(corpus.root), "--database-url", fresh.url))
        if done.returncode not in (0, 1):
            failures.append(f"fresh sync: exit {done.returncode}: {done.stderr.strip()[-300:]}")
        if snapshot(store.url, live_only=True, versions=False) != snapshot(fresh.url, live_only=True, versions=False):
            failures.append("the soaked database and a fresh sync differ")
    finally:
        store.drop()
        if fresh is not None:
            fresh.drop()
    runs = (rounds + 1) * syncers
    detail = f"{rounds + 1} rounds x {syncers} syncers on {dialect}; exit codes {dict(sorted(exits.items()))}"
    return Row(f"(a) concurrent syncers [{dialect}]", runs, len(failures), detail, time.monotonic() - started,
               failures)


# ------------------------------------------------------------------------------------------------- (b) kills


def _killed(cmd: list[str], delay: float) -> int | None:
    """Run ``cmd``, SIGKILL it after ``delay`` seconds unless it ended; its exit code, or None when killed."""
    with _spawned([cmd]) as (proc,):
        try:
            proc.wait(delay)
            return proc.returncode
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return None


def soak_kill_sync(
    workdir: Path, dialect: str, pg_admin: str | None, trials: int, size: tuple[int, int, int], seed: int
) -> Row:
    started = time.monotonic()
    rng = random.Random(f"soak-b-sync:{seed}")
    corpus = corpus_mod.build(workdir / "b-sync" / "repo", adrs=size[0], contracts=size[1], features=size[2],
                              scenarios=4)
    store = Store.create(dialect, workdir, pg_admin)
    failures: list[str] = []
    outcomes = {"before": 0, "after": 0, "finished": 0}
    broken: set[str] = set()
    sync_cmd = _tracertm("sync", str(corpus.root), "--database-url", store.url, "--jobs", "1")
    try:
        _run(sync_cmd)
        for t in range(trials):
            _random_edits(corpus, rng, broken)
            before = snapshot(store.url)
            reference = store.copy(workdir)
            try:
                clock = time.monotonic()
                _run(_tracertm("sync", str(corpus.root), "--database-url", reference.url, "--jobs", "1"))
                duration = time.monotonic() - clock
                after = snapshot(reference.url)
            finally:
                reference.drop()
            code = _killed(sync_cmd, rng.uniform(0.3 * duration, 1.05 * duration))
            state = snapshot(store.url)
            if state == before and code is None:
                outcomes["before"] += 1
            elif state == after:
                outcomes["after" if code is None else "finished"] += 1
            else:
                failures.append(f"trial {t}: the database is neither before nor after the sync (exit {code})")
            _run(sync_cmd)  # the next trial starts from a synced database
            failures += [f"trial {t}: {p}" for p in audit(store.url)]
    finally:
        store.drop()
    detail = (f"{dialect}: killed before commit {outcomes['before']}, killed after commit {outcomes['after']}, "
              f"finished first {outcomes['finished']}")
    return Row(f"(b) SIGKILL of sync [{dialect}]", trials, len(failures), detail, time.monotonic() - started, failures)


def soak_kill_backfill(
    workdir: Path, dialect: str, pg_admin: str | None, trials: int, size: tuple[int, int, int], commits: int,
    seed: int,
) -> Row:
    from tracertm import db
    from tracertm.history.backfill import backfill

    started = time.monotonic()
    rng = random.Random(f"soak-b-backfill:{seed}")
    corpus = corpus_mod.build(workdir / "b-backfill" / "repo", adrs=size[0], contracts=size[1], features=size[2],
                              scenarios=4)
    corpus_mod.history(corpus, commits, seed=seed)
    batch = max(2, commits // 6)
    failures: list[str] = []
    # The states a backfill goes through: one after each of its transactions.
    reference = Store.create(dialect, workdir, pg_admin)
    states: set[tuple[Any, ...]] = {snapshot(reference.url)}
    engine = db.make_engine(reference.url)
    try:
        clock = time.monotonic()
        backfill(corpus.root, batch_size=batch, jobs=1, engine=engine,
                 on_progress=lambda _p: states.add(snapshot(reference.url)))
        duration = time.monotonic() - clock
        final = snapshot(reference.url)
        states.add(final)
    finally:
        engine.dispose()
        reference.drop()
    outcomes = {"killed": 0, "finished": 0}
    for t in range(trials):
        store = Store.create(dialect, workdir, pg_admin)
        try:
            cmd = _tracertm("backfill", str(corpus.root), "--database-url", store.url, "--batch-size", str(batch),
                            "--jobs", "1", "-q")
            code = _killed(cmd, rng.uniform(0.3, duration + 1.0))
            outcomes["killed" if code is None else "finished"] += 1
            state = snapshot(store.url)
            if state not in states:
                failures.append(f"trial {t}: not a state between two transactions of the backfill (exit {code})")
            resumed = _run(cmd)
            if resumed.returncode not in (0, 1):
                failures.append(f"trial {t}: the re-run exited {resumed.returncode}: {resumed.stderr.strip()[-300:]}")
            elif snapshot(store.url) != final:
                failures.append(f"trial {t}: the re-run did not end where an uninterrupted backfill ends")
            failures += [f"trial {t}: {p}" for p in audit(store.url)]
        finally:
            store.drop()
    detail = (f"{dialect}: {commits} commits in batches of {batch} ({len(states)} distinct states); "
              f"killed {outcomes['killed']}, finished first {outcomes['finished']}")
    return Row(f"(b) SIGKILL of backfill [{dialect}]", trials, len(failures), detail, time.monotonic() - started,
               failures)


# --------------------------------------------------------------------------------------------------- (c) fuzz

_TOKENS: dict[str, tuple[bytes, ...]] = {
    "adr": (b"---\n", b"\n## Status\n", b"# ", b"* ", b"| a | b |\n|---|\n", b"```", b"<!-- ", b"**Status:** ",
            b"\n## Decision Outcome\n", b"Chosen option: ", b"[ADR-0001](0001-x.md)", b"Supersedes ", b"title: ",
            b"date: 2024-13-45\n", b"\t", b"\r", b"\\", b"&a [*a, *a]\n"),
    "contract": (b"&a [*a, *a, *a]\n", b"*a", b"<<: *b\n", b"!!python/object:os.system\n", b"{", b"[", b": ", b"- ",
                 b"\t", b"'", b'"', b"|\n", b">-\n", b"? ", b"%YAML 1.2\n---\n", b"...\n", b"1e999999",
                 b"99999999999999999999999999", b"~", b"!!binary ", b"states:\n", b"transitions: 5\n", b"id: \n"),
    "feature": (b"Scenario Outline: x\n", b"Examples:\n", b"| a |\n", b'"""\n', b"```\n", b"@tag ", b"Background:\n",
                b"Rule: r\n", b"# language: fr\n", b"# language: xx\n", b"Given ", b"And ", b"Feature: f\n", b"<a>",
                b"\t", b"|", b"\\|", b"Scenario:\n"),
}


def _seeds(workdir: Path) -> dict[str, list[bytes]]:
    """Real spec files of every kind: a generated corpus (several dialects) and the sample repository."""
    corpus = corpus_mod.build(workdir / "c" / "repo", adrs=24, contracts=12, features=12, scenarios=3)
    seeds: dict[str, list[bytes]] = {"adr": [], "contract": [], "feature": []}
    for path, kind in corpus.files.items():
        seeds[kind].append((corpus.root / path).read_bytes())
    sample = BENCH_DIR.parent / "sample-repo"
    for pattern, kind in (("docs/adr/*.md", "adr"), ("contracts/**/*.yaml", "contract"),
                          ("features/**/*.feature", "feature")):
        seeds[kind] += [p.read_bytes() for p in sorted(sample.glob(pattern)) if p.name.lower() != "readme.md"]
    return seeds


def mutate(data: bytes, kind: str, rng: random.Random, others: list[bytes]) -> bytes:
    """One to five random mutations of ``data``."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 5)):
        op = rng.randrange(10)
        n = len(out)
        at = rng.randrange(n + 1)
        if op == 0 and n:  # flip bytes
            for _ in range(rng.randint(1, 8)):
                out[rng.randrange(n)] = rng.randrange(256)
        elif op == 1 and n:  # cut a slice
            del out[at : at + rng.randint(1, 200)]
        elif op == 2:  # duplicate a slice
            out[at:at] = out[at : at + rng.randint(1, 400)] * rng.randint(1, 4)
        elif op in (3, 4, 5):  # a token of the format
            out[at:at] = rng.choice(_TOKENS[kind]) * rng.choice((1, 1, 2, 50))
        elif op == 6 and others:  # splice with another file of the kind
            other = rng.choice(others)
            out = out[:at] + other[rng.randrange(len(other) + 1):]
        elif op == 7:  # encodings
            out[at:at] = rng.choice((b"\xff\xfe", b"\x00", b"\xef\xbb\xbf", b"\xc3", b"\xed\xa0\x80", b"\r\n\r"))
        elif op == 8:  # truncate
            del out[at:]
        else:  # deep nesting
            depth = rng.choice((10, 200, 2000))
            out[at:at] = (b"[" * depth if kind == "contract" else b"  " * depth + b"- ")
    return bytes(out)


class _Timeout(Exception):
    pass


def soak_fuzz(workdir: Path, inputs: int, seed: int) -> list[Row]:
    from tracertm.errors import ParseError
    from tracertm.parsers import parse

    seeds = _seeds(workdir)
    rows: list[Row] = []

    def alarm(_signum: int, _frame: Any) -> None:
        raise _Timeout()

    previous = signal.signal(signal.SIGALRM, alarm)
    try:
        for kind in ("adr", "contract", "feature"):
            started = time.monotonic()
            rng = random.Random(f"soak-c:{seed}:{kind}")
            failures: list[str] = []
            rejected = 0
            path = {"adr": "docs/adr/0001-fuzz.md", "contract": "contracts/fuzz.yaml",
                    "feature": "features/fuzz.feature"}[kind]
            for i in range(inputs):
                data = mutate(rng.choice(seeds[kind]), kind, rng, seeds[kind])
                signal.alarm(10)
                try:
                    parse(kind, path, data)  # type: ignore[arg-type]
                except ParseError:
                    rejected += 1
                except BaseException as exc:  # noqa: BLE001 - finding these is the point
                    if isinstance(exc, KeyboardInterrupt):
                        raise
                    what = "no answer in 10 s" if isinstance(exc, _Timeout) else f"{type(exc).__name__}: {exc}"
                    failures.append(f"{kind} input {i}: {what}"[:300])
                    FAILURES_DIR.mkdir(exist_ok=True)
                    (FAILURES_DIR / f"{kind}-{seed}-{i}{Path(path).suffix}").write_bytes(data)
                finally:
                    signal.alarm(0)
            detail = f"{inputs} inputs from {len(seeds[kind])} real files; {rejected} rejected with ParseError"
            rows.append(Row(f"(c) parser fuzz [{kind}]", inputs, len(failures), detail, time.monotonic() - started,
                            failures))
    finally:
        signal.signal(signal.SIGALRM, previous)
    return rows


# ------------------------------------------------------------------------------------------------------ main


def _pg_admin(option: str | None) -> str | None:
    if option:
        return option
    for env in PG_ENVS:
        if os.environ.get(env):
            return os.environ[env]
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="every section with small numbers (about a minute)")
    parser.add_argument("--rounds", type=int, help="(a) rounds of concurrent syncers (default 10)")
    parser.add_argument("--syncers", type=int, default=8, help="(a) syncers per round (default 8)")
    parser.add_argument("--kills", type=int, help="(b) trials per target (default 10)")
    parser.add_argument("--inputs", type=int, help="(c) inputs per parser (default 10000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres-url", help="PostgreSQL server (default: $TRACERTM_BENCH_DATABASE_URL, "
                        "$TRACERTM_TEST_DATABASE_URL); without one, SQLite only")
    parser.add_argument("--sections", default="abc", help="which sections to run (default: abc)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    smoke = args.smoke
    rounds = args.rounds or (2 if smoke else 10)
    syncers = 3 if smoke and args.syncers == 8 else args.syncers
    kills = args.kills or (2 if smoke else 10)
    inputs = args.inputs or (200 if smoke else 10_000)
    size = (12, 8, 6) if smoke else (40, 30, 20)
    pg_admin = _pg_admin(args.postgres_url)
    dialects = ["postgresql"] if pg_admin else ["sqlite"]
    kill_dialects = ["sqlite", "postgresql"] if pg_admin and not smoke else dialects

    rows: list[Row] = []
    report: Callable[[Row], None] = (lambda r: None) if args.json else _print_row
    if not args.json:
        print(f"{'section':36} {'trials':>7} {'failures':>8} {'secs':>6}  detail")
    with tempfile.TemporaryDirectory(prefix="tracertm-soak-") as tmp:
        work = Path(tmp)
        env_before = dict(os.environ)
        os.environ.update(corpus_mod.GIT_ENV)
        try:
            if "a" in args.sections:
                for dialect in dialects:
                    rows.append(soak_concurrency(work, dialect, pg_admin, rounds, syncers, size, args.seed))
                    report(rows[-1])
            if "b" in args.sections:
                for dialect in kill_dialects:
                    rows.append(soak_kill_sync(work, dialect, pg_admin, kills, size, args.seed))
                    report(rows[-1])
                    rows.append(soak_kill_backfill(work, dialect, pg_admin, kills, size, 6 if smoke else 24,
                                                   args.seed))
                    report(rows[-1])
            if "c" in args.sections:
                for row in soak_fuzz(work, inputs, args.seed):
                    rows.append(row)
                    report(row)
        finally:
            os.environ.clear()
            os.environ.update(env_before)
    if args.json:
        print(json.dumps({"rows": [r.as_dict() for r in rows]}, indent=2))
    else:
        total = sum(r.trials for r in rows)
        print(f"total: {total} trials, {sum(r.failures for r in rows)} failures")
    return 1 if any(r.failures for r in rows) else 0


def _print_row(row: Row) -> None:
    print(f"{row.name:36} {row.trials:>7} {row.failures:>8} {row.seconds:>6.0f}  {row.detail}", flush=True)
    for example in row.examples[:5]:
        print(f"    {example}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
