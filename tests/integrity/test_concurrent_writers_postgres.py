"""Nothing lost, nothing silently wrong: every kind of writer of one project at once on one PostgreSQL server.

Real processes, all at the same time: ``tracertm sync`` from three clones of one repository (one advancing through
commits that edit, move, delete, break and restore ADRs, contracts and features; two pinned at older commits),
``tracertm results import`` of reports for the scenarios, and a running ``tracertm serve`` (two workers) taking
PATCHes of database-owned fields and link reviews from client threads that retry on 412 as a client would.

Afterwards, from the database alone:
- every record (deleted ones too) has one revision per version 1..N (a pure ``moved`` revision repeats its version
  and content), no revision beyond, and its newest revisions carry its ``content_hash``;
- every accepted API write is still there (its field values, its ``annotated`` revision with the token's actor),
  and every accepted link review still holds (``reviewed_version`` never went back);
- each link's ``target_version`` is its target's content version (or later annotated ones), never ahead of it,
  and never behind a review;
- after a last sync of the final commit, the git-owned content (records, file index, links) equals a fresh sync of
  that commit into an empty database;
- every ``sync_runs`` row finished; no session of the database and no process started here is left.

Every wait is on a process's exit or on a condition the system shows; every process is ended in a ``finally``.
The syncs before and after the concurrent phase (the first, the last, the fresh one) are alone: they run in this
process (``run_cli``), as a process of their own would, without its start-up.
``STRESS_ROUNDS`` (environment) repeats the concurrent phase over the same commits for a longer local run."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from apikit import make_token
from conftest import PG_ENV, GitRepo, _fresh_pg, run_cli
from served import serve
from specs import adr, contract
from tracertm import db, kinds
from tracertm.engine.links import DB_LINK_TYPES, LINKS
from tracertm.engine.link_versions import content_versions

pytestmark = [
    pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"needs {PG_ENV}"),
    pytest.mark.slow,
]

PROJECT = "acme"
API = "/api/v1"
WAIT_S = 120.0  # the longest any one process or request may take before the test fails
MARK = "TRACERTM_STRESS_MARK"  # in the environment of every process started here (and of theirs)
ROUNDS = int(os.environ.get("STRESS_ROUNDS", "1"))
BACKFILL = os.environ.get("STRESS_BACKFILL", "1") == "1"
SPEC_KINDS = ("adr", "contract", "feature", "scenario")
# Records the API clients write (human ids; a deleted one answers 404, and the client moves on).
PATCH_TARGETS = (
    ("adrs", "ADR-0001"), ("adrs", "ADR-0003"), ("contracts", "CTR-0001"), ("contracts", "CTR-0002"),
    ("features", "FEAT-1"), ("features", "FEAT-2"), ("scenarios", "FEAT-1/SC-1"), ("scenarios", "FEAT-2/SC-2"),
)


# ----------------------------------------------------------------------------------------------- the repository


def _feature(number: int, name: str, adr_tag: str, scenarios: list[tuple[int, str, str, list[str]]]) -> str:
    body = "".join(
        f"\n  @SC-{n}{' ' + tags if tags else ''}\n  Scenario: {title}\n" + "".join(f"    {s}\n" for s in steps)
        for n, title, tags, steps in scenarios
    )
    return (f"@FEAT-{number} {adr_tag}\nFeature: {name}\n  As a shopper\n  I want {name.lower()}\n"
            f"  So that I can pay\n{body}")


CARD = (1, "Pay by card", "", ["Given a cart", "When I pay by card", "Then the order is paid"])
INVOICE = (2, "Pay by invoice", "@ADR-0003", ["Given a cart", "When I pay by invoice", "Then an invoice is sent"])
FULL = (1, "Full refund", "", ["Given a paid order", "When I refund it", "Then the money is back"])
PARTIAL = (2, "Partial refund", "@ADR-0001", ["Given a paid order", "When I refund half", "Then half is back"])


def _history(repo: GitRepo) -> list[str]:
    """Commits that edit, move, delete, break and restore records of every kind; returns their ids, oldest first."""
    w = repo.write
    w("docs/adr/0001-use-git.md", adr(1, "Use git"))
    w("docs/adr/0002-use-postgres.md", adr(2, "Use postgres"))
    w("docs/adr/0003-use-queues.md", adr(3, "Use queues"))
    w("contracts/refunds.yaml", contract(1, "Refunds"))
    w("contracts/payouts.yaml", contract(2, "Payouts"))
    w("features/checkout.feature", _feature(1, "Checkout", "@ADR-0001", [CARD, INVOICE]))
    w("features/refunds.feature", _feature(2, "Refunds", "@ADR-0002", [FULL, PARTIAL]))
    commits = [repo.commit("c0: seed")]
    # c1: edits of each kind (the links to ADR-0001 turn suspect)
    w("docs/adr/0001-use-git.md", adr(1, "Use git", decision="We will use git for specs."))
    card = (1, "Pay by card", "", ["Given a cart", "When I pay by card", "Then the order is paid at once"])
    w("features/checkout.feature", _feature(1, "Checkout", "@ADR-0001", [card, INVOICE]))
    w("contracts/refunds.yaml", contract(1, "Refunds", ("pending", "paid", "refunded")))
    commits.append(repo.commit("c1: edits"))
    # c2: pure moves of an ADR and a feature; a contract deleted
    repo.git("mv", "docs/adr/0002-use-postgres.md", "docs/adr/0002-use-postgresql.md")
    (repo.path / "features/money").mkdir()
    repo.git("mv", "features/refunds.feature", "features/money/refunds.feature")
    repo.remove("contracts/payouts.yaml")
    commits.append(repo.commit("c2: moves"))
    # c3: an ADR deleted (the invoice scenario's link dangles), a scenario removed, a contract file broken
    repo.remove("docs/adr/0003-use-queues.md")
    w("docs/adr/0001-use-git.md", adr(1, "Use git", decision="We will use git for specs and code."))
    w("features/money/refunds.feature", _feature(2, "Refunds", "@ADR-0002", [FULL]))
    w("contracts/refunds.yaml", "id: CTR-0001\ntitle: [unclosed\n")
    commits.append(repo.commit("c3: deletions and a broken file"))
    # c4: everything comes back (the contract with an edit)
    w("docs/adr/0003-use-queues.md", adr(3, "Use queues"))
    w("contracts/payouts.yaml", contract(2, "Payouts"))
    w("features/money/refunds.feature", _feature(2, "Refunds", "@ADR-0002", [FULL, PARTIAL]))
    w("contracts/refunds.yaml", contract(1, "Refunds", ("pending", "paid", "refunded", "closed")))
    commits.append(repo.commit("c4: restores"))
    # c5: a contract moved and edited; a feature file deleted; an ADR edited
    repo.remove("contracts/refunds.yaml")
    w("contracts/money/refunds.yaml", contract(1, "Refunds and returns", ("pending", "paid", "refunded", "closed")))
    w("docs/adr/0001-use-git.md", adr(1, "Use git", decision="We will use git for everything."))
    repo.remove("features/checkout.feature")
    commits.append(repo.commit("c5: move with edit, feature deleted"))
    # c6: the feature restored with an edit; an ADR edited
    invoice = (2, "Pay by invoice", "@ADR-0003", ["Given a cart", "When I pay by invoice", "Then a PDF is sent"])
    w("features/checkout.feature", _feature(1, "Checkout", "@ADR-0001", [card, invoice]))
    w("docs/adr/0002-use-postgresql.md", adr(2, "Use postgres", decision="We will use PostgreSQL 16."))
    commits.append(repo.commit("c6: feature restored"))
    return commits


BROKEN_AT = 3  # the commit whose sync reports the broken contract (exit 1)


def _clone(origin: GitRepo, where: Path, commit: str) -> GitRepo:
    subprocess.run(["git", "clone", "-q", str(origin.path), str(where)], check=True)
    clone = GitRepo(where)
    clone.git("checkout", "-q", commit)
    return clone


def _report(serial: int) -> str:
    """A JUnit report (cucumber's junit formatter: classname = feature name) of the scenarios; each differs."""
    cases = [("Checkout", "Pay by card"), ("Checkout", "Pay by invoice"), ("Refunds", "Full refund"),
             ("Refunds", "Partial refund")]
    rows = []
    for i, (feature, scenario) in enumerate(cases):
        failed = (i + serial) % 3 == 0
        inner = '<failure message="boom" type="AssertionError">boom</failure>' if failed else ""
        rows.append(f'<testcase classname="{feature}" name="{scenario}" time="0.{serial}{i}1">{inner}</testcase>')
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="Cucumber" tests="{len(cases)}" '
            f'timestamp="2026-01-0{1 + serial % 9}T09:00:00Z">\n' + "\n".join(rows) + "\n</testsuite>\n")


