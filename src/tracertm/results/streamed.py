"""Importing one large JUnit report while it is parsed: a forked child parses it and prepares its rows, the import
writes them as they come.

Parsing a report is pure-Python CPU work (defusedxml's parser and ``junit._walk``), and so is preparing its rows
(mapping each test to a scenario, new ids; on PostgreSQL the ``created`` revisions' JSON); writing them is the
database's. On one process they add up; here they overlap. The import opens its transaction and forks at once: the
child starts parsing the report with the same parser incrementally (``junit.stream``: the same safe XML, the same
error naming file and line) while the import reads what preparing the rows needs (the project, its scenarios' refs and
test cases, the time stamp) and sends it (``_Child.setup``, through a socket pair); the child, once it has it, makes
the scenario index and sends, per chunk of tests (``FIRST_CHUNK`` doubling up to ``CHUNK``, smaller again towards the
end of the file), the driver-ready rows of the test cases, revisions (PostgreSQL; SQLite makes them,
``import_rows.insert_cases``) and results (on SQLite already cut into statements, ``rows.Flat``, the values all rows
share bound once), those of the new test cases' links (association and trace link), and the (scenario, known test
case) pairs through a pipe (framed by their length; a chunk written with ``marshal``: texts, numbers and tuples only,
scenarios and test cases by their ids as text); the parent inserts each chunk as it arrives, and whenever the next
chunk has not begun to arrive (else at the end) links the pairs received so far and reads the earlier run outcomes of
the scenarios that ran (``stats.Prior``: at the end the statistics only add this run's, which the child sums up per
scenario). A malformed file sends its ``ParseError``, which the parent raises inside the transaction: nothing is
imported and the error line is the one a parse in-process gives.

A new test case is sent with its last execution: its result and the run's time as far as the report has been read
(the latest suite end so far); the import sets the time of those sent with another one right at the end
(``case_results.created_at``), still their first version.

What is stored is exactly what the in-process path (``store._import``) stores. Where the streamed path could not
give the same result it gives up and the caller rolls back and imports the in-process way (``Restart``): a test
reported again after its chunk went out (the last report of a test counts), a result naming a feature file and a
line (the scenario index then needs those files at the run's commit), a run's commit whose feature files differ
from the synced ones (their names then are those at the commit), another writer's test case met while
inserting, or a child that ended without a word. Below ``FORK_MIN_BYTES`` a fork does not pay and the report is
imported in-process; so is any import given an open ``Session``.

A process with other threads never forks (``_alone``): the API server's upload runs in a worker thread beside the
event loop. There the child's work runs in a thread of its own (``_Thread``), through the same pipe: nothing
overlaps (one interpreter), but the import holds a chunk of the report's tests at a time, not the whole parsed
tree, its cases and rows (a 300,000-test upload raised the server's peak RSS from 91 to 386 MB in-process).

The child never touches the database: it ends with ``os._exit`` (no finalizer, no atexit, no flush of inherited
buffers) whatever happens, and the parent reaps it (killing it first when the import failed).
"""

from __future__ import annotations

import io
import itertools
import marshal
import operator
import os
import pickle
import signal
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import suppress
from typing import IO, TYPE_CHECKING, Any, Literal, NamedTuple

from tracertm.db import CHECKPOINT_THREAD
from tracertm.errors import ParseError

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.orm import Session

    from tracertm.results.mapping import ScenarioIndex
    from tracertm.results.rows import IdForm
    from tracertm.results.store import ImportSummary

__all__ = ["CHUNK", "ENV_SWITCH", "FIRST_CHUNK", "FORK_MIN_BYTES", "Restart", "import_streamed", "streams"]

# Below this size (about 6,000 tests) the report is parsed in-process. Forked, the import's own process spends less
# CPU from about 4,000 tests (350 KB: 0.18 s against 0.21 s in-process), but both processes together spend more
# (pickling, and the fork), and the wall time only gains when a second core is free: at 2,000 tests (170 KB) the
# import's process saves nothing at all.
FORK_MIN_BYTES = 512 * 1024
# Tests per message: the first message small, so that the import's writes start early, then doubling up to CHUNK,
# so that there are few messages in all.
FIRST_CHUNK = 250
CHUNK = 2_000


