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
(c) ``parser fuzz``: every parser is fed generated inputs, one row per target: the spec parsers (ADR, contract,
    feature: ``tracertm.parsers.parse``), the step-definition readers by language (``steps:python`` …
    ``steps:csharp``: ``tracertm.steps.parsing.parse_step_file``) and the test-report readers by format
    (``report:junit``, ``report:cucumber-json``, ``report:cucumber-messages``:
    ``tracertm.results.formats.parse_report``, half the inputs with the format named, half detected). Inputs are real
    files (a generated corpus, the sample repository, the tests' fixtures and the step files and reports written in
    the tests' source) mutated by a seeded mutator: byte flips, cuts, splices, syntax tokens, bad encodings, deep
    nesting, and for reports mostly structural mutations (fields given wrong types, extremes, NUL, lone surrogates;
    nodes removed or repeated). Input ``i`` of a target depends only on the seed and ``i``. The rule: the only
    exception allowed is ``ParseError``, as one line naming the input's file; a result must be storable (no NUL or
    lone surrogate in a step definition or a report's text — PostgreSQL refuses the first, no database stores the
    second — and a report's values within their columns); no parse may take more than ``INPUT_SECONDS`` (SIGALRM) or
    stall its process for ``STALL_SECONDS`` (a hang in C code: the process is killed), die, or take more than
    ``MEMORY_HEADROOM`` of memory (``RLIMIT_AS``). The parsing runs in a worker process, restarted after a hang or a
    crash, alongside (a) and (b). Inputs that break the rule are written to ``bench/.soak-failures/``
    (``<target>-<seed>-<i><suffix>``). ``--smoke`` gives the step and report targets a tenth of the inputs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
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
# Columns that name rows or moments rather than content. ``seq`` too: a revision's place in write order, drawn on
# PostgreSQL from a sequence that a killed (rolled back) transaction advances all the same.
VOLATILE = {
    "id", "project_id", "feature_id", "entity_id", "sync_run_id", "created_at", "updated_at", "last_synced_at",
    "started_at", "finished_at", "seq",
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
            "seconds": round(self.seconds, 1), "examples": self.examples[:50],
        }


# ------------------------------------------------------------------------------------------------- databases


class Store:
    """A database the soak can create, copy, read and drop: a SQLite file or a PostgreSQL database."""

    def __init__(self, url: str, admin: str | None = None, name: str | None = None, path: Path | None = None):
        self.url, self._admin, self._name, self._path = url, admin, name, path

    @classmethod
    def create(cls, dialect: str, workdir: Path, pg_admin: str | None, template: str | None = None) -> Store:
        """A new database at the current schema: a copy of the PostgreSQL database ``template``, else of the empty
        one this soak migrated first (``_migrated``)."""
        if template is None:
            migrated = _migrated(dialect, workdir, pg_admin)
            if migrated._name is None:  # a SQLite file
                return migrated.copy(workdir)
            template = migrated._name  # no session to end there: it is never opened after its migration
        assert pg_admin is not None
        name = f"trtm_soak_{uuid.uuid4().hex[:10]}"
        _pg_admin_execute(pg_admin, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return cls(_with_database(pg_admin, name), admin=pg_admin, name=name)

    @classmethod
    def migrated(cls, dialect: str, workdir: Path, pg_admin: str | None) -> Store:
        """A new, empty database migrated to the current schema."""
        if dialect == "sqlite":
            path = workdir / f"soak-{uuid.uuid4().hex[:8]}.db"
            store = cls(f"sqlite:///{path}", path=path)
        else:
            assert pg_admin is not None
            name = f"trtm_soak_{uuid.uuid4().hex[:10]}"
            _pg_admin_execute(pg_admin, f'CREATE DATABASE "{name}"')
            store = cls(_with_database(pg_admin, name), admin=pg_admin, name=name)
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
        # Only our own client sessions: an autovacuum worker on the database (a superuser process, which a plain
        # role may not terminate: the copy failed when one happened to be there) is ended by CREATE DATABASE itself.
        _pg_admin_execute(
            self._admin,
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{self._name}' "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND usename = current_user",
        )
        return Store.create("postgresql", workdir, self._admin, template=self._name)

    def drop(self) -> None:
        if self._path is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self._path}{suffix}").unlink(missing_ok=True)
        elif self._admin is not None:
            _pg_admin_execute(self._admin, f'DROP DATABASE IF EXISTS "{self._name}" WITH (FORCE)')


# The empty database at the current schema that every new store of a dialect (and server) copies. Migrating a new
# PostgreSQL database took about 2 s (0.5 s of it this process's CPU), copying it 0.1-0.3 s, and the smoke run
# makes seven of them. ``main`` drops these at its end.
_MIGRATED: dict[tuple[str, str | None], Store] = {}


def _migrated(dialect: str, workdir: Path, pg_admin: str | None) -> Store:
    key = (dialect, pg_admin if dialect == "postgresql" else None)
    if key not in _MIGRATED:
        _MIGRATED[key] = Store.migrated(dialect, workdir, pg_admin)
    return _MIGRATED[key]


def _drop_migrated() -> None:
    while _MIGRATED:
        _MIGRATED.popitem()[1].drop()


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
                        if key == "project_metadata" and isinstance(value, dict) and "backfill_runs" in value:
                            # beside it, when the runs it counted finished and which runs hold the history's
                            # errors: compared by those errors (run ids and times differ from run to run)
                            value = {**value, "backfill_runs": _errors_of(conn, value["backfill_runs"])}
                        item[key] = value
                    rows.append(json.dumps(item, sort_keys=True, default=str))
                out.append((name, sorted(rows)))
        return tuple((name, tuple(rows)) for name, rows in out)
    finally:
        engine.dispose()


def _errors_of(conn: Any, runs: Any) -> Any:
    """The errors of the runs a checkpoint names as holding its history's (``backfill_runs.errors_in``), in order."""
    import uuid

    from sqlalchemy import text

    listed = runs.get("errors_in") if isinstance(runs, dict) else None
    if not isinstance(listed, list):
        return listed
    found = []
    for ident in listed:
        errors = conn.execute(text("SELECT errors FROM sync_runs WHERE id = :id"),
                              {"id": uuid.UUID(ident).hex if conn.dialect.name == "sqlite" else ident}).scalar()
        found.append(json.loads(errors) if isinstance(errors, str) else errors)
    return found


def audit(url: str) -> list[str]:
    """Problems a database must never have: duplicate numbers, a version without its revision."""
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
                # Every version of a record has its revision: versions 1..version, no gap, none beyond. (A
                # ``moved`` revision may repeat a version: a move is not a content change.)
                rows = conn.execute(text(
                    f"SELECT t.id, t.version, r.version FROM {table} t "
                    "LEFT JOIN spec_revisions r ON r.entity_id = t.id"
                )).all()
                seen: dict[Any, tuple[int, set[int]]] = {}
                for row_id, version, revision in rows:
                    seen.setdefault(row_id, (version, set()))[1].add(revision)
                for version, revisions in seen.values():
                    if revisions != set(range(1, version + 1)):
                        problems.append(f"{table}: version {version} with revisions of versions {sorted(revisions)}")
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
    corpus = corpus_mod.build(workdir / f"a-{dialect}" / "repo", adrs=size[0], contracts=size[1], features=size[2], scenarios=4)
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
    corpus = corpus_mod.build(workdir / f"b-sync-{dialect}" / "repo", adrs=size[0], contracts=size[1], features=size[2],
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
    corpus = corpus_mod.build(workdir / f"b-backfill-{dialect}" / "repo", adrs=size[0], contracts=size[1], features=size[2],
                              scenarios=4)
    corpus_mod.history(corpus, commits, seed=seed)
    batch = max(2, commits // 6)
    failures: list[str] = []
    # The states a backfill goes through: one after each of its transactions.
    reference = Store.create(dialect, workdir, pg_admin)
    states: set[tuple[Any, ...]] = {snapshot(reference.url)}
    engine = db.make_engine(reference.url)
    try:
        backfill(corpus.root, batch_size=batch, jobs=1, engine=engine,
                 on_progress=lambda _p: states.add(snapshot(reference.url)))
        final = snapshot(reference.url)
        states.add(final)
    finally:
        engine.dispose()
        reference.drop()
    scratch = Store.create(dialect, workdir, pg_admin)  # how long the command takes, start-up included
    try:
        clock = time.monotonic()
        _run(_tracertm("backfill", str(corpus.root), "--database-url", scratch.url, "--batch-size", str(batch),
                       "--jobs", "1", "-q"))
        duration = time.monotonic() - clock
    finally:
        scratch.drop()
    outcomes = {"killed": 0, "finished": 0}
    for t in range(trials):
        store = Store.create(dialect, workdir, pg_admin)
        try:
            cmd = _tracertm("backfill", str(corpus.root), "--database-url", store.url, "--batch-size", str(batch),
                            "--jobs", "1", "-q")
            code = _killed(cmd, rng.uniform(0.2 * duration, 0.95 * duration))
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

# What is fuzzed, one row each: the spec parsers by kind (``tracertm.parsers.parse``), the step-definition readers by
# language (``tracertm.steps.parsing.parse_step_file``: ast for Python, tree-sitter for the rest) and the test-report
# readers by format (``tracertm.results.formats.parse_report``, half the inputs with the format named, half detected).
SPEC_KINDS = ("adr", "contract", "feature")
STEP_LANGUAGES = ("python", "javascript", "typescript", "java", "kotlin", "go", "ruby", "csharp")
REPORT_FORMATS = ("junit", "cucumber-json", "cucumber-messages")
FUZZ_TARGETS = (*SPEC_KINDS, *(f"steps:{lang}" for lang in STEP_LANGUAGES),
                *(f"report:{fmt}" for fmt in REPORT_FORMATS))
SPEC_PATHS = {"adr": "docs/adr/0001-fuzz.md", "contract": "contracts/fuzz.yaml", "feature": "features/fuzz.feature"}
# The path a step file harvested from a test's source is read as (the language, and for Python the framework, go by
# the path).
STEP_PATHS = {
    "python": "features/steps/fuzz_steps.py", "pytest-bdd": "tests/test_fuzz.py",
    "javascript": "features/step_definitions/fuzz.js", "typescript": "features/step_definitions/fuzz.steps.ts",
    "java": "src/test/java/steps/FuzzSteps.java", "kotlin": "src/test/kotlin/FuzzSteps.kt",
    "go": "features/fuzz_test.go", "ruby": "features/step_definitions/fuzz_steps.rb", "csharp": "Specs/FuzzSteps.cs",
}
REPORT_PATHS = {"junit": "reports/fuzz.xml", "cucumber-json": "reports/fuzz.json",
                "cucumber-messages": "reports/fuzz.ndjson"}
# Smoke runs give each of the newer targets (steps, reports) this share of --inputs: the test suite's time is short.
SMOKE_SHARE = 0.1
INPUT_SECONDS = 10  # a parse that takes longer is a hang (SIGALRM in the worker: a traceback shows where)
STALL_SECONDS = 30  # no word from the worker for this long (stuck in C code): killed, the input counted as a hang
MEMORY_HEADROOM = 1 << 30  # bytes of address space a fuzz worker may add to what it holds after start-up

_CODE = (b"{", b"}", b"(", b")", b"[", b"]", b"'", b'"', b"`", b"\\", b"\\u0000", b"\\ud800", b"\\x00", b"\\",
         b"\t", b"\n", b"/*", b"//", b"#", b",", b"\xe2\x80\xa8", b"\\u{10FFFF}", b"\\u{110000}",
         b"\\u{FFFFFFFFFFFF}", b"\\uD83D\\uDE00", b"\\U0001F600", b"\\0", b"\\777")
_JSON = (b"{", b"}", b"[", b"]", b'"', b",", b":", b"null", b"true", b"1e999", b"-1", b"-0.0", b'"\\ud800"',
         b'"\\u0000"', b"99999999999999999999999", b"1" * 5000, b'"status": "failed"', b'"duration": ',
         b'"line": ', b'"name": ', b'"id": "1"', b'"uri": "file:/x.feature"', b'"tags": [{"name": "@a", "line": 1}]',
         b'"elements": [', b'"steps": [{"result": {"status": "undefined"}}]', b'"keyword": "Given "', b"\\\\", b"\n")
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
    "steps:python": _CODE + (b"@given(", b"@when(u'", b"@then(r'", b"@step('", b"parsers.parse(", b"parsers.re(r'",
                             b"parsers.cfparse(", b"scenarios(", b"def f(context, n):\n", b"    ", b"'''", b'"""',
                             b"from behave import *\n", b"use_step_matcher('re')\n", b"register_type(N=int)\n",
                             b"from pytest_bdd import given, parsers\n", b"target_fixture=", b"lambda: ", b"f'{x}'",
                             b"(?P<n>\\d+)", b"{n:d}", b"async def ", b"class C:\n", b"import behave as b\n", b"*"),
    "steps:javascript": _CODE + (b"Given(", b"When('", b"Then(/", b"/i, ", b"`${x}`", b"defineParameterType({",
                                 b"name: 'n', regexp: /", b"() => {}", b"function (", b"async ", b"...args",
                                 b"const { Given: G } = require('@cucumber/cucumber');\n", b"G(",
                                 b"import { Given as W } from '@cucumber/cucumber';\n", b"{int}", b"(\\d+)", b"/"),
    "steps:typescript": _CODE + (b"Given(", b"When('", b"Then(/", b"createBdd(", b"const { Given } = createBdd();\n",
                                 b"<T>", b" as any", b": string", b"async ({ page }, n: number) => {}", b"{string}",
                                 b"import { When } from '@cucumber/cucumber';\n", b"/"),
    "steps:java": _CODE + (b'@Given("', b'@When("^', b'$")', b'@ParameterType("', b"public void f(int x) {}",
                           b'"""', b"import io.cucumber.java.en.*;\n", b"\\u0041", b'Given("x", () -> {});', b"@",
                           b" + ", b"class S {", b"@Then(value = \"", b"String.format("),
    "steps:kotlin": _CODE + (b'Given("', b'"""', b"${x}", b"$x", b"fun f() {}", b'@Given("',
                             b'When("x") { a: Int -> }',
                             b"class S : En {\n init {\n", b"ParameterType(\"c\", \"red|blue\") { s: String -> s }",
                             b"import io.cucumber.java8.En\n", b"trimIndent()"),
    "steps:go": _CODE + (b"ctx.Step(`^", b"$`, f)", b'ctx.Given("', b"func f() error { return nil }\n", b"`",
                         b"regexp.MustCompile(", b"godog.",
                         b"func InitializeScenario(ctx *godog.ScenarioContext) {\n",
                         b"sc.When(", b":= "),
    "steps:ruby": _CODE + (b"Given(/^", b"$/) do |x|\n", b"end\n", b"When('", b"%r{", b"#{x}", b"ParameterType(",
                           b"name: 'c', regexp: /", b" do\n", b"<<~EOS\n", b"=begin\n", b"=end\n", b"Then \"",
                           b"__END__\n", b"->(s) { s }"),
    "steps:csharp": _CODE + (b'[Given(@"', b'")]', b'[When("^', b'$")]', b"public void F(int x) {}", b'@"', b'$"{x}"',
                             b'"""', b"[Binding]\n", b"[StepArgumentTransformation(", b"[Scope(Tag = \"",
                             b"using Reqnroll;\n",
                             b"public class S {\n", b"\"\""),
    "report:junit": (b"<testsuite>", b'<testcase name="x" classname="c" time="1e999">', b"</testcase>",
                     b'<failure message="', b"<!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\">]>", b"&a;", b"<![CDATA[",
                     b"]]>",
                     b"<", b">", b'"', b'time="-1"', b'timestamp="9999-12-31T23:59:59"', b'timestamp="2024-02-30"',
                     b"<skipped/>", b"<error/>", b"<properties><property name=\"a\" value=\"b\"/></properties>",
                     b"&#0;", b"&#xD800;", b"<?xml version=\"1.0\" encoding=\"latin-1\"?>", b"<testsuites>",
                     b"<flakyFailure/>", b"<rerunFailure/>", b"xmlns:x=\"u\" x:", b"<system-out>", b"\x00", b"&lt;"),
    "report:cucumber-json": _JSON,
    "report:cucumber-messages": _JSON + (b'\n{"testStepFinished": {', b'\n{"pickle": {', b'"astNodeIds": [',
                                         b'"willBeRetried": true', b'"timestamp": {"seconds": 1e30, "nanos": -1}',
                                         b'\n{"testCaseStarted": {', b'"testCaseStartedId": "', b'"pickleId": "',
                                         b'\n{"testCaseFinished": {', b'"testStepResult": {"status": "FAILED"}',
                                         b"\n{}\n", b"\r\n"),
}


def _nesting(target: str, depth: int, rng: random.Random) -> bytes:
    if target == "contract":
        return b"[" * depth
    if target in ("adr", "feature"):
        return b"  " * depth + b"- "
    if target == "report:junit":
        return b"<a>" * depth
    if target.startswith("report:"):
        return rng.choice((b"[", b'{"a":')) * depth
    return rng.choice((b"(", b"[", b"{", b"(a, ")) * depth


# Values a report's fields are given by the structural mutations: wrong types, extremes, text no database stores.
_HOSTILE: tuple[Any, ...] = (
    None, True, 0, -1, 1.5, 2**70, -(2**70), 1e308, -1e308, float("inf"), float("nan"), "", "\x00", "\ud800",
    "a\nb", "x" * 3000, "-1", "1e999", "NaN", "2024-02-30T00:00:00Z", "9999-12-31T23:59:59Z", "PASSED", "passed",
    "FAILED", "undefined", "file:/abs/x.feature", "classpath:x.feature", "../../etc/passwd", [], {}, [None], [{}],
    {"seconds": 1e20, "nanos": -5}, {"seconds": "1", "nanos": 1e12}, {"status": "FAILED"}, {"name": "@t"},
)
_XML_ATTRIBUTES = ("name", "classname", "time", "timestamp", "message", "type", "file", "line", "tests", "failures",
                   "errors", "skipped", "id", "hostname")
_XML_ELEMENTS = ("testcase", "testsuite", "testsuites", "failure", "error", "skipped", "flakyFailure", "rerunFailure",
                 "flakyError", "properties", "property", "system-out", "system-err")


def _hostile_text(rng: random.Random) -> str:
    value = rng.choice(_HOSTILE)
    return value if isinstance(value, str) else json.dumps(value)


def _mutate_json(value: Any, rng: random.Random) -> Any:
    """``value`` (decoded JSON) with one node replaced, removed or repeated."""
    if not isinstance(value, (dict, list)) or not value or rng.random() < 0.15:
        return rng.choice(_HOSTILE)
    keys = list(value) if isinstance(value, dict) else list(range(len(value)))
    key = rng.choice(keys)
    roll = rng.random()
    if roll < 0.1:
        del value[key]
    elif roll < 0.2 and isinstance(value, list):
        value.insert(key, value[key])  # the same object twice: a repeat, as a rerun writes it
    elif roll < 0.25 and isinstance(value, dict):
        value[rng.choice(("id", "line", "status", "name", "uri", "keyword", "type", "tags", "steps", "elements",
                          "result", "duration", "error_message", "timestamp"))] = rng.choice(_HOSTILE)
    else:
        value[key] = _mutate_json(value[key], rng)
    return value


def _structural(data: bytes, kind: str, rng: random.Random) -> bytes | None:
    """``data`` with its structure mutated (a report's fields given hostile values, nodes removed or repeated), or
    None when it does not parse as its format (a byte mutation comes instead). Most byte mutations make malformed
    JSON or XML, which the parsers refuse at once; these reach the code that reads the fields."""
    try:
        if kind == "report:junit":
            import xml.etree.ElementTree as ET  # noqa: S405 - the seeds are the tests' own files

            root: Any = ET.fromstring(data)  # noqa: S314
            for _ in range(rng.randint(1, 3)):
                elements = list(root.iter())
                element = rng.choice(elements)
                roll = rng.random()
                if roll < 0.45:
                    element.set(rng.choice(_XML_ATTRIBUTES), _hostile_text(rng).replace("\x00", ""))
                elif roll < 0.65:
                    element.append(ET.Element(rng.choice(_XML_ELEMENTS), {"message": "m"}))
                elif roll < 0.75:
                    element.text = _hostile_text(rng).replace("\x00", "")
                elif roll < 0.85 and element is not root:
                    parent = next(p for p in elements if element in list(p))
                    parent.remove(element)
                else:
                    element.append(ET.fromstring(ET.tostring(element)))  # the element repeated inside itself
            return bytes(ET.tostring(root, encoding="utf-8"))
        ensure_ascii = rng.random() < 0.5
        if kind == "report:cucumber-json":
            document = json.loads(data)
            for _ in range(rng.randint(1, 3)):
                document = _mutate_json(document, rng)
            return json.dumps(document, ensure_ascii=ensure_ascii, indent=rng.choice((None, 2))).encode(
                "utf-8", "surrogatepass")
        if kind == "report:cucumber-messages":
            lines = data.decode("utf-8").splitlines()
            for _ in range(rng.randint(1, 3)):
                at = rng.randrange(len(lines))
                roll = rng.random()
                if roll < 0.1:
                    del lines[at]
                elif roll < 0.2:
                    lines.insert(rng.randrange(len(lines) + 1), lines[at])
                elif lines[at].strip():
                    lines[at] = json.dumps(_mutate_json(json.loads(lines[at]), rng), ensure_ascii=ensure_ascii)
                if not lines:
                    break
            return "\n".join(lines).encode("utf-8", "surrogatepass") + b"\n"
    except (ValueError, SyntaxError, IndexError, StopIteration):  # ParseError of ElementTree is a SyntaxError
        return None
    return None


def mutate(data: bytes, kind: str, rng: random.Random, others: list[bytes]) -> bytes:
    """One to five random mutations of ``data`` (a file of fuzz target ``kind``); a report's, mostly of its
    structure (``_structural``), now and then of its bytes too."""
    if kind.startswith("report:") and rng.random() < 0.75:
        structured = _structural(data, kind, rng)
        if structured is not None:
            if rng.random() < 0.8:
                return structured
            data = structured
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
            out[at:at] = _nesting(kind, rng.choice((10, 200, 2000)), rng)
    return bytes(out)


# Which language a string of a test's source is written in (the first rule that holds), for the step-file seeds.
_LANGUAGE_RULES: tuple[tuple[str, Callable[[str], Any]], ...] = (
    ("go", lambda t: re.search(r"^package \w+", t, re.M) and "func " in t),
    ("csharp", lambda t: "[Binding]" in t or "using Reqnroll" in t or "using TechTalk" in t),
    ("java", lambda t: "public void" in t or ("import io.cucumber.java." in t and "fun " not in t)),
    ("kotlin", lambda t: "fun " in t and ("io.cucumber" in t or "En {" in t)),
    ("ruby", lambda t: re.search(r"^\s*(Given|When|Then|Step|And|ParameterType)\b.*\bdo\b", t, re.M)),
    ("pytest-bdd", lambda t: re.search(r"^\s*(from|import) pytest_bdd\b", t, re.M)),
    ("python", lambda t: re.search(r"^\s*(from|import) behave\b", t, re.M)),
    ("typescript", lambda t: "createBdd" in t or re.search(r"\)\s*:\s*(string|number|void|Promise)\b", t)),
    ("javascript", lambda t: "@cucumber/cucumber" in t or re.search(r"^\s*(Given|When|Then)\(", t, re.M)),
)


# A test module that holds a step file or a report in its source has one of these (a cheap filter before ``ast``).
_HINTS = re.compile(rb"@cucumber|from behave|import behave|pytest_bdd|^package |\[Binding\]|io\.cucumber|\bdo \||"
                    rb"<testsuite|godog|Reqnroll|^\s*(Given|When|Then)\(", re.M)


def _source_strings(paths: list[Path]) -> Iterator[str]:
    """The multi-line string literals of these Python files (the step files and reports the tests are made of)."""
    import ast

    for path in paths:
        try:
            tree = ast.parse(path.read_bytes())
        except (SyntaxError, ValueError, OSError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "\n" in node.value.strip():
                yield node.value


def _seeds(workdir: Path) -> dict[str, list[tuple[str, bytes]]]:
    """(path, bytes) of real files for every target: a generated corpus (several dialects) and the sample repository
    for the spec kinds; the step files and reports of the tests (their fixture files and the ones written in their
    source) and of the benchmarks' generators for the rest."""
    from tracertm.results.formats import detect
    from tracertm.steps.parsing import language_of

    repo = BENCH_DIR.parent
    seeds: dict[str, list[tuple[str, bytes]]] = {target: [] for target in FUZZ_TARGETS}
    corpus = corpus_mod.build(workdir / "c" / "repo", adrs=24, contracts=12, features=12, scenarios=3)
    for path, kind in corpus.files.items():
        seeds[kind].append((SPEC_PATHS[kind], (corpus.root / path).read_bytes()))
    sample = repo / "sample-repo"
    for pattern, kind in (("docs/adr/*.md", "adr"), ("contracts/**/*.yaml", "contract"),
                          ("features/**/*.feature", "feature")):
        seeds[kind] += [(SPEC_PATHS[kind], p.read_bytes()) for p in sorted(sample.glob(pattern))
                        if p.name.lower() != "readme.md"]

    tests = repo / "tests"
    files = sorted(p for p in tests.rglob("*") if p.is_file() and "node_modules" not in p.parts
                   and "__pycache__" not in p.parts)
    for file in files:  # step files of the tests' fixture projects
        rel = file.relative_to(tests).as_posix()
        language = language_of(rel)
        if language is not None and (language != "python" or "project" in file.parts):  # not the tests themselves
            seeds[f"steps:{language}"].append((rel, file.read_bytes()))
    sources = [p for p in files if p.suffix == ".py" and _HINTS.search(p.read_bytes())]  # parse only these
    for text in _source_strings(sources):
        language = next((lang for lang, rule in _LANGUAGE_RULES if rule(text)), None)
        if language is not None:
            seeds["steps:python" if language == "pytest-bdd" else f"steps:{language}"].append(
                (STEP_PATHS[language], text.encode("utf-8", "surrogateescape")))
        elif text.lstrip().startswith(("<?xml", "<testsuite")):
            seeds["report:junit"].append((REPORT_PATHS["junit"], text.encode("utf-8", "surrogateescape")))
    for path, text in corpus_mod.step_files(120).items():
        seeds[f"steps:{language_of(path)}"].append((path, text.encode()))

    for file in files:  # reports of the tests' fixtures
        if "fixtures" in file.parts and file.suffix in (".xml", ".json", ".ndjson"):
            data = file.read_bytes()
            try:
                fmt = detect(file.name, data)
            except Exception:  # noqa: BLE001 - not a report
                continue
            seeds[f"report:{fmt}"].append((REPORT_PATHS[fmt], data))
    from bench import results_bench

    seeds["report:junit"].append((REPORT_PATHS["junit"], results_bench._report(40)))
    # Every seed once, in a fixed order.
    return {target: sorted(set(pool)) for target, pool in seeds.items()}


def fuzz_input(seeds: dict[str, list[tuple[str, bytes]]], target: str, seed: int, i: int) -> tuple[str, bytes, str]:
    """Input ``i`` of ``target``: (path, bytes, report format or ``auto``), the same for the same seeds and seed."""
    rng = random.Random(f"soak-c:{seed}:{target}:{i}")
    pool = seeds[target]
    path, data = pool[rng.randrange(len(pool))]
    data = mutate(data, target, rng, [d for _, d in pool])
    fmt = target.partition(":")[2] if target.startswith("report:") and i % 2 else "auto"
    return path, data, fmt


class _Timeout(Exception):
    pass


def _unstorable(value: Any, where: str = "") -> str | None:
    """The first text in ``value`` (a parser's record, walked through) that no database stores: a NUL (PostgreSQL
    refuses it) or a lone surrogate (not UTF-8)."""
    import dataclasses

    from tracertm.text import is_text

    if isinstance(value, str):
        if "\x00" in value or not is_text(value):
            return f"{where or 'text'} {value[:60]!r}"
        return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        items: Any = ((f.name, getattr(value, f.name)) for f in dataclasses.fields(value))
    elif isinstance(value, dict):
        items = value.items()
    elif isinstance(value, (tuple, list)):
        items = ((where, v) for v in value)
    else:
        return None
    for name, item in items:
        found = _unstorable(item, str(name))
        if found:
            return found
    return None


def _report_problems(report: Any) -> list[str]:
    """What in a parsed report the import could not store as it is, or would store wrong."""
    import math

    from tracertm.results.report import MAX_EXTERNAL_ID, MAX_RUN_NAME, latest_run_time

    problems: list[str] = []
    bad = _unstorable(report)
    if bad:
        problems.append(f"unstorable {bad}")
    if report.name is not None and len(report.name) > MAX_RUN_NAME:
        problems.append(f"run name of {len(report.name)} characters")
    for when in (report.started_at, report.finished_at):
        if when is not None and (when.tzinfo is None or when > latest_run_time()):
            problems.append(f"run time {when!r}")
    for case in report.cases:
        if case.status not in ("passed", "failed", "skipped", "undefined", "pending", "error"):
            problems.append(f"status {case.status!r}")
        if len(case.external_id) > MAX_EXTERNAL_ID:
            problems.append(f"external id of {len(case.external_id)} characters")
        if case.message is not None and len(case.message) > 1000:
            problems.append(f"message of {len(case.message)} characters")
        if case.duration is not None and not (math.isfinite(case.duration) and case.duration >= 0):
            problems.append(f"duration {case.duration!r}")
        if not 0 <= case.failed_attempts < 2**31:
            problems.append(f"failed_attempts {case.failed_attempts}")
        if problems:
            break
    return problems


def _step_problems(path: str, step_file: Any) -> list[str]:
    """What in a parsed step file the sync could not store as it is."""
    problems: list[str] = []
    bad = _unstorable((step_file.definitions, step_file.parameter_types))
    if bad:
        problems.append(f"unstorable {bad}")
    for item in (*step_file.definitions, *step_file.parameter_types):
        if item.path != path or item.line < 1:
            problems.append(f"a definition at {item.path}:{item.line}")
            break
    return problems


def _attempt(target: str, path: str, data: bytes, fmt: str) -> str | None:
    """Parse one input: None when it was read, ``""`` when refused with ``ParseError`` as the rule wants (one line
    naming the file), else what is wrong with the result or the error. Any other exception propagates."""
    from tracertm.errors import ParseError

    try:
        if target in SPEC_KINDS:
            from tracertm.parsers import parse

            parse(target, path, data)  # type: ignore[arg-type]
            problems: list[str] = []
        elif target.startswith("steps:"):
            from tracertm.steps.parsing import parse_step_file

            problems = _step_problems(path, parse_step_file(path, data))
        else:
            from tracertm.results.formats import parse_report

            problems = _report_problems(parse_report(path, data, fmt))
    except ParseError as exc:
        text = str(exc)
        if "\n" in text or "\r" in text:
            return f"ParseError of several lines: {text[:200]!r}"
        if exc.path != path:
            return f"ParseError names {exc.path!r}, not {path!r}"
        return ""
    return "; ".join(problems) or None


def _where(exc: BaseException) -> str:
    """The innermost frame of tracertm's own code in ``exc``'s traceback: ``file:line in function``."""
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/tracertm/" in f.filename.replace("\\", "/")]
    if not frames:
        return "?"
    f = frames[-1]
    return f"{f.filename.replace(chr(92), '/').split('/src/')[-1]}:{f.lineno} in {f.name}"


def fuzz_worker(seeds_file: str) -> int:
    """``--fuzz-worker SEEDS``: read jobs (JSON lines ``{"target", "seed", "start", "stop", "failures"}``) from stdin
    and parse their inputs; for each, one line: ``<i> r`` (refused with ParseError), ``<i> o`` (read),
    ``<i> f <what>`` (a failure: its input is written to ``failures``); ``done <peak RSS in KiB>`` after each job.
    Memory beyond ``MEMORY_HEADROOM`` past start-up is refused (``MemoryError``: a failure)."""
    import pickle
    import resource

    seeds = pickle.loads(Path(seeds_file).read_bytes())

    def alarm(_signum: int, _frame: Any) -> None:
        raise _Timeout()

    signal.signal(signal.SIGALRM, alarm)
    for target in FUZZ_TARGETS:  # imports and grammars loaded before the limit is set
        try:
            _attempt(target, seeds[target][0][0], seeds[target][0][1], "auto")
        except Exception:  # noqa: BLE001, S110 - a failure of a seed shows again as an input's
            pass
    try:
        size = int(Path("/proc/self/statm").read_text().split()[0]) * resource.getpagesize()
        resource.setrlimit(resource.RLIMIT_AS, (size + MEMORY_HEADROOM, resource.RLIM_INFINITY))
    except (OSError, ValueError):  # no /proc or no limit: still safe, only unbounded
        pass
    out = sys.stdout
    for line in sys.stdin:
        job = json.loads(line)
        target = job["target"]
        for i in range(job["start"], job["stop"]):
            path, data, fmt = fuzz_input(seeds, target, job["seed"], i)
            signal.alarm(INPUT_SECONDS)
            try:
                outcome = _attempt(target, path, data, fmt)
                answer = "o" if outcome is None else "r" if outcome == "" else f"f {outcome}"
            except _Timeout as exc:
                answer = f"f no answer in {INPUT_SECONDS} s (at {_where(exc)})"
            except Exception as exc:  # noqa: BLE001 - finding these is the point
                answer = f"f {type(exc).__name__}: {exc} (at {_where(exc)})"
            finally:
                signal.alarm(0)
            if answer.startswith("f "):
                _keep_failure(job["failures"], target, job["seed"], i, path, data)
                answer = f"f {path}: {answer[2:]}"
            out.write(f"{i} {' '.join(answer.split())[:400]}\n")
            out.flush()
        out.write(f"done {_peak_kib()}\n")
        out.flush()
    return 0


def _peak_kib() -> int:
    """This process's peak resident memory in KiB (``VmHWM``: ``ru_maxrss`` would keep the parent's across exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _keep_failure(directory: str, target: str, seed: int, i: int, path: str, data: bytes) -> str:
    """Write a failing input to ``directory`` (its name keeps the input's file name ending); its path."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{target.replace(':', '-')}-{seed}-{i}{Path(path).suffix}"
    (folder / name).write_bytes(data)
    return str(folder / name)


_STOP = threading.Event()  # set: the fuzz stops at its next input (the soak was interrupted)


class _Worker:
    """A ``fuzz_worker`` process; restarted when it hangs or dies. Its answers are read from the pipe's descriptor
    (a buffered reader would hold lines that ``select`` cannot see); its stderr goes to a file."""

    def __init__(self, seeds_file: Path) -> None:
        self._cmd = [sys.executable, "-m", "bench.soak", "--fuzz-worker", str(seeds_file)]
        self._stderr = seeds_file.with_suffix(".stderr")
        self.proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""

    def send(self, job: dict[str, Any]) -> None:
        if self.proc is None or self.proc.poll() is not None:
            self.stop()
            with open(self._stderr, "wb") as err:
                self.proc = subprocess.Popen(self._cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                                             cwd=BENCH_DIR.parent)
            self._buffer = b""
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(job).encode() + b"\n")
        self.proc.stdin.flush()

    def answer(self, timeout: float) -> str | None:
        """The worker's next line; None when it said nothing for ``timeout`` seconds, ``""`` when it ended."""
        import select

        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return ""
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode("utf-8", "replace")

    def stop(self, ending: bool = False) -> str:
        """End the process; why it ended, when it did on its own (its exit and the last line of its stderr).
        ``ending``: its output has ended, it is about to exit."""
        proc, self.proc = self.proc, None
        if proc is None:
            return ""
        try:
            ended = proc.wait(5) if ending else proc.poll()
        except subprocess.TimeoutExpired:
            ended = None
        if ended is None:
            proc.kill()
        proc.wait()
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        if ended is None:
            return ""
        tail = self._stderr.read_text(errors="replace").strip().splitlines()[-1:] if self._stderr.exists() else []
        return f"the process died (exit {ended}){': ' + tail[0][:200] if tail else ''}"


def _fuzz_target(worker: _Worker, seeds: dict[str, list[tuple[str, bytes]]], target: str, inputs: int,
                 seed: int) -> Row:
    started = time.monotonic()
    failures: list[str] = []
    counts = {"r": 0, "o": 0}
    peak = 0
    i = 0
    while i < inputs and not _STOP.is_set():
        worker.send({"target": target, "seed": seed, "start": i, "stop": inputs, "failures": str(FAILURES_DIR)})
        while True:
            line = worker.answer(STALL_SECONDS)
            if not line:  # stuck in C code (no word in STALL_SECONDS) or dead: input i is the culprit
                why = worker.stop(ending=line == "") or f"no answer in {STALL_SECONDS} s, killed"
                path, data, _ = fuzz_input(seeds, target, seed, i)
                _keep_failure(str(FAILURES_DIR), target, seed, i, path, data)
                failures.append(f"{target} input {i}: {path}: {why}"[:400])
                i += 1
                break
            if _STOP.is_set():
                break
            head, _, rest = line.partition(" ")
            if head == "done":
                peak = max(peak, int(rest or 0))
                i = inputs
                break
            i = int(head) + 1
            if rest in counts:
                counts[rest] += 1
            else:
                failures.append(f"{target} input {head}: {rest[2:]}"[:400])
    detail = (f"{inputs} inputs from {len(seeds[target])} real files; {counts['r']} rejected with ParseError"
              + (f"; worker peak RSS {peak // 1024} MiB" if peak else ""))
    return Row(f"(c) parser fuzz [{target}]", inputs, len(failures), detail, time.monotonic() - started, failures)


def soak_fuzz(workdir: Path, inputs: int, seed: int, newer_inputs: int | None = None,
              targets: tuple[str, ...] = FUZZ_TARGETS) -> list[Row]:
    """One row per target; ``newer_inputs``: the inputs per step and report target (default ``inputs``)."""
    import pickle

    seeds = _seeds(workdir)
    seeds_file = workdir / "fuzz-seeds.pickle"
    seeds_file.write_bytes(pickle.dumps(seeds))
    worker = _Worker(seeds_file)
    rows: list[Row] = []
    try:
        for target in targets:
            if _STOP.is_set():
                break
            count = inputs if target in SPEC_KINDS or newer_inputs is None else newer_inputs
            rows.append(_fuzz_target(worker, seeds, target, count, seed))
    finally:
        worker.stop()
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
    parser.add_argument("--targets", default="", help="(c) only these targets, comma-separated prefixes "
                        f"(default: all of {', '.join(FUZZ_TARGETS)})")
    parser.add_argument("--fuzz-worker", metavar="SEEDS", help=argparse.SUPPRESS)  # (c)'s parsing process
    args = parser.parse_args(argv)
    if args.fuzz_worker:
        return fuzz_worker(args.fuzz_worker)
    smoke = args.smoke
    rounds = args.rounds or (1 if smoke else 10)
    syncers = 3 if smoke and args.syncers == 8 else args.syncers
    kills = args.kills or (1 if smoke else 10)
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
        fuzz = ThreadPoolExecutor(1)  # (c) runs in its own process: alongside (a) and (b), which mostly wait
        try:
            fuzzed = None
            if "c" in args.sections:
                newer = max(5, int(inputs * SMOKE_SHARE)) if smoke and not args.inputs else None
                prefixes = [t.strip() for t in args.targets.split(",") if t.strip()]
                targets = tuple(t for t in FUZZ_TARGETS if not prefixes or t.startswith(tuple(prefixes)))
                fuzzed = fuzz.submit(soak_fuzz, work, inputs, args.seed, newer, targets)
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
            if fuzzed is not None:
                for row in fuzzed.result():
                    rows.append(row)
                    report(row)
        finally:
            if sys.exc_info()[0] is not None:
                _STOP.set()  # an interrupted soak does not wait for the fuzz's end
            fuzz.shutdown()  # the fuzz ends (its worker stopped) before its directory goes
            _drop_migrated()
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