# ------------------------------------------------------------------------------------------------- processes


class Processes:
    """Every process the test starts, each waited for (bounded) and, on the way out, killed if still running."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[str]] = []
        self.lock = threading.Lock()

    def run(self, *args: str, cwd: Path | None = None) -> tuple[int, str]:
        proc = subprocess.Popen([sys.executable, "-m", "tracertm", *args], cwd=cwd, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        with self.lock:
            self.started.append(proc)
        _, err = proc.communicate(timeout=WAIT_S)
        return proc.returncode, err

    def end_all(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


class Worker(threading.Thread):
    """A thread running ``body``; what it raised is re-raised by ``result``."""

    def __init__(self, body: Callable[[], None]) -> None:
        super().__init__(daemon=True)
        self.body = body
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.body()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            self.error = exc

    def result(self) -> None:
        self.join(WAIT_S * 4)
        assert not self.is_alive(), "a worker thread did not end"
        if self.error is not None:
            raise self.error


# ----------------------------------------------------------------------------------------------- API clients


class Writes:
    """What the API accepted, as the clients saw it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.patches: list[dict[str, Any]] = []  # kind, id, version, approved_by, key, actor
        self.reviews: list[tuple[int, int]] = []  # (link number, the target version it was reviewed at)
        self.statuses: dict[int, int] = defaultdict(int)