class Restart(Exception):
    """The streamed import cannot store what the in-process import would: roll back and import in-process."""


# ``TRACERTM_RESULTS_STREAM=0`` in the environment: every import in-process (a machine whose cores are all busy,
# where the second process only adds its CPU; or to compare both ways).
ENV_SWITCH = "TRACERTM_RESULTS_STREAM"


def streams(data: bytes, fmt: str) -> Literal["fork", "thread"] | None:
    """How a report of these bytes and format (``fmt`` detected already) is imported streamed, or None when it is
    imported in-process: a large JUnit report, unless ``$TRACERTM_RESULTS_STREAM`` is 0. ``fork``: this process is
    alone (see ``_alone``) and may run on two cores (on one, the overlap is none and the fork a cost). ``thread``:
    other threads run (the API server), which make a fork unsafe; the parse in a thread bounds the import's memory
    (``_Thread``)."""
    if fmt != "junit" or len(data) < FORK_MIN_BYTES or os.environ.get(ENV_SWITCH, "1") == "0":
        return None
    if _alone():
        return "fork" if hasattr(os, "fork") and _cores() >= 2 else None
    return "thread" if os.name == "posix" else None  # the pipe is waited on with select()


def _alone() -> bool:
    """Whether this thread is the process's only one, a WAL checkpoint of an earlier write aside: a lock another
    thread holds at the fork stays held in the child, which would then never finish. The checkpoint thread
    (``db._checkpoint_soon``) only runs SQLite, which the child never calls."""
    current = threading.current_thread()
    return all(t is current or t.name == CHECKPOINT_THREAD for t in threading.enumerate())


