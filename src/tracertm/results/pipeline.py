"""Importing one JUnit report while it is read: the parse of batch k+1 runs while the database writes batch k.

A large report's import is mostly two halves of about equal cost: reading the XML (Python, holding the GIL) and
writing tens of thousands of rows (SQLite's ``sqlite3_step`` and PostgreSQL's network wait release the GIL). Done
one after the other they add up; here the report is parsed incrementally (``junit.Stream``, the same safeguards
as the whole-tree parse), each batch of test cases is mapped to scenarios as it comes, and ONE writer thread runs
the batch's statements on the import's own connection (upsert the test cases and their ``created`` revisions, link
them to scenarios, store the results) while the main thread reads on. The main thread does not touch the session
until the writer has finished, so the connection is used by one thread at a time.

Nothing changes in what is stored: the same functions write each batch as the whole-report import writes the
whole report (``test_results_store_equivalence.py`` compares every table). Still one transaction: a malformed
element found late raises after the writer stopped, and the caller's ``write_session`` rolls everything back.

Where streaming cannot give the whole-report import's result, it raises ``StartOver`` (the caller rolls back and
imports the report the ordinary way): a test case reported twice (the last report counts, and the first one may be
written already), a result that names a feature file and line (the scenarios must then be read as they were at
the run's commit for the files the whole report names), a ``<testcase>`` inside another one (order).
"""

from __future__ import annotations

import functools
import queue
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tracertm.results.junit import Stream
from tracertm.results.mapping import Match, ScenarioIndex
from tracertm.results.report import CaseResult, Report

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from tracertm.results.store import ImportSummary

__all__ = ["BATCH", "StartOver", "read_and_write"]

# Test cases per batch: large enough that a batch's statements are full multi-row INSERTs, small enough that the
# first and last batches (which cannot overlap with anything) are short.
BATCH = 1000


class StartOver(Exception):  # noqa: N818 - not an error: a request to import the ordinary way
    """This report cannot be imported while it is read (see the module's docstring); the caller rolls back."""


class _Writer:
    """One thread that runs the submitted jobs in order. The first failure stops the jobs after it and is raised
    in the submitting thread (at the next ``submit`` or at ``finish``)."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._skip = False  # set when the import failed anyway: the jobs still queued need not run
        self._thread = threading.Thread(target=self._run, name="tracertm-results-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            if self._error is None and not self._skip:
                try:
                    job()
                except BaseException as exc:  # noqa: BLE001 - handed to the main thread, which raises it
                    self._error = exc

    def submit(self, job: Callable[[], None]) -> None:
        self._raise()
        self._jobs.put(job)

    def stop(self, skip: bool = False) -> None:
        """Wait until every submitted job has run (``skip``: until the running one has; the rest are dropped)."""
        self._skip = self._skip or skip
        self._jobs.put(None)
        self._thread.join()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def finish(self) -> None:
        self.stop()
        self._raise()


def read_and_write(
    session: Session, summary: ImportSummary, project_id: uuid.UUID, stream: Stream, index: ScenarioIndex
) -> tuple[Report, Counter[str], set[Any]]:
    """Read ``stream`` batch by batch, map each case with ``index`` and write each batch from the writer thread
    into the run ``summary.run_id`` (its row is written). Counts into ``summary``; returns the report, the
    statuses (in the order they first appear) and the scenarios that ran. Raises ``StartOver`` (see the module)."""
    from tracertm.results.rows import IdForm
    from tracertm.results.store import Batch, known_cases, prepare_batch, tally, write_batch, write_prepared

    ids = IdForm(session.connection().dialect.name)
    actor = session.info.get("actor")
    # The project's test cases, read once before the writer starts when they are not many more than the report
    # has (CI importing its suite again): then the main thread makes each batch's rows, and the writer only writes.
    known = known_cases(session.connection(), ids.of(project_id), stream.data.count(b"<testcase"))
    writer = _Writer()
    seen: set[str] = set()
    cases: list[CaseResult] = []
    statuses: Counter[str] = Counter()
    ran: set[Any] = set()
    created = 0

    def write(batch: list[CaseResult], matches: list[Match]) -> None:
        nonlocal created
        created += write_batch(session, project_id, summary.run_id, batch, matches)

    def write_rows(rows: Batch) -> None:
        nonlocal created
        created += write_prepared(session, rows)

    try:
        for batch in stream.batches(BATCH):
            matches = []
            for case in batch:
                if case.external_id in seen or (case.line and _names_feature_file(case)):
                    raise StartOver(case.external_id)
                seen.add(case.external_id)
                match = index.match(case)
                matches.append(match)
                tally(summary, statuses, case, match)
                if match.scenario is not None:
                    ran.add(match.scenario.key)
            if known is None:
                writer.submit(functools.partial(write, batch, matches))
            else:
                writer.submit(functools.partial(write_rows, prepare_batch(
                    ids, project_id, summary.run_id, batch, matches, known, actor)))
            cases.extend(batch)
        if stream.irregular:
            raise StartOver("a <testcase> inside another one")
    except BaseException:
        writer.stop(skip=True)  # the transaction rolls back: wait for the statement running, the connection's
        raise
    writer.finish()
    summary.test_cases_created, summary.total = created, len(cases)
    return stream.report(cases), statuses, ran


def _names_feature_file(case: CaseResult) -> bool:
    """The result names a feature file (with a line, it is matched against that file at the run's commit)."""
    return bool(case.feature_uri) or (case.file or "").endswith(".feature")