def _patcher(base: str, token: str, label: str, writes: Writes, stop: threading.Event, most: int) -> None:
    """GET a record, PATCH an approval and a metadata key of its own with ``If-Match`` its ETag; on 412 read again
    and retry (as a client would); a record that is deleted just now (404) is skipped."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base + API, timeout=WAIT_S, headers=headers) as client:
        for i in range(most):
            if stop.is_set() and i >= len(PATCH_TARGETS):
                return
            plural, ident = PATCH_TARGETS[i % len(PATCH_TARGETS)]
            key, value = f"{label}-{i}", f"{label} wrote {i}"
            for _attempt in range(30):
                got = client.get(f"/{plural}/{ident}")
                if got.status_code == 404:
                    break
                assert got.status_code == 200, got.text
                answer = client.patch(f"/{plural}/{ident}", headers={"If-Match": got.headers["etag"]},
                                      json={"approved_by": value, "metadata": {key: value}})
                with writes.lock:
                    writes.statuses[answer.status_code] += 1
                if answer.status_code in (404, 412):
                    continue
                assert answer.status_code == 200, answer.text
                body = answer.json()
                assert body["approved_by"] == value and body["metadata"][key] == value, body
                with writes.lock:
                    writes.patches.append({"kind": plural, "id": body["id"], "version": body["version"],
                                           "approved_by": value, "key": key, "actor": f"api:{label}"})
                break
            else:
                raise AssertionError(f"{plural}/{ident}: 30 attempts, all refused")
            stop.wait(0.01)  # pacing between writes, not a guess at how long anything takes


def _reviewer(base: str, token: str, writes: Writes, stop: threading.Event, most: int) -> None:
    """Review suspect links one by one (``PATCH /links/{n}``, ``If-Match`` the target version read) and now and
    then all at once (``POST /links/review``)."""
    links = f"/projects/{PROJECT}/links"
    with httpx.Client(base_url=base + API, timeout=WAIT_S, headers={"Authorization": f"Bearer {token}"}) as client:
        for i in range(most):
            if stop.is_set():
                return
            if i % 4 == 3:
                answer = client.post(f"{links}/review", json={"all": True})
                assert answer.status_code == 200, answer.text
                with writes.lock:
                    writes.reviews += [(link["id"], link["target_version"]) for link in answer.json()["reviewed"]]
            else:
                page = client.get(links, params={"suspect": "true", "limit": 5})
                assert page.status_code == 200, page.text
                for link in page.json()["items"]:
                    answer = client.patch(f"{links}/{link['id']}", json={"reviewed": True},
                                          headers={"If-Match": f'"{link["target_version"]}"'})
                    with writes.lock:
                        writes.statuses[answer.status_code] += 1
                    if answer.status_code in (404, 409, 412):  # gone, dangling now, or changed: read again
                        continue
                    assert answer.status_code == 200, answer.text
                    done = answer.json()
                    assert done["reviewed_version"] == done["target_version"] == link["target_version"], done
                    with writes.lock:
                        writes.reviews.append((done["id"], done["reviewed_version"]))
            stop.wait(0.02)  # pacing between reads of the suspect links


# ---------------------------------------------------------------------------------------------------- checks


def _rows(conn: Any, kind: str) -> dict[tuple[str, ...], dict[str, Any]]:
    """Every row of ``kind`` keyed by its identity ((feature number, scenario number) for scenarios)."""
    table = kinds.table(kind)
    number = kinds.NUMBER_COLUMN[kind]
    if kind == "scenario":
        features = kinds.table("feature")
        query = select(table, features.c.feature_number).join(features, features.c.id == table.c.feature_id)
        return {(r["feature_number"], r[number]): dict(r) for r in conn.execute(query).mappings()}
    return {(r[number],): dict(r) for r in conn.execute(select(table)).mappings()}


def _revision_problems(conn: Any) -> list[str]:
    """One revision per version 1..N of every record; the newest ones carry the row's content hash."""
    problems: list[str] = []
    revisions: dict[Any, list[Any]] = defaultdict(list)
    for r in conn.execute(text("SELECT entity_type, entity_id, version, change, content_hash, source_path "
                               "FROM spec_revisions")).mappings():
        revisions[r["entity_id"]].append(r)
    known: set[Any] = set()
    tables = [(kind, kinds.table(kind).name) for kind in SPEC_KINDS] + [("test_case", "test_cases")]
    for kind, table in tables:
        has_hash = kind != "test_case"
        columns = "id, version, content_hash, source_path" if has_hash else "id, version"
        for row in conn.execute(text(f"SELECT {columns} FROM {table}")).mappings():
            known.add(row["id"])
            mine = revisions.get(row["id"], [])
            name = f"{kind} {row['id']}"
            by_version: dict[int, list[Any]] = defaultdict(list)
            for r in mine:
                by_version[r["version"]].append(r)
            if sorted(by_version) != list(range(1, row["version"] + 1)):
                problems.append(f"{name}: version {row['version']}, revisions of versions {sorted(by_version)}")
                continue
            for version, at in by_version.items():
                increments = [r["change"] for r in at if r["change"] != "moved"]
                hashes = {r["content_hash"] for r in at}
                if len(increments) > 1 or (len(at) > 1 and len(hashes) > 1):
                    problems.append(f"{name}: version {version} has {sorted(r['change'] for r in at)} "
                                    f"({len(hashes)} content hashes)")
            newest = by_version[row["version"]]
            if has_hash and {r["content_hash"] for r in newest} != {row["content_hash"]}:
                problems.append(f"{name}: newest revision's content hash is not the row's")
    problems += [f"revision of {r[0]['entity_type']} {entity} with no row" for entity, r in revisions.items()
                 if entity not in known and r[0]["entity_type"] in (*SPEC_KINDS, "test_case")]
    return problems