def _cores() -> int:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def import_streamed(
    session: Session,
    project_name: str | None,
    name: str,
    data: bytes,
    commit: str | None,
    run_name: str | None,
    id_pattern: str,
    window: int,
    actor: str,
    threaded: bool = False,
    repo: Path | None = None,
) -> ImportSummary:
    """Import one JUnit report (``name``, ``data``) into the open write ``session`` as ``store._import`` does, the
    report parsed by a child process meanwhile (``threaded``: by a thread, ``_Thread``). Raises ``Restart`` when the
    in-process path must do it. (Results matched by line, and names of feature files changed since the run's
    commit (the repository ``repo`` tells which), need the scenarios at that commit: those go in-process.)"""

    import defusedxml.ElementTree  # noqa: F401  (the child's parser, imported once here rather than in each child)
    from sqlalchemy import func, insert, select, update

    from tracertm.models import TestRun
    from tracertm.models import scenario_test_case_association as associations
    from tracertm.results import import_rows, junit, runs, scenario_reads, store  # noqa: F401  (junit: the same)
    from tracertm.results.mapping import ScenarioIndex
    from tracertm.results.report import clean_text
    from tracertm.results.report import digest as file_digest
    from tracertm.results.rows import Flat, IdForm, insert_rows, query
    from tracertm.results.case_results import after_import, created_at
    from tracertm.results.stats import Prior, recompute
    from tracertm.trace.results import add_test_links, insert_test_links

    connection = session.connection()
    ids = IdForm(connection.dialect.name)
    run_id = uuid.uuid4()

    def prepare(setup: tuple[Any, ...]) -> _Prepared:
        """The child's side of the setup: the scenario index, of the scenarios' refs this process made."""
        refs, existing, project_id, stamp, sources = setup
        return _Prepared(ScenarioIndex(refs, id_pattern), existing, project_id, stamp, sources)

    def produce(out: IO[bytes], ready: Callable[[bool], _Prepared | None]) -> None:
        # A thread parses ahead at most a chunk: what it holds is this process's memory.
        _produce(out, name, data, ready, ids, ids.of(run_id), actor, CHUNK if threaded else None)

    # The child starts parsing now, while this process reads what preparing the rows needs (the setup, sent when
    # read): the parse does not wait for these reads.
    child: _Producer = _Thread(produce, prepare) if threaded else _Child(produce, prepare)
    try:
        project = store._project(session, project_name)
        digest = runs.run_digest([file_digest(data)])
        text = junit.text_digest(data)  # the same report in another encoding is a duplicate (``Report.digests``)
        summary = store.ImportSummary(project.name, None, commit, "junit", [name])
        if runs.already_imported(session, project, digest, summary, runs.run_digest([text]) if text else None):
            child.kill()
            return summary
        if commit and scenario_reads.changed_since(session, project, commit, repo) != set():
            raise Restart("the scenarios' names at the run's commit are read in-process")
        # No result names a feature file and a line (the child checks): the scenarios as they are will do, as
        # scenario_reads.scenario_index reads them. Their refs and the links' sources are made here, while the child
        # parses ahead (the child, whose work the import's time follows, only indexes them: 8-10 ms less of it on the
        # benchmark's 500 scenarios); the refs pickle smaller than the rows they come from.
        scenarios = scenario_reads.scenario_rows(session, project)
        scenario_keys = {ids.of(row[0]): row[0] for row in scenarios}  # by the id the child sends (driver's form)
        refs = list(scenario_reads.scenario_refs(scenarios).values())
        sources = scenario_reads.link_sources(scenarios, ids)
        existing = {
            number: (ident, bool(gone)) for number, ident, gone in query(
                connection, "SELECT test_case_number, CAST(id AS TEXT), deleted_at IS NOT NULL FROM test_cases "
                            "WHERE project_id = ?", (ids.of(project.id),))
        }
        stamp = import_rows.sqlite_now(connection)
        child.setup((refs, existing, ids.of(project.id), stamp, sources))
        session.info["actor"] = actor  # whatever the ORM edits from here on is recorded as the import's
        # The run first (its results refer to it); what only the whole report tells is filled in at the end.
        connection.execute(insert(import_rows.core_table(TestRun)), [{
            "id": run_id, "project_id": project.id, "commit_sha": commit, "name": run_name,
            "source_format": "junit", "counts": {}, "digest": digest,
            "files": [clean_text(os.path.basename(name))],
        }])
        pairs: list[tuple[Any, uuid.UUID]] = []  # mapped (scenario, known test case), not linked yet
        ran: set[Any] = set()
        # The other runs' outcomes of the scenarios that ran, and their stored figures, read while the import
        # waits: at the end, the statistics only need this run's, which the parse process adds up (``recompute``'s
        # reads, done ahead).
        prior = Prior(run_id, held=True, window=window)  # the newest outcomes only (``Prior.read``)

        def link() -> None:
            """Link the mapped pairs of known test cases so far (written and restored), and read the earlier
            outcomes of the scenarios that ran so far: while the import waits for the next chunk, or at the end."""
            if pairs:
                import_rows.link_cases(session, pairs)  # the seed's association table
                add_test_links(connection, project.id, pairs)
                pairs.clear()
            prior.read(session, ran)

        end: tuple[Any, ...] = ()
        timed: list[tuple[str | None, list[Any]]] = []  # (time given, rowid spans or ids) of the new test cases
        for message in child.messages(link):
            if message[0] == "error":
                raise message[1]
            if message[0] == "restart":
                raise Restart(message[1])
            if message[0] == "end":
                end = message
                break
            (_kind, cases, revisions, results, mapped, restored, new_associations, new_links, ran_now, at,
             at_json) = message
            if stamp is not None:  # SQLite: ``rows.Flat``, as fields
                cases, results = Flat.of(cases), Flat.of(results)
            spans: list[tuple[int, int]] = []
            if import_rows.insert_cases(connection, cases, stamp, actor, at_json, spans) != len(cases):
                raise Restart("another writer inserted some of these test cases")
            if len(cases):  # the new test cases and the run's time they were given (see ``_produce``)
                timed.append((at, spans if stamp is not None else [row[0] for row in cases]))
            summary.test_cases_created += len(cases)
            if revisions:  # PostgreSQL (SQLite: insert_cases wrote them)
                import_rows.insert_revisions(connection, revisions)
            # Restored before the links: a link records its test case's version.
            import_rows.restore(session, [uuid.UUID(case) for case in restored])
            import_rows.insert_results(connection, results)
            # The new test cases' links, made by the child (none of theirs can exist): written as they are.
            insert_rows(connection, associations, ("scenario_id", "test_case_id"), new_associations)
            insert_test_links(connection, new_links)
            pairs += [(scenario_keys[scenario], uuid.UUID(case)) for scenario, case in mapped]
            ran.update(map(scenario_keys.__getitem__, ran_now))
        child.wait()
    except BaseException:
        child.kill()
        raise
    (_end, report_name, started, finished, statuses, matched, unmatched, ambiguous, total, own, reported, folded,
     zoneless) = end
    if zoneless:  # as ``store._import`` says it
        summary.zoneless_times = {name: zoneless[0]}
    summary.run_id, summary.total, summary.statuses = run_id, total, statuses
    summary.reported, summary.merged, summary.namesakes = reported, reported - total, folded
    summary.matched, summary.unmatched, summary.ambiguous = matched, unmatched, ambiguous
    counts: dict[str, Any] = {**statuses, "total": total, "matched": matched, "unmatched": unmatched,
                              "ambiguous": ambiguous}
    if text:  # as ``store._import`` lists them
        counts[runs.FILE_KEYS] = sorted({digest, runs.run_digest([text])})
    connection.execute(
        update(import_rows.core_table(TestRun)).where(import_rows.core_table(TestRun).c.id == run_id)
        .values(name=run_name or report_name, started_at=started, finished_at=finished, counts=counts)
    )
    link()
    # After the run's time is written (above): the new test cases were given the time of the report read so far,
    # which a later suite may move (or none, the import's): those given another keep one version, set right.
    when = func.coalesce(TestRun.finished_at, TestRun.started_at, TestRun.imported_at)
    run_at = session.execute(select(when).where(TestRun.id == run_id)).scalar_one()
    right, _json = import_rows.run_time(ids, run_at)
    if any(at != right for at, _rows in timed):
        created_at(session, [rows for at, rows in timed if at != right], run_at)
    # The test cases' last execution: those not read at the setup are new (set already, above).
    known = {ident for ident, _gone in existing.values()}
    after_import(session, run_id, lambda ident: ident not in known, actor)
    summary.scenarios_updated = recompute(
        session, ran, window, actor, prior.sorted(session, own), prior.held, prior.older
    ) if ran else 0
    return summary


