"""The CLI verbs over the sync engine: output, JSON shape, exit codes, and real processes racing and dying."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from conftest import GitRepo, run_cli, sqlite_only
from specs import adr, contract, dump, feature
from tracertm import db
from tracertm.cli import main


def _seed(repo: GitRepo) -> None:
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    repo.write("docs/adr/0002-use-postgres.md", adr(2, "Use PostgreSQL", extra="\nSuperseded by ADR-0001\n"))
    repo.write("contracts/payments.yaml", contract(1, "Payments"))
    repo.write("features/login.feature", feature(1, "Login"))
    repo.commit("seed")


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# SQLite only: the CLI's wording and exit codes; the CLI's sync runs on PostgreSQL in test_query_verbs[postgresql].
@sqlite_only
def test_sync_text_and_json_output(git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    _seed(git_repo)
    code, out, err = _cli(capsys, "sync", str(git_repo.path), "--database-url", database_url)
    assert code == 0, err
    assert out.splitlines()[0].startswith("synced repo from worktree (4 files, 4 parsed)")
    assert "scenarios        2        0" in out

    code, out, _ = _cli(capsys, "sync", str(git_repo.path), "--database-url", database_url, "--format", "json")
    payload = json.loads(out)
    assert code == 0
    assert set(payload) == {"project", "root", "source", "commit", "dry_run", "counts", "files", "errors", "warnings",
                            "operations", "run_id", "links"}
    assert payload["counts"]["scenario"] == {"created": 0, "updated": 0, "deleted": 0, "restored": 0, "moved": 0,
                                             "unchanged": 2, "errors": 0}
    assert payload["files"] == {"scanned": 4, "parsed": 0, "findings": []}


# SQLite only: the CLI's wording and exit codes; the CLI's sync runs on PostgreSQL in test_query_verbs[postgresql].
@sqlite_only
def test_spec_errors_exit_1_and_name_file_line_column(git_repo: GitRepo, database_url: str, capsys) -> None:  # type: ignore[no-untyped-def]
    _seed(git_repo)
    git_repo.write("contracts/broken.yaml", "id: CTR-0009\ntitle: Broken\nstates: [a, b]\ntransitions:\n  - {from: a, to: z}\n")
    code, out, err = _cli(capsys, "sync", str(git_repo.path), "--database-url", database_url)
    assert code == 1
    assert "contracts/broken.yaml:5:" in err and "z" in err
    assert "adrs             2" in out, "every file that parsed was still applied"


# SQLite only: the CLI's wording and exit codes; the CLI's sync runs on PostgreSQL in test_query_verbs[postgresql].
@sqlite_only
def test_usage_errors_exit_2_with_one_line(git_repo: GitRepo, database_url: str, capsys) -> None:  # type: ignore[no-untyped-def]
    _seed(git_repo)
    for argv in (
        ["sync", str(git_repo.path), "--ref", "no-such-branch", "--database-url", database_url],
        ["sync", str(git_repo.path), "--ref", "HEAD", "--staged"],
        ["sync", str(git_repo.path / "missing")],
        ["show", "ADR-0099", "--database-url", database_url],
    ):
        code, out, err = _cli(capsys, *argv)
        assert code == 2, (argv, err)
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err


def test_drift_check_with_exit_code(git_repo: GitRepo, database_url: str, capsys) -> None:  # type: ignore[no-untyped-def]
    _seed(git_repo)
    args = ["sync", str(git_repo.path), "--ref", "HEAD", "--database-url", database_url]
    code, out, _ = _cli(capsys, *args, "--dry-run", "--exit-code")
    assert code == 1 and "created   adr" in out
    assert _cli(capsys, *args)[0] == 0
    assert _cli(capsys, *args, "--dry-run", "--exit-code")[0] == 0
    git_repo.write("docs/adr/0003-new.md", adr(3, "New"))
    git_repo.commit("new adr")
    assert _cli(capsys, *args, "--dry-run", "--exit-code")[0] == 1


def _cleared_by_a_sync(capsys: Any, args: list[str], path: str) -> None:
    """A dry run names ``path``'s stored findings as cleared (text and JSON, no record operation) and exits 1 with
    ``--exit-code``; the sync clears them and says so; the next dry run finds no drift."""
    code, out, _ = _cli(capsys, *args, "--dry-run", "--exit-code")
    assert code == 1 and f"\n  cleared   findings  {path}" in out
    code, out, _ = _cli(capsys, *args, "--dry-run", "--exit-code", "--format", "json")
    payload = json.loads(out)
    assert code == 1 and payload["operations"] == []
    assert payload["files"]["findings"] == [{"action": "cleared", "path": path}]
    code, out, _ = _cli(capsys, *args)
    assert code == 0 and f"\n  cleared   findings  {path}" in out
    code, out, _ = _cli(capsys, *args, "--dry-run", "--exit-code")
    assert code == 0 and "findings" not in out


def test_drift_check_sees_stored_findings_a_sync_would_clear(  # type: ignore[no-untyped-def]
    git_repo: GitRepo, database_url: str, capsys
) -> None:
    """A broken file put back as its records were made changes no record, but the error stored with it (what
    ``status`` lists) goes: drift, which a dry run names and ``--exit-code`` reports; the sync says it cleared it."""
    _seed(git_repo)
    args = ["sync", str(git_repo.path), "--database-url", database_url]
    assert _cli(capsys, *args)[0] == 0
    good = (git_repo.path / "contracts/payments.yaml").read_text()
    git_repo.write("contracts/payments.yaml", good + "title: [\n")
    assert _cli(capsys, *args)[0] == 1
    git_repo.write("contracts/payments.yaml", good)

    _cleared_by_a_sync(capsys, args, "contracts/payments.yaml")


def test_drift_check_sees_findings_a_settings_change_would_clear(  # type: ignore[no-untyped-def]
    git_repo: GitRepo, database_url: str, capsys
) -> None:
    """A lower ``max_file_size`` stores every larger file in error (their records stay); without it again, every
    file parses to the records it had: the errors a sync would clear are the drift."""
    _seed(git_repo)
    args = ["sync", str(git_repo.path), "--database-url", database_url]
    git_repo.write(".tracertm.toml", "max_file_size = 1\n")
    assert _cli(capsys, *args)[0] == 1  # (a first sync: every file in error, no record)
    git_repo.remove(".tracertm.toml")
    assert _cli(capsys, *args)[0] == 0
    git_repo.write(".tracertm.toml", "max_file_size = 1\n")
    assert _cli(capsys, *args)[0] == 1
    git_repo.remove(".tracertm.toml")

    code, out, _ = _cli(capsys, *args, "--dry-run", "--exit-code", "--format", "json")
    payload = json.loads(out)
    assert code == 1 and payload["operations"] == [] and payload["files"]["parsed"] == 4
    assert payload["files"]["findings"] == [
        {"action": "cleared", "path": "contracts/payments.yaml"},
        {"action": "cleared", "path": "docs/adr/0001-use-git.md"},
        {"action": "changed", "path": "docs/adr/0002-use-postgres.md"},  # (its warning stays: ``warnings``)
        {"action": "cleared", "path": "features/login.feature"},
    ]
    assert [d["path"] for d in payload["warnings"]] == ["docs/adr/0002-use-postgres.md"]
    assert _cli(capsys, *args)[0] == 0
    assert _cli(capsys, *args, "--dry-run", "--exit-code")[0] == 0


def test_drift_check_sees_findings_of_a_held_file(  # type: ignore[no-untyped-def]
    git_repo: GitRepo, database_url: str, capsys
) -> None:
    """A new file that does not parse while a file of its kind went away (a rename?) gets no row: ``status`` lists
    the errors the newest finished sync found in it. A sync that sets them, or clears them (the old file put back),
    names the file as any other whose findings it sets or clears; neither the engine nor its fast path take such a
    no-op for nothing."""
    _seed(git_repo)
    args = ["sync", str(git_repo.path), "--database-url", database_url]
    status = ["status", "--database-url", database_url, "--project", git_repo.path.name]
    assert _cli(capsys, *args)[0] == 0
    good = git_repo.read("contracts/payments.yaml")
    git_repo.remove("contracts/payments.yaml")
    git_repo.write("contracts/payments-v2.yaml", good + "title: [\n")
    set_ = [{"action": "set", "path": "contracts/payments-v2.yaml"}]
    code, out, _ = _cli(capsys, *args, "--dry-run", "--exit-code", "--format", "json")
    assert code == 1 and json.loads(out)["files"]["findings"] == set_
    code, out, _ = _cli(capsys, *args, "--format", "json")
    assert code == 1 and json.loads(out)["files"]["findings"] == set_
    assert "contracts/payments-v2.yaml:" in _cli(capsys, *status)[1]
    code, out, _ = _cli(capsys, *args, "--format", "json")  # (held again, with the same errors)
    assert code == 1 and json.loads(out)["files"]["findings"] == []
    git_repo.remove("contracts/payments-v2.yaml")
    git_repo.write("contracts/payments.yaml", good)

    _cleared_by_a_sync(capsys, args, "contracts/payments-v2.yaml")
    assert "files in error" not in _cli(capsys, *status)[1]


def test_query_verbs(git_repo: GitRepo, database_url: str, capsys) -> None:  # type: ignore[no-untyped-def]
    _seed(git_repo)
    # --project: the tests run in a repository of their own (never synced), which is not the only project's.
    url = ["--database-url", database_url, "--project", "repo"]
    assert _cli(capsys, "sync", str(git_repo.path), *url)[0] == 0
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git", status="Deprecated"))
    assert _cli(capsys, "sync", str(git_repo.path), *url)[0] == 0

    code, out, _ = _cli(capsys, "list", "adrs", *url)
    assert code == 0 and out.splitlines()[1].split()[:3] == ["ADR-0001", "Use", "git"]
    code, out, _ = _cli(capsys, "list", "adrs", "--status", "superseded", "--format", "json", *url)
    assert [item["number"] for item in json.loads(out)] == ["ADR-0002"]
    code, out, _ = _cli(capsys, "list", "scenarios", *url)
    assert [line.split()[1] for line in out.splitlines()[1:]] == ["SC-1", "SC-2"]

    code, out, _ = _cli(capsys, "show", "ADR-1", *url)
    assert "status: deprecated" in out and "version: 2" in out and "source_path: docs/adr/0001-use-git.md" in out
    code, out, _ = _cli(capsys, "show", "SC-2", "--format", "json", *url)
    assert json.loads(out)["feature"] == "FEAT-1"

    code, out, _ = _cli(capsys, "history", "ADR-0001", "--format", "json", *url)
    assert [(r["version"], r["change"]) for r in json.loads(out)] == [(1, "created"), (2, "updated")]

    code, out, _ = _cli(capsys, "status", *url)
    assert "project:     repo" in out and "adrs          2        0" in out


def test_check_needs_no_database_and_honours_strict(git_repo: GitRepo, capsys) -> None:  # type: ignore[no-untyped-def]
    _seed(git_repo)
    assert _cli(capsys, "check", str(git_repo.path))[0] == 0
    git_repo.write("docs/adr/0003-maybe.md", adr(3, "Maybe", status="On hold"))
    code, out, _ = _cli(capsys, "check", str(git_repo.path))
    assert code == 0 and "docs/adr/0003-maybe.md" in out and "warning" in out
    assert _cli(capsys, "check", str(git_repo.path), "--strict")[0] == 1
    assert not (Path.home() / ".local/share/tracertm").exists(), "check must not create a database"


# ----------------------------------------------------------------------------------------- real processes


def _big_repo(repo: GitRepo, features: int) -> None:
    for i in range(100, 100 + features):  # FEAT-1 is the seed's
        scenarios = {f"case {j}": [f"Given state {i}.{j}", "When it runs", f"Then result {j}"] for j in range(10)}
        repo.write(f"features/f{i:04d}.feature", feature(i, f"Feature {i}", scenarios))
    repo.commit("many features")


def _spawn_sync(repo: GitRepo, url: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tracertm", "sync", str(repo.path), "--database-url", url, "--jobs", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_two_syncs_at_once_do_not_duplicate_or_fail(git_repo: GitRepo, database_url: str) -> None:
    _seed(git_repo)
    _big_repo(git_repo, 40)
    procs = [_spawn_sync(git_repo, database_url) for _ in range(2)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [r[1].decode() for r in results]
    engine = db.make_engine(database_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM features")).scalar() == 41
            assert conn.execute(text("SELECT count(*) FROM scenarios")).scalar() == 402
            assert conn.execute(text("SELECT count(*) FROM projects")).scalar() == 1
            assert conn.execute(text("SELECT count(*) FROM spec_revisions")).scalar() == 41 + 402 + 3
            assert conn.execute(text("SELECT max(version) FROM scenarios")).scalar() == 1
    finally:
        engine.dispose()
    outputs = sorted(r[0].decode().splitlines()[0] for r in results)
    assert outputs[0].endswith("parsed)") and "0 parsed" in " ".join(outputs), "the second sync saw the first's result"


def _writer_in_flight(url: str, proc: subprocess.Popen[bytes]) -> bool:
    """True once the sync process holds its write transaction and has written rows in it."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1]
        wal = Path(path + "-wal")
        if not wal.exists() or wal.stat().st_size < 512 * 1024:
            return False
        probe = sqlite3.connect(path, timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.rollback()
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            probe.close()
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return bool(
                conn.execute(
                    text("SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname = current_database() "
                         "AND xact_start IS NOT NULL AND (query ILIKE 'INSERT INTO%' OR query ILIKE 'COPY %')")
                ).scalar()
            )
    finally:
        engine.dispose()


def test_sigkill_mid_sync_leaves_the_database_as_before(git_repo: GitRepo, database_url: str) -> None:
    _seed(git_repo)
    engine = db.make_engine(database_url)
    # The syncs before the kill and after it run in this process (run_cli): only the killed one needs its own.
    seeded = run_cli("sync", str(git_repo.path), "--database-url", database_url, "--jobs", "1")
    assert seeded.returncode == 0, seeded.stderr
    before = dump(engine, volatile=True)
    _big_repo(git_repo, 300)
    proc = _spawn_sync(git_repo, database_url)
    deadline = time.monotonic() + 60
    while not _writer_in_flight(database_url, proc):
        assert proc.poll() is None, "sync finished before it could be killed; make the repository bigger"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    engine.dispose()
    killed = dump(engine, volatile=True)
    done = run_cli("sync", str(git_repo.path), "--database-url", database_url, "--jobs", "1")
    assert done.returncode == 0, done.stderr
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM scenarios")).scalar() == 3002
    engine.dispose()
    # Killed inside its transaction (almost always: the probe saw it writing), nothing of it is left; on a loaded
    # machine the kill can land just after its commit, and then all of it is: never a part.
    assert killed == before or killed == dump(engine, volatile=True)