def _write_problems(conn: Any, writes: Writes) -> list[str]:
    """Every accepted PATCH is still there: the newest one's approval, every metadata key, each its revision."""
    problems: list[str] = []
    tables = {"adrs": "adr", "contracts": "contract", "features": "feature", "scenarios": "scenario"}
    newest: dict[str, dict[str, Any]] = {}
    for write in writes.patches:
        if write["id"] not in newest or write["version"] > newest[write["id"]]["version"]:
            newest[write["id"]] = write
    for write in writes.patches:
        kind = tables[write["kind"]]
        table = kinds.table(kind)
        column = kinds.KINDS[kind].metadata_column
        row = conn.execute(select(table.c.approved_by, table.c[column])
                           .where(table.c.id == uuid.UUID(write["id"]))).one()
        where = f"{write['kind']} {write['id']} v{write['version']}"
        if (row[1] or {}).get(write["key"]) != write["approved_by"]:
            problems.append(f"{where}: metadata key {write['key']} lost ({row[1]})")
        if newest[write["id"]] is write and row[0] != write["approved_by"]:
            problems.append(f"{where}: approved_by is {row[0]!r}, the last accepted write set "
                            f"{write['approved_by']!r}")
        # Its revision: by what it wrote, not by its version (a backfill moves what it finds behind the history).
        revision = conn.execute(text(
            "SELECT change, actor, changed_fields FROM spec_revisions WHERE entity_id = :id "
            "AND snapshot ->> 'approved_by' = :value"), {"id": uuid.UUID(write["id"]), "value": write["approved_by"]}
        ).all()
        if [tuple(r) for r in revision] != [("annotated", write["actor"], ["approved_by", column])]:
            problems.append(f"{where}: its revisions are {[tuple(r) for r in revision]}")
    return problems