class _Prepared(NamedTuple):
    """What the child needs besides the report to make the rows, from the import's reads (``_Child.setup``)."""

    matcher: ScenarioIndex
    existing: dict[str, tuple[str, bool]]  # the project's test cases: (id, soft-deleted) by external id
    project: str  # the project's id in the driver's form
    stamp: str | None  # SQLite: the rows' time stamp (``import_rows.sqlite_now``)
    sources: dict[str, tuple[str, str | None, int]]  # each scenario's ``trace.results.link_source``


def _produce(
    out: IO[bytes], name: str, data: bytes, ready: Callable[[bool], _Prepared | None], ids: IdForm, run: str,
    actor: str, most_ahead: int | None = None,
) -> None:
    """The child's work: parse the report and send the rows of each ``CHUNK`` of tests, then the run's figures.
    Until the import's reads are ``ready`` (``ready(False)`` is None while they are not; ``ready(True)`` waits for
    them) the report is parsed ahead (at most ``most_ahead`` tests). On SQLite (``stamp``) the rows go stamped and
    cut into statements (``rows.Flat``): the writer only runs them. The links of new test cases (association rows and
    ``test`` trace links, made with each scenario's ``sources``) go as rows too; the pairs of known test cases go as
    pairs, linked by the writer (a link may exist, a restored test case's version changes)."""
    from tracertm.results import import_rows, junit, store
    from tracertm.results.report import last_reports, namesakes
    from tracertm.results.stats import _SQL_RANK
    from tracertm.trace.results import new_test_link_rows

    starts: list[Any] = []
    ends: list[Any] = []
    seen: set[str] = set()  # the external ids sent, as reported and as stored
    total = 0  # tests sent
    read = 0  # test reports read (``ImportSummary.reported``)
    folded = 0  # of them, behave's namesakes kept as the worse of them (``ImportSummary.namesakes``)
    statuses: Counter[str] = Counter()
    matched = {"tag": 0, "line": 0, "name": 0}
    unmatched = ambiguous = 0
    # Per scenario, its results' highest rank and most failed attempts: this run's outcome (``stats.Prior``).
    own: dict[Any, tuple[int, int]] = {}
    metadata_texts: dict[tuple[Any, ...], str] = {}
    scenario_ids: dict[Any, str] = {}  # each scenario's id in the driver's form
    batch: list[Any] = []
    names: list[str | None] = []
    source = io.BytesIO(data)
    zoneless: list[str] = []
    stream = junit.stream(name, data, starts, ends, names, source, zoneless)
    ahead: list[Any] = []  # parsed while the import reads
    try:
        prepared = ready(False)
        while prepared is None:
            parsed = list(itertools.islice(stream, FIRST_CHUNK))
            ahead += parsed
            # the whole report is parsed, or as much as may be: wait
            prepared = ready(not parsed or (most_ahead is not None and len(ahead) >= most_ahead))
    except junit.NestedCases:
        _send(out, ("restart", "a test case inside a test case"))
        return
    index, existing, project, stamp, sources = prepared
    tests = itertools.chain(ahead, stream)
    size = FIRST_CHUNK
    while True:
        try:
            batch[:] = itertools.islice(tests, size)
            size = _next_size(size, total + len(batch), source.tell(), len(data))
        except junit.NestedCases:
            _send(out, ("restart", "a test case inside a test case"))
            return
        if not batch:
            break
        # One result per test case and run, the last one reported (as store._import keeps them). The per-test
        # bookkeeping below runs in C where it can (map, zip, compress, Counter): most tests of a large report
        # are unit tests that map to nothing, and this loop is on the parse process's path, which the import's
        # whole time follows.
        unique = last_reports(batch)  # a rerun within the chunk: its earlier failures are failed attempts
        read += len(batch)
        cases = list(unique.values())
        folded += namesakes(batch, cases)
        # The ids as reported too: whether an id is qualified by its suite (``report.apart``) depends on all its
        # reports, which must then all be in this chunk; a later one restarts.
        reported = set(map(_EXTERNAL_ID, batch))
        if not seen.isdisjoint(reported) or not seen.isdisjoint(unique):
            _send(out, ("restart", "a test is reported twice, far apart"))
            return
        if any(map(_LINE, cases)) and any(case.line and store._feature_file(case) for case in cases):
            _send(out, ("restart", "a result names a feature file and a line"))
            return
        seen.update(reported)
        seen.update(unique)
        total += len(unique)
        matches = index.match_all(cases)
        statuses.update(map(_STATUS, cases))
        for rule, count in Counter(map(_RULE, matches)).items():
            if rule:
                matched[rule] += count
            else:
                unmatched += count
        ambiguous += sum(map(_AMBIGUOUS, matches))  # only a match without a rule is ever ambiguous
        # The new test cases' last execution: the run's time as far as the report has been read (its latest suite
        # end, ``store``'s ``finished_at``), which the import sets right at the end if a later suite moves it.
        at, at_json = import_rows.run_time(ids, max(ends) if ends else None)
        rows = import_rows.case_rows(ids, project, [case for case in cases if case.external_id not in existing]
                                     if existing else cases, metadata_texts, at)
        case_ids = {case.external_id: known[0] for case in cases if (known := existing.get(case.external_id))} \
            if existing else {}
        case_ids.update(zip(map(_NUMBER, rows), map(_IDENT, rows)))  # the new test cases' ids, in C
        # Scenarios and test cases by their ids in the driver's form (text): the message is then made of texts,
        # numbers and tuples only, which ``marshal`` writes with fewer instructions than ``pickle`` (``_send``).
        old: list[tuple[str, str]] = []  # (scenario, known test case)
        fresh: set[tuple[str, str, str]] = set()  # (scenario, new test case, its number)
        ran: dict[str, None] = {}
        for c, m in itertools.compress(zip(cases, matches), map(_SCENARIO, matches)):
            key = m.scenario.key  # type: ignore[union-attr]  # compress: only the matches with a scenario
            scenario = scenario_ids.get(key) or scenario_ids.setdefault(key, ids.of(key))
            ran[scenario] = None
            best, failed = own.get(key, (0, 0))
            own[key] = (max(best, _SQL_RANK.get(c.status, 0)), max(failed, c.failed_attempts))
            if c.external_id in existing:
                old.append((scenario, case_ids[c.external_id]))
            else:
                fresh.add((scenario, case_ids[c.external_id], c.external_id))
        new_associations = sorted((scenario, case) for scenario, case, _number in fresh)
        new_links = new_test_link_rows(project, fresh, sources)
        restored = [existing[c.external_id][0] for c in cases
                    if c.external_id in existing and existing[c.external_id][1]] if existing else []
        results = import_rows.result_rows(ids, run, cases, matches, case_ids)
        if stamp is not None:  # SQLite: no revision rows (``import_rows.insert_cases`` has the database make them)
            _send(out, ("chunk", import_rows.flat_rows("cases", rows, stamp).fields(), (),
                        import_rows.flat_rows("results", results, stamp).fields(), old, restored, new_associations,
                        new_links, list(ran), at, at_json), plain=True)
        else:
            _send(out, ("chunk", rows, import_rows.revision_rows(ids, rows, actor), results, old, restored,
                        new_associations, new_links, list(ran), at, at_json), plain=True)
    _send(out, ("end", names[0], min(starts) if starts else None, max(ends) if ends else None,
                dict(statuses), matched, unmatched, ambiguous, total, own, read, folded, zoneless))


def _receiver(channel: Any, prepare: Callable[[Any], Any]) -> Callable[[bool], Any]:
    """The child's ``ready``: the setup from ``channel`` once it has come, ``prepare``d (None before, unless
    ``block``)."""
    import select

    got: list[Any] = []

    def ready(block: bool) -> Any:
        if got:
            return got[0]
        if not block and not select.select([channel], [], [], 0)[0]:
            return None
        size = int.from_bytes(_receive(channel, 8), "little")
        got.append(prepare(pickle.loads(_receive(channel, size))))
        channel.close()
        return got[0]

    return ready


def _receive(channel: Any, size: int) -> bytearray:
    """``size`` bytes from the setup channel; its end without them ends the child (the import gave up)."""
    data = bytearray()
    while len(data) < size:
        got = channel.recv(min(size - len(data), 1 << 20))
        if not got:
            raise SystemExit("the import sent no setup")
        data += got
    return data


_LINE = operator.attrgetter("line")
_EXTERNAL_ID = operator.attrgetter("external_id")
_IDENT = operator.itemgetter(0)  # a test case row's id (``import_rows.case_rows``)
_NUMBER = operator.itemgetter(2)  # and its external id
_STATUS = operator.attrgetter("status")
_RULE = operator.attrgetter("rule")
_AMBIGUOUS = operator.attrgetter("ambiguous")
_SCENARIO = operator.attrgetter("scenario")