def _link_problems(conn: Any, writes: Writes) -> list[str]:
    """Reviews are never undone; target versions follow content versions and are never behind a review."""
    problems: list[str] = []
    links = {r["id"]: r for r in conn.execute(select(LINKS)).mappings()}
    for number, version in writes.reviews:
        link = links.get(number)
        if link is not None and (link["reviewed_version"] is None or link["reviewed_version"] < version):
            problems.append(f"link {number}: reviewed at {version}, now {link['reviewed_version']}")
    targets: dict[Any, int] = {}
    for kind in ("adr", "contract", "feature"):
        table = kinds.table(kind)
        targets |= {r[0]: r[1] for r in conn.execute(select(table.c.id, table.c.version))}
    content = content_versions(conn, targets)
    for link in links.values():
        target = link["target_id"]
        if target is None or link["link_type"] in DB_LINK_TYPES:
            continue
        where = f"link {link['id']} {link['source_ref']} -> {link['target_ref']}"
        if not content[target] <= link["target_version"] <= targets[target]:
            problems.append(f"{where}: target version {link['target_version']}, content {content[target]}, "
                            f"row {targets[target]}")
        if link["reviewed_version"] is not None and link["reviewed_version"] > link["target_version"]:
            problems.append(f"{where}: reviewed at {link['reviewed_version']} > target {link['target_version']}")
    return problems