def _next_size(size: int, tests: int, read: int, total: int) -> int:
    """How many tests the next message carries: twice the last (the import's writes start early), at most
    ``CHUNK``, and towards the end of the file half of the tests estimated left, down to ``FIRST_CHUNK``: the
    import writes the last message after the parse has ended, so the last message is short. (The parser reads
    ahead by a block of the file: the estimate is a little low, which only makes a message smaller.)"""
    left = (total - read) * tests // read if read and tests else total
    return max(FIRST_CHUNK, min(2 * size, CHUNK, left // 2))


def _send(out: IO[bytes], message: tuple[Any, ...], plain: bool = False) -> None:
    """One message: its length (8 bytes), how it is written (1 byte), then the message: a ``plain`` one (texts,
    numbers, None, tuples, lists, dicts: a chunk's rows) with ``marshal``, which does only those, and writes them
    in this process, whose time the import's follows, with fewer instructions than ``pickle`` (its memo and
    framing; reading takes the import about as long either way); the others (time stamps, ids, errors) with
    ``pickle``."""
    if plain:
        payload, form = marshal.dumps(message), _MARSHAL
    else:
        payload, form = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL), _PICKLE
    out.write(len(payload).to_bytes(8, "little") + form)
    out.write(payload)
    out.flush()


_MARSHAL = b"m"
_PICKLE = b"p"


# A pipe's buffer (Linux: 64 KiB by default) holds a tenth of a message: the child would wait at each message
# until the import has written the previous chunk and reads again. With room for a whole message (a chunk of
# 2,000 tests is written in about 700 KB) the child parses on while the import writes.
PIPE_BYTES = 1 << 20


def _widen(fd: int) -> None:
    """Give the pipe ``PIPE_BYTES`` of buffer where the system allows it (Linux ``F_SETPIPE_SZ``, up to
    ``/proc/sys/fs/pipe-max-size``, 1 MiB by default); elsewhere, or when refused, it stays as it is."""
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (ImportError, AttributeError, OSError):
        pass


class _Producer:
    """What parses the report and sends its messages through a pipe, read here from ``fd``: a forked child
    (``_Child``) or a thread (``_Thread``)."""

    fd: int | None

    def setup(self, value: Any) -> None:
        """Hand the producer what it waits for (once)."""
        raise NotImplementedError

    def wait(self) -> None:
        """Let the producer go once its messages are read."""
        raise NotImplementedError

    def kill(self) -> None:
        """End the producer now (the import failed)."""
        raise NotImplementedError

    def messages(self, idle: Callable[[], None]) -> Iterator[tuple[Any, ...]]:
        """The child's messages as they come. When the next one has not begun to arrive, ``idle()`` runs first:
        work that can be done at any time is done while the import would otherwise wait."""
        import select

        assert self.fd is not None
        while True:
            if not select.select([self.fd], [], [], 0)[0]:
                idle()
            head = self._read(9)
            payload = self._read(int.from_bytes(head[:8], "little"))
            message = marshal.loads(payload) if head[8:] == _MARSHAL else pickle.loads(payload)
            assert isinstance(message, tuple)
            yield message

    def _read(self, size: int) -> bytearray:
        assert self.fd is not None
        data = bytearray()
        while len(data) < size:
            got = os.read(self.fd, min(size - len(data), 1 << 20))
            if not got:
                raise Restart("the parse process ended without its report")
            data += got
        return data


class _Child(_Producer):
    """A forked child running ``produce(pipe, ready)``; its messages are read with ``messages()``. A
    ``ParseError`` it raises is sent as ``("error", exc)``; any other end of the child shows as ``Restart`` in the
    parent. What the child needs from the import's reads goes to it once (``setup``), made ready there by
    ``prepare``: ``ready(block)`` in the child returns it, or None while it has not come (``block``: wait)."""

    def __init__(
        self, produce: Callable[[IO[bytes], Callable[[bool], Any]], None], prepare: Callable[[Any], Any],
    ) -> None:
        import socket

        read, write = os.pipe()
        _widen(write)
        # The setup's channel: a socket pair, so that a child that ended early makes the send fail (MSG_NOSIGNAL)
        # rather than raise SIGPIPE in the import, whatever that signal's handler.
        ours, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:  # the child: whatever happens, it ends here
            code = 1
            # Ctrl-C and a SIGTERM sent to the whole group (a CI job's timeout) are the parent's to handle: it kills
            # this child. Its inherited handlers (the CLI's SIGTERM raises KeyboardInterrupt) are not run here.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            try:
                os.close(read)
                ours.close()
                with os.fdopen(write, "wb", buffering=1 << 20) as out:
                    try:
                        produce(out, _receiver(theirs, prepare))
                    except ParseError as exc:
                        _send(out, ("error", exc))
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        theirs.close()
        self.pid: int | None = pid
        self.fd: int | None = read
        self.setup_channel: Any = ours

    def setup(self, value: Any) -> None:
        """Send the child what it waits for (once). A child that ended already has sent why (or nothing): its
        messages tell."""
        import socket

        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            # MSG_NOSIGNAL where the system has it (Linux); elsewhere Python's own SIGPIPE handling (ignored)
            self.setup_channel.sendall(len(payload).to_bytes(8, "little") + payload,
                                       getattr(socket, "MSG_NOSIGNAL", 0))
        except OSError:  # the child ended (its end closed): its messages say why
            pass
        self.setup_channel.close()

    def wait(self) -> None:
        """Reap the child once its messages are read (its CPU then counts in ``RUSAGE_CHILDREN``)."""
        self.setup_channel.close()
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        if self.pid is not None:
            os.waitpid(self.pid, 0)
            self.pid = None

    def kill(self) -> None:
        """End the child now (the import failed) and reap it."""
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.wait()


class _Thread(_Producer):
    """``_Child``'s work in a thread of this process, whose other threads make a fork unsafe: its messages come
    through a pipe as a child's do (the pipe holds one, so the thread waits while the import writes: at most a
    chunk of tests is held), and the setup is handed over as it is, not pickled (the project's test cases, once).
    Whatever ends the thread early closes its end of the pipe: ``Restart``, as for a child that ended."""

    def __init__(
        self, produce: Callable[[IO[bytes], Callable[[bool], Any]], None], prepare: Callable[[Any], Any],
    ) -> None:
        import queue

        read, write = os.pipe()
        _widen(write)
        self.fd = read
        self._setup: queue.Queue[tuple[Any, ...]] = queue.Queue(maxsize=1)
        import contextvars

        # In this thread's context: its errors name the options as the import's caller does (results.options), and
        # a new thread starts with an empty one.
        self._thread = threading.Thread(target=contextvars.copy_context().run,
                                        args=(self._run, produce, prepare, write), name="tracertm-results-parse",
                                        daemon=True)
        self._thread.start()

    def _run(self, produce: Callable[[IO[bytes], Callable[[bool], Any]], None], prepare: Callable[[Any], Any],
             write: int) -> None:
        import queue

        got: list[Any] = []

        def ready(block: bool) -> Any:
            if not got:
                try:
                    (value,) = self._setup.get(block=block)
                except queue.Empty:
                    return None
                if value is None:  # killed before the setup came
                    raise Restart("the import gave up")
                got.append(prepare(value))
            return got[0]

        try:
            with os.fdopen(write, "wb", buffering=1 << 20) as out:
                try:
                    produce(out, ready)
                except ParseError as exc:
                    _send(out, ("error", exc))
        except BaseException:  # noqa: BLE001 - the import gave up (its end closed), or any failure: the EOF tells
            pass

    def setup(self, value: Any) -> None:
        self._setup.put((value,))

    def wait(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # a thread still writing gets EPIPE and ends
            self.fd = None
        self._thread.join()

    def kill(self) -> None:
        import queue

        with suppress(queue.Full):  # the setup is there already: the closed pipe ends the thread
            self._setup.put_nowait((None,))
        self.wait()