def _git_owned(conn: Any) -> dict[str, Any]:
    """The live git-owned content: records (the fields their last git revision holds), the file index, links."""
    out: dict[str, Any] = {}
    for kind in SPEC_KINDS:
        column = kinds.KINDS[kind].metadata_column
        records: dict[tuple[str, ...], dict[str, Any]] = {}
        for key, row in _rows(conn, kind).items():
            if row["deleted_at"] is not None:
                continue
            snapshot = conn.execute(text(
                "SELECT snapshot FROM spec_revisions WHERE entity_id = :id AND change <> 'annotated' "
                "ORDER BY version DESC, created_at DESC LIMIT 1"), {"id": row["id"]}).scalar_one()
            fields = {name: row[name] for name in snapshot if name in row and name != column}
            # Metadata: the keys the file sets (the database's own keys are checked with the API writes).
            git_keys = set(snapshot.get(column) or {})
            fields[column] = {k: v for k, v in (row[column] or {}).items() if k in git_keys}
            records[key] = {"content_hash": row["content_hash"], "source_path": row["source_path"], **fields}
        out[kind] = records
    out["files"] = sorted(tuple(r) for r in conn.execute(text(
        "SELECT path, kind, blob_sha, parse_error::text FROM source_files WHERE deleted_at IS NULL")))
    t = LINKS.c
    out["links"] = sorted(
        (r.source_kind, r.source_ref, r.source_path, r.source_line, r.link_type, r.target_kind, r.target_ref,
         r.target_id is not None)
        for r in conn.execute(select(LINKS).where(t.link_type.not_in(DB_LINK_TYPES))))
    return out


def _until(condition: Callable[[], bool], what: str, limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {limit:g} s")
        time.sleep(0.05)  # polling interval, not a guess at how long anything takes


def _marked_processes(mark: str) -> list[str]:
    """Processes (but this one) whose environment holds ``MARK=mark``: what this test started, and theirs."""
    needle = f"{MARK}={mark}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")[:200]
                found.append(f"{entry.name}: {command!r}")
        except OSError:  # ended meanwhile, or another user's
            continue
    return found


def _other_sessions(engine: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")).scalar())


# ------------------------------------------------------------------------------------------------------ test


@pytest.fixture
def databases(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """Two fresh, migrated PostgreSQL databases: the contended one and the one a fresh sync goes into."""
    template = request.getfixturevalue("_pg_template")
    first, second = _fresh_pg(template), _fresh_pg(template)
    try:
        yield next(first), next(second)
    finally:
        first.close()
        second.close()


def test_syncs_imports_patches_and_reviews_at_once_lose_nothing(
    git_repo: GitRepo, tmp_path: Path, databases: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, fresh_url = databases
    mark = uuid.uuid4().hex
    monkeypatch.setenv(MARK, mark)
    commits = _history(git_repo)
    advancing = _clone(git_repo, tmp_path / "b" / "repo", commits[0])
    pinned = [_clone(git_repo, tmp_path / "a" / "repo", commits[0]),
              _clone(git_repo, tmp_path / "c" / "repo", commits[BROKEN_AT])]
    reports = []
    for serial in range(2 * ROUNDS):
        reports.append(tmp_path / f"report-{serial}.xml")
        reports[-1].write_text(_report(serial), encoding="utf-8")
    procs = Processes()
    engine = db.make_engine(url)
    writes = Writes()
    exits: dict[str, list[int]] = defaultdict(list)
    sync = ("sync", "--database-url", url, "--project", PROJECT)
    backfill_args = ("backfill", str(git_repo.path), "--database-url", url, "--project", PROJECT, "--batch-size",
                     "2", "--quiet")
    messages: set[str] = set()
    try:
        first = run_cli(*sync, str(advancing.path))
        assert first.returncode == 0, first.stderr
        tokens_ = [make_token(engine, "write", label) for label in ("ci", "dash", "review")]
        with serve(url, git_repo.path, tmp_path / "serve.log", "--workers", "2") as base:
            stop = threading.Event()

            def advance() -> None:
                for _round in range(ROUNDS):
                    for k, commit in enumerate(commits):
                        advancing.git("checkout", "-q", commit)
                        code, err = procs.run(*sync, str(advancing.path))
                        exits[f"advancing c{k}"].append(code)
                        assert code == (1 if k == BROKEN_AT else 0), f"c{k}: exit {code}: {err}"

            def stale(clone: GitRepo, broken: bool) -> Callable[[], None]:
                def body() -> None:
                    for _ in range(2 * ROUNDS):
                        code, err = procs.run(*sync, str(clone.path))
                        exits[f"pinned {clone.head()[:7]}"].append(code)
                        assert code == (1 if broken else 0), f"exit {code}: {err}"
                return body

            def imports() -> None:
                for serial, report in enumerate(reports):
                    commit = commits[serial % len(commits)]
                    code, err = procs.run("results", "import", str(report), "--database-url", url, "--project",
                                          PROJECT, "--commit", commit, "--run-name", f"ci-{serial}",
                                          cwd=git_repo.path)
                    exits["results import"].append(code)
                    assert code == 0, f"exit {code}: {err}"

            def backfill() -> None:
                # Small batches: several transactions, other writers between them. Another writer between two of
                # them stops it (exit 75, README "Backfill"); the next run merges.
                for _ in range(2 * ROUNDS):
                    code, err = procs.run(*backfill_args)
                    exits["backfill"].append(code)
                    assert code in (0, 75), f"exit {code}: {err}"
                    if code == 75:
                        messages.add(err.strip())

            writers = [Worker(advance), Worker(stale(pinned[0], False)), Worker(stale(pinned[1], True)),
                       Worker(imports)] + ([Worker(backfill)] if BACKFILL else [])
            clients = [Worker(lambda: _patcher(base, tokens_[0], "ci", writes, stop, 60 * ROUNDS)),
                       Worker(lambda: _patcher(base, tokens_[1], "dash", writes, stop, 60 * ROUNDS)),
                       Worker(lambda: _reviewer(base, tokens_[2], writes, stop, 400 * ROUNDS))]
            started = time.monotonic()
            try:
                for worker in writers + clients:
                    worker.start()
                for worker in writers:
                    worker.result()
            finally:
                stop.set()
                for worker in clients:
                    worker.join(WAIT_S)
            for worker in clients:
                worker.result()
            concurrent_s = time.monotonic() - started
            if BACKFILL:  # once more, alone: it merges whatever the interrupted runs left
                code, err = procs.run(*backfill_args)
                assert code == 0, err
            # The last word: the final commit once more (a pinned clone may have written last).
            last = run_cli(*sync, str(advancing.path))
            assert last.returncode == 0, last.stderr
        assert writes.patches and writes.reviews, (writes.patches, writes.reviews, dict(writes.statuses))
        print(f"\nconcurrent phase {concurrent_s:.1f} s; exits {dict(exits)}; API answers {dict(writes.statuses)}; "
              f"{len(writes.patches)} patches, {len(writes.reviews)} reviews accepted; "
              f"backfill stopped by {messages}")

        # Nothing of any process is left: no session of the database, no process of this test.
        engine.dispose()
        _until(lambda: _other_sessions(engine) == 0, "sessions of the database were left")
        _until(lambda: not _marked_processes(mark), f"processes were left: {_marked_processes(mark)}")
        with engine.connect() as conn:
            problems = _revision_problems(conn) + _write_problems(conn, writes) + _link_problems(conn, writes)
            unfinished = conn.execute(text(
                "SELECT trigger, status FROM sync_runs WHERE finished_at IS NULL OR status NOT IN ('ok', 'errors')"
            )).all()
            assert not unfinished, unfinished
            contended = _git_owned(conn)
        assert not problems, "\n".join(problems)

        # The git-owned content is exactly a fresh sync's of the final commit.
        cold = run_cli("sync", "--database-url", fresh_url, "--project", PROJECT, str(advancing.path))
        assert cold.returncode == 0, cold.stderr
        fresh_engine = db.make_engine(fresh_url)
        try:
            with fresh_engine.connect() as conn:
                fresh = _git_owned(conn)
        finally:
            fresh_engine.dispose()
        for part in fresh:
            assert contended[part] == fresh[part], part
    finally:
        procs.end_all()
        engine.dispose()
